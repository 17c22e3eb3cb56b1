//! The app on the platform: the region resolves, the app exists and this
//! token may act on it, and the SCM link (present, linked to the same
//! repository as the configuration's git remote, its branch, auto-deploy
//! and what a rollback does about it).

use super::checks::{Checks, first_hint};
use super::repo_url::RepoName;
use crate::config::AppConfig;
use crate::git::{Git, redact_credentials};
use crate::journal::Journal;
use crate::platform::{App, Platform, PlatformError, ScmLink};

/// `region` and `app`; the app when both passed.
pub(crate) fn app(platform: &dyn Platform, config: &AppConfig, out: &mut Checks) -> Option<App> {
    match platform.api_endpoints() {
        Ok(Some(e)) if e.from_environment => out.ok(
            "region",
            format!(
                "{}: SCALINGO_API_URL ({}) and SCALINGO_DB_URL ({}) name the endpoints, the region list is not consulted",
                e.region, e.api_url, e.db_url
            ),
        ),
        Ok(Some(e)) => out.ok(
            "region",
            format!("{}: API {}, database API {}", e.region, e.api_url, e.db_url),
        ),
        Ok(None) => out.ok("region", "this platform has a single address"),
        Err(e) => {
            out.fail(
                "region",
                e.to_string(),
                first_hint(
                    e.hints(),
                    "check `region` in rewind.toml (or SCALINGO_REGION)",
                ),
            );
            out.skip("app", "not checked: the region did not resolve");
            return None;
        }
    }
    match platform.app(&config.name) {
        Ok(app) => {
            out.ok(
                "app",
                format!(
                    "{} found ({}): the token's user is its owner or a collaborator (the platform shows an app to no one else)",
                    app.name, app.status
                ),
            );
            Some(app)
        }
        Err(e @ PlatformError::NotFound { .. }) => {
            out.fail(
                "app",
                e.to_string(),
                format!(
                    "check `name` and `region` of the app in rewind.toml; if the app exists, ask its owner to add this token's user as a collaborator of `{}`",
                    config.name
                ),
            );
            None
        }
        Err(e) => {
            out.fail(
                "app",
                format!("cannot read the app: {e}"),
                first_hint(e.hints(), "run `rewind doctor` again in a moment"),
            );
            None
        }
    }
}

/// `scm.link`, `scm.repository` and `scm.auto_deploy`; the link.
pub(crate) fn scm(
    platform: &dyn Platform,
    git: &dyn Git,
    config: &AppConfig,
    journal: &Journal,
    out: &mut Checks,
) -> Option<ScmLink> {
    let link = match platform.scm_link(&config.name) {
        Ok(Some(link)) => link,
        Ok(None) => {
            out.fail(
                "scm.link",
                format!("{} has no SCM link: `rewind rollback` (method branch) deploys through it", config.name),
                "link the repository to the app (dashboard > Deploy > Configuration, or `scalingo integration-link-create`), or plan to roll back with `--method archive` or `--method git-push`",
            );
            out.skip("scm.repository", "not checked: no SCM link");
            out.skip("scm.auto_deploy", "not checked: no SCM link");
            return None;
        }
        Err(e) => {
            out.fail(
                "scm.link",
                format!("cannot read the SCM link: {e}"),
                first_hint(e.hints(), "run `rewind doctor` again in a moment"),
            );
            out.skip(
                "scm.repository",
                "not checked: the SCM link could not be read",
            );
            out.skip(
                "scm.auto_deploy",
                "not checked: the SCM link could not be read",
            );
            return None;
        }
    };
    out.ok(
        "scm.link",
        format!(
            "{} repository {}/{}",
            link.scm_type.as_deref().unwrap_or("SCM"),
            link.owner.as_deref().unwrap_or("?"),
            link.repo.as_deref().unwrap_or("?")
        ),
    );
    repository(git, config, &link, out);
    auto_deploy(journal, config, &link, out);
    Some(link)
}

fn repository(git: &dyn Git, config: &AppConfig, link: &ScmLink, out: &mut Checks) {
    let remote_url = match git.remote_url(&config.remote) {
        Ok(url) => url,
        Err(e) => {
            out.skip(
                "scm.repository",
                format!(
                    "not compared: the git remote `{}` cannot be read ({e})",
                    config.remote
                ),
            );
            return;
        }
    };
    let shown_remote = redact_credentials(&remote_url);
    let Some(remote) = RepoName::from_url(&remote_url) else {
        out.warn(
            "scm.repository",
            format!(
                "cannot tell the owner and name of the remote `{}` ({shown_remote})",
                config.remote
            ),
            "check by hand that the SCM link and the remote are the same repository",
        );
        return;
    };
    let by_url = link.url.as_deref().and_then(RepoName::from_url);
    let by_fields = match (&link.owner, &link.repo) {
        (Some(owner), Some(repo)) => RepoName::new(owner, repo),
        _ => None,
    };
    let linked = by_url
        .iter()
        .chain(by_fields.iter())
        .cloned()
        .collect::<Vec<_>>();
    if linked.contains(&remote) {
        out.ok(
            "scm.repository",
            format!(
                "the SCM link and the remote `{}` are the same repository ({remote})",
                config.remote
            ),
        );
        return;
    }
    let mut shown_link = by_fields
        .or(by_url)
        .map_or_else(|| "an unknown repository".to_string(), |l| l.to_string());
    if let Some(url) = &link.url {
        shown_link.push_str(&format!(" ({})", redact_credentials(url)));
    }
    out.fail(
        "scm.repository",
        format!(
            "the SCM link points at {shown_link}, the remote `{}` at {remote} ({shown_remote})",
            config.remote
        ),
        format!(
            "a rollback pushes release/<tag> to `{}` and asks the SCM link to deploy it: link the app to {remote}, or set `remote` in rewind.toml to the linked repository",
            config.remote
        ),
    );
}

fn auto_deploy(journal: &Journal, config: &AppConfig, link: &ScmLink, out: &mut Checks) {
    let branch = link.branch.as_deref().unwrap_or("?");
    let held = crate::hold::hold_state(journal, &config.name)
        .ok()
        .flatten();
    if let Some(hold) = held {
        out.warn(
            "scm.auto_deploy",
            format!(
                "held by rewind since {} (incident {}): pushes to {branch} do not deploy",
                super::account::stamp(hold.since),
                hold.incident
            ),
            format!(
                "once the fix is released, `rewind unhold {}` switches auto-deploy back on",
                config.name
            ),
        );
        return;
    }
    if link.auto_deploy_enabled {
        out.ok(
            "scm.auto_deploy",
            format!(
                "on for branch {branch}; a rollback switches it off first (held, journaled) so the next merge does not ship the bad code again, and `rewind unhold` restores it"
            ),
        );
    } else {
        out.ok(
            "scm.auto_deploy",
            format!("off (branch {branch}); a rollback leaves it off"),
        );
    }
}
