//! `rewind rollback APP APP…|--all`: several apps rolled back together.
//! One plan, grouped by app; one confirmation, the apps' names typed
//! (docs/rollback.md says why); then the core's phases: every database
//! restored before any deploy, every deploy started and followed at once,
//! one message to the team. Progress is one line per event, each with its
//! app in front; the end says where each app stands. `rewind resume` and
//! `rewind report` use the same summary and report here.

use std::time::Instant;

use rewind_core::config::AppConfig;
use rewind_core::follow::FollowEvent;
use rewind_core::platform::Platform;
use rewind_core::prompt::Prompter;
use rewind_core::rollback::{
    self, AppRun, DatabaseChoice, FleetApp, FleetError, FleetPlan, FleetProgress, FleetSummary,
    FleetTools, Outcome, PlannedStep, PrepareOptions, RunOptions, StepOutcome, StepReport,
};
use serde_json::json;

use super::{
    RollbackArgs, archive_template, ask_database, into_cli_error, print_json, print_plan,
    refuse_undecided_database, wants_database_question,
};
use crate::cli_error::{CliError, ErrorKind};
use crate::context::{self, Context};
use crate::ui::{self, Style};

/// The apps the person named (each checked against rewind.toml, once
/// each), every app with `--all`, or the only one.
pub(crate) fn chosen<'c>(
    ctx: &'c Context,
    names: &[String],
    all: bool,
) -> Result<Vec<&'c AppConfig>, CliError> {
    if all {
        return Ok(ctx.config.apps.iter().collect());
    }
    if names.is_empty() {
        return Ok(vec![ctx.app(None)?]);
    }
    let mut apps: Vec<&AppConfig> = Vec::new();
    for name in names {
        let app = ctx.app(Some(name))?;
        if !apps.iter().any(|a| a.name == app.name) {
            apps.push(app);
        }
    }
    Ok(apps)
}

/// Each app's `--to`: with one app, `VERSION` (or `APP=VERSION`); with
/// several, `APP=VERSION` for the apps whose target is not their own last
/// good release.
pub(crate) fn targets(
    given: &[String],
    apps: &[&AppConfig],
) -> Result<Vec<(String, Option<String>)>, CliError> {
    let mut out: Vec<(String, Option<String>)> =
        apps.iter().map(|a| (a.name.clone(), None)).collect();
    let usage = |text: String| CliError::new(ErrorKind::Config, text);
    if apps.len() == 1 {
        match given {
            [] => {}
            [one] => {
                let version = match one.split_once('=') {
                    Some((app, version)) if app == apps[0].name => version,
                    Some((app, _)) => {
                        return Err(usage(format!(
                            "--to {one}: {app} is not the app being rolled back ({})",
                            apps[0].name
                        )));
                    }
                    None => one.as_str(),
                };
                out[0].1 = Some(version.to_string());
            }
            _ => {
                return Err(usage(
                    "--to is given more than once for one app: give the one release to go back to"
                        .into(),
                ));
            }
        }
        return Ok(out);
    }
    for one in given {
        let Some((app, version)) = one.split_once('=') else {
            return Err(usage(format!(
                "--to {one}: with several apps, say which app it is for: --to APP=VERSION"
            ))
            .hint(format!(
                "each app goes back to its own last good release when no --to names it (apps: {})",
                apps.iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let Some(slot) = out.iter_mut().find(|(name, _)| name == app) else {
            return Err(usage(format!(
                "--to {one}: {app} is not one of the apps being rolled back"
            )));
        };
        if slot.1.is_some() {
            return Err(usage(format!("--to names {app} more than once")));
        }
        slot.1 = Some(version.to_string());
    }
    Ok(out)
}

pub(crate) fn run(
    ctx: &Context,
    args: &RollbackArgs,
    apps: &[&AppConfig],
    targets: &[(String, Option<String>)],
) -> Result<(), CliError> {
    ctx.require_repository("rollback")?;
    let platforms: Vec<Box<dyn Platform>> = apps
        .iter()
        .map(|a| ctx.platform(a))
        .collect::<Result<_, _>>()?;
    let git = ctx.git();
    let tools = FleetTools {
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
    };
    let template = archive_template();
    let style = Style::stderr();
    let backup_dirs: Vec<_> = apps
        .iter()
        .map(|a| ctx.journal.backup_dir(&a.name))
        .collect();
    let why = if args.all {
        "--all"
    } else {
        "named on the command line"
    };
    let fleet_apps: Vec<FleetApp<'_>> = apps
        .iter()
        .zip(&platforms)
        .zip(&backup_dirs)
        .map(|((app, platform), dir)| FleetApp {
            config: app,
            platform,
            to: targets
                .iter()
                .find(|(name, _)| *name == app.name)
                .and_then(|(_, to)| to.as_deref()),
            why: why.to_string(),
            webhook: ctx.config.webhook_url(app).is_some(),
            backup_dir: Some(dir),
        })
        .collect();
    let options = PrepareOptions {
        method: args.method,
        force: args.force,
        force_bad: args.force_bad,
        archive_template: template.as_ref(),
        database: match (args.with_db, args.no_db) {
            (true, _) => DatabaseChoice::WithDb,
            (false, true) => DatabaseChoice::NoDb,
            (false, false) => DatabaseChoice::Undecided,
        },
        restore_again: args.restore_again,
        restore_ran: args.restore_ran,
        ..PrepareOptions::default()
    };
    msgln!(
        "fetching tags and reading the deployments of {} apps ({})...",
        apps.len(),
        names(apps)
    );
    let mut plan = rollback::prepare_fleet(&tools, &fleet_apps, &options).map_err(fleet_error)?;
    print_fleet_plan(&plan, &style);
    let plans: Vec<&rollback::Plan> = plan.members.iter().map(|m| &m.plan).collect();
    let linked = super::print_linked(ctx, &git, &plans, &style);
    let prompter = context::prompter();
    let ask = !args.yes && !args.dry_run && context::is_interactive();
    if ask {
        for app in &fleet_apps {
            let Some(member) = plan.member_mut(&app.config.name) else {
                continue;
            };
            if wants_database_question(&member.plan)
                && ask_database(prompter.as_ref(), &member.plan)?
            {
                let one = rollback::Tools {
                    platform: app.platform,
                    git: &git,
                    journal: &ctx.journal,
                    interrupt: &ctx.interrupt,
                };
                rollback::add_database(&one, app.config, &mut member.plan, app.backup_dir)
                    .map_err(|e| fleet_error(FleetError::of(&app.config.name, e)))?;
                msgln!(
                    "\nthe plan of {}, with the database steps:",
                    app.config.name
                );
                print_plan(&member.plan, &style);
            }
        }
    }
    let actor = ctx.actor();
    if args.dry_run {
        let id = ctx.journal.dry_run(
            &plan.members[0].plan.app,
            json!({
                "command": rollback::COMMAND,
                "user": actor,
                "reason": args.reason,
                "several": plan.apps(),
                "plans": plan.members.iter().map(|m| json!({
                    "app": m.plan.app, "why": m.why, "from": m.plan.from.label,
                    "to": m.plan.to.label, "method": m.plan.method, "database": m.plan.database,
                })).collect::<Vec<_>>(),
            }),
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
        for m in &plan.members {
            refuse_undecided_database(&m.plan)
                .map_err(|e| CliError::new(e.kind, format!("{}: {}", m.plan.app, e.error)))?;
        }
    } else {
        confirm(prompter.as_ref(), &plan)?;
    }
    let webhooks: Vec<_> = apps.iter().map(|a| ctx.config.webhook_url(a)).collect();
    let runs: Vec<AppRun<'_>> = apps
        .iter()
        .zip(&platforms)
        .zip(webhooks)
        .map(|((app, platform), webhook)| AppRun {
            platform,
            options: RunOptions {
                reason: args.reason.as_deref(),
                archive_template: template.as_ref(),
                webhook,
                force: args.force,
                ..RunOptions::new(app, &actor)
            },
        })
        .collect();
    let mut progress = FleetLines::new(&plan, args.verbose, style);
    let summary = rollback::run_fleet(&tools, &plan, &runs, &mut progress).map_err(fleet_error)?;
    finish(&summary, args.json, &style)
}

fn names(apps: &[&AppConfig]) -> String {
    apps.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan of every app, one after the other, then what concerns them
/// all and the order things happen in.
pub(crate) fn print_fleet_plan(plan: &FleetPlan, style: &Style) {
    msgln!(
        "\n{}",
        style.bold(&format!(
            "Rollback of {} apps: {}",
            plan.members.len(),
            plan.apps().join(", ")
        ))
    );
    for m in &plan.members {
        msgln!(
            "  {:<12} {} -> {} ({})",
            m.plan.app,
            m.plan.from.label,
            m.plan.to.label,
            m.why
        );
    }
    for m in &plan.members {
        print_plan(&m.plan, style);
    }
    for warning in &plan.warnings {
        errln!(
            "{}",
            style.warn(&ui::sanitize(&format!("warning: {warning}"), false))
        );
    }
    msgln!("\n{}", style.bold("Order"));
    msgln!(
        "  1. every app's steps before its deploy, the safety backups and database restores among them (apps on different databases at the same time)"
    );
    msgln!("  2. once every app is there: every deploy started, and all followed at once");
    msgln!(
        "  3. each app verified on its own (one that fails does not stop the others), then one message to the team"
    );
}

/// The apps' names, typed: a number or a `y` can be given by reflex, the
/// names must be read from the plan to be typed.
fn confirm(prompter: &dyn Prompter, plan: &FleetPlan) -> Result<(), CliError> {
    let expected = plan.confirmation();
    let summary = format!(
        "Roll back {} apps together ({})? Type their names, separated by spaces, as listed",
        plan.members.len(),
        plan.members
            .iter()
            .map(|m| format!("{} to {}", m.plan.app, m.plan.to.label))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let aborted = || CliError::new(ErrorKind::Refused, "rollback aborted: nothing was changed");
    if !prompter.confirm_typed(&summary, &expected)? {
        return Err(aborted());
    }
    if plan
        .members
        .iter()
        .any(|m| m.plan.method.overwrites_remote_branch())
    {
        let question = "This force-pushes each app's target over the deploy branch of its git remote the plan names: what it held is replaced.";
        if !prompter.confirm_typed(question, "force-push")? {
            return Err(aborted());
        }
    }
    Ok(())
}

/// One line per event on stderr, each with its app in front (also on a
/// terminal: several live lines at once would hide the events).
pub(crate) struct FleetLines {
    apps: Vec<(String, Vec<rollback::StepId>)>,
    width: usize,
    verbose: bool,
    style: Style,
    deploy_started: Vec<(String, Instant)>,
    /// On a terminal (and without `--verbose`): one live line per app,
    /// rewritten as it moves; what must stay (failures, warnings, notes)
    /// is printed above it. Elsewhere: one line per event.
    board: Option<Board>,
}

/// The live lines of a rollback of several apps on a terminal.
struct Board {
    /// One line per app, in the plan's order.
    lines: Vec<String>,
    /// How many lines are on the screen now.
    drawn: usize,
}

impl Board {
    fn set(&mut self, index: usize, line: String) {
        if let Some(slot) = self.lines.get_mut(index) {
            *slot = line;
        }
        crate::output::board(&self.lines, self.drawn);
        self.drawn = self.lines.len();
    }

    /// A line that stays, printed above the live lines.
    fn above(&mut self, line: &str) {
        crate::output::board(&[], self.drawn);
        self.drawn = 0;
        msgln!("{line}");
        crate::output::board(&self.lines, 0);
        self.drawn = self.lines.len();
    }
}

impl FleetLines {
    pub(crate) fn new(plan: &FleetPlan, verbose: bool, style: Style) -> Self {
        FleetLines::of(
            plan.members
                .iter()
                .map(|m| {
                    (
                        m.plan.app.clone(),
                        m.plan.steps.iter().map(|s| s.id).collect(),
                    )
                })
                .collect(),
            verbose,
            style,
        )
    }

    pub(crate) fn of(
        apps: Vec<(String, Vec<rollback::StepId>)>,
        verbose: bool,
        style: Style,
    ) -> Self {
        let width = apps.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
        let board = (!verbose && crate::output::stderr_is_terminal()).then(|| Board {
            lines: apps
                .iter()
                .map(|(a, _)| format!("[{a:<width$}] waiting"))
                .collect(),
            drawn: 0,
        });
        FleetLines {
            apps,
            width,
            verbose,
            style,
            deploy_started: Vec::new(),
            board,
        }
    }

    fn tag(&self, app: &str) -> String {
        format!("[{app:<width$}]", width = self.width)
    }

    fn index(&self, app: &str) -> Option<usize> {
        self.apps.iter().position(|(a, _)| a == app)
    }

    /// A routine event: the app's live line on a terminal, a line of its
    /// own elsewhere.
    fn live(&mut self, app: &str, line: String) {
        match (self.index(app), self.board.as_mut()) {
            (Some(index), Some(board)) => board.set(index, line),
            _ => msgln!("{line}"),
        }
    }

    /// An event that must stay on the screen.
    fn keep(&mut self, line: String) {
        match self.board.as_mut() {
            Some(board) => board.above(&line),
            None => msgln!("{line}"),
        }
    }
}

impl FleetProgress for FleetLines {
    fn step_started(&mut self, app: &str, step: &PlannedStep) {
        let order = self
            .apps
            .iter()
            .find(|(a, _)| a == app)
            .map(|(_, o)| o.as_slice())
            .unwrap_or_default();
        let index = order
            .iter()
            .position(|id| *id == step.id)
            .map_or(0, |i| i + 1);
        let line = format!(
            "{} [{index}/{}] {}: {}",
            self.tag(app),
            order.len(),
            step.id,
            step.title
        );
        self.live(app, line);
    }

    fn step_ended(&mut self, app: &str, _step: &PlannedStep, report: &StepReport) {
        let took = ui::duration(std::time::Duration::from_millis(report.duration_ms));
        let detail = ui::sanitize(report.detail.as_deref().unwrap_or(""), false);
        let tag = self.tag(app);
        match report.outcome {
            StepOutcome::Done => {
                let line = self
                    .style
                    .ok(&format!("{tag}       done in {took}: {detail}"));
                self.live(app, line);
            }
            StepOutcome::Skipped => self.live(app, format!("{tag}       skipped: {detail}")),
            StepOutcome::Warned => {
                let line = self.style.warn(&format!("{tag}       warning: {detail}"));
                self.keep(line);
            }
            StepOutcome::Failed => {
                let line = self
                    .style
                    .bad(&format!("{tag}       failed after {took}: {detail}"));
                self.live(app, line.clone());
                if self.board.is_some() {
                    self.keep(line);
                }
            }
            StepOutcome::Interrupted => {
                let line = self
                    .style
                    .warn(&format!("{tag}       interrupted after {took}"));
                self.live(app, line);
            }
            StepOutcome::AlreadyDone | StepOutcome::NotRun => {}
        }
    }

    fn deploy_event(&mut self, app: &str, event: &FollowEvent) {
        let started = match self.deploy_started.iter().find(|(a, _)| a == app) {
            Some((_, t)) => *t,
            None => {
                self.deploy_started.push((app.to_string(), Instant::now()));
                Instant::now()
            }
        };
        let tag = self.tag(app);
        match event {
            FollowEvent::Status(status) => {
                let line = format!(
                    "{tag}       {:>6}  {status}",
                    ui::duration(started.elapsed())
                );
                self.live(app, line);
            }
            FollowEvent::Log(line) if self.verbose => {
                msgln!("{tag}       | {}", ui::sanitize(line, self.style.color));
            }
            FollowEvent::Log(_) => {}
            FollowEvent::Note(note) => self.keep(format!("{tag}       note: {note}")),
        }
    }

    fn notice(&mut self, app: &str, text: &str) {
        let line = self
            .style
            .warn(&format!("{} warning: {text}", self.tag(app)));
        match self.board.as_mut() {
            Some(board) => {
                crate::output::board(&[], board.drawn);
                board.drawn = 0;
                errln!("{line}");
                crate::output::board(&board.lines, 0);
                board.drawn = board.lines.len();
            }
            None => errln!("{line}"),
        }
    }
}

/// Where each app stands, `--json`, and the exit code: 130 when an app
/// was interrupted (the rollback is resumable), else 1 when one failed,
/// 3 when one was refused by a safety check, 0 when every app is back.
pub(crate) fn finish(summary: &FleetSummary, json: bool, style: &Style) -> Result<(), CliError> {
    if json {
        print_json(&serde_json::to_value(summary).map_err(CliError::failed)?)?;
    }
    for app in &summary.apps {
        for warning in &app.summary.warnings {
            errln!(
                "{}",
                style.warn(&ui::sanitize(
                    &format!("warning: {}: {warning}", app.summary.app),
                    false
                ))
            );
        }
    }
    msgln!(
        "\n{}",
        style.bold(&format!("Incident {}", summary.incident))
    );
    for app in &summary.apps {
        let s = &app.summary;
        let line = match &s.outcome {
            Outcome::Succeeded => style.ok(&format!(
                "  {}: rolled back{}: runs {} (deployment {}); {} is marked bad",
                s.app,
                if app.earlier {
                    " by an earlier run"
                } else {
                    ""
                },
                s.to.label,
                s.deployment_id.as_deref().unwrap_or("?"),
                s.from.label
            )),
            Outcome::Failed {
                step,
                error,
                runs_now,
                refused,
                ..
            } => style.bad(&ui::sanitize(
                &format!(
                    "  {}: {} at step `{step}`: {error}{}",
                    s.app,
                    if *refused { "refused" } else { "FAILED" },
                    runs_now
                        .as_deref()
                        .map(|r| format!("; {r}"))
                        .unwrap_or_default()
                ),
                false,
            )),
            Outcome::Interrupted { step, .. } => {
                style.warn(&format!("  {}: interrupted before `{step}`", s.app))
            }
        };
        msgln!("{line}");
        if let Outcome::Failed {
            log_tail, hints, ..
        } = &s.outcome
        {
            for line in log_tail {
                msgln!("    | {}", ui::sanitize(line, style.color));
            }
            for hint in hints {
                msgln!("    hint: {}", ui::sanitize(hint, false));
            }
        }
    }
    let failed: Vec<&str> = summary.failed().map(|a| a.summary.app.as_str()).collect();
    let interrupted: Vec<&str> = summary
        .interrupted()
        .map(|a| a.summary.app.as_str())
        .collect();
    let report = format!(
        "the journal holds every step of every app: `rewind report {}`",
        summary.incident
    );
    if !interrupted.is_empty() {
        return Err(CliError::new(
            ErrorKind::Interrupted,
            format!(
                "interrupted: {} not finished; the journal records where each app stopped",
                interrupted.join(", ")
            ),
        )
        .hint(format!(
            "`rewind resume {}` finishes what is unfinished, and nothing twice",
            summary.incident
        ))
        .hint(report));
    }
    if !failed.is_empty() {
        let refused_only = summary
            .failed()
            .all(|a| matches!(a.summary.outcome, Outcome::Failed { refused: true, .. }));
        let done: Vec<&str> = summary
            .apps
            .iter()
            .filter(|a| matches!(a.summary.outcome, Outcome::Succeeded))
            .map(|a| a.summary.app.as_str())
            .collect();
        let kind = if refused_only {
            ErrorKind::Refused
        } else {
            ErrorKind::Failed
        };
        let others = if done.is_empty() {
            "no app was rolled back".to_string()
        } else {
            format!("{} rolled back", done.join(", "))
        };
        return Err(CliError::new(
            kind,
            format!(
                "the rollback of {} did not succeed ({others})",
                failed.join(", ")
            ),
        )
        .hint(format!(
            "`rewind resume {}` finishes {} without touching what is done",
            summary.incident,
            failed.join(", ")
        ))
        .hint(report));
    }
    msgln!(
        "\n{} {} apps. `rewind report {}`",
        style.ok("rolled back:"),
        summary.apps.len(),
        summary.incident
    );
    Ok(())
}

/// An error about one app, said with its app.
pub(crate) fn fleet_error(e: FleetError) -> CliError {
    let app = e.app.clone();
    let mut err = into_cli_error(*e.error);
    if !app.is_empty() {
        err.error = format!("{app}: {}", err.error).into();
    }
    if err.kind == ErrorKind::Refused || err.kind == ErrorKind::Config {
        err.hints.push(
            "nothing was changed on any app: every lock and check comes before the first step"
                .into(),
        );
    }
    err
}

/// What `rewind resume` was asked, for a rollback of several apps.
pub(crate) struct ResumeAsk {
    pub yes: bool,
    pub force: bool,
    pub json: bool,
    pub verbose: bool,
    pub restore_ran: Option<bool>,
}

/// `rewind resume ID` for a rollback of several apps: says where each app
/// stands, asks for the names of the apps left to finish, and finishes
/// only those.
pub(crate) fn resume(ctx: &Context, id: &str, ask: &ResumeAsk) -> Result<(), CliError> {
    let parts = ctx.journal.parts(id)?;
    ctx.require_repository("resume")?;
    let apps: Vec<&AppConfig> = parts
        .iter()
        .map(|p| ctx.app(Some(&p.app)))
        .collect::<Result<_, _>>()?;
    let platforms: Vec<Box<dyn Platform>> = apps
        .iter()
        .map(|a| ctx.platform(a))
        .collect::<Result<_, _>>()?;
    let git = ctx.git();
    let tools = FleetTools {
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
    };
    let style = Style::stderr();
    msgln!(
        "resuming incident {}: the rollback of {} apps ({})",
        parts[0].id,
        parts.len(),
        names(&apps)
    );
    let mut unfinished = Vec::new();
    let mut orders = Vec::new();
    for part in &parts {
        let plan: Option<rollback::Plan> =
            serde_json::from_value(part.opening["plan"].clone()).ok();
        let done = matches!(&part.state, rewind_core::journal::IncidentState::Closed(o) if !rollback::resumable_outcome(o));
        if done {
            msgln!("  {}: finished ({}), left alone", part.app, state_of(part));
            continue;
        }
        msgln!("  {}: {}", part.app, state_of(part));
        if let Some(plan) = &plan {
            for step in &plan.steps {
                let state = part
                    .step(step.id.as_str())
                    .map(|s| s.state.label().to_string())
                    .unwrap_or_else(|| "not started".into());
                msgln!("    {:<13} {state}", step.id);
            }
            if let Some(database) = plan.database.as_ref().filter(|d| d.restore.is_some()) {
                super::print_database(database, plan, &style);
            }
            orders.push((plan.app.clone(), plan.steps.iter().map(|s| s.id).collect()));
        }
        unfinished.push(part.app.clone());
    }
    if !ask.yes && !unfinished.is_empty() {
        let question = format!(
            "Resume the rollback of {}? Type their names, separated by spaces, as listed",
            unfinished.join(", ")
        );
        if !context::prompter().confirm_typed(&question, &unfinished.join(" "))? {
            return Err(CliError::new(
                ErrorKind::Refused,
                "resume aborted: nothing was changed",
            ));
        }
    }
    let template = archive_template();
    let who = ctx.actor();
    let webhooks: Vec<_> = apps.iter().map(|a| ctx.config.webhook_url(a)).collect();
    let runs: Vec<AppRun<'_>> = apps
        .iter()
        .zip(&platforms)
        .zip(webhooks)
        .zip(&parts)
        .map(|(((app, platform), webhook), part)| AppRun {
            platform,
            options: RunOptions {
                reason: part.opening["reason"].as_str(),
                archive_template: template.as_ref(),
                webhook,
                force: ask.force,
                restore_ran: ask.restore_ran,
                ..RunOptions::new(app, &who)
            },
        })
        .collect();
    let mut progress = FleetLines::of(orders, ask.verbose, style);
    let summary =
        rollback::resume_fleet(&tools, id, ask.force, &runs, &mut progress).map_err(fleet_error)?;
    finish(&summary, ask.json, &style)
}

fn state_of(part: &rewind_core::journal::Incident) -> String {
    use rewind_core::journal::IncidentState;
    match &part.state {
        IncidentState::Open => "cut short".to_string(),
        IncidentState::Interrupted => "interrupted".to_string(),
        IncidentState::Closed(outcome) => outcome.clone(),
    }
}
