//! The other ways a rollback can deploy, for the night the SCM link
//! fails: `--method archive` (the tag's `.tar.gz` by URL, from the SCM
//! link or `REWIND_ARCHIVE_URL_TEMPLATE`) and `--method git-push` (a push
//! to the app's own git remote). Both are fallbacks: a gap is a warning.

use std::time::Duration;

use super::checks::Checks;
use super::repository::Newest;
use crate::git::{Git, redact_credentials};
use crate::platform::{App, ScmLink};
use crate::rollback::{ARCHIVE_TEMPLATE_ENV, archive_url};
use crate::secret::Secret;

/// Time allowed to the archive URL's answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `method.archive`.
pub(crate) fn archive(
    app: &str,
    template: Option<&Secret>,
    link: Option<&ScmLink>,
    newest: Option<&Newest>,
    out: &mut Checks,
) {
    let Some(newest) = newest else {
        out.skip("method.archive", "not checked: no release tag");
        return;
    };
    if template.is_none() && link.is_none() {
        out.skip(
            "method.archive",
            format!(
                "not checked: no SCM link to take the archive URL from ({ARCHIVE_TEMPLATE_ENV} would give one)"
            ),
        );
        return;
    }
    let commit = newest.commit.as_deref().unwrap_or("");
    let (url, shown) = match archive_url(app, template, link, &newest.tag.name, commit) {
        Ok(found) => found,
        Err(e) => {
            out.warn(
                "method.archive",
                format!("`--method archive` has no URL: {e}"),
                format!(
                    "set {ARCHIVE_TEMPLATE_ENV} to the URL of a tag's .tar.gz with {{tag}} where the tag goes, so a rollback can deploy without the SCM link"
                ),
            );
            return;
        }
    };
    let tag = &newest.tag.name;
    if template.is_none() {
        // A public GitHub or GitLab archive: the platform fetches it, and
        // doctor does not speak for the platform's network.
        out.ok(
            "method.archive",
            format!(
                "`--method archive` would deploy {shown} (a public archive, not fetched; a private repository needs {ARCHIVE_TEMPLATE_ENV} with a token)"
            ),
        );
        return;
    }
    match probe(url.expose()) {
        Ok(()) => out.ok(
            "method.archive",
            format!("`--method archive`: {shown} answers for {tag}"),
        ),
        Err(why) => out.warn(
            "method.archive",
            format!("`--method archive`: {shown} for {tag} {why}"),
            format!(
                "check {ARCHIVE_TEMPLATE_ENV}: the URL must give the tag's .tar.gz (with a token for a private repository)"
            ),
        ),
    }
}

/// Whether the archive URL answers: a HEAD for http(s), the file for a
/// `file://` URL (the sandbox's).
fn probe(url: &str) -> Result<(), String> {
    if let Some(path) = url.strip_prefix("file://") {
        return if std::path::Path::new(path).is_file() {
            Ok(())
        } else {
            Err("names no file".to_string())
        };
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        .max_redirects(3)
        .user_agent(concat!("rewind/", env!("CARGO_PKG_VERSION"), " doctor"))
        .build()
        .into();
    match agent.head(url).call() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("answers {}", r.status().as_u16())),
        // The error may quote the URL, which may hold a token.
        Err(_) => Err("does not answer".to_string()),
    }
}

/// `method.git_push`.
pub(crate) fn git_push(git: &dyn Git, app: &App, out: &mut Checks) {
    let Some(url) = app.git_url.as_deref() else {
        out.warn(
            "method.git_push",
            format!(
                "{} has no git URL on the platform: `--method git-push` cannot push",
                app.name
            ),
            "roll back with the branch or archive method",
        );
        return;
    };
    let shown = redact_credentials(url);
    match git.remote_refs(url) {
        Ok(_) => out.ok(
            "method.git_push",
            format!("`--method git-push`: the app's git remote {shown} answers"),
        ),
        Err(e) => out.warn(
            "method.git_push",
            format!("`--method git-push`: the app's git remote {shown} does not answer: {e}"),
            "it is reached over ssh with a key the platform knows (`scalingo keys-add`): add yours, or roll back with the branch or archive method",
        ),
    }
}
