//! `rewind resume ID`: finish a rollback that was interrupted, from the
//! first step the journal does not know is complete. Git and the platform
//! are read again first, so a deployment already started is followed, not
//! started twice.

use clap::Args;
use rewind_core::i18n::Lang;
use rewind_core::journal::{EntryKind, Incident, IncidentState};
use rewind_core::rollback::{self, Plan, RunOptions, Tools};

use crate::cli_error::{CliError, ErrorKind};
use crate::commands::rollback::several::{self, ResumeAsk};
use crate::commands::rollback::{Lines, archive_template, finish, into_cli_error, print_database};
use crate::context::{self, Context, Global};
use crate::ui::Style;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The incident's id (`rewind journal` lists them), or a unique prefix.
    id: String,

    /// Do not ask for confirmation (scripts).
    #[arg(long)]
    yes: bool,

    /// Resume even while another rollback of the app is unfinished or
    /// another deployment is running.
    #[arg(long)]
    force: bool,

    /// Print the final summary as JSON on stdout.
    #[arg(long)]
    json: bool,

    /// Show the deployment's build log while following it.
    #[arg(long)]
    verbose: bool,

    /// When rewind was cut short while asking for the database restore and
    /// cannot tell whether it ran: what the database's operations in the
    /// Scalingo dashboard show. `yes` goes on without restoring; `no` asks
    /// for the restore now.
    #[arg(long, value_name = "yes|no", value_parser = crate::commands::parse_yes_no)]
    restore_ran: Option<bool>,
}

pub fn run(args: ResumeArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let mut incident = ctx.journal.incident(&args.id)?;
    // A guide walk is finished by finishing the rollback it started.
    if incident.opening["command"].as_str() == Some("guide") {
        let incidents = ctx.journal.incidents()?;
        let Some(id) = rollback::guide_rollback(&incidents, &incident) else {
            return walk_again(&incident, &args, global);
        };
        msgln!(
            "incident {} is a guide walk: finishing its rollback, incident {id}",
            incident.id
        );
        incident = ctx.journal.incident(&id)?;
    }
    if incident.is_several_apps() {
        let ask = ResumeAsk {
            yes: args.yes,
            force: args.force,
            json: args.json,
            verbose: args.verbose,
            restore_ran: args.restore_ran,
        };
        return several::resume(&ctx, incident.id.as_str(), &ask);
    }
    let id = incident.id.to_string();
    let app = ctx.app(Some(&incident.app))?;
    ctx.require_repository("resume")?;
    let platform = ctx.platform(app)?;
    let git = ctx.git();
    let tools = Tools {
        platform: &platform,
        git: &git,
        journal: &ctx.journal,
        interrupt: &ctx.interrupt,
    };
    let style = Style::stderr();
    let plan: Option<Plan> = serde_json::from_value(incident.opening["plan"].clone()).ok();
    // One that succeeded, or that is not a rollback: the core says why.
    let resumable = plan.as_ref().filter(|_| match &incident.state {
        IncidentState::Closed(outcome) => rollback::resumable_outcome(outcome),
        _ => true,
    });
    if let Some(plan) = resumable {
        msgln!(
            "resuming incident {}: {} from {} to {}",
            incident.id,
            plan.app,
            plan.from.label,
            plan.to.label
        );
        for step in &plan.steps {
            let state = incident
                .step(step.id.as_str())
                .map(|s| s.state.label().to_string())
                .unwrap_or_else(|| "not started".into());
            msgln!("  {:<9} {state}", step.id);
        }
        // What is at stake for the data, before the person says yes again.
        if let Some(database) = plan.database.as_ref().filter(|d| d.restore.is_some()) {
            print_database(database, plan, &style);
        }
        if !args.yes {
            let question = format!("Resume the rollback of {} to {}?", plan.app, plan.to.label);
            if !context::prompter().confirm_typed(&question, &plan.app)? {
                return Err(CliError::new(
                    ErrorKind::Refused,
                    "resume aborted: nothing was changed",
                ));
            }
        }
    }
    let template = archive_template();
    let who = ctx.actor();
    let options = RunOptions {
        reason: incident.opening["reason"].as_str(),
        archive_template: template.as_ref(),
        webhook: ctx.config.webhook_url(app),
        force: args.force,
        restore_ran: args.restore_ran,
        ..RunOptions::new(app, &who)
    };
    let mut progress = Lines::new(
        plan.as_ref().map_or(&[][..], |p| &p.steps),
        args.verbose,
        style,
    );
    let summary = rollback::resume(&tools, &id, args.force, &options, &mut progress)
        .map_err(into_cli_error)?;
    finish(&summary, args.json, &style)
}

/// A guide walk that stopped before it started a rollback (a failed
/// restore, a refusal): walked again with the answers it recorded.
fn walk_again(incident: &Incident, args: &ResumeArgs, global: &Global) -> Result<(), CliError> {
    if let IncidentState::Closed(outcome) = &incident.state
        && (outcome == "succeeded" || outcome == "dry-run")
    {
        return Err(CliError::new(
            ErrorKind::Config,
            format!(
                "guide incident {} is closed ({outcome}): there is nothing to resume",
                incident.id
            ),
        )
        .hint(format!("`rewind report {}` tells what it did", incident.id)));
    }
    let answers: Vec<String> = incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Answer)
        .filter_map(|e| {
            let question = e.data["question"].as_str()?;
            let answer = e.data["answer"].as_str()?;
            (question != "went_well").then(|| format!("{question}={answer}"))
        })
        .collect();
    if answers.is_empty() {
        return Err(CliError::new(
            ErrorKind::Refused,
            format!(
                "guide incident {} stopped before any question was answered: nothing was done",
                incident.id
            ),
        )
        .hint("run `rewind guide` again"));
    }
    let lang = match incident.opening["lang"].as_str() {
        Some("fr") => Some(Lang::Fr),
        Some("en") => Some(Lang::En),
        _ => None,
    };
    let no_db = incident.opening["no_db"].as_bool().unwrap_or(false);
    msgln!(
        "incident {} is a guide walk that started no rollback: walking the tree again with its answers ({}); what it did is not done twice",
        incident.id,
        answers.join(",")
    );
    let apps = match incident.apps() {
        apps if apps.is_empty() => vec![incident.app.clone()],
        apps => apps,
    };
    crate::commands::guide::walk_again(
        apps,
        answers,
        lang,
        no_db,
        args.yes,
        args.restore_ran,
        global,
    )
}
