//! `rewind hold APP` and `rewind unhold APP`: switch the SCM link's
//! auto-deploy off so that the next merge does not ship while an incident
//! is handled, and back on once the fix is merged. Both are journaled;
//! `rewind status` shows a hold. Several apps (`APP APP…` or `--all`) are
//! changed one after the other, each on its own: one that fails does not
//! stop the others, and the exit code says one failed.

use clap::Args;
use rewind_core::hold;

use crate::cli_error::CliError;
use crate::commands::rollback::into_cli_error;
use crate::context::{Context, Global};

#[derive(Debug, Args)]
pub struct HoldArgs {
    /// The app (as named in rewind.toml), or several. Default: the only
    /// app.
    #[arg(value_name = "APP")]
    apps: Vec<String>,

    /// Every app of rewind.toml.
    #[arg(long, conflicts_with = "apps")]
    all: bool,

    /// Why: kept in the journal.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

pub fn run_hold(args: HoldArgs, global: &Global) -> Result<(), CliError> {
    change(args, global, false)
}

pub fn run_unhold(args: HoldArgs, global: &Global) -> Result<(), CliError> {
    change(args, global, true)
}

fn change(args: HoldArgs, global: &Global, enable: bool) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let apps = crate::commands::rollback::several::chosen(&ctx, &args.apps, args.all)?;
    if let [app] = apps.as_slice() {
        return change_one(&ctx, app, args.reason.as_deref(), enable);
    }
    let mut failed = Vec::new();
    for app in &apps {
        if let Err(e) = change_one(&ctx, app, args.reason.as_deref(), enable) {
            errln!("error: {}: {}", app.name, e.error);
            for hint in &e.hints {
                errln!("hint: {hint}");
            }
            failed.push(app.name.as_str());
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    let done: Vec<&str> = apps
        .iter()
        .map(|a| a.name.as_str())
        .filter(|a| !failed.contains(a))
        .collect();
    Err(CliError::failed(format!(
        "auto-deploy could not be switched {} for {}{}",
        if enable { "on" } else { "off" },
        failed.join(", "),
        if done.is_empty() {
            String::new()
        } else {
            format!(" (done for {})", done.join(", "))
        }
    )))
}

fn change_one(
    ctx: &Context,
    app: &rewind_core::config::AppConfig,
    reason: Option<&str>,
    enable: bool,
) -> Result<(), CliError> {
    let platform = ctx.platform(app)?;
    let who = ctx.actor();
    let change = if enable {
        hold::unhold(&platform, &ctx.journal, &app.name, &who, reason)
    } else {
        hold::hold(&platform, &ctx.journal, &app.name, &who, reason)
    }
    .map_err(|e| into_cli_error(e.into()))?;
    let state = |on: bool| if on { "on" } else { "off" };
    if change.was_enabled == change.enabled {
        msgln!(
            "{}: auto-deploy was {} already (recorded as {})",
            app.name,
            state(change.enabled),
            change.incident
        );
    } else {
        msgln!(
            "{}: auto-deploy switched {} (recorded as {})",
            app.name,
            state(change.enabled),
            change.incident
        );
    }
    if !enable {
        msgln!("`rewind unhold {}` switches it back on", app.name);
    }
    Ok(())
}
