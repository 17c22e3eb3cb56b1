//! Writes the `rewind.toml` text for what was detected: every setting
//! rewind uses, with a comment saying where each value came from and what
//! to check, and the optional sections as commented-out examples.

use std::fmt::Write;

use super::detect::{DetectedApp, Detection, FormatCheck, NameSource};
use crate::config::duration::format_duration;
use crate::config::model::{
    DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_RETRIES, DEFAULT_HEALTH_STATUS, DEFAULT_MARGIN,
};
use crate::platform::scalingo::DEFAULT_REGION;

/// The whole file.
pub fn render(detection: &Detection) -> String {
    let mut out = String::new();
    out.push_str(
        "# rewind.toml: how rewind rolls back the apps released from this repository.\n\
         # Written by `rewind init`; every key is described in docs/configuration.md.\n\
         # This file is meant to be committed: the Scalingo API token never goes here,\n\
         # rewind reads it from SCALINGO_API_TOKEN.\n\n\
         # The team's decision tree, relative to this file (the built-in one otherwise).\n\
         # tree = \"rewind/tree.toml\"\n\n\
         # Where the team hears about a rollback (the URL carries a token: keep it\n\
         # out of public repositories).\n\
         # [notify]\n\
         # webhook_url = \"https://hooks.slack.com/services/...\"\n",
    );
    for app in &detection.apps {
        out.push('\n');
        render_app(&mut out, detection, app);
    }
    out
}

fn render_app(out: &mut String, detection: &Detection, app: &DetectedApp) {
    out.push_str("[[apps]]\n");
    match app.name_source {
        NameSource::Flag => {}
        NameSource::Package => comment(
            out,
            "Guessed from package.json's name: check it is the app's name on Scalingo.",
        ),
        NameSource::Component => comment(
            out,
            "Guessed from the release-please component: check it is the app's name on Scalingo.",
        ),
        NameSource::Directory => comment(
            out,
            "Guessed from the directory's name: check it is the app's name on Scalingo.",
        ),
    }
    line(out, "name", &quote(&app.name));
    line(out, "platform", &quote("scalingo"));
    comment(out, "SCALINGO_REGION, when set, wins over this.");
    line(out, "region", &quote(DEFAULT_REGION));
    render_remote(out, detection);
    render_tag_format(out, detection, app);
    match &app.package {
        Some(package) => {
            comment(
                out,
                &format!("The name build logs print before a script (`> {package}@1.2.3 build`),"),
            );
            comment(out, "which tells which version a deployment runs.");
            line(out, "package", &quote(package));
        }
        None => {
            comment(
                out,
                "No package.json name found: set the name build logs print before a script",
            );
            comment(
                out,
                "(`> name@1.2.3 build`), which tells which version a deployment runs.",
            );
            comment(out, "package = \"my-package\"");
        }
    }
    out.push('\n');
    render_database(out, app);
    out.push('\n');
    render_examples(out, app);
}

fn render_remote(out: &mut String, detection: &Detection) {
    if !detection.remote_found {
        comment(
            out,
            "No git remote yet: add one, it is where the release tags are fetched from.",
        );
    } else if detection.remotes.len() > 1 {
        comment(
            out,
            &format!(
                "The remote holding the release tags (remotes: {}).",
                detection.remotes.join(", ")
            ),
        );
    } else {
        comment(out, "The remote holding the release tags.");
    }
    line(out, "remote", &quote(&detection.remote));
}

fn render_tag_format(out: &mut String, detection: &Detection, app: &DetectedApp) {
    if detection.release_please {
        let version = app
            .version
            .as_deref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        comment(
            out,
            &format!(
                "From release-please's settings (package \"{}\"{version}).",
                app.path
            ),
        );
    }
    if let Some(note) = &app.format_note {
        comment(out, &format!("{}.", note.trim_end_matches('.')));
    }
    match &app.format_check {
        FormatCheck::NoTags => {
            comment(
                out,
                "No tags in the repository yet: check this once the first release is tagged.",
            );
        }
        FormatCheck::Matches(tags) => {
            comment(
                out,
                &format!("Matches the newest release tags: {}.", tags.join(", ")),
            );
        }
        FormatCheck::NoMatch(tags) => {
            comment(
                out,
                &format!(
                    "WARNING: no tag in the repository matches this format (newest tags: {});",
                    tags.join(", ")
                ),
            );
            comment(out, "fix it before relying on rewind to find releases.");
        }
    }
    line(out, "tag_format", &quote(&app.tag_format));
    if let Some(component) = &app.component {
        line(out, "component", &quote(component));
    }
}

fn render_database(out: &mut String, app: &DetectedApp) {
    let margin = quote(&format_duration(DEFAULT_MARGIN));
    if app.migrations.is_empty() {
        comment(
            out,
            "No migration folder found. If the app has a database, describe it:",
        );
        comment(out, "[apps.database]");
        comment(out, "addon = \"scalingo-postgresql\"");
        comment(out, &format!("margin = {margin}"));
        comment(out, "migrations = [\"migrations\"]");
        return;
    }
    out.push_str("[apps.database]\n");
    comment(
        out,
        "The addon id, or its provider when the app has one addon of that kind: check it.",
    );
    line(out, "addon", &quote("scalingo-postgresql"));
    comment(
        out,
        "A point-in-time restore goes back to this long before the bad deploy.",
    );
    line(out, "margin", &margin);
    comment(
        out,
        "Folders whose changes between two releases mean the schema changed.",
    );
    let list: Vec<String> = app.migrations.iter().map(|m| quote(m)).collect();
    line(out, "migrations", &format!("[{}]", list.join(", ")));
}

fn render_examples(out: &mut String, app: &DetectedApp) {
    comment(out, "How to tell the app is up again after a redeploy:");
    comment(out, "[apps.health_check]");
    comment(
        out,
        &format!(
            "url = \"https://{}.{DEFAULT_REGION}.scalingo.io/health\"",
            app.name
        ),
    );
    comment(out, &format!("retries = {DEFAULT_HEALTH_RETRIES}"));
    comment(
        out,
        &format!(
            "interval = \"{}\"",
            format_duration(DEFAULT_HEALTH_INTERVAL)
        ),
    );
    comment(out, &format!("expect_status = {DEFAULT_HEALTH_STATUS}"));
    out.push('\n');
    comment(
        out,
        "Features that can be switched off instead of rolling back, one table each:",
    );
    comment(out, "[[apps.feature_flags]]");
    comment(out, "name = \"FEATURE_NEW_CHECKOUT\"");
    comment(out, "off_value = \"false\"");
    comment(out, "description = \"the new checkout flow\"");
}

fn comment(out: &mut String, text: &str) {
    let _ = writeln!(out, "# {text}");
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

/// A TOML basic string, escaped by `toml` itself.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}
