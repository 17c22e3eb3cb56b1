//! `rewind hold APP` and `rewind unhold APP`: switch the SCM link's
//! auto-deploy off so that the next merge does not ship while an incident
//! is handled, and back on once the fix is merged. Both are journaled;
//! `rewind status` shows a hold.

use clap::Args;
use rewind_core::rollback;

use crate::cli_error::CliError;
use crate::commands::rollback::into_cli_error;
use crate::context::{Context, Global};

#[derive(Debug, Args)]
pub struct HoldArgs {
    /// The app (as named in rewind.toml). Default: the only app.
    app: Option<String>,

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
    let app = ctx.app(args.app.as_deref())?;
    let platform = ctx.platform(app)?;
    let who = ctx.actor();
    let reason = args.reason.as_deref();
    let change = if enable {
        rollback::unhold(&platform, &ctx.journal, &app.name, &who, reason)
    } else {
        rollback::hold(&platform, &ctx.journal, &app.name, &who, reason)
    }
    .map_err(into_cli_error)?;
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
