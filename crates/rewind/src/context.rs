//! What commands that act on an app share: the configuration (found from
//! the current directory, or `--config`), the repository it sits in, the
//! platform client built from the app's settings and Scalingo's environment
//! variables, the journal, how to ask the user, and Ctrl-C.

use std::path::{Path, PathBuf};

use rewind_core::config::{AppConfig, Config, PlatformKind};
use rewind_core::git::{self, GitCli};
use rewind_core::i18n::Lang;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::Journal;
use rewind_core::platform::Platform;
use rewind_core::platform::scalingo::{RequestBudget, Scalingo};
use rewind_core::prompt::{NoPrompter, Prompter};

use crate::cli_error::CliError;
use crate::output::ColorWhen;
use crate::prompter::LinePrompter;
use crate::waits::WaitDisplay;

/// How long one git command of the team's journal may take: it runs in
/// the background and must never hold a command's end for long.
const TEAM_GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The journal shared with the team on the git remote (`[team]`), when the
/// repository has that remote; else this machine's alone.
fn share_with_team(journal: Journal, config: &Config, repo: &Path) -> Journal {
    let Some(place) = config.team_place() else {
        return journal;
    };
    // Never a prompt from the background: no terminal, ssh in batch mode.
    let git = GitCli::new(repo).timeout(TEAM_GIT_TIMEOUT);
    if !rewind_core::team::has_remote(&git, &place.remote) {
        return journal;
    }
    journal.shared(rewind_core::team::TeamJournal::new(
        git,
        &place.remote,
        &place.refs.journal,
    ))
}

/// Options every command accepts.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The rewind.toml to use. Default: the nearest one from the current
    /// directory up to the repository root.
    #[arg(long, global = true, value_name = "PATH", env = "REWIND_CONFIG")]
    pub config: Option<PathBuf>,

    /// When to colour the output: auto (on a terminal, unless NO_COLOR is
    /// set or CLICOLOR=0; CLICOLOR_FORCE=1 forces it), always, never.
    /// Decided for stdout and stderr separately.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,

    /// Print only data (stdout), warnings, errors and questions: no
    /// progress or informational messages.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

pub struct Context {
    pub config: Config,
    /// The repository the configuration belongs to.
    pub repo: PathBuf,
    pub journal: Journal,
    pub interrupt: Interrupt,
}

impl Context {
    pub fn load(global: &Global) -> Result<Context, CliError> {
        let config = match &global.config {
            Some(path) => Config::load(path)?,
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    CliError::failed(e).hint("run rewind from inside your repository")
                })?;
                Config::discover(&cwd)?
            }
        };
        let repo = config
            .path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let journal = share_with_team(Journal::open(&journal_dir(&repo)), &config, &repo);
        warn_about_journal(&journal);
        Ok(Context {
            config,
            repo,
            journal,
            interrupt: interrupt(),
        })
    }

    /// The app named, or the only one.
    pub fn app(&self, name: Option<&str>) -> Result<&AppConfig, CliError> {
        Ok(self.config.app(name)?)
    }

    /// The app's platform client, of the kind its configuration names.
    /// Scalingo's takes Scalingo's environment variables on top of the
    /// file's settings; its request budget lives beside the journal, so
    /// every rewind run of this repository within a minute shares
    /// Scalingo's limit; its waits are shown and stop on Ctrl-C.
    pub fn platform(&self, app: &AppConfig) -> Result<Box<dyn Platform>, CliError> {
        match app.platform {
            PlatformKind::Scalingo => Ok(Box::new(self.scalingo(app)?)),
        }
    }

    fn scalingo(&self, app: &AppConfig) -> Result<Scalingo, CliError> {
        let mut settings = app.scalingo_settings(|name| std::env::var(name).ok());
        if let Some(dir) = self.journal.path().parent() {
            settings.budget = RequestBudget::scalingo_in(dir);
        }
        settings.interrupt = self.interrupt.clone();
        settings.waits = std::sync::Arc::new(WaitDisplay::stderr());
        Ok(Scalingo::new(settings)?)
    }

    /// Who acts, for the journal, the report and the team's message:
    /// `REWIND_USER`, else the repository's git `user.name` (the name the
    /// team knows), else the login name.
    pub fn actor(&self) -> String {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        from_env("REWIND_USER")
            .or_else(|| {
                let args = ["config", "user.name"];
                let started = std::time::Instant::now();
                let output =
                    rewind_core::secret::without_secrets(&mut std::process::Command::new("git"))
                        .args(args)
                        .current_dir(&self.repo)
                        .env("GIT_TERMINAL_PROMPT", "0")
                        .output();
                let exit = git::exit_of(output.as_ref().ok().map(|o| o.status));
                git::log_ran("git", &args, started, &exit);
                output
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .filter(|n| !n.is_empty())
            })
            .or_else(|| from_env("USER"))
            .or_else(|| from_env("USERNAME"))
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// Refuses, as a configuration error, a command that needs the
    /// repository's history when the configuration sits outside any git
    /// repository (`--config` pointing elsewhere): git's own failure would
    /// come later and read like a network or credentials problem.
    pub fn require_repository(&self, command: &str) -> Result<(), CliError> {
        let args = ["rev-parse", "--git-dir"];
        let started = std::time::Instant::now();
        let inside = rewind_core::secret::without_secrets(&mut std::process::Command::new("git"))
            .args(args)
            .current_dir(&self.repo)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        git::log_ran(
            "git",
            &args,
            started,
            &git::exit_of(inside.as_ref().ok().copied()),
        );
        match inside {
            // Git missing or the folder unreadable: the command's own git
            // call says it better.
            Err(_) => Ok(()),
            Ok(status) if status.success() => Ok(()),
            Ok(_) => Err(CliError::config(format!(
                "{} is not inside a git repository: `rewind {command}` reads the app's releases from its tags",
                self.config.path.display()
            ))
            .hint("run rewind from your app's repository, or pass --config a rewind.toml that is inside it")),
        }
    }

    /// Git in the repository, interactive when a person is there, each
    /// command stopped after `REWIND_GIT_TIMEOUT` seconds (five minutes by
    /// default; a value that is not a whole number of seconds keeps it).
    pub fn git(&self) -> GitCli {
        let timeout = std::env::var("REWIND_GIT_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&secs| secs > 0)
            .map(std::time::Duration::from_secs)
            .unwrap_or(rewind_core::git::DEFAULT_GIT_TIMEOUT);
        GitCli::new(&self.repo)
            .interactive(is_interactive())
            .timeout(timeout)
    }
}

/// Says which journal lines rewind cannot read and skips them: a damaged
/// line never blocks a command, but the person must know it is ignored.
fn warn_about_journal(journal: &Journal) {
    let Ok((_, report)) = journal.entries() else {
        // Reading fails again where the command needs it, with its error.
        return;
    };
    let path = journal.path().display();
    for skipped in &report.skipped {
        errln!(
            "warning: {path}:{}: line skipped: {}",
            skipped.line,
            skipped.why
        );
    }
    if report.partial_last_line {
        errln!(
            "warning: {path}: its last line was cut short (rewind stopped while writing it) and is ignored"
        );
    }
    let unnamed = report.unreadable_lines - report.skipped.len();
    if unnamed > 0 {
        errln!("warning: {path}: {unnamed} more unreadable line(s) skipped");
    }
    if report.unreadable_lines > 0 {
        errln!(
            "hint: the rest of the journal is read as usual; fix or delete those lines to silence this"
        );
    }
}

/// Where the journal lives: `REWIND_JOURNAL_DIR`, else inside the
/// repository's `.git` (never in the working tree), else next to the
/// configuration in `.rewind/`.
pub fn journal_dir(repo: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("REWIND_JOURNAL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let git_dir = repo.join(".git");
    if git_dir.is_dir() {
        git_dir.join("rewind")
    } else {
        repo.join(".rewind")
    }
}

/// A person can answer: stdin is a terminal, or `REWIND_INTERACTIVE=1`
/// (tests and scripts feeding answers line by line).
pub fn is_interactive() -> bool {
    use std::io::IsTerminal;
    std::env::var("REWIND_INTERACTIVE").is_ok_and(|v| v == "1") || std::io::stdin().is_terminal()
}

/// The prompter for this run: numbered choices on stdin when someone can
/// answer, otherwise one that fails naming the question. Its own words
/// (`answer [1-2]:`) are English, like the rest of these commands.
pub fn prompter() -> Box<dyn Prompter> {
    prompter_in(Lang::En)
}

/// The prompter for a command that speaks `lang` (`rewind guide`, `rewind
/// drill`): the person reads its own words in the language of the questions.
pub fn prompter_in(lang: Lang) -> Box<dyn Prompter> {
    if is_interactive() {
        Box::new(LinePrompter::stdin(lang, interrupt()))
    } else {
        Box::new(NoPrompter)
    }
}

/// Installs the Ctrl-C handler once: the first Ctrl-C asks the running
/// operation to stop at a safe point; a second one exits at once.
pub fn interrupt() -> Interrupt {
    use std::sync::OnceLock;
    static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();
    INTERRUPT
        .get_or_init(|| {
            let flag = Interrupt::new();
            let handler_flag = flag.clone();
            let installed = ctrlc::set_handler(move || {
                if handler_flag.is_raised() {
                    errln!("\nrewind: interrupted again, exiting now");
                    std::process::exit(130);
                }
                errln!("\nrewind: interrupt received, stopping at the next safe point (Ctrl-C again to quit now)");
                handler_flag.raise();
            });
            if let Err(e) = installed {
                errln!("warning: cannot catch Ctrl-C ({e}); an interruption will stop rewind at once");
            }
            flag
        })
        .clone()
}
