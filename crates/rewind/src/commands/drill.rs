//! `rewind drill`: rehearse the whole bad night in one command, on a local
//! sandbox, with nothing of the person's own (no account, no rewind.toml,
//! no journal, no git configuration). The steps are rewind-drill's (the
//! workspace, the sandbox seeded for the night, production broken, the
//! checks), then the very guide, restore and rollback that `rewind guide`,
//! `rewind db restore` and `rewind rollback` run; this file wires them
//! together and prints one line per step.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use rewind_core::git::GitCli;
use rewind_core::guide::say::walk as words;
use rewind_core::guide::{
    self, ActionOutcome, ActionReport, AnswerSource, GuideError, GuideSummary, Narrator,
    ProbeResult, TicketDraft, Tools,
};
use rewind_core::i18n::Lang;
use rewind_core::journal::Journal;
use rewind_core::platform::scalingo::Scalingo;
use rewind_core::prompt::{NoPrompter, Prompter};
use rewind_core::rollback;
use rewind_core::tree::{Answer, Node, Probe, Tree};
use rewind_drill::history::APP;
use rewind_drill::replay::{self, ReplayFiles};
use rewind_drill::{
    self as drill, ConfigSettings, DrillError, DrillSummary, Listener, Pace, Reporter, Scenario,
    Stage, StepLine, Timed, Timings, Workspace,
};
use rewind_sandbox::PostgresMode;

use crate::cli_error::{CliError, ErrorKind};
use crate::commands::guide::LangArg;
use crate::commands::rollback::print_json;
use crate::context::{self, Global};
use crate::ui::{self, Style};

/// Sets the drill's pace: `test` makes deploys take a fraction of a
/// second (rewind's own tests).
const SPEED_ENV: &str = "REWIND_DRILL_SPEED";
/// `off` keeps the database simulated even when PostgreSQL is installed;
/// `on` requires it; `auto` (the default) uses it when found.
const POSTGRES_ENV: &str = "REWIND_DRILL_POSTGRES";

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// The runbook path to rehearse: with-db (restore the database, then
    /// redeploy), app-only (redeploy), feature-flag (switch the feature
    /// off), minor (warn the product owner), watch (rewind watch --policy
    /// auto notices the bad release and switches the feature off alone),
    /// multi-app (a monorepo's front and api rolled back together, the
    /// api's database restored first).
    #[arg(long, default_value = "with-db", value_parser = parse_scenario)]
    scenario: Scenario,

    /// Answer the tree's questions along the scenario's path and confirm
    /// every action, without asking. Implied when nobody is at a terminal.
    #[arg(long)]
    auto: bool,

    /// Build the workspace in DIR (new or empty) and keep it, with the
    /// sandbox's state at the alert and a seed to replay the night by hand.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,

    /// Print the final summary as JSON on stdout.
    #[arg(long)]
    json: bool,

    /// Language of the tree's walk: its questions, the evidence, the plans
    /// and the ticket draft. Default: French when LC_ALL, LC_MESSAGES or
    /// LANG (the first one set) starts with `fr`, English otherwise.
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
}

fn parse_scenario(text: &str) -> Result<Scenario, String> {
    Scenario::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        format!("expected one of: {}", names.join(", "))
    })
}

/// The drill ignores `--config` on purpose: it never reads the person's
/// rewind.toml.
pub fn run(args: DrillArgs, _global: &Global) -> Result<(), CliError> {
    let started = Instant::now();
    let pace = Pace::from_speed(std::env::var(SPEED_ENV).ok().as_deref());
    let auto = args.auto || !context::is_interactive();
    let style = Style::stderr();
    let lang = super::guide::lang(args.lang);
    let mut out = Printer::new(style, auto, lang);
    msgln!(
        "{}",
        style.bold(&format!(
            "rewind drill: scenario {} ({})",
            args.scenario,
            args.scenario.expected()
        ))
    );
    msgln!(
        "  deploys take {} here instead of minutes: the drill shortens them",
        ui::duration(pace.deploy)
    );
    if auto && !args.auto {
        msgln!("  nobody at a terminal: answering along the scenario's path (--auto)");
    }
    if !auto && args.scenario == Scenario::MultiApp {
        msgln!("  you confirm the rollback of both apps by typing their names");
    } else if !auto {
        msgln!(
            "  you answer the tree; the scenario's path is {} (checked at the end)",
            args.scenario.answers().join(", ")
        );
    }
    let result = rehearse(&args, &pace, auto, started, &mut out);
    match result {
        Ok(summary) => finish(&args, &summary, &style),
        Err(failure) => {
            out.failed(&failure.step, &failure.error.error.to_string());
            Err(failure.error)
        }
    }
}

/// A step that failed, and the error it ends the drill with.
struct Failure {
    step: String,
    error: CliError,
}

fn fail(step: &str, error: CliError) -> Failure {
    Failure {
        step: step.to_string(),
        error,
    }
}

fn drill_error(step: &str, e: DrillError) -> Failure {
    let kind = match e {
        DrillError::Interrupted => ErrorKind::Interrupted,
        DrillError::Write { .. } => ErrorKind::Config,
        _ => ErrorKind::Failed,
    };
    let hints = e.hints();
    let mut error = CliError::new(kind, e);
    error.hints = hints;
    fail(step, error)
}

fn rehearse(
    args: &DrillArgs,
    pace: &Pace,
    auto: bool,
    started: Instant,
    out: &mut Printer,
) -> Result<DrillSummary, Failure> {
    if args.scenario == Scenario::MultiApp {
        return rehearse_fleet(args, pace, auto, started, out);
    }
    let interrupt = context::interrupt();
    let since = Instant::now();
    let ws = Workspace::create(args.keep.as_deref()).map_err(|e| drill_error("workspace", e))?;
    let listener =
        Listener::start().map_err(|e| drill_error("workspace", DrillError::Listener(e)))?;
    out.step(&StepLine::done(
        "workspace",
        format!(
            "{} (origin.git and a clone, tags v1.0.0 to v1.3.0){}",
            ws.root.display(),
            if ws.is_temporary() {
                ", removed at the end"
            } else {
                ", kept"
            }
        ),
        since,
    ));

    let since = Instant::now();
    let files = args.keep.as_ref().map(|_| ReplayFiles::in_workspace(&ws));
    let sandbox =
        drill::sandbox::start(&ws, pace, files.as_ref(), postgres_mode()).map_err(|e| {
            let mut failure = drill_error("sandbox", e);
            failure.error.hints.push(format!(
                "{POSTGRES_ENV}=off runs the drill with a simulated database"
            ));
            failure
        })?;
    let database = match sandbox.database_url(APP) {
        Ok(_) => "real".to_string(),
        Err(_) => "simulated".to_string(),
    };
    out.step(&StepLine::done(
        "sandbox",
        format!(
            "{} on 127.0.0.1; {}",
            sandbox.base_url(),
            postgres_line(&database)
        ),
        since,
    ));

    let since = Instant::now();
    let config = ws
        .write_config(&ConfigSettings {
            sandbox_url: sandbox.base_url().to_string(),
            webhook_url: listener.url().to_string(),
            margin: pace.margin,
            health_interval: pace.health_interval,
        })
        .map_err(|e| drill_error("rewind.toml", e))?;
    let app = config
        .app(Some(APP))
        .map_err(|e| fail("rewind.toml", CliError::from(e)))?;
    out.step(&StepLine::done(
        "rewind.toml",
        format!(
            "{} (rewind init, then health check, feature flag and webhook)",
            config.path.display()
        ),
        since,
    ));

    let env = sandbox.env_vars();
    let mut settings =
        app.scalingo_settings(|name| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()));
    drill::sandbox::fit(&mut settings);
    let platform = Scalingo::new(settings).map_err(|e| fail("sandbox", CliError::from(e)))?;
    let admin = drill::admin::Admin::new(sandbox.base_url());
    let stage = Stage {
        platform: &platform,
        admin: &admin,
        app,
        workspace: &ws,
        interrupt: &interrupt,
        pace,
    };
    if args.scenario.watches() {
        let night = Night {
            stage: &stage,
            config: &config,
            ws: &ws,
            listener: &listener,
            files: files.as_ref(),
            database,
            listen: sandbox.addr().to_string(),
        };
        let summary = if args.scenario == Scenario::WatchHealthy {
            quiet_night(&night, &sandbox, started, out)?
        } else {
            watched_night(&night, &sandbox, started, out)?
        };
        drop(sandbox);
        return Ok(summary);
    }
    let broken = stage.play(out).map_err(|e| drill_error("the night", e))?;
    if let Some(files) = &files {
        // The replay starts from this very moment: the sandbox's state and,
        // when it is real, its PostgreSQL.
        let real = database == "real";
        if real {
            sandbox.keep_postgres(&files.postgres).map_err(|e| {
                fail(
                    "replay files",
                    CliError::failed(format!(
                        "cannot keep the sandbox's PostgreSQL for the replay: {e}"
                    )),
                )
            })?;
        }
        files
            .write_seed(&ws, pace, real)
            .and_then(|()| files.snapshot_at_alert())
            .map_err(|e| drill_error("replay files", e))?;
    }

    let journal = Journal::open(&ws.journal_dir);
    let mut git = GitCli::new(&ws.clone).interactive(false);
    for (name, value) in drill::git::hermetic_env() {
        git = git.env(name, value);
    }
    let tools = Tools {
        platform: &platform,
        git: &git,
        journal: &journal,
        interrupt: &interrupt,
        app,
        webhook: config.webhook_url(app),
    };
    let tree = Tree::default_runbook();
    let preset = drill::preset(&tree, args.scenario, auto)
        .map_err(|e| fail("the walk", CliError::failed(e)))?;
    let options = drill::guide_options(&ws, pace, stage.follow_options(), auto, out.lang);
    let prompter: Box<dyn Prompter> = if auto {
        Box::new(NoPrompter)
    } else {
        context::prompter_in(out.lang)
    };
    msgln!(
        "\n{}",
        out.style.bold(&format!(
            "The runbook's tree ({}):",
            if auto {
                "answers scripted along the scenario's path"
            } else {
                "your answers; the evidence comes first"
            }
        ))
    );
    let mut timed = Timed::new(out);
    let walked = guide::guide(&tree, &preset, &tools, &options, &*prompter, &mut timed);
    let decided_at = timed.decided_at;
    let summary = walked.map_err(|e| fail("the walk", guide_error(e)))?;

    let since = Instant::now();
    let webhook_messages = listener.messages();
    let (checks, data) = drill::verify(args.scenario, &stage, &broken, &summary, &webhook_messages);
    let reached = checks.iter().all(|c| c.ok);
    out.step(&StepLine {
        name: "outcome checked".into(),
        ok: reached,
        detail: format!(
            "{} of {} checks hold",
            checks.iter().filter(|c| c.ok).count(),
            checks.len()
        ),
        duration_ms: since.elapsed().as_millis() as u64,
    });
    let rollback_incident = summary.rollback_incidents().next().map(str::to_string);
    let report = reports(&journal, &summary, rollback_incident.as_deref());
    let timings = Timings::measure(
        broken.alert_at,
        decided_at,
        &journal,
        rollback_incident.as_deref(),
        started.elapsed(),
    );
    let listen = sandbox.addr().to_string();
    let replay = replay::commands(
        args.scenario,
        &ws,
        files.as_ref(),
        &listen,
        &broken.bad_deployment.id,
    );
    if files.is_some() {
        replay::redirect_webhook(&config.path, &listen)
            .map_err(|e| drill_error("replay files", e))?;
    }
    let summary = DrillSummary {
        scenario: args.scenario.name(),
        expected: args.scenario.expected(),
        reached,
        database,
        deploy_duration_ms: pace.deploy.as_millis() as u64,
        steps: out.steps.clone(),
        checks,
        data,
        webhook_messages,
        timings,
        guide_incident: Some(summary.incident.to_string()),
        rollback_incident,
        report,
        workspace: (!ws.is_temporary()).then(|| ws.root.clone()),
        replay,
    };
    drop(sandbox);
    Ok(summary)
}

/// The multi-app scenario: the acme monorepo's front and api broken by one
/// coordinated release, then rolled back together as `rewind rollback
/// front api --with-db` does (the core's fleet: one plan, one
/// confirmation, the api's safety backup and restore first, both deploys
/// at once, one message to the team, one incident), and checked.
fn rehearse_fleet(
    args: &DrillArgs,
    pace: &Pace,
    auto: bool,
    started: Instant,
    out: &mut Printer,
) -> Result<DrillSummary, Failure> {
    use rewind_core::rollback::{
        AppRun, DatabaseChoice, FleetApp, FleetTools, PrepareOptions, RunOptions,
    };
    use rewind_drill::fleet_night::{FleetStage, verify_fleet};
    use rewind_drill::monorepo::{self, API, FRONT};

    let interrupt = context::interrupt();
    let since = Instant::now();
    let ws = Workspace::create_monorepo(args.keep.as_deref())
        .map_err(|e| drill_error("workspace", e))?;
    let listener =
        Listener::start().map_err(|e| drill_error("workspace", DrillError::Listener(e)))?;
    out.step(&StepLine::done(
        "workspace",
        format!(
            "{} (a release-please monorepo, origin.git and a clone: tags {} to {} and {} to {}, linked versions){}",
            ws.root.display(),
            monorepo::RELEASES[0].front_tag(),
            monorepo::bad().front_tag(),
            monorepo::RELEASES[0].api_tag(),
            monorepo::bad().api_tag(),
            if ws.is_temporary() {
                ", removed at the end"
            } else {
                ", kept"
            }
        ),
        since,
    ));

    let since = Instant::now();
    let sandbox = drill::sandbox::start_monorepo(&ws, pace, postgres_mode()).map_err(|e| {
        let mut failure = drill_error("sandbox", e);
        failure.error.hints.push(format!(
            "{POSTGRES_ENV}=off runs the drill with a simulated database"
        ));
        failure
    })?;
    let database = match sandbox.database_url(API) {
        Ok(_) => "real".to_string(),
        Err(_) => "simulated".to_string(),
    };
    out.step(&StepLine::done(
        "sandbox",
        format!(
            "{} on 127.0.0.1: apps {FRONT} and {API}; {API}'s {}",
            sandbox.base_url(),
            postgres_line(&database)
        ),
        since,
    ));

    let since = Instant::now();
    let config = ws
        .write_monorepo_config(&ConfigSettings {
            sandbox_url: sandbox.base_url().to_string(),
            webhook_url: listener.url().to_string(),
            margin: pace.margin,
            health_interval: pace.health_interval,
        })
        .map_err(|e| drill_error("rewind.toml", e))?;
    let app = |name: &str| {
        config
            .app(Some(name))
            .map_err(|e| fail("rewind.toml", CliError::from(e)))
    };
    let (api, front) = (app(API)?, app(FRONT)?);
    out.step(&StepLine::done(
        "rewind.toml",
        format!(
            "{} (apps {API} and {FRONT}, tags {{component}}-v{{version}}, the api's database, health checks, webhook)",
            config.path.display()
        ),
        since,
    ));

    let env = sandbox.env_vars();
    let platform_of = |app: &rewind_core::config::AppConfig| {
        let mut settings = app
            .scalingo_settings(|name| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()));
        drill::sandbox::fit(&mut settings);
        Scalingo::new(settings).map_err(|e| fail("sandbox", CliError::from(e)))
    };
    let platforms = [platform_of(api)?, platform_of(front)?];
    let admin = drill::admin::Admin::new(sandbox.base_url());
    let stage = FleetStage {
        platform: &platforms[0],
        admin: &admin,
        front,
        api,
        workspace: &ws,
        interrupt: &interrupt,
        pace,
    };
    let broken = stage.play(out).map_err(|e| drill_error("the night", e))?;

    let journal = Journal::open(&ws.journal_dir);
    let mut git = GitCli::new(&ws.clone).interactive(false);
    for (name, value) in drill::git::hermetic_env() {
        git = git.env(name, value);
    }
    let tools = FleetTools {
        git: &git,
        journal: &journal,
        interrupt: &interrupt,
    };
    msgln!(
        "\n{}",
        out.style.bold(&format!(
            "The rollback of both apps (`rewind rollback {FRONT} {API} --with-db`{}):",
            if auto {
                ", confirmed by the drill"
            } else {
                ", you confirm"
            }
        ))
    );
    let since = Instant::now();
    let apps = [api, front];
    let fleet_apps: Vec<FleetApp<'_>> = apps
        .iter()
        .zip(&platforms)
        .map(|(app, platform)| FleetApp {
            config: app,
            platform,
            to: None,
            why: if app.name == API {
                format!("named on the command line; its release is linked to {FRONT}'s")
            } else {
                format!("named on the command line; its release is linked to {API}'s")
            },
            webhook: config.webhook_url(app).is_some(),
            backup_dir: Some(&ws.backup_dir),
        })
        .collect();
    let options = PrepareOptions {
        database: DatabaseChoice::WithDb,
        ..PrepareOptions::default()
    };
    let plan = rollback::prepare_fleet(&tools, &fleet_apps, &options)
        .map_err(|e| fail("the rollback's plan", CliError::failed(e)))?;
    out.step(&StepLine::done(
        "the rollback's plan",
        plan.members
            .iter()
            .map(|m| {
                format!(
                    "{} {} -> {}",
                    m.plan.app, m.plan.from.label, m.plan.to.label
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        since,
    ));
    crate::commands::rollback::several::print_fleet_plan(&plan, &out.style);
    // The plan on screen is the decision; the confirmation follows.
    let decided_at = chrono::Utc::now();
    let expected = plan.confirmation();
    if auto {
        msgln!(
            "\n  confirmed by the drill (--auto), as a person types the apps' names: {expected}"
        );
    } else {
        let prompter = context::prompter_in(out.lang);
        let question = format!(
            "Roll back {} apps together ({})? Type their names, separated by spaces, as listed",
            plan.members.len(),
            plan.members
                .iter()
                .map(|m| format!("{} to {}", m.plan.app, m.plan.to.label))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let confirmed = prompter
            .confirm_typed(&question, &expected)
            .map_err(|e| fail("the rollback", CliError::from(e)))?;
        if !confirmed {
            return Err(fail(
                "the rollback",
                CliError::new(
                    ErrorKind::Refused,
                    "rollback aborted: nothing was changed; production stays broken",
                )
                .hint("run the drill again, or with --auto to let it confirm"),
            ));
        }
    }
    let since = Instant::now();
    let follow = stage.follow_options();
    let runs: Vec<AppRun<'_>> = apps
        .iter()
        .zip(&platforms)
        .map(|(app, platform)| AppRun {
            platform,
            options: RunOptions {
                reason: Some("drill: the coordinated release broke both apps"),
                webhook: config.webhook_url(app),
                follow: follow.clone(),
                db_poll_first: pace.poll,
                db_poll_max: pace.poll * 4,
                ..RunOptions::new(app, "rewind-drill")
            },
        })
        .collect();
    let mut progress = crate::commands::rollback::several::FleetLines::new(&plan, false, out.style);
    let fleet = rollback::run_fleet(&tools, &plan, &runs, &mut progress)
        .map_err(|e| fail("the rollback", CliError::failed(e)))?;
    if let Some(cut) = fleet.interrupted().next() {
        let mut error = CliError::new(
            ErrorKind::Interrupted,
            format!(
                "the rollback was interrupted ({} not finished, incident {})",
                cut.summary.app, fleet.incident
            ),
        );
        if !ws.is_temporary() {
            error = error.hint(format!(
                "REWIND_JOURNAL_DIR={} rewind report {} tells where each app stopped",
                ws.journal_dir.display(),
                fleet.incident
            ));
        }
        return Err(fail("the rollback", error.hint("run the drill again")));
    }
    out.step(&StepLine {
        name: "rollback of both apps".into(),
        ok: fleet.succeeded(),
        detail: format!(
            "incident {}: {}",
            fleet.incident,
            fleet
                .apps
                .iter()
                .map(|a| format!("{} {}", a.summary.app, a.summary.outcome.words()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        duration_ms: since.elapsed().as_millis() as u64,
    });

    let since = Instant::now();
    let parts = journal
        .parts(fleet.incident.as_str())
        .map_err(|e| fail("the journal", CliError::failed(e)))?;
    let report = rollback::fleet_report(&parts).to_markdown();
    let webhook_messages = listener.messages();
    let (checks, data) = verify_fleet(&stage, &broken, &fleet, &parts, &report, &webhook_messages);
    let reached = checks.iter().all(|c| c.ok);
    out.step(&StepLine {
        name: "outcome checked".into(),
        ok: reached,
        detail: format!(
            "{} of {} checks hold",
            checks.iter().filter(|c| c.ok).count(),
            checks.len()
        ),
        duration_ms: since.elapsed().as_millis() as u64,
    });
    let since_alert =
        |t: chrono::DateTime<chrono::Utc>| (t - broken.alert_at).num_milliseconds().max(0) as u64;
    // Every app's deploy accepted: the last of them.
    let accepted = parts
        .iter()
        .map(|p| p.step("deploy").and_then(|s| s.ended_at))
        .collect::<Option<Vec<_>>>()
        .and_then(|all| all.into_iter().max());
    let timings = Timings {
        to_decision_ms: Some(since_alert(decided_at)),
        to_deploy_accepted_ms: accepted.map(since_alert),
        total_ms: started.elapsed().as_millis() as u64,
        detection_ms: None,
        to_action_ms: None,
    };
    let replay = if ws.is_temporary() {
        replay::commands(Scenario::MultiApp, &ws, None, "", "")
    } else {
        vec![
            "# no sandbox state is kept for this scenario; the journal and the monorepo are:"
                .into(),
            format!("cd {}", ws.clone.display()),
            format!(
                "REWIND_JOURNAL_DIR={} rewind report {}",
                ws.journal_dir.display(),
                fleet.incident
            ),
            format!("# the rollback itself: rewind rollback {FRONT} {API} --with-db"),
        ]
    };
    let summary = DrillSummary {
        scenario: Scenario::MultiApp.name(),
        expected: Scenario::MultiApp.expected(),
        reached,
        database,
        deploy_duration_ms: pace.deploy.as_millis() as u64,
        steps: out.steps.clone(),
        checks,
        data,
        webhook_messages,
        timings,
        guide_incident: None,
        rollback_incident: Some(fleet.incident.to_string()),
        report,
        workspace: (!ws.is_temporary()).then(|| ws.root.clone()),
        replay,
    };
    drop(sandbox);
    Ok(summary)
}

/// `REWIND_DRILL_POSTGRES`: `off`, `on`, or `auto` (the default).
fn postgres_mode() -> PostgresMode {
    match std::env::var(POSTGRES_ENV).ok().as_deref() {
        Some("off") => PostgresMode::Off,
        Some("on") => PostgresMode::On,
        _ => PostgresMode::Auto,
    }
}

fn postgres_line(database: &str) -> &'static str {
    if database == "real" {
        "PostgreSQL: a real cluster (pg_dump backups, PostgreSQL's own point-in-time recovery)"
    } else {
        "PostgreSQL: simulated (no PostgreSQL server found, or REWIND_DRILL_POSTGRES=off)"
    }
}

/// What the watch scenario works with.
struct Night<'a> {
    stage: &'a Stage<'a>,
    config: &'a rewind_core::config::Config,
    ws: &'a Workspace,
    listener: &'a Listener,
    files: Option<&'a ReplayFiles>,
    database: String,
    listen: String,
}

/// The watch scenario: v1.3.0 ships, then `rewind watch --policy auto`'s
/// own core follows it, notices the failing health check, opens the
/// incident with its evidence and switches the feature off, nobody
/// answering anything.
fn watched_night(
    night: &Night<'_>,
    sandbox: &rewind_sandbox::Sandbox,
    started: Instant,
    out: &mut Printer,
) -> Result<DrillSummary, Failure> {
    use rewind_core::watch::{self, Acted, Policy, Target, WatchOptions, WatchOutcome};

    let stage = night.stage;
    let app = stage.app;
    let shipped = stage.ship(out).map_err(|e| drill_error("the night", e))?;
    if let Some(files) = night.files {
        let real = night.database == "real";
        if real {
            sandbox.keep_postgres(&files.postgres).map_err(|e| {
                fail(
                    "replay files",
                    CliError::failed(format!(
                        "cannot keep the sandbox's PostgreSQL for the replay: {e}"
                    )),
                )
            })?;
        }
        files
            .write_seed(night.ws, stage.pace, real)
            .and_then(|()| files.snapshot_at_alert())
            .map_err(|e| drill_error("replay files", e))?;
    }
    let journal = Journal::open(&night.ws.journal_dir);
    let mut git = GitCli::new(&night.ws.clone).interactive(false);
    for (name, value) in drill::git::hermetic_env() {
        git = git.env(name, value);
    }
    let tools = Tools {
        platform: stage.platform,
        git: &git,
        journal: &journal,
        interrupt: stage.interrupt,
        app,
        webhook: night.config.webhook_url(app),
    };
    msgln!(
        "\n{}",
        out.style.bold(
            "rewind watch --policy auto (nobody answers; rewind.toml allows feature-flag-off):"
        )
    );
    let since = Instant::now();
    let opts = WatchOptions {
        duration: stage.pace.deploy * 40 + Duration::from_secs(30),
        poll: stage.pace.poll,
        follow: stage.follow_options(),
    };
    let target = Target {
        app: &app.name,
        health_url: app.health_check.as_ref().map(|h| h.url.as_str()),
        expect_status: app.health_check.as_ref().map_or(200, |h| h.expect_status),
        config: &app.watch,
    };
    let outcome = watch::watch(stage.platform, &target, &opts, stage.interrupt, &mut |_| {})
        .map_err(|e| fail("the watch", CliError::failed(e)))?;
    let (watched, signal, at) = match outcome {
        WatchOutcome::Fired {
            watched,
            signal,
            at,
        } => (watched, signal, at),
        WatchOutcome::Quiet(_) => {
            return Err(fail(
                "the watch",
                CliError::failed("rewind watch saw nothing wrong with v1.3.0"),
            ));
        }
    };
    let detection_ms = (at - watched.ended_at).num_milliseconds().max(0) as u64;
    out.step(&StepLine::done(
        "threshold crossed",
        format!(
            "{}; detection: {:.1}s from the bad deploy's end to the incident",
            signal.describe(),
            detection_ms as f64 / 1000.0
        ),
        since,
    ));
    let since = Instant::now();
    let options =
        drill::guide_options(night.ws, stage.pace, stage.follow_options(), true, out.lang);
    let tree = Tree::default_runbook();
    let raised = watch::raise(
        &tools,
        &tree,
        &options,
        Policy::Auto,
        &watched,
        &signal,
        at,
        &mut |line| Narrator::progress(out, line),
    )
    .map_err(|e| fail("the watch", CliError::failed(e)))?;
    let (ok, detail) = match &raised.acted {
        Acted::Carried(report) => match &report.outcome {
            ActionOutcome::Failed { error, .. } => (false, error.clone()),
            _ => (true, report.lines.join("; ")),
        },
        Acted::NotCarried(why) => (false, format!("did not act: {why}")),
        Acted::Notified => (false, "notified only".to_string()),
    };
    out.step(&StepLine {
        name: "a1 switch_feature_off (policy auto)".into(),
        ok,
        detail,
        duration_ms: since.elapsed().as_millis() as u64,
    });
    let incident = journal
        .incident(raised.incident.as_str())
        .map_err(|e| fail("the watch", CliError::failed(e)))?;
    let acted_at = incident.step(guide::CARRIED_STEP).and_then(|s| s.ended_at);
    let outcome = match &incident.state {
        rewind_core::journal::IncidentState::Closed(o) => o.clone(),
        other => format!("{other:?}"),
    };
    let to_action_ms = acted_at.map(|t| (t - watched.ended_at).num_milliseconds().max(0) as u64);
    msgln!(
        "  detection: {:.1}s from the bad deploy's end to the incident",
        detection_ms as f64 / 1000.0
    );
    if let Some(ms) = to_action_ms {
        msgln!(
            "  action: {:.1}s from the bad deploy's end to the feature switched off",
            ms as f64 / 1000.0
        );
    }

    let since = Instant::now();
    let webhook_messages = night.listener.messages();
    let checks = drill::checks::verify_watch(stage, &shipped, &outcome, at, &webhook_messages);
    let reached = checks.iter().all(|c| c.ok);
    out.step(&StepLine {
        name: "outcome checked".into(),
        ok: reached,
        detail: format!(
            "{} of {} checks hold",
            checks.iter().filter(|c| c.ok).count(),
            checks.len()
        ),
        duration_ms: since.elapsed().as_millis() as u64,
    });
    let mut timings = Timings::measure(at, Some(at), &journal, None, started.elapsed());
    timings.detection_ms = Some(detection_ms);
    timings.to_action_ms = to_action_ms;
    let replay = replay::commands(
        Scenario::Watch,
        night.ws,
        night.files,
        &night.listen,
        &shipped.bad_deployment.id,
    );
    if night.files.is_some() {
        replay::redirect_webhook(&night.config.path, &night.listen)
            .map_err(|e| drill_error("replay files", e))?;
    }
    let bad_rows = shipped
        .rows
        .iter()
        .filter(|r| r.text.contains(&format!("(v{})", drill::history::BAD)))
        .map(|r| r.text.clone())
        .collect();
    Ok(DrillSummary {
        scenario: Scenario::Watch.name(),
        expected: Scenario::Watch.expected(),
        reached,
        database: night.database.clone(),
        deploy_duration_ms: stage.pace.deploy.as_millis() as u64,
        steps: out.steps.clone(),
        checks,
        data: drill::DataLoss {
            lost: Vec::new(),
            kept_bad: bad_rows,
        },
        webhook_messages,
        timings,
        guide_incident: Some(raised.incident.to_string()),
        rollback_incident: None,
        report: rollback::report(&incident).to_markdown(),
        workspace: (!night.ws.is_temporary()).then(|| night.ws.root.clone()),
        replay,
    })
}

/// The healthy watch: v1.3.0 ships with its feature off, then the same
/// `rewind watch --policy auto` watches it for a while and must end
/// quietly: no incident, nothing posted, nothing changed.
fn quiet_night(
    night: &Night<'_>,
    sandbox: &rewind_sandbox::Sandbox,
    started: Instant,
    out: &mut Printer,
) -> Result<DrillSummary, Failure> {
    use rewind_core::watch::{self, Target, WatchOptions, WatchOutcome};

    let stage = night.stage;
    let app = stage.app;
    let shipped = stage
        .ship_healthy(out)
        .map_err(|e| drill_error("the release", e))?;
    if let Some(files) = night.files {
        let real = night.database == "real";
        if real {
            sandbox.keep_postgres(&files.postgres).map_err(|e| {
                fail(
                    "replay files",
                    CliError::failed(format!(
                        "cannot keep the sandbox's PostgreSQL for the replay: {e}"
                    )),
                )
            })?;
        }
        files
            .write_seed(night.ws, stage.pace, real)
            .and_then(|()| files.snapshot_at_alert())
            .map_err(|e| drill_error("replay files", e))?;
    }
    let duration = stage.pace.deploy * 10;
    msgln!(
        "\n{}",
        out.style.bold(&format!(
            "rewind watch --policy auto for {} (a healthy release: nothing must fire):",
            ui::duration(duration)
        ))
    );
    let since = Instant::now();
    let opts = WatchOptions {
        duration,
        poll: stage.pace.poll,
        follow: stage.follow_options(),
    };
    let target = Target {
        app: &app.name,
        health_url: app.health_check.as_ref().map(|h| h.url.as_str()),
        expect_status: app.health_check.as_ref().map_or(200, |h| h.expect_status),
        config: &app.watch,
    };
    let outcome = watch::watch(stage.platform, &target, &opts, stage.interrupt, &mut |_| {})
        .map_err(|e| fail("the watch", CliError::failed(e)))?;
    let (quiet, detail) = match &outcome {
        WatchOutcome::Quiet(watched) => (
            true,
            format!(
                "deployment {} crossed no threshold in {} ({} rounds of checks); nothing posted",
                watched.deployment.id,
                ui::duration(duration),
                watched.rounds
            ),
        ),
        WatchOutcome::Fired { signal, .. } => {
            (false, format!("false alarm: {}", signal.describe()))
        }
    };
    out.step(&StepLine {
        name: "quiet release".into(),
        ok: quiet,
        detail,
        duration_ms: since.elapsed().as_millis() as u64,
    });

    let since = Instant::now();
    let journal = Journal::open(&night.ws.journal_dir);
    let incidents = journal
        .incidents()
        .map_err(|e| fail("the watch", CliError::failed(e)))?
        .len();
    let webhook_messages = night.listener.messages();
    let checks = drill::checks::verify_quiet(stage, &shipped, quiet, incidents, &webhook_messages);
    let reached = checks.iter().all(|c| c.ok);
    out.step(&StepLine {
        name: "outcome checked".into(),
        ok: reached,
        detail: format!(
            "{} of {} checks hold",
            checks.iter().filter(|c| c.ok).count(),
            checks.len()
        ),
        duration_ms: since.elapsed().as_millis() as u64,
    });
    let ended = shipped
        .bad_deployment
        .finished_at
        .unwrap_or_else(chrono::Utc::now);
    let timings = Timings::measure(ended, None, &journal, None, started.elapsed());
    let replay = replay::commands(
        Scenario::WatchHealthy,
        night.ws,
        night.files,
        &night.listen,
        &shipped.bad_deployment.id,
    );
    if night.files.is_some() {
        replay::redirect_webhook(&night.config.path, &night.listen)
            .map_err(|e| drill_error("replay files", e))?;
    }
    Ok(DrillSummary {
        scenario: Scenario::WatchHealthy.name(),
        expected: Scenario::WatchHealthy.expected(),
        reached,
        database: night.database.clone(),
        deploy_duration_ms: stage.pace.deploy.as_millis() as u64,
        steps: out.steps.clone(),
        checks,
        data: drill::DataLoss {
            lost: Vec::new(),
            kept_bad: Vec::new(),
        },
        webhook_messages,
        timings,
        guide_incident: None,
        rollback_incident: None,
        report: format!(
            "# No incident\n\nrewind watch watched deployment {} of {} and ended quietly: nothing crossed a threshold.\n",
            shipped.bad_deployment.id, app.name
        ),
        workspace: (!night.ws.is_temporary()).then(|| night.ws.root.clone()),
        replay,
    })
}

fn guide_error(e: GuideError) -> CliError {
    CliError::from(e).hint("--auto answers along the scenario's path")
}

/// The guide's incident, and the rollback's when there was one, as
/// `rewind report` tells them.
fn reports(journal: &Journal, summary: &GuideSummary, rollback_id: Option<&str>) -> String {
    let mut ids = vec![summary.incident.to_string()];
    ids.extend(rollback_id.map(str::to_string));
    ids.iter()
        .map(|id| match journal.incident(id) {
            Ok(incident) => rollback::report(&incident).to_markdown(),
            Err(e) => format!("(incident {id} cannot be read: {e})\n"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn finish(args: &DrillArgs, summary: &DrillSummary, style: &Style) -> Result<(), CliError> {
    msgln!("\n{}", style.bold("Checks"));
    for check in &summary.checks {
        let mark = if check.ok {
            style.ok("ok  ")
        } else {
            style.bad("FAIL")
        };
        msgln!(
            "  {mark} {}: {}",
            check.what,
            ui::sanitize(&check.detail, false)
        );
    }
    msgln!("\n{}", style.bold("What was lost"));
    if !summary.data.lost.is_empty() {
        let bad = if args.scenario == Scenario::MultiApp {
            format!("api v{}", drill::monorepo::bad().api)
        } else {
            format!("v{}", drill::history::BAD)
        };
        msgln!("  the restore went back before {bad}'s deploy; these rows are gone:");
        for line in &summary.data.lost {
            msgln!("    {line}");
        }
    } else if !summary.data.kept_bad.is_empty() {
        msgln!("  nothing: the database was not restored, so the bad release's rows stay:");
        for text in &summary.data.kept_bad {
            msgln!("    {text}");
        }
    } else {
        msgln!("  nothing");
    }
    let ms = |v: Option<u64>| {
        v.map_or("-".to_string(), |ms| {
            ui::duration(Duration::from_millis(ms))
        })
    };
    msgln!("\n{}", style.bold("Timings (from the alert)"));
    msgln!(
        "  to the decision        {}",
        ms(summary.timings.to_decision_ms)
    );
    msgln!(
        "  to the deploy accepted {}",
        ms(summary.timings.to_deploy_accepted_ms)
    );
    msgln!(
        "  whole drill            {} (deploys shortened to {} each)",
        ms(Some(summary.timings.total_ms)),
        ui::duration(Duration::from_millis(summary.deploy_duration_ms))
    );
    if let Some(detection) = summary.timings.detection_ms {
        msgln!(
            "  detection: {:.1}s from the bad deploy's end to the incident",
            detection as f64 / 1000.0
        );
    }
    if let Some(action) = summary.timings.to_action_ms {
        msgln!(
            "  action: {:.1}s from the bad deploy's end to the feature switched off",
            action as f64 / 1000.0
        );
    }
    msgln!("\n{}", style.bold("Replay it by hand"));
    for line in &summary.replay {
        msgln!("  {line}");
    }
    if args.json {
        let value = serde_json::to_value(summary)
            .map_err(|e| CliError::failed(format!("cannot write the summary as JSON: {e}")))?;
        print_json(&value)?;
    } else {
        outln!("{}", summary.report);
    }
    if summary.reached {
        msgln!(
            "\n{}",
            style.ok(&format!(
                "The rehearsal reached its outcome: {}.",
                summary.expected
            ))
        );
        Ok(())
    } else {
        let failed: Vec<&str> = summary
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.what.as_str())
            .collect();
        Err(CliError::failed(format!(
            "the rehearsal did not reach its outcome: {}",
            failed.join("; ")
        ))
        .hint("the checks above say what production looks like instead"))
    }
}

/// What the person reads, on stderr: one line per step with its outcome
/// and duration, the alert, and the walk of the tree.
struct Printer {
    style: Style,
    auto: bool,
    /// The walk's language (the drill's own lines stay English).
    lang: Lang,
    steps: Vec<StepLine>,
    /// When the current action was planned.
    action_started: Option<Instant>,
}

impl Printer {
    fn new(style: Style, auto: bool, lang: Lang) -> Printer {
        Printer {
            style,
            auto,
            lang,
            steps: Vec::new(),
            action_started: None,
        }
    }

    fn line(&self, ok: bool, name: &str, detail: &str, ms: Option<u64>) {
        let mark = if ok {
            self.style.ok("ok  ")
        } else {
            self.style.bad("FAIL")
        };
        let took = ms
            .map(|ms| {
                self.style
                    .dim(&format!(" ({})", ui::duration(Duration::from_millis(ms))))
            })
            .unwrap_or_default();
        msgln!(
            "  {mark} {:<30} {}{took}",
            name,
            ui::sanitize(detail, false)
        );
    }

    fn failed(&mut self, step: &str, error: &str) {
        self.line(false, step, error, None);
    }
}

impl Reporter for Printer {
    fn step(&mut self, line: &StepLine) {
        self.line(line.ok, &line.name, &line.detail, Some(line.duration_ms));
        self.steps.push(line.clone());
    }

    fn alert(&mut self, text: &str) {
        msgln!(
            "\n  {} {}",
            self.style.bad(&self.style.bold("ALERT [monitoring]")),
            ui::sanitize(text, false)
        );
    }
}

impl Narrator for Printer {
    fn evidence(&mut self, probe: Probe, result: &ProbeResult) {
        // A person answering needs the evidence in full; a scripted walk
        // only shows what it points to.
        match result {
            Ok(ev) if !self.auto => {
                msgln!("    {}", words::evidence_header(self.lang, probe.name()));
                for line in &ev.lines {
                    msgln!("      {}", ui::sanitize(line, false));
                }
                if let (Some(s), Some(why)) = (&ev.suggestion, &ev.because) {
                    msgln!("    {}", words::suggested_answer(self.lang, s, why));
                }
            }
            Ok(ev) => {
                if let (Some(s), Some(why)) = (&ev.suggestion, &ev.because) {
                    msgln!(
                        "    {}",
                        self.style
                            .dim(&words::evidence_suggests(self.lang, probe.name(), s, why))
                    );
                }
            }
            Err(why) => msgln!(
                "    {}",
                self.style.warn(&words::evidence_unavailable(
                    self.lang,
                    probe.name(),
                    &ui::sanitize(why, false)
                ))
            ),
        }
    }

    /// A person answering reads the question once, from the prompter,
    /// right above its choices: here only its id, over the evidence.
    fn question(&mut self, node: &Node) {
        if !self.auto {
            msgln!("\n  {}", self.style.bold(&format!("[{}]", node.id)));
        }
    }

    /// A scripted walk's one line per question; after a person's answer,
    /// the question is on screen already.
    fn answered(&mut self, node: &Node, answer: &Answer, source: AnswerSource) {
        let label = answer.label.get(self.lang);
        match source {
            AnswerSource::Preset => msgln!(
                "  [{}] {} -> {label} ({})",
                node.id,
                node.text.get(self.lang),
                words::scripted(self.lang)
            ),
            AnswerSource::Prompt => msgln!(
                "  [{}] -> {label} ({})",
                node.id,
                words::your_answer(self.lang)
            ),
        }
    }

    fn plan(&mut self, node: &Node, lines: &[String]) {
        self.action_started = Some(Instant::now());
        msgln!(
            "\n  {} {}",
            self.style.bold(&format!("[{}]", node.id)),
            self.style.bold(node.text.get(self.lang))
        );
        for line in lines {
            msgln!("    - {}", ui::sanitize(line, false));
        }
    }

    fn progress(&mut self, line: &str) {
        msgln!("      {}", self.style.dim(&ui::sanitize(line, false)));
    }

    fn action_ended(&mut self, node: &Node, report: &ActionReport) {
        let ms = self
            .action_started
            .take()
            .map(|t| t.elapsed().as_millis() as u64)
            .unwrap_or_default();
        let (ok, detail) = match &report.outcome {
            ActionOutcome::Done => (true, report.lines.join("; ")),
            ActionOutcome::DryRun => (true, "dry run".to_string()),
            ActionOutcome::Failed { error, .. } => (false, error.clone()),
        };
        let line = StepLine {
            name: format!("{} {}", node.id, report.action),
            ok,
            detail,
            duration_ms: ms,
        };
        Reporter::step(self, &line);
    }

    fn ticket(&mut self, draft: &TicketDraft) {
        if let Some(path) = &draft.path {
            msgln!(
                "      {}",
                self.style.dim(&format!("ticket draft: {}", path.display()))
            );
        }
    }
}
