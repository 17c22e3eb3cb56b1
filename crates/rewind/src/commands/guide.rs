//! `rewind guide`: the team's decision tree walked one question at a time,
//! with the evidence rewind gathers shown before each answer and the
//! tree's actions carried out once confirmed; every answer and step is
//! journaled in one incident. Answers may be scripted with `--answer` or
//! `--answers FILE`; a question nobody can answer stops with exit 2,
//! naming it and its answers.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rewind_core::guide::say::walk::{self as words, Ended, SummaryRow};
use rewind_core::guide::{
    self, ActionOutcome, ActionReport, AnswerSource, GuideApp, GuideError, GuideOptions,
    GuideSummary, Narrator, Outcome, ProbeResult, SharedTools, TicketDraft, Tools,
};
use rewind_core::i18n::Lang;
use rewind_core::rollback::ARCHIVE_TEMPLATE_ENV;
use rewind_core::secret::Secret;
use rewind_core::tree::{Answer, Node, PresetAnswers, Probe, Tree, TreeError};

use crate::cli_error::{CliError, ErrorKind};
use crate::context::{self, Context, Global};
use crate::ui::{self, Style};

#[derive(Debug, Args)]
pub struct GuideArgs {
    /// The apps (as named in rewind.toml); optional when there is one.
    /// With several, the tree is walked once and each action is carried
    /// out for every app it concerns.
    #[arg(value_name = "APP")]
    apps: Vec<String>,

    /// Every app in rewind.toml.
    #[arg(long, conflicts_with = "apps")]
    all: bool,

    /// Answer a question in advance: `--answer q1=no` (repeatable; items
    /// may also be separated by commas).
    #[arg(long = "answer", value_name = "ID=ANSWER")]
    answer: Vec<String>,

    /// Read answers from FILE: one `id=answer` per line, `#` comments.
    #[arg(long = "answers", value_name = "FILE")]
    answers_file: Option<PathBuf>,

    /// Language of the questions, the evidence, the plans and the ticket
    /// draft. Default: French when LC_ALL, LC_MESSAGES or LANG (the first
    /// one set) starts with `fr`, English otherwise.
    #[arg(long, value_enum)]
    lang: Option<LangArg>,

    /// Show each action's plan; change nothing.
    #[arg(long)]
    dry_run: bool,

    /// Confirm every action without typing the app's name (scripts).
    #[arg(long)]
    yes: bool,

    /// Where ticket drafts are written. Default: the journal directory.
    #[arg(long, value_name = "DIR")]
    ticket_dir: Option<PathBuf>,

    /// The feature flag to switch off when rewind.toml declares several.
    #[arg(long, value_name = "NAME")]
    flag: Option<String>,

    /// With --yes, redeploy over migrations that may need the database
    /// restored (destructive, or unknown to rewind), knowingly: without it,
    /// such a redeploy is refused rather than decided by a script.
    #[arg(long)]
    no_db: bool,

    /// Restore the database even though an earlier incident already
    /// restored it for the same bad release (every write made since that
    /// restore is lost too). Without it, the restore is not made twice.
    #[arg(long)]
    restore_again: bool,

    /// When an earlier rewind was cut short while asking for a restore for
    /// the same bad release, and rewind cannot tell whether it ran: what the
    /// database's operations in the Scalingo dashboard show (`yes`: it ran,
    /// it is not made again; `no`: it did not).
    #[arg(long, value_name = "yes|no", value_parser = crate::commands::parse_yes_no)]
    restore_ran: Option<bool>,
}

/// `--lang`, shared with `rewind drill`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Fr,
    En,
}

/// The language asked for with `--lang`, or the locale's.
pub fn lang(arg: Option<LangArg>) -> Lang {
    match arg {
        Some(LangArg::Fr) => Lang::Fr,
        Some(LangArg::En) => Lang::En,
        None => Lang::from_env(),
    }
}

pub fn run(args: GuideArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let apps = crate::commands::rollback::several::chosen(&ctx, &args.apps, args.all)?;
    if let Some(dir) = &args.ticket_dir {
        writable_ticket_dir(dir)?;
    }
    let tree = load_tree(ctx.config.tree.as_deref())?;
    let preset = preset(&tree, &args)?;
    let lang = lang(args.lang);
    if apps.len() > 1 {
        return run_several(&ctx, &args, &apps, &tree, &preset, lang);
    }
    let app = apps[0];
    let platform = ctx.platform(app)?;
    let git = ctx.git();
    let journal_dir = context::journal_dir(&ctx.repo);
    let tools = Tools {
        platform: &platform,
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
        app,
        webhook: ctx.config.webhook_url(app),
    };
    let mut options = GuideOptions::new(
        lang,
        args.ticket_dir
            .clone()
            .unwrap_or_else(|| journal_dir.clone()),
        ctx.journal.backup_dir(&app.name),
        &ctx.actor(),
    );
    set_options(&mut options, &args);
    let style = Style::stderr();
    msgln!(
        "{}",
        style.bold(&words::guide_title(
            lang,
            &app.name,
            tree.source_name(),
            args.dry_run
        ))
    );
    let prompter = context::prompter_in(lang);
    let mut printer = Printer { style, lang };
    let summary = guide::guide(&tree, &preset, &tools, &options, &*prompter, &mut printer)
        .map_err(|e| {
            // The question left unanswered, in full, above the error.
            if let GuideError::Unanswered(q) = &e {
                errln!("\n{q}");
            }
            CliError::from(e)
        })?;
    finish(&summary, &style, lang)
}

fn set_options(options: &mut GuideOptions, args: &GuideArgs) {
    options.dry_run = args.dry_run;
    options.yes = args.yes;
    options.no_db = args.no_db;
    options.restore_again = args.restore_again;
    options.restore_ran = args.restore_ran;
    options.flag = args.flag.clone();
    options.archive_template = std::env::var(ARCHIVE_TEMPLATE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new);
}

/// `rewind guide APP APP…|--all`: one walk, each action carried out for
/// every app it concerns (docs/guide.md, "Several apps").
fn run_several(
    ctx: &Context,
    args: &GuideArgs,
    apps: &[&rewind_core::config::AppConfig],
    tree: &Tree,
    preset: &PresetAnswers,
    lang: Lang,
) -> Result<(), CliError> {
    let platforms: Vec<Box<dyn rewind_core::platform::Platform>> = apps
        .iter()
        .map(|a| ctx.platform(a))
        .collect::<Result<_, _>>()?;
    let git = ctx.git();
    let shared = SharedTools {
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
    };
    let guide_apps: Vec<GuideApp<'_>> = apps
        .iter()
        .zip(&platforms)
        .map(|(app, platform)| GuideApp {
            config: app,
            platform,
            webhook: ctx.config.webhook_url(app),
            backup_dir: ctx.journal.backup_dir(&app.name),
        })
        .collect();
    let journal_dir = context::journal_dir(&ctx.repo);
    let mut options = GuideOptions::new(
        lang,
        args.ticket_dir
            .clone()
            .unwrap_or_else(|| journal_dir.clone()),
        ctx.journal.backup_dir(&apps[0].name),
        &ctx.actor(),
    );
    set_options(&mut options, args);
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let style = Style::stderr();
    msgln!(
        "{}",
        style.bold(&words::guide_title(
            lang,
            &names.join(", "),
            tree.source_name(),
            args.dry_run
        ))
    );
    let prompter = context::prompter_in(lang);
    let mut printer = Printer { style, lang };
    let summary = guide::guide_several(
        tree,
        preset,
        &shared,
        &guide_apps,
        &options,
        &*prompter,
        &mut printer,
    )
    .map_err(|e| {
        if let GuideError::Unanswered(q) = &e {
            errln!("\n{q}");
        }
        CliError::from(e)
    })?;
    finish(&summary, &style, lang)
}

/// Walks the tree again for a guide incident that did not finish and
/// started no rollback to resume: the same app, language and answers as
/// recorded, as a new incident. What the first walk did is not done twice:
/// a restore made for the same bad release is not made again, and the
/// release marked bad stays out of the targets.
pub fn walk_again(
    apps: Vec<String>,
    answers: Vec<String>,
    lang: Option<Lang>,
    no_db: bool,
    yes: bool,
    restore_ran: Option<bool>,
    global: &Global,
) -> Result<(), CliError> {
    let args = GuideArgs {
        apps,
        all: false,
        answer: answers,
        answers_file: None,
        lang: lang.map(|l| match l {
            Lang::Fr => LangArg::Fr,
            Lang::En => LangArg::En,
        }),
        dry_run: false,
        yes,
        ticket_dir: None,
        flag: None,
        no_db,
        restore_again: false,
        restore_ran,
    };
    run(args, global)
}

/// The team's tree, or the built-in one; a broken tree lists every problem
/// as `file:line: message`.
pub(crate) fn load_tree(path: Option<&Path>) -> Result<Tree, CliError> {
    let Some(path) = path else {
        return Ok(Tree::default_runbook());
    };
    match Tree::load(path) {
        Ok(tree) => Ok(tree),
        Err(TreeError::Invalid(problems)) => {
            for problem in &problems.problems {
                errln!("{problem}");
            }
            Err(CliError::config(problems)
                .hint("fix the tree named by `tree` in rewind.toml; `rewind tree check FILE` lists the problems, docs/decision-tree.md the format"))
        }
        Err(err) => Err(CliError::config(err)
            .hint("check `tree` in rewind.toml; without it, rewind uses its built-in tree")),
    }
}

/// `--answer` items and the lines of `--answers FILE`, checked against the
/// tree before anything starts.
fn preset(tree: &Tree, args: &GuideArgs) -> Result<PresetAnswers, CliError> {
    let mut items = args.answer.clone();
    if let Some(file) = &args.answers_file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            CliError::config(format!(
                "cannot read the answers file {}: {e}",
                file.display()
            ))
        })?;
        items.extend(
            text.lines()
                .map(|line| line.split('#').next().unwrap_or_default().trim())
                .filter(|line| !line.is_empty())
                .map(str::to_string),
        );
    }
    PresetAnswers::parse(tree, &items).map_err(|e| {
        CliError::config(e).hint("`rewind tree show` lists the questions and their answers")
    })
}

/// What the person reads, on stderr; ticket drafts on stdout.
struct Printer {
    style: Style,
    lang: Lang,
}

impl Narrator for Printer {
    fn question(&mut self, node: &Node) {
        msgln!(
            "\n{} {}",
            self.style.bold(&format!("[{}]", node.id)),
            self.style.bold(node.text.get(self.lang))
        );
    }

    fn evidence(&mut self, probe: Probe, result: &ProbeResult) {
        match result {
            Ok(ev) => {
                msgln!("  {}", words::evidence_header(self.lang, probe.name()));
                for line in &ev.lines {
                    msgln!("    {}", ui::sanitize(line, false));
                }
                if let (Some(s), Some(why)) = (&ev.suggestion, &ev.because) {
                    msgln!("  {}", words::suggested_answer(self.lang, s, why));
                }
            }
            Err(why) => msgln!(
                "  {}",
                self.style.warn(&words::evidence_unavailable(
                    self.lang,
                    probe.name(),
                    &ui::sanitize(why, false)
                ))
            ),
        }
    }

    fn app_evidence(&mut self, app: &str, probe: Probe, result: &ProbeResult) {
        msgln!(
            "  {}",
            self.style.bold(&format!("[{}]", ui::sanitize(app, false)))
        );
        self.evidence(probe, result);
    }

    fn answered(&mut self, node: &Node, answer: &Answer, source: AnswerSource) {
        let how = match source {
            AnswerSource::Preset => words::given_in_advance(self.lang),
            AnswerSource::Prompt => String::new(),
        };
        msgln!(
            "  {} = {}: {}{how}",
            node.id,
            answer.id,
            answer.label.get(self.lang)
        );
    }

    fn plan(&mut self, node: &Node, lines: &[String]) {
        msgln!(
            "\n{} {}",
            self.style.bold(&format!("[{}]", node.id)),
            self.style.bold(node.text.get(self.lang))
        );
        for line in lines {
            msgln!("  - {}", ui::sanitize(line, false));
        }
    }

    fn progress(&mut self, line: &str) {
        msgln!("    {}", ui::sanitize(line, false));
    }

    fn action_ended(&mut self, node: &Node, report: &ActionReport) {
        let text = match &report.outcome {
            ActionOutcome::Done => self.style.ok(&words::action_done(self.lang, &node.id)),
            ActionOutcome::DryRun => words::dry_run_nothing_done(self.lang, &node.id),
            ActionOutcome::Failed { error, .. } => self.style.bad(&words::action_failed(
                self.lang,
                &node.id,
                &ui::sanitize(error, false),
            )),
        };
        msgln!("  {text}");
    }

    fn ticket(&mut self, draft: &TicketDraft) {
        match &draft.path {
            Some(path) => msgln!("  {}", words::ticket_written(self.lang, path)),
            None => msgln!("  {}", words::ticket_not_written(self.lang)),
        }
        out!("{}", draft.markdown);
    }
}

fn finish(summary: &GuideSummary, style: &Style, lang: Lang) -> Result<(), CliError> {
    let label = |row| words::summary_label(lang, row);
    let path: Vec<String> = summary
        .path
        .iter()
        .map(|a| format!("{}={}", a.question, a.answer))
        .chain(summary.actions.iter().map(|a| a.node.clone()))
        .collect();
    msgln!("\n{}", style.bold(&words::summary_heading(lang)));
    msgln!("  {} {}", label(SummaryRow::Path), path.join(" -> "));
    for action in &summary.actions {
        let outcome = words::ended(lang, Ended::from(&action.outcome));
        msgln!("  {:<9} {} {outcome}", action.node, action.action);
    }
    msgln!(
        "  {} {} (rewind report {})",
        label(SummaryRow::Incident),
        summary.incident,
        summary.incident
    );
    for id in summary.rollback_incidents() {
        msgln!(
            "  {} {id} (rewind report {id})",
            label(SummaryRow::Rollback)
        );
    }
    match &summary.outcome {
        Outcome::NothingToDo => {
            msgln!(
                "  {} {}",
                label(SummaryRow::Outcome),
                words::nothing_to_do(lang)
            );
            Ok(())
        }
        Outcome::Finished { exit } => {
            let exit = exit.clone().unwrap_or_else(|| words::procedure_over(lang));
            msgln!("  {} {exit}", label(SummaryRow::Outcome));
            Ok(())
        }
        Outcome::ActionFailed { node } => {
            let failed = summary.actions.iter().find(|a| &a.node == node);
            let (error, hints, refused) = match failed.map(|a| &a.outcome) {
                Some(ActionOutcome::Failed {
                    error,
                    hints,
                    refused,
                }) => (error.clone(), hints.clone(), *refused),
                _ => (format!("action {node} failed"), Vec::new(), false),
            };
            let kind = if refused {
                ErrorKind::Refused
            } else {
                ErrorKind::Failed
            };
            let mut err = CliError::new(kind, format!("{node} failed: {error}"));
            err.hints = hints;
            Err(err)
        }
        Outcome::NotWell { node } => Err(CliError::failed(format!(
            "stopped after {node}: it did not go well, so the procedure does not go on"
        ))
        .hint(format!(
            "the journal holds every step: rewind report {}",
            summary.incident
        ))),
    }
}

/// Makes the `--ticket-dir` folder and proves a file can be written in it,
/// before any question is asked: an action must not fail on it at the end.
fn writable_ticket_dir(dir: &std::path::Path) -> Result<(), CliError> {
    let fail = |action: &str, e: std::io::Error| {
        CliError::config(format!("cannot {action} the folder {}: {e}", dir.display()))
            .hint("nothing was done; choose a folder you can write to with --ticket-dir DIR")
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("create", e))?;
    let probe = dir.join(format!(".rewind-write-check-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|e| fail("write in", e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
