//! `rewind unlock APP`: take away the app's team lock when the teammate
//! who holds it is gone (laptop closed, rewind killed). The lock is shown
//! first, the person types the app's name (or passes `--yes`), and only
//! the lock that was shown is removed; the journal says who did it and why.

use clap::Args;
use rewind_core::team::{self, Unlocked};

use crate::cli_error::{CliError, ErrorKind};
use crate::context::{self, Context, Global};

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The app (as named in rewind.toml). Default: the only app.
    app: Option<String>,

    /// Why: kept in the journal.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    /// Do not ask: for scripts that know the holder is gone.
    #[arg(long)]
    yes: bool,
}

pub fn run(args: UnlockArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let app = ctx.app(args.app.as_deref())?;
    let git = ctx.git();
    let Some(place) = app.team.as_ref() else {
        msgln!(
            "{}: the team shares no lock ([team] shared = false in rewind.toml): nothing to remove",
            app.name
        );
        return Ok(());
    };
    let remote = place.remote.as_str();
    let refname = team::lock::lock_ref(&place.refs.locks, &app.name);
    let seen = team::lock::read(&git, remote, &place.refs.locks, &app.name).map_err(|e| {
        CliError::new(ErrorKind::Failed, e).hint(format!(
            "check that the remote `{remote}` answers (`git ls-remote {remote}`)"
        ))
    })?;
    let Some(seen) = seen else {
        msgln!(
            "{}: no team lock ({refname} is not on {remote}): nothing to remove",
            app.name
        );
        return Ok(());
    };
    let holder = seen.holder.as_ref().map_or_else(
        || "someone (not a lock rewind wrote)".to_string(),
        |h| h.describe(),
    );
    msgln!(
        "{}: the team lock {refname} on {remote} is held by {holder}",
        app.name
    );
    msgln!(
        "Remove it only if their rewind is gone: a rollback still running would no longer stop a second one."
    );
    if !args.yes {
        let question = format!("Remove the team lock of {}?", app.name);
        if !context::prompter().confirm_typed(&question, &app.name)? {
            return Err(CliError::new(
                ErrorKind::Refused,
                "not confirmed: the lock stays",
            ));
        }
    }
    let outcome = team::remove_lock(
        &ctx.journal,
        &git,
        place,
        &app.name,
        &ctx.actor(),
        args.reason.as_deref(),
        &seen,
    )
    .map_err(|e| CliError::new(ErrorKind::Failed, e))?;
    match outcome {
        Unlocked::Removed { incident } => {
            msgln!("{}: team lock removed (recorded as {incident})", app.name);
            Ok(())
        }
        Unlocked::Moved => Err(CliError::new(
            ErrorKind::Refused,
            format!(
                "the team lock of {} changed since it was shown: nothing was removed",
                app.name
            ),
        )
        .hint(format!(
            "run `rewind unlock {}` again to see who holds it now",
            app.name
        ))),
    }
}
