//! `rewind rollback [APP]`: the runbook's steps 2-4 as one command that
//! shows the whole plan, asks the person to type the app's name, then
//! branches, pushes, holds auto-deploy, deploys, follows, verifies, tells
//! the team and marks the bad release, with one line per step on stderr
//! and, with `--json`, the summary on stdout. `--with-db` adds the safety
//! backup and the point-in-time restore to just before the bad release;
//! `--no-db` records that the migrations are knowingly left in place.

use std::time::Instant;

use clap::Args;
use rewind_core::follow::FollowEvent;
use rewind_core::prompt::{Choice, Prompter};
use rewind_core::rollback::{
    self, ARCHIVE_TEMPLATE_ENV, DatabaseChoice, DatabasePlan, ErrorClass, Method, Outcome, Plan,
    PlannedStep, PrepareOptions, Progress, RollbackError, RunOptions, StepId, StepOutcome,
    StepReport, Summary, Tools,
};
use rewind_core::secret::Secret;
use serde_json::json;

use crate::cli_error::{CliError, ErrorKind};
use crate::context::{self, Context, Global};
use crate::ui::{self, Style};

pub(crate) mod several;

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The app (as named in rewind.toml), or several: they are rolled back
    /// together, with one plan and one confirmation, every database
    /// restored before any deploy. Default: the only app.
    #[arg(value_name = "APP")]
    apps: Vec<String>,

    /// Roll back every app of rewind.toml together.
    #[arg(long, conflicts_with = "apps")]
    all: bool,

    /// The release to go back to: `4.0.0`, `v4.0.0` or `component-v4.0.0`;
    /// with several apps, `APP=VERSION`, once per app whose target is not
    /// its own last good release. Default: the last good release (releases
    /// marked bad left out).
    #[arg(long, value_name = "VERSION|APP=VERSION")]
    to: Vec<String>,

    /// How to deploy: `branch` pushes release/<tag> and deploys it through
    /// the SCM link; `archive` deploys the tag's .tar.gz by URL (see
    /// REWIND_ARCHIVE_URL_TEMPLATE); `git-push` force-pushes the tag's
    /// commit to the app's git remote.
    #[arg(long, default_value = "branch", value_parser = parse_method)]
    method: Method,

    /// Show the full plan and change nothing anywhere.
    #[arg(long)]
    dry_run: bool,

    /// Do not ask for confirmation (scripts).
    #[arg(long)]
    yes: bool,

    /// Why: kept in the journal, the report and the team's message.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    /// Print the final summary as JSON on stdout.
    #[arg(long)]
    json: bool,

    /// Roll back even while another rollback of the app is unfinished or a
    /// deployment is running.
    #[arg(long)]
    force: bool,

    /// Accept a target release that an earlier rollback marked bad.
    #[arg(long)]
    force_bad: bool,

    /// Show the deployment's build log while following it.
    #[arg(long)]
    verbose: bool,

    /// Restore the database too: a safety backup (downloaded, SHA-256
    /// recorded), then a point-in-time restore to just before the bad
    /// release ([apps.database] margin), before the redeploy (or after it,
    /// with [apps.database] rollback_order = "after-deploy").
    #[arg(long, conflicts_with = "no_db")]
    with_db: bool,

    /// Leave the database as the bad release left it, knowingly: the
    /// journal records the migrations left in place.
    #[arg(long)]
    no_db: bool,

    /// With --with-db: restore even though an earlier incident already
    /// restored the database for the same bad release (every write made
    /// since that restore is lost too). Without it, a rerun never restores
    /// twice.
    #[arg(long, requires = "with_db")]
    restore_again: bool,

    /// When an earlier rewind was cut short while asking for a restore for
    /// the same bad release, and rewind cannot tell whether it ran: what the
    /// database's operations in the Scalingo dashboard show (`yes`: it ran,
    /// it is not made again; `no`: it did not).
    #[arg(long, value_name = "yes|no", value_parser = crate::commands::parse_yes_no)]
    restore_ran: Option<bool>,
}

fn parse_method(text: &str) -> Result<Method, String> {
    Method::parse(text).ok_or_else(|| format!("expected one of: {}", Method::NAMES.join(", ")))
}

pub fn run(args: RollbackArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let apps = several::chosen(&ctx, &args.apps, args.all)?;
    let targets = several::targets(&args.to, &apps)?;
    if apps.len() > 1 {
        return several::run(&ctx, &args, &apps, &targets);
    }
    let app = apps[0];
    let to = targets.first().and_then(|(_, to)| to.as_deref());
    ctx.require_repository("rollback")?;
    let platform = ctx.platform(app)?;
    let git = ctx.git();
    let tools = Tools {
        platform: &platform,
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
    };
    let template = archive_template();
    let webhook = ctx.config.webhook_url(app);
    let style = Style::stderr();
    let backup_dir = ctx.journal.backup_dir(&app.name);
    let options = PrepareOptions {
        to,
        method: args.method,
        force: args.force,
        force_bad: args.force_bad,
        archive_template: template.as_ref(),
        webhook: webhook.is_some(),
        database: match (args.with_db, args.no_db) {
            (true, _) => DatabaseChoice::WithDb,
            (false, true) => DatabaseChoice::NoDb,
            (false, false) => DatabaseChoice::Undecided,
        },
        backup_dir: Some(&backup_dir),
        restore_again: args.restore_again,
        restore_ran: args.restore_ran,
    };
    msgln!(
        "fetching tags from {} and reading {}'s deployments...",
        app.remote,
        app.name
    );
    let mut plan = rollback::prepare(&tools, app, &options).map_err(into_cli_error)?;
    print_plan(&plan, &style);
    let linked = print_linked(&ctx, &git, &[&plan], &style);
    // One prompter for every question: each reads stdin through its own
    // buffer, and a second one could miss answers the first read ahead.
    let prompter = context::prompter();
    let ask = !args.yes && !args.dry_run && context::is_interactive();
    if ask && wants_database_question(&plan) && ask_database(prompter.as_ref(), &plan)? {
        rollback::add_database(&tools, app, &mut plan, Some(&backup_dir))
            .map_err(into_cli_error)?;
        msgln!(
            "
the plan, with the database steps:"
        );
        print_plan(&plan, &style);
    }
    let actor = ctx.actor();
    if args.dry_run {
        let id = ctx.journal.dry_run(
            &plan.app,
            json!({ "command": rollback::COMMAND, "user": actor, "reason": args.reason, "from": plan.from.label, "to": plan.to.label, "method": plan.method, "database": plan.database }),
        )?;
        msgln!("\ndry run: nothing was changed (recorded as {id} in the journal)");
        if args.json {
            print_json(
                &json!({ "dry_run": true, "incident": id, "plan": plan, "linked": linked }),
            )?;
        }
        return Ok(());
    }
    if args.yes {
        refuse_undecided_database(&plan)?;
    } else {
        confirm(prompter.as_ref(), &plan)?;
    }
    let run_options = RunOptions {
        reason: args.reason.as_deref(),
        archive_template: template.as_ref(),
        webhook,
        force: args.force,
        ..RunOptions::new(app, &actor)
    };
    let mut progress = Lines::new(&plan.steps, args.verbose, style);
    let summary =
        rollback::run(&tools, &plan, &run_options, &mut progress).map_err(into_cli_error)?;
    finish(&summary, args.json, &style)
}

/// The archive URL template, as a secret: it may carry a token.
pub(crate) fn archive_template() -> Option<Secret> {
    std::env::var(ARCHIVE_TEMPLATE_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(Secret::new)
}

/// Who is rolling back, for the journal and the team.
/// Neither flag, a database, and migrations the evidence says may need a
/// restore.
fn wants_database_question(plan: &Plan) -> bool {
    plan.database
        .as_ref()
        .is_some_and(DatabasePlan::restore_worth_asking)
}

/// `--yes` never decides the database: with migrations that may need a
/// restore (destructive, or unknown to rewind) and a database to restore,
/// the person must say `--with-db` or `--no-db`.
pub(crate) fn refuse_undecided_database(plan: &Plan) -> Result<(), CliError> {
    let Some(database) = plan.database.as_ref().filter(|d| d.needs_a_choice()) else {
        return Ok(());
    };
    let (verdict, files) = match &database.migrations {
        Some(m) => (
            m.verdict.clone(),
            m.files
                .iter()
                .filter(|f| f.class != "additive")
                .map(|f| {
                    let why = f
                        .why
                        .as_deref()
                        .map(|w| format!(": {w}"))
                        .unwrap_or_default();
                    format!("{} ({}){why}", ui::sanitize(&f.path, false), f.class)
                })
                .collect::<Vec<_>>(),
        ),
        None => (
            "unknown".to_string(),
            vec![format!(
                "the running release {} is not in the local repository: its migrations cannot be read",
                plan.from.label
            )],
        ),
    };
    let mut err = CliError::new(
        ErrorKind::Refused,
        format!(
            "--yes does not choose for the database: the migrations between {} and {} are {verdict}, and nothing was changed",
            plan.to.label, plan.from.label
        ),
    );
    for file in files {
        err.hints.push(format!("migration {file}"));
    }
    err.hints.push(format!(
        "--with-db: take a safety backup, then restore the database to just before {} (writes since then are lost)",
        plan.from.label
    ));
    err.hints.push(format!(
        "--no-db: leave the database as {} left it, knowingly (the journal records the migrations left in place)",
        plan.from.label
    ));
    Err(err)
}

/// Asks whether to add the database steps; nothing is suggested: the
/// person read the evidence and decides.
fn ask_database(prompter: &dyn Prompter, plan: &Plan) -> Result<bool, CliError> {
    let choices = [
        Choice {
            id: "no".into(),
            label: "keep the plan: redeploy only, the database stays as it is".into(),
        },
        Choice {
            id: "with-db".into(),
            label: format!(
                "add the database steps: a safety backup, then a point-in-time restore to just before {}",
                plan.from.label
            ),
        },
    ];
    let question = "The migrations between the two releases may need the database restored. Add the database steps?";
    Ok(prompter.choose(question, &choices, None)? == 1)
}

/// The typed confirmations: the app's name, and for a force push, once
/// more.
fn confirm(prompter: &dyn Prompter, plan: &Plan) -> Result<(), CliError> {
    let summary = format!(
        "Roll back {} from {} to {} ({} method)?",
        plan.app, plan.from.label, plan.to.label, plan.method
    );
    if !prompter.confirm_typed(&summary, &plan.app)? {
        return Err(CliError::new(
            ErrorKind::Refused,
            "rollback aborted: nothing was changed",
        ));
    }
    if plan.method.overwrites_remote_branch() {
        let question = format!(
            "This force-pushes {} over the deploy branch of the app's git remote the plan names: what it held is replaced.",
            plan.to.label
        );
        if !prompter.confirm_typed(&question, "force-push")? {
            return Err(CliError::new(
                ErrorKind::Refused,
                "rollback aborted: nothing was changed",
            ));
        }
    }
    Ok(())
}

/// The apps release-please released together with the bad releases of
/// `plans` and that are not rolled back already: proposed, never added
/// without the person, with why and the command that takes them too. Read
/// from the repository at the bad tags; a config rewind cannot read is a
/// warning, the rollback asked for goes on as planned.
pub(crate) fn print_linked(
    ctx: &Context,
    git: &dyn rewind_core::git::Git,
    plans: &[&Plan],
    style: &Style,
) -> Vec<rewind_core::release::LinkedApp> {
    let chosen: Vec<&str> = plans.iter().map(|p| p.app.as_str()).collect();
    let mut proposed: Vec<rewind_core::release::LinkedApp> = Vec::new();
    for plan in plans {
        let (Some(app), Some(tag)) = (
            ctx.config.apps.iter().find(|a| a.name == plan.app),
            plan.from.tag.as_deref(),
        ) else {
            continue;
        };
        match rewind_core::release::linked_apps(git, &ctx.config, app, tag) {
            Ok(found) => {
                for linked in found.apps {
                    if !chosen.contains(&linked.app.as_str())
                        && !proposed.iter().any(|p| p.app == linked.app)
                    {
                        proposed.push(linked);
                    }
                }
            }
            Err(e) => msgln!(
                "{}",
                style.warn(&format!(
                    "could not tell which apps were released with {tag}: {e}"
                ))
            ),
        }
    }
    if !proposed.is_empty() {
        msgln!(
            "\n{}",
            style.bold(
                "Released together with the bad release (release-please), not in this rollback:"
            )
        );
        for linked in &proposed {
            msgln!(
                "  {}  {}: {}",
                linked.app,
                linked.their_bad_tag,
                linked.reason
            );
        }
        let mut all: Vec<&str> = chosen.clone();
        all.extend(proposed.iter().map(|p| p.app.as_str()));
        msgln!(
            "  to put them back in the same rollback: rewind rollback {}",
            all.join(" ")
        );
    }
    proposed
}

pub(crate) fn print_plan(plan: &Plan, style: &Style) {
    msgln!("\n{}", style.bold(&format!("Rollback of {}", plan.app)));
    let release = |r: &rollback::ReleaseRef| {
        let mut parts = Vec::new();
        if !r.short_commit().is_empty() {
            parts.push(r.short_commit().to_string());
        }
        if let Some(id) = &r.deployment_id {
            parts.push(format!("deployment {id}"));
        }
        if parts.is_empty() {
            r.label.clone()
        } else {
            format!("{} ({})", r.label, parts.join(", "))
        }
    };
    msgln!("  from    {}", release(&plan.from));
    msgln!("  to      {}", release(&plan.to));
    msgln!("  method  {}", plan.method);
    let removed = &plan.removed;
    msgln!("\n{}", style.bold("What the rollback takes off production"));
    if removed.commits.is_empty() {
        msgln!("  no commit listed");
    } else {
        msgln!("  {} commit(s):", removed.commits.len());
        for c in &removed.commits {
            msgln!("    {} {}", c.short_sha, ui::sanitize(&c.subject, false));
        }
    }
    for section in &removed.changelog {
        let date = section
            .date
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        msgln!("  changelog {}{date}:", section.version);
        for line in section.body.iter().filter(|l| !l.trim().is_empty()) {
            msgln!("    {}", ui::sanitize(line, false));
        }
    }
    if !removed.migrations.is_empty() {
        msgln!("  migrations changed since {}:", plan.to.label);
        for m in &removed.migrations {
            msgln!("    {} {}", m.change, m.path);
        }
    }
    for note in &removed.notes {
        msgln!("  note: {note}");
    }
    if let Some(database) = &plan.database {
        print_database(database, plan, style);
    }
    for warning in &plan.warnings {
        errln!(
            "{}",
            style.warn(&ui::sanitize(&format!("warning: {warning}"), false))
        );
    }
    for o in &plan.overrides {
        errln!(
            "{}",
            style.warn(&format!("warning: safety check overridden: {o}"))
        );
    }
    msgln!("\n{}", style.bold("Steps"));
    for (i, step) in plan.steps.iter().enumerate() {
        msgln!("  {}. {:<9} {}", i + 1, step.id, step.title);
    }
}

/// The migration evidence and what the plan does about the database.
pub(crate) fn print_database(database: &DatabasePlan, plan: &Plan, style: &Style) {
    msgln!("\n{}", style.bold("Database"));
    match &database.migrations {
        Some(m) => {
            msgln!("  migrations: {} ({})", m.verdict, m.description);
            for f in &m.files {
                let why = f
                    .why
                    .as_deref()
                    .map(|w| format!(": {w}"))
                    .unwrap_or_default();
                msgln!(
                    "    {} {} ({}){}",
                    f.change,
                    f.path,
                    f.class,
                    ui::sanitize(&why, false)
                );
            }
        }
        None => msgln!(
            "  migrations: unknown (the running release {} is not in the local repository)",
            plan.from.label
        ),
    }
    if let Some(statement) = &database.statement {
        msgln!("  {statement}");
    }
    if let Some(r) = &database.restore {
        let local = r.restore_to.with_timezone(&chrono::Local);
        msgln!(
            "  restore to   {} ({} local), {} before deployment {} of {} was created",
            r.restore_to.format("%Y-%m-%d %H:%M:%S UTC"),
            local.format("%H:%M:%S"),
            rewind_core::config::format_duration(r.margin()),
            r.bad_deployment_id,
            plan.from.label
        );
        msgln!(
            "  data loss    every write since then is lost: {} so far, more until the restore starts",
            r.data_loss
        );
        msgln!(
            "  downtime     the database stops during the restore: the app cannot use it until it ends"
        );
        msgln!(
            "  first        a safety backup of {} ({}), downloaded to {}",
            r.addon_id,
            r.provider,
            r.backup_dir.display()
        );
        msgln!(
            "  order        {} ([apps.database] rollback_order)",
            r.order
        );
    }
}

/// One line per step and per status change, on stderr.
pub(crate) struct Lines {
    order: Vec<StepId>,
    verbose: bool,
    style: Style,
    deploy_started: Option<Instant>,
}

impl Lines {
    pub(crate) fn new(steps: &[PlannedStep], verbose: bool, style: Style) -> Self {
        Lines {
            order: steps.iter().map(|s| s.id).collect(),
            verbose,
            style,
            deploy_started: None,
        }
    }
}

impl Progress for Lines {
    fn step_started(&mut self, step: &PlannedStep) {
        let index = self
            .order
            .iter()
            .position(|id| *id == step.id)
            .map_or(0, |i| i + 1);
        msgln!("[{index}/{}] {}: {}", self.order.len(), step.id, step.title);
    }

    fn step_ended(&mut self, _step: &PlannedStep, report: &StepReport) {
        let took = ui::duration(std::time::Duration::from_millis(report.duration_ms));
        // Painted below: neutralised first (it may quote the platform).
        let detail = ui::sanitize(report.detail.as_deref().unwrap_or(""), false);
        let line = match report.outcome {
            StepOutcome::Done => self.style.ok(&format!("      done in {took}: {detail}")),
            StepOutcome::Skipped => format!("      skipped: {detail}"),
            StepOutcome::Warned => self.style.warn(&format!("      warning: {detail}")),
            StepOutcome::Failed => self.style.bad(&format!("      failed after {took}")),
            StepOutcome::Interrupted => self.style.warn(&format!("      interrupted after {took}")),
            StepOutcome::AlreadyDone | StepOutcome::NotRun => return,
        };
        msgln!("{line}");
    }

    fn notice(&mut self, text: &str) {
        errln!("{}", self.style.warn(&format!("warning: {text}")));
    }

    fn deploy_event(&mut self, event: &FollowEvent) {
        let started = *self.deploy_started.get_or_insert_with(Instant::now);
        match event {
            FollowEvent::Status(status) => {
                msgln!("      {:>6}  {status}", ui::duration(started.elapsed()));
            }
            FollowEvent::Log(line) if self.verbose => {
                msgln!("      | {}", ui::sanitize(line, self.style.color));
            }
            FollowEvent::Log(_) => {}
            FollowEvent::Note(note) => msgln!("      note: {note}"),
        }
    }
}

/// Says how the run ended, prints `--json`, and turns a failure or an
/// interruption into the error (and exit code) that says so.
pub(crate) fn finish(summary: &Summary, json: bool, style: &Style) -> Result<(), CliError> {
    if json {
        print_json(&serde_json::to_value(summary).map_err(CliError::failed)?)?;
    }
    for warning in &summary.warnings {
        errln!(
            "{}",
            style.warn(&ui::sanitize(&format!("warning: {warning}"), false))
        );
    }
    match &summary.outcome {
        Outcome::Succeeded => {
            let restored = summary
                .steps
                .iter()
                .find(|s| s.id == StepId::PitrRestore && s.outcome == StepOutcome::Done);
            if let Some(step) = restored {
                msgln!(
                    "\n{}",
                    step.detail.as_deref().unwrap_or("database restored")
                );
            }
            msgln!(
                "\n{} {} runs {} (deployment {}); {} is marked bad. Incident {}: `rewind report {}`",
                style.ok("rolled back:"),
                summary.app,
                summary.to.label,
                summary.deployment_id.as_deref().unwrap_or("?"),
                summary.from.label,
                summary.incident,
                summary.incident
            );
            Ok(())
        }
        Outcome::Failed {
            error,
            hints,
            log_tail,
            previous_release_running,
            runs_now,
            ..
        } => {
            if !log_tail.is_empty() {
                msgln!("\nlast {} lines of the build log:", log_tail.len());
                for line in log_tail {
                    msgln!("  | {}", ui::sanitize(line, style.color));
                }
            }
            match runs_now {
                Some(now) => msgln!("\n{}", style.warn(&ui::sanitize(now, false))),
                None if *previous_release_running => msgln!(
                    "\n{}",
                    style.warn(&format!(
                        "the previous release ({}) keeps running",
                        summary.from.label
                    ))
                ),
                None => {}
            }
            let kind = if matches!(summary.outcome, Outcome::Failed { refused: true, .. }) {
                ErrorKind::Refused
            } else {
                ErrorKind::Failed
            };
            let mut err = CliError::new(kind, error.clone());
            err.hints = hints.clone();
            err.hints.push(format!(
                "the journal holds every step: `rewind report {}`",
                summary.incident
            ));
            Err(err)
        }
        Outcome::Interrupted { message, .. } => Err(CliError::new(
            ErrorKind::Interrupted,
            format!("{message}; the journal records where the rollback stopped"),
        )
        .hint(format!(
            "resume it with `rewind resume {}`",
            summary.incident
        ))),
    }
}

pub(crate) fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    crate::output::json(value).map_err(CliError::failed)
}

/// A rollback error as the binary reports it: its class is the exit code.
pub(crate) fn into_cli_error(e: RollbackError) -> CliError {
    let kind = match e.class() {
        ErrorClass::Refused => ErrorKind::Refused,
        ErrorClass::Config => ErrorKind::Config,
        ErrorClass::Failed => ErrorKind::Failed,
        ErrorClass::Interrupted => ErrorKind::Interrupted,
    };
    let hints = e.hints();
    let mut err = CliError::new(kind, e);
    err.hints = hints;
    err
}
