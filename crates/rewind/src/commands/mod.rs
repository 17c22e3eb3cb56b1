//! One module per subcommand; each has an `Args` struct (its doc comments are
//! the `--help`) and a thin `run` that calls into rewind-core.

mod completions;
mod db;
mod doctor;
mod drill;
mod guide;
mod hold;
mod init;
mod journal;
mod man;
mod report;
mod resume;
mod rollback;
mod sandbox;
mod status;
mod tree;
mod unlock;
mod unmark;
mod watch;

use clap::Subcommand;

use crate::cli_error::CliError;
use crate::context::Global;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the completion script for a shell (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
    /// The database: status, manual backup, point-in-time or dump restore.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Check, read-only, that a rollback would work: token, app, SCM link,
    /// git remote and tags, history, database, health check, webhook.
    Doctor(doctor::DoctorArgs),
    /// Rehearse a bad night on a local sandbox: deploy, break, walk the tree, put it right.
    Drill(drill::DrillArgs),
    /// Write a first rewind.toml at the repository root from what the
    /// repository shows (remote, release-please files, tags, migrations).
    Init(init::InitArgs),
    /// Walk the team's decision tree with evidence, and carry out its actions.
    Guide(guide::GuideArgs),
    /// Switch auto-deploy off so the next merge does not ship.
    Hold(hold::HoldArgs),
    /// The incidents rewind recorded, or one incident's entries.
    Journal(journal::JournalArgs),
    /// Print rewind's manual page (roff), or a subcommand's.
    Man(man::ManArgs),
    /// An incident as Markdown (or JSON) for a ticket or a postmortem.
    Report(report::ReportArgs),
    /// Finish an interrupted rollback without deploying twice.
    Resume(resume::ResumeArgs),
    /// Put the last good release (or --to VERSION) back on production, for
    /// one app or several together.
    Rollback(rollback::RollbackArgs),
    /// Switch auto-deploy back on after `rewind hold` or a rollback.
    Unhold(hold::HoldArgs),
    /// Take away an app's team lock whose holder's rewind is gone.
    Unlock(unlock::UnlockArgs),
    /// Take back a bad mark: the release counts again for status and rollback.
    Unmark(unmark::UnmarkArgs),
    /// Run a local Scalingo-compatible API server, to rehearse or to test
    /// without an account.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// What runs now and since when, which release each deployment was,
    /// the last good release, auto-deploy and the database.
    Status(status::StatusArgs),
    /// Check or show a decision tree: the runbook's built-in one or a file.
    #[command(subcommand)]
    Tree(tree::TreeCommand),
    /// Watch a release right after it ships: health, 5XX, crashes; open
    /// an incident and tell the team when it goes bad.
    Watch(watch::WatchArgs),
}

pub fn run(command: Command, global: &Global) -> Result<(), CliError> {
    if command.may_change_something() {
        crate::output::finish_whatever_happens();
    }
    match command {
        Command::Completions(args) => completions::run(args),
        Command::Db(cmd) => db::run(cmd, global),
        Command::Doctor(args) => doctor::run(args, global),
        Command::Drill(args) => drill::run(args, global),
        Command::Guide(args) => guide::run(args, global),
        Command::Init(args) => init::run(args),
        Command::Hold(args) => hold::run_hold(args, global),
        Command::Journal(args) => journal::run(args, global),
        Command::Man(args) => man::run(args),
        Command::Report(args) => report::run(args, global),
        Command::Resume(args) => resume::run(args, global),
        Command::Rollback(args) => rollback::run(args, global),
        Command::Unhold(args) => hold::run_unhold(args, global),
        Command::Unlock(args) => unlock::run(args, global),
        Command::Unmark(args) => unmark::run(args, global),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Status(args) => status::run(args, global),
        Command::Tree(cmd) => tree::run(cmd),
        Command::Watch(args) => watch::run(args, global),
    }
}

impl Command {
    /// Commands that may change production (or a file, or a server someone
    /// relies on) run to their end whatever happens to the terminal; the
    /// others are reads, which a closed stdout ends quietly (exit 0).
    fn may_change_something(&self) -> bool {
        if let Command::Doctor(args) = self {
            return args.writes();
        }
        !matches!(
            self,
            Command::Status(_)
                | Command::Completions(_)
                | Command::Man(_)
                | Command::Journal(_)
                | Command::Report(_)
                | Command::Tree(_)
                | Command::Db(db::DbCommand::Status(_))
        )
    }
}

/// `--restore-ran yes|no`.
pub(crate) fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("expected `yes` or `no`".into()),
    }
}
