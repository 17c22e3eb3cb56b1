//! `rewind report ID`: an incident as Markdown for a ticket or a postmortem
//! (who, when, from which release to which, why, what was removed, each
//! step with its duration, the deployments), or as JSON.

use clap::Args;
use rewind_core::rollback;

use crate::cli_error::CliError;
use crate::commands::rollback::print_json;
use crate::context::{Context, Global};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The incident's id (`rewind journal` lists them), or a unique prefix.
    id: String,

    /// Print the report as JSON instead of Markdown.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ReportArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let parts = ctx.journal.parts(&args.id)?;
    if parts[0].is_several_apps() {
        let report = rollback::fleet_report(&parts);
        if args.json {
            return print_json(&serde_json::to_value(&report).map_err(CliError::failed)?);
        }
        out!("{}", report.to_markdown());
        return Ok(());
    }
    let incident = &parts[0];
    let report = rollback::report(incident);
    if args.json {
        return print_json(&serde_json::to_value(&report).map_err(CliError::failed)?);
    }
    out!("{}", report.to_markdown());
    Ok(())
}
