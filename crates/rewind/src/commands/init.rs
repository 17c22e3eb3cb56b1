//! `rewind init`: write a first `rewind.toml` at the repository root from
//! what the repository shows, say what was detected and what to check.

use std::path::PathBuf;

use clap::Args;
use rewind_core::config::init::{DetectedApp, FormatCheck, InitOptions, init};

use crate::cli_error::CliError;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The app's name on Scalingo. Default: the package.json name or the
    /// directory name (a guess, flagged in the file). Only for a repository
    /// that releases one package.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,

    /// Replace an existing rewind.toml.
    #[arg(long)]
    force: bool,

    /// A directory inside the repository (default: the current one); the
    /// file goes to the repository's root.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: InitArgs) -> Result<(), CliError> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(CliError::failed)?,
    };
    let options = InitOptions {
        dir,
        app: args.app,
        force: args.force,
    };
    let outcome = init(&options)?;
    let detection = &outcome.detection;
    msgln!("repository: {}", detection.root.display());
    if detection.remote_found {
        msgln!("git remote: {}", detection.remote);
    } else {
        msgln!("git remote: none yet (assuming {})", detection.remote);
    }
    if detection.release_please {
        msgln!(
            "release-please: {} package{}",
            detection.apps.len(),
            if detection.apps.len() == 1 { "" } else { "s" }
        );
    }
    for app in &detection.apps {
        msgln!("app {}: {}", app.name, describe(app));
    }
    for app in &detection.apps {
        if let Some(note) = &app.format_note {
            msgln!("note: app {}: {note}", app.name);
        }
    }
    for warning in detection.warnings() {
        errln!("warning: {warning}");
    }
    let verb = if outcome.replaced {
        "replaced"
    } else {
        "wrote"
    };
    msgln!("{verb} {}", outcome.path.display());
    msgln!("check the app names and the comments in it, then commit it");
    Ok(())
}

/// One line per app: its tag format, package and what confirms them.
fn describe(app: &DetectedApp) -> String {
    let mut parts = vec![format!("tag_format {}", app.tag_format)];
    if let Some(component) = &app.component {
        parts.push(format!("component {component}"));
    }
    match &app.package {
        Some(package) => parts.push(format!("package {package}")),
        None => parts.push("no package name found".to_string()),
    }
    match &app.format_check {
        FormatCheck::NoTags => parts.push("no tags yet".to_string()),
        FormatCheck::Matches(tags) => parts.push(format!("newest tags {}", tags.join(", "))),
        FormatCheck::NoMatch(_) => parts.push("no tag matches".to_string()),
    }
    if !app.migrations.is_empty() {
        parts.push(format!("migrations {}", app.migrations.join(", ")));
    }
    parts.join(", ")
}
