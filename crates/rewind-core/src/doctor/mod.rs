//! `rewind doctor`: a read-only pre-flight a team runs in daylight, so that
//! nothing is discovered on the bad night. Each check returns a typed
//! result (id, level, what was found, what to do); the binary renders them.
//!
//! Nothing here changes anything: no write to the platform (the token and
//! addon-token exchanges hand out bearers and change nothing), no git
//! write (`ls-remote` and `push --dry-run` only), no journal entry. The
//! one exception is `--ping`, which posts a test message to the team's
//! webhook when asked.
//!
//! Checks that depend on one that failed are `skip`ped, so that one
//! problem gives one failing line.

mod account;
mod checks;
mod database;
mod history;
mod methods;
mod platform;
mod reach;
mod repo_url;
mod repository;
mod tools;

pub use checks::{Check, Level};
pub use database::{BACKUP_FAIL_AGE, BACKUP_WARN_AGE};
pub use history::DEPLOYMENTS;
pub use repo_url::RepoName;
pub use tools::TOOLS;

use std::ffi::OsString;

use chrono::{DateTime, Utc};
use serde::Serialize;

use checks::Checks;

use crate::config::{AppConfig, Config};
use crate::git::Git;
use crate::interrupt::Interrupt;
use crate::journal::Journal;
use crate::platform::Platform;
use crate::secret::Secret;
use crate::tree::{Tree, TreeError};

/// What one app's checks need.
pub struct AppInput<'a> {
    /// `None` when the account checks failed (or no client could be
    /// made): then nothing is asked of the platform.
    pub platform: Option<&'a dyn Platform>,
    pub git: &'a dyn Git,
    pub config: &'a AppConfig,
    /// The app's webhook (its own, else the shared one).
    pub webhook: Option<&'a Secret>,
    pub journal: &'a Journal,
    /// With `--ping`: the test message to post to the webhook.
    pub ping: Option<&'a str>,
    /// `REWIND_ARCHIVE_URL_TEMPLATE`, for `--method archive`.
    pub archive_template: Option<&'a Secret>,
    /// The PATH the local PostgreSQL tools are looked up in.
    pub path: Option<OsString>,
    pub interrupt: &'a Interrupt,
    pub now: DateTime<Utc>,
}

/// `config` and `tree`: the configuration loaded (or the caller would not
/// be here), and the decision tree the guide walks.
pub fn setup(config: &Config) -> Vec<Check> {
    let mut out = Checks::for_app(None);
    out.ok(
        "config",
        format!(
            "{} loads: {} app(s) ({})",
            config.path.display(),
            config.apps.len(),
            config.app_names().join(", ")
        ),
    );
    let tree_fix = "`rewind tree check FILE` lists every problem as file:line; docs/decision-tree.md describes the format";
    match &config.tree {
        None => {
            let tree = Tree::default_runbook();
            out.ok(
                "tree",
                format!(
                    "the built-in runbook tree: {} questions, {} actions",
                    tree.question_count(),
                    tree.action_count()
                ),
            );
        }
        Some(path) => match Tree::load(path) {
            Ok(tree) => out.ok(
                "tree",
                format!(
                    "{}: {} questions, {} actions",
                    path.display(),
                    tree.question_count(),
                    tree.action_count()
                ),
            ),
            Err(TreeError::Invalid(problems)) => {
                let first = problems
                    .problems
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                out.fail(
                    "tree",
                    format!(
                        "{} has {} problem(s), the first: {first}",
                        path.display(),
                        problems.problems.len()
                    ),
                    tree_fix,
                )
            }
            Err(e) => out.fail(
                "tree",
                e.to_string(),
                "check `tree` in rewind.toml; without it, rewind uses its built-in tree",
            ),
        },
    }
    out.into_vec()
}

/// `token` and `user`: the account every app is reached with.
pub fn account(platform: &dyn Platform, now: DateTime<Utc>) -> Vec<Check> {
    let mut out = Checks::for_app(None);
    account::check(platform, now, &mut out);
    out.into_vec()
}

/// `token` and `user` when no platform client could even be made (no API
/// token, say): `detail` is why, `fix` what to do.
pub fn account_unavailable(detail: &str, fix: Option<&str>) -> Vec<Check> {
    let mut out = Checks::for_app(None);
    out.fail(
        "token",
        detail,
        fix.unwrap_or("set SCALINGO_API_TOKEN to a valid API token"),
    );
    out.skip("user", "not checked: no bearer");
    out.into_vec()
}

/// Every check of one app, in order.
pub fn app(input: &AppInput<'_>) -> Vec<Check> {
    let config = input.config;
    let mut out = Checks::for_app(Some(&config.name));
    let reached = match input.platform {
        Some(p) => platform::app(p, config, &mut out).map(|app| (p, app)),
        None => {
            out.skip("region", "not checked: the token check failed");
            out.skip("app", "not checked: the token check failed");
            None
        }
    };
    let not_reached = "not checked: the app could not be reached";
    let link = match &reached {
        Some((platform, _)) => platform::scm(*platform, input.git, config, input.journal, &mut out),
        None => {
            for id in ["scm.link", "scm.repository", "scm.auto_deploy"] {
                out.skip(id, not_reached);
            }
            None
        }
    };
    let newest = repository::check(input.git, config, &mut out);
    match &reached {
        Some((platform, app)) => {
            methods::archive(
                &config.name,
                input.archive_template,
                link.as_ref(),
                newest.as_ref(),
                &mut out,
            );
            methods::git_push(input.git, app, &mut out);
            history::check(*platform, input.git, config, input.journal, &mut out);
            database::check(*platform, config, input.path.as_ref(), input.now, &mut out);
        }
        None => {
            for id in [
                "method.archive",
                "method.git_push",
                "history.identified",
                "history.last_good",
                "db.addon",
            ] {
                out.skip(id, not_reached);
            }
        }
    }
    reach::health(config, input.interrupt, &mut out);
    reach::webhook(input.webhook, input.ping, &mut out);
    out.into_vec()
}

/// How many checks ended at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

impl Summary {
    pub fn of(checks: &[Check]) -> Summary {
        let mut s = Summary::default();
        for c in checks {
            match c.level {
                Level::Ok => s.ok += 1,
                Level::Warn => s.warn += 1,
                Level::Fail => s.fail += 1,
                Level::Skip => s.skip += 1,
            }
        }
        s
    }
}

/// Whether any check failed.
pub fn any_failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.level == Level::Fail)
}
