//! `rewind unmark [APP] VERSION --reason TEXT`: take back a bad mark (a
//! release marked bad by mistake, or fixed and re-tagged). The journal —
//! shared with the team when it is — says who did it and why, so every
//! teammate's `status` and `rollback` consider the release again.

use clap::Args;
use rewind_core::git::Git;
use rewind_core::journal::{BadMark, BadMarks};
use rewind_core::release;

use crate::cli_error::{CliError, ErrorKind};
use crate::context::{Context, Global};

#[derive(Debug, Args)]
pub struct UnmarkArgs {
    /// The app (as named in rewind.toml) then the release (`1.3.0`,
    /// `v1.3.0`, or its tag); the app may be left out when there is one.
    #[arg(value_name = "[APP] VERSION", num_args = 1..=2, required = true)]
    words: Vec<String>,

    /// Why the release is not bad after all: kept in the journal.
    #[arg(long, value_name = "TEXT", required = true)]
    reason: String,
}

pub fn run(args: UnmarkArgs, global: &Global) -> Result<(), CliError> {
    let (app, version) = match args.words.as_slice() {
        [version] => (None, version.as_str()),
        [app, version] => (Some(app.as_str()), version.as_str()),
        _ => unreachable!("clap takes one or two words"),
    };
    if args.reason.trim().is_empty() {
        return Err(CliError::new(ErrorKind::Config, "--reason cannot be empty")
            .hint("say why the release is not bad after all: the team reads it in the journal"));
    }
    let ctx = Context::load(global)?;
    let app = ctx.app(app)?;
    let marks = BadMarks::read(&ctx.journal, &app.name)?;
    if marks.marks.is_empty() {
        msgln!(
            "{}: no release is marked bad: nothing to take back",
            app.name
        );
        return Ok(());
    }
    let (tag, commit, label) = release_of(&ctx, app, version, &marks.marks)?;
    let taken = marks.unmark(
        &ctx.journal,
        &app.name,
        tag.as_deref(),
        commit.as_deref(),
        &label,
        &ctx.actor(),
        args.reason.trim(),
    )?;
    match taken {
        Some((incident, taken)) => {
            let by: Vec<&str> = taken.iter().map(|m| m.incident.as_str()).collect();
            msgln!(
                "{}: {label} is no longer marked bad (marked by {}; recorded as {incident})",
                app.name,
                by.join(", ")
            );
            msgln!("`rewind status` and `rewind rollback` consider it again");
            Ok(())
        }
        None => Err(not_marked(&app.name, version, &marks.marks)),
    }
}

/// The tag, commit and label of the release `input` names: from the
/// repository's tags when it has the tag, else from the marks themselves
/// (a tag deleted since).
fn release_of(
    ctx: &Context,
    app: &rewind_core::config::AppConfig,
    input: &str,
    marks: &[BadMark],
) -> Result<(Option<String>, Option<String>, String), CliError> {
    let git = ctx.git();
    if let Ok(index) = git.tag_index() {
        let tags = app.tag_format.releases(index.tag_names());
        if let Ok(tag) = release::find_tag(&app.tag_format, &tags, input, app.component.as_deref())
        {
            let commit = index.commit_of(&tag.name).map(str::to_string);
            return Ok((Some(tag.name.clone()), commit, tag.name.clone()));
        }
    }
    let input = input.trim();
    let bare = input.strip_prefix('v').unwrap_or(input);
    let found = marks.iter().find(|m| {
        let named = |t: &Option<String>| {
            t.as_deref()
                .is_some_and(|t| t == input || t.strip_prefix('v') == Some(bare) || t == bare)
        };
        named(&m.tag)
            || named(&m.label)
            || m.commit
                .as_deref()
                .is_some_and(|c| c.starts_with(input) && input.len() >= 7)
    });
    match found {
        Some(mark) => Ok((
            mark.tag.clone(),
            mark.commit.clone(),
            mark.label
                .clone()
                .or(mark.tag.clone())
                .unwrap_or_else(|| input.to_string()),
        )),
        None => Err(not_marked(&app.name, input, marks)),
    }
}

fn not_marked(app: &str, input: &str, marks: &[BadMark]) -> CliError {
    let listed: Vec<String> = marks
        .iter()
        .map(|m| {
            m.label
                .clone()
                .or(m.tag.clone())
                .or(m.commit.clone())
                .unwrap_or_default()
        })
        .collect();
    CliError::new(
        ErrorKind::Config,
        format!("`{input}` is not marked bad for {app}"),
    )
    .hint(format!("marked bad: {}", listed.join(", ")))
}
