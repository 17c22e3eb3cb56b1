//! `rewind watch [APP] [--for 15m] [--policy notify|ask|auto]`: watch a
//! release right after it ships. Follows the newest deployment to its end, learns a
//! baseline from the router metrics before it, then checks the health URL,
//! the 5XX share, crash events and the app's status until `--for` is up.
//! A threshold crossed opens an incident, tells the team with the evidence
//! and the command to run next, and exits 1 (even when `auto` or `ask`
//! then fixed it: a bad release shipped, CI must notice); a quiet release
//! says so and exits 0, posting nothing. The work is in `rewind_core::watch`.

use std::time::Duration;

use clap::Args;
use rewind_core::config::{AppConfig, format_duration, parse_duration};
use rewind_core::follow::{FollowEvent, FollowOptions};
use rewind_core::guide::{ActionOutcome, GuideOptions, Tools};
use rewind_core::rollback::ARCHIVE_TEMPLATE_ENV;
use rewind_core::secret::Secret;
use rewind_core::tree::{Lang, Tree};
use rewind_core::watch::{
    self, Acted, DEFAULT_POLL, Policy, REQUESTS_PER_ROUND, Target, WatchError, WatchEvent,
    WatchOptions, WatchOutcome,
};
use serde_json::json;

use crate::cli_error::{CliError, ErrorKind};
use crate::context::{Context, Global};
use crate::ui;

/// The pause between rounds, in milliseconds, for tests and rehearsals
/// on the sandbox only: a short pause spends Scalingo's request budget.
const POLL_ENV: &str = "REWIND_WATCH_POLL_MS";

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The apps (as named in rewind.toml), watched together within one
    /// request budget. Default: the only app.
    #[arg(value_name = "APP", conflicts_with = "all")]
    apps: Vec<String>,

    /// Watch every app of rewind.toml.
    #[arg(long)]
    all: bool,

    /// How long to watch after the deploy's end (`90s`, `15m`, `1h`).
    #[arg(long = "for", value_name = "DURATION", default_value = "15m", value_parser = parse_for)]
    duration: Duration,

    /// What to do when a threshold is crossed: `notify` (open an incident,
    /// tell the team, exit 1); `ask` (the same, then ask to confirm the
    /// proposed action on a terminal); `auto` (carry out the action the
    /// evidence decides, when `[apps.watch] auto` allows it). Exit 1 in
    /// every case: a bad release shipped.
    #[arg(long, value_name = "POLICY", default_value = "notify", value_parser = parse_policy)]
    policy: String,

    /// Print one JSON document on stdout at the end (outcome, signal,
    /// evidence, decision, action, timings: docs/watch.md); the message's
    /// lines then go to stderr.
    #[arg(long)]
    json: bool,
}

fn parse_for(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err("expected a duration such as `90s`, `15m` or `1h`".into()),
    }
}

fn parse_policy(text: &str) -> Result<String, String> {
    if watch::POLICIES.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!("expected one of: {}", watch::POLICIES.join(", ")))
    }
}

/// The pause between rounds: `REWIND_WATCH_POLL_MS` when set (tests and
/// rehearsals), else the default that keeps the watch within a third of
/// Scalingo's request limit.
fn poll() -> Result<Duration, CliError> {
    match std::env::var(POLL_ENV) {
        Err(_) => Ok(DEFAULT_POLL),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(CliError::config(format!(
                "{POLL_ENV} must be a number of milliseconds above zero, not `{text}`"
            ))
            .hint(format!("unset {POLL_ENV}: it is for tests and rehearsals"))),
        },
    }
}

pub fn run(args: WatchArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let mut apps: Vec<&AppConfig> = Vec::new();
    if args.all {
        apps.extend(ctx.config.apps.iter());
    } else if args.apps.is_empty() {
        apps.push(ctx.app(None)?);
    } else {
        for name in &args.apps {
            let app = ctx.app(Some(name))?;
            if !apps.iter().any(|a| a.name == app.name) {
                apps.push(app);
            }
        }
    }
    let tree = super::guide::load_tree(ctx.config.tree.as_deref())?;
    let lang = super::guide::lang(None);
    let poll = watch::pace_for(poll()?, apps.len());
    if let [app] = apps.as_slice() {
        return watch_app(&ctx, app, &args, poll, &tree, lang, "");
    }
    if args.policy == "ask" {
        return Err(CliError::config(
            "--policy ask watches one app at a time: one person confirms one action",
        )
        .hint("use notify or auto with several apps, or run one `rewind watch APP --policy ask` per app"));
    }
    if args.json {
        return Err(CliError::config("--json watches one app at a time")
            .hint("run one `rewind watch APP --json` per app"));
    }
    msgln!(
        "watching {} apps together ({}): one round for each every {}, {:.0} API requests a minute in all",
        apps.len(),
        apps.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        format_duration(poll),
        watch::requests_per_minute(poll, apps.len()),
    );
    let results: Vec<(String, Result<(), CliError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = apps
            .iter()
            .map(|app| {
                let (ctx, args, tree) = (&ctx, &args, &tree);
                let prefix = format!("[{}] ", app.name);
                (
                    app.name.clone(),
                    scope.spawn(move || watch_app(ctx, app, args, poll, tree, lang, &prefix)),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                let result = h.join().unwrap_or_else(|_| {
                    Err(CliError::failed(format!(
                        "the watch of {name} stopped unexpectedly"
                    )))
                });
                (name, result)
            })
            .collect()
    });
    let mut failed = Vec::new();
    let mut interrupted = false;
    for (name, result) in results {
        match result {
            Ok(()) => msgln!("{name}: quiet release"),
            Err(e) => {
                errln!(
                    "error: {name}: {}",
                    ui::sanitize(&e.error.to_string(), false)
                );
                for hint in &e.hints {
                    errln!("hint: {}", ui::sanitize(hint, false));
                }
                interrupted |= e.kind == ErrorKind::Interrupted;
                failed.push(name);
            }
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let kind = if interrupted {
        ErrorKind::Interrupted
    } else {
        ErrorKind::Failed
    };
    Err(CliError::new(
        kind,
        format!(
            "{} of {} apps crossed a threshold or could not be watched: {}",
            failed.len(),
            apps.len(),
            failed.join(", ")
        ),
    )
    .hint("each app's lines above say what happened and what to run next"))
}

/// Watches one app (`prefix` before its progress lines when several are
/// watched together) and raises its incident when a threshold is crossed.
fn watch_app(
    ctx: &Context,
    app: &AppConfig,
    args: &WatchArgs,
    poll: Duration,
    tree: &Tree,
    lang: Lang,
    prefix: &str,
) -> Result<(), CliError> {
    let platform = ctx.platform(app)?;
    let git = ctx.git();
    let opts = WatchOptions {
        duration: args.duration,
        poll,
        follow: FollowOptions {
            poll_interval: poll.min(FollowOptions::default().poll_interval),
            ..FollowOptions::default()
        },
    };
    let target = Target {
        app: &app.name,
        health_url: app.health_check.as_ref().map(|h| h.url.as_str()),
        expect_status: app.health_check.as_ref().map_or(200, |h| h.expect_status),
        config: &app.watch,
    };
    msgln!(
        "watching {} for {} (policy {}): health, 5XX against the baseline, crashes, the app's status; {} API requests every {}",
        app.name,
        format_duration(args.duration),
        args.policy,
        REQUESTS_PER_ROUND,
        format_duration(poll),
    );
    let outcome = watch::watch(&platform, &target, &opts, &ctx.interrupt, &mut |e| {
        show(prefix, e)
    });
    let (watched, signal, at) = match outcome {
        Err(WatchError::Interrupted { phase }) => {
            let incident = watch::interrupted(&ctx.journal, &app.name, phase)?;
            return Err(CliError::new(
                ErrorKind::Interrupted,
                WatchError::Interrupted { phase },
            )
            .hint(format!(
                "nothing was changed; journaled as {}; run `rewind watch {}` again to watch the release",
                incident.as_str(),
                app.name
            )));
        }
        Err(e) => {
            let hints = e.hints();
            let mut error = CliError::failed(e);
            for hint in hints {
                error = error.hint(hint);
            }
            return Err(error);
        }
        Ok(WatchOutcome::Quiet(watched)) => {
            let webhook = ctx.config.webhook_url(app);
            let said = match webhook {
                Some(url) if app.watch.healthy_message => {
                    let line = watch::healthy_line(&app.name, &watched, args.duration);
                    match rewind_core::notify::post_webhook(url, &line) {
                        Ok(()) => "the team was told the release looks healthy".to_string(),
                        Err(e) => {
                            errln!("warning: the release looks healthy, but {e}");
                            for hint in e.hints() {
                                errln!("hint: {hint}");
                            }
                            "the healthy message could not be posted".to_string()
                        }
                    }
                }
                None if app.watch.healthy_message => {
                    "no webhook_url in rewind.toml: nothing posted".to_string()
                }
                _ => "nothing posted".to_string(),
            };
            msgln!(
                "quiet release: deployment {} crossed no threshold in {} ({} rounds of checks); {said}",
                watched.deployment.id,
                format_duration(args.duration),
                watched.rounds,
            );
            if args.json {
                let mut doc = document(&app.name, &args.policy, &watched, args.duration);
                doc["outcome"] = json!("quiet");
                super::rollback::print_json(&doc)?;
            }
            return Ok(());
        }
        Ok(WatchOutcome::Fired {
            watched,
            signal,
            at,
        }) => (watched, signal, at),
    };
    msgln!("threshold crossed: {}", signal.describe());
    msgln!("gathering the evidence and opening an incident");
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
        crate::context::journal_dir(&ctx.repo),
        ctx.journal.backup_dir(&app.name),
        &ctx.actor(),
    );
    options.archive_template = std::env::var(ARCHIVE_TEMPLATE_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new);
    let prompter = crate::context::prompter_in(lang);
    let policy = match args.policy.as_str() {
        "auto" => Policy::Auto,
        "ask" => Policy::Ask(&*prompter),
        _ => Policy::Notify,
    };
    let mut progress = |line: &str| msgln!("  {}", ui::sanitize(line, false));
    let raised = watch::raise(
        &tools,
        tree,
        &options,
        policy,
        &watched,
        &signal,
        at,
        &mut progress,
    )?;
    for line in &raised.lines {
        if args.json {
            msgln!("{}", ui::sanitize(line, false));
        } else {
            outln!("{line}");
        }
    }
    match &raised.notified {
        None => msgln!("no webhook_url in rewind.toml: the team was not told; tell them by hand"),
        Some(Ok(())) => msgln!("the team was told on its webhook"),
        Some(Err(e)) => {
            errln!("warning: {e}");
            for hint in e.hints() {
                errln!("hint: {hint}");
            }
        }
    }
    let done = match &raised.acted {
        Acted::Notified => String::new(),
        Acted::NotCarried(why) => {
            msgln!(
                "policy {}: nothing was changed: {}",
                args.policy,
                ui::sanitize(why, false)
            );
            String::new()
        }
        Acted::Carried(report) => match &report.outcome {
            ActionOutcome::Failed { error, hints, .. } => {
                errln!("`{}` failed: {}", report.action, ui::sanitize(error, false));
                for hint in hints {
                    errln!("hint: {}", ui::sanitize(hint, false));
                }
                format!("; `{}` failed", report.action)
            }
            _ => {
                msgln!("policy {}: `{}` is done", args.policy, report.action);
                format!("; `{}` done", report.action)
            }
        },
    };
    if args.json {
        let mut doc = document(&app.name, &args.policy, &watched, args.duration);
        doc["outcome"] = json!("fired");
        doc["incident"] = json!(raised.incident.as_str());
        doc["signal"] = json!({
            "name": signal.name(),
            "description": signal.describe(),
            "data": signal,
        });
        doc["evidence"] = json!({
            "answers": raised
                .answers
                .iter()
                .map(|(q, a)| format!("{q}={a}"))
                .collect::<Vec<_>>(),
            "next": raised.next,
            "message": raised.lines,
            "notified": match &raised.notified {
                None => json!(null),
                Some(Ok(())) => json!(true),
                Some(Err(_)) => json!(false),
            },
        });
        doc["decision"]["proposal"] = match &raised.proposal {
            Some(p) => json!({"node": p.node, "action": p.kind.name()}),
            None => json!(null),
        };
        doc["action"] = match &raised.acted {
            Acted::Notified => json!(null),
            Acted::NotCarried(why) => json!({"outcome": "not_carried", "why": why}),
            Acted::Carried(report) => json!({
                "node": report.node,
                "action": report.action,
                "outcome": match &report.outcome {
                    ActionOutcome::Failed { .. } => "failed",
                    _ => "done",
                },
                "error": match &report.outcome {
                    ActionOutcome::Failed { error, .. } => json!(error),
                    _ => json!(null),
                },
                "lines": report.lines,
                "rollback_incident": report.rollback_incident,
            }),
        };
        doc["timings"]["detected_at"] = json!(at);
        doc["timings"]["detection_seconds"] =
            json!((at - watched.ended_at).num_milliseconds() as f64 / 1000.0);
        super::rollback::print_json(&doc)?;
    }
    let error = CliError::failed(format!(
        "{} crossed a threshold after deployment {}: {} (incident {}){done}",
        app.name,
        watched.deployment.id,
        signal.name(),
        raised.incident.as_str()
    ));
    Err(match &raised.acted {
        Acted::Carried(report) if !matches!(report.outcome, ActionOutcome::Failed { .. }) => error
            .hint(format!(
                "the bad release is contained; `rewind report {}` tells what was done",
                raised.incident.as_str()
            )),
        _ => error.hint(format!("run `{}`", raised.next)),
    })
}

/// The JSON document's common part (docs/watch.md, "JSON output"): the
/// caller fills in what the outcome adds.
fn document(
    app: &str,
    policy: &str,
    watched: &rewind_core::watch::Watched,
    duration: Duration,
) -> serde_json::Value {
    json!({
        "app": app,
        "outcome": null,
        "deployment": {
            "id": watched.deployment.id,
            "git_ref": watched.deployment.git_ref,
            "status": watched.deployment.status.to_string(),
        },
        "baseline": {
            "minutes": watched.baseline.minutes,
            "requests": watched.baseline.requests,
            "errors": watched.baseline.errors,
            "ratio": watched.baseline.ratio(),
        },
        "signal": null,
        "evidence": null,
        "decision": {"policy": policy, "proposal": null},
        "action": null,
        "incident": null,
        "timings": {
            "deploy_ended_at": watched.ended_at,
            "detected_at": null,
            "detection_seconds": null,
            "watch_seconds": duration.as_secs(),
            "rounds": watched.rounds,
        },
    })
}

fn show(prefix: &str, event: WatchEvent) {
    match event {
        WatchEvent::Following { deployment_id } => {
            msgln!("{prefix}following deployment {deployment_id} to its end");
        }
        WatchEvent::Follow(FollowEvent::Status(status)) => msgln!("{prefix}  {status}"),
        WatchEvent::Follow(FollowEvent::Log(_)) => {}
        WatchEvent::Follow(FollowEvent::Note(note)) => msgln!("{prefix}  note: {note}"),
        WatchEvent::Baseline(b) => msgln!(
            "{prefix}baseline before the deploy: {:.1}% 5XX over {} requests in {} minutes",
            b.ratio() * 100.0,
            b.requests,
            b.minutes
        ),
        WatchEvent::Watching {
            until,
            health_url,
            threshold,
        } => msgln!(
            "{prefix}watching until {} UTC: health at {}, 5XX threshold {:.1}%",
            until.format("%H:%M:%S"),
            rewind_core::redact::display_url(&health_url),
            threshold * 100.0
        ),
        WatchEvent::Note(note) => msgln!("{prefix}note: {}", ui::sanitize(&note, false)),
    }
}
