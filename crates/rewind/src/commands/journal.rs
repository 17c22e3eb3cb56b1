//! `rewind journal`: the incidents rewind recorded, one line each, and
//! `rewind journal show ID`: one incident's entries in order, as recorded.

use clap::{Args, Subcommand};
use rewind_core::journal::{Incident, IncidentState};
use rewind_core::rollback;

use crate::cli_error::CliError;
use crate::commands::rollback::print_json;
use crate::context::{Context, Global};

#[derive(Debug, Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: Option<JournalCommand>,

    /// Print as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Every entry of one incident, in order.
    Show {
        /// The incident's id, or a unique prefix of it.
        id: String,
    },
}

pub fn run(args: JournalArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    match args.command {
        None => list(&ctx, args.json),
        Some(JournalCommand::Show { id }) => show(&ctx, &id, args.json),
    }
}

fn state(incident: &Incident) -> String {
    match &incident.state {
        IncidentState::Open => "open".to_string(),
        IncidentState::Interrupted => "interrupted".to_string(),
        IncidentState::Closed(outcome) => outcome.clone(),
    }
}

fn list(ctx: &Context, json: bool) -> Result<(), CliError> {
    let incidents = ctx.journal.incidents()?;
    let unfinished = rollback::resumable(&incidents);
    // A rollback of several apps is a row per app: the app whose part
    // succeeded has nothing to finish, even when another app's part has.
    let part_done = |i: &rewind_core::journal::Incident| matches!(&i.state, IncidentState::Closed(o) if !rollback::resumable_outcome(o));
    let resumable_row =
        |i: &rewind_core::journal::Incident| unfinished.contains(&i.id) && !part_done(i);
    if json {
        let rows: Vec<_> = incidents
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id,
                    "app": i.app,
                    "command": i.opening["command"],
                    "opened_at": i.opened_at,
                    "state": state(i),
                    "from": i.opening["from"],
                    "to": i.opening["to"],
                    "user": i.opening["user"],
                    "resumable": resumable_row(i),
                })
            })
            .collect();
        return print_json(&serde_json::Value::Array(rows));
    }
    if incidents.is_empty() {
        msgln!(
            "the journal ({}) holds no incident yet",
            ctx.journal.path().display()
        );
        return Ok(());
    }
    outln!(
        "{:<22} {:<16} {:<9} {:<20} {:<12} WHAT",
        "ID",
        "APP",
        "COMMAND",
        "OPENED",
        "STATE"
    );
    for i in &incidents {
        let what = match (i.opening["from"].as_str(), i.opening["to"].as_str()) {
            (Some(from), Some(to)) => format!("{from} -> {to}"),
            _ => String::new(),
        };
        outln!(
            "{:<22} {:<16} {:<9} {:<20} {:<12} {what}",
            i.id,
            i.app,
            i.opening["command"].as_str().unwrap_or("?"),
            i.opened_at.format("%Y-%m-%d %H:%M:%S"),
            state(i),
        );
    }
    let mut resumable: Vec<&str> = incidents
        .iter()
        .filter(|i| resumable_row(i))
        .map(|i| i.id.as_str())
        .collect();
    resumable.dedup();
    if !resumable.is_empty() {
        msgln!(
            "\nnot finished: `rewind resume ID` finishes {} without redoing what was done",
            resumable.join(", ")
        );
    }
    Ok(())
}

fn show(ctx: &Context, id: &str, json: bool) -> Result<(), CliError> {
    let parts = ctx.journal.parts(id)?;
    let incident = &parts[0];
    // A rollback of several apps: every app's entries, in the order they
    // were written, each with its app.
    let mut entries: Vec<&rewind_core::journal::Entry> =
        parts.iter().flat_map(|p| &p.entries).collect();
    let several = parts.len() > 1;
    if several {
        entries.sort_by_key(|e| e.at);
    }
    if json {
        return print_json(&serde_json::to_value(&entries).map_err(CliError::failed)?);
    }
    if several {
        let states: Vec<String> = parts
            .iter()
            .map(|p| format!("{}: {}", p.app, state(p)))
            .collect();
        outln!("incident {} ({})", incident.id, states.join(", "));
    } else {
        outln!(
            "incident {} ({}, {})",
            incident.id,
            incident.app,
            state(incident)
        );
    }
    for entry in entries {
        let kind = serde_json::to_value(&entry.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let kind = if several {
            format!("[{}] {kind}", entry.app)
        } else {
            kind
        };
        let mut data = entry.data.clone();
        // The plan is long: `rewind report` shows it properly.
        if let Some(map) = data.as_object_mut() {
            map.remove("plan");
        }
        let data = if data.is_null() {
            String::new()
        } else {
            data.to_string()
        };
        outln!(
            "{}  {:<18} {:<9} {data}",
            entry.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            kind,
            entry.step.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
