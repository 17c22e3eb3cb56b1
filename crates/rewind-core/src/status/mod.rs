//! `status`: everything an on-call engineer wants to see first about an
//! app, gathered in one pass — its state, the release running now and since
//! when, recent deployments with their releases, the last good release,
//! auto-deploy, and the database with its backups and point-in-time window.
//! Reads only; parts that cannot be read are reported, not fatal, and are
//! never shown as absent: each optional part has an `_error` beside it
//! that says why it could not be read ("no SCM link" and "could not read
//! the SCM link" are different answers).

mod database;

pub use database::{DatabaseStatus, database_status};

use serde::Serialize;

use crate::config::AppConfig;
use crate::git::Git;
use crate::identify::{Release, Resolver, Situation, identify};
use crate::journal::Journal;
use crate::platform::{App, Platform, PlatformError, ScmLink};

/// What `rewind status` shows for one app.
#[derive(Debug, Clone, Serialize)]
pub struct AppStatus {
    pub app: App,
    pub situation: Situation,
    /// The SCM link; `None` when the app has none, or when it could not
    /// be read (then `scm_link_error` says why).
    pub scm_link: Option<ScmLink>,
    /// Why the SCM link could not be read.
    pub scm_link_error: Option<String>,
    /// The database; `None` when the app has no database addon, or when
    /// its addons could not be read (then `database_error` says why).
    pub database: Option<DatabaseStatus>,
    /// Why the app's addons could not be read.
    pub database_error: Option<String>,
    /// Auto-deploy held by rewind (`rewind hold` or a rollback), if it is.
    pub hold: Option<crate::hold::HoldState>,
    /// The releases the journal (the team's, when shared) marks bad: left
    /// out of "last good" and of a rollback's choice of target.
    pub marked_bad: Vec<MarkedBad>,
    /// Things that could not be read, in words.
    pub warnings: Vec<String>,
    /// Build logs downloaded to answer (0 when git knew every commit).
    pub build_logs_read: usize,
}

/// A release marked bad, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MarkedBad {
    pub label: Option<String>,
    pub tag: Option<String>,
    pub commit: Option<String>,
    /// The incident that marked it.
    pub incident: String,
}

/// Whether the journal marks a release bad for this app (the one rule,
/// [`crate::journal::BadMarks`]).
pub fn bad_release_filter(
    journal: &Journal,
    app: &str,
) -> Result<impl Fn(&Release) -> bool, crate::journal::JournalError> {
    let marks = crate::journal::BadMarks::read(journal, app)?;
    Ok(move |release: &Release| marks.is_bad(release))
}

/// Gathers the status of one app. Only the app itself and its deployments
/// are required; the SCM link and the database are best effort.
pub fn app_status(
    platform: &dyn Platform,
    git: &dyn Git,
    config: &AppConfig,
    journal: &Journal,
    limit: usize,
) -> Result<AppStatus, StatusError> {
    let app = platform.app(&config.name)?;
    let mut warnings = Vec::new();
    let tags = match git.tag_index() {
        Ok(tags) => tags,
        Err(e) => {
            warnings.push(format!(
                "could not read the repository's tags ({e}); releases come from build logs"
            ));
            crate::git::TagIndex::default()
        }
    };
    let resolver = Resolver::for_app(git, platform, tags, config);
    let marks = crate::journal::BadMarks::read(journal, &config.name)?;
    let marked_bad = marks
        .marks
        .iter()
        .map(|m| MarkedBad {
            label: m.label.clone(),
            tag: m.tag.clone(),
            commit: m.commit.clone(),
            incident: m.incident.clone(),
        })
        .collect();
    let is_bad = move |release: &Release| marks.is_bad(release);
    let situation = identify(platform, &config.name, &resolver, limit, &is_bad)?;
    let (scm_link, scm_link_error) = match platform.scm_link(&config.name) {
        Ok(link) => (link, None),
        Err(e) => {
            warnings.push(format!("could not read the SCM link: {e}"));
            (None, Some(e.to_string()))
        }
    };
    let (database, database_error) = match database_status(platform, config) {
        Ok(db) => (db, None),
        Err(e) => {
            warnings.push(format!("could not read the database: {e}"));
            (None, Some(e.to_string()))
        }
    };
    let hold = crate::hold::hold_state(journal, &config.name)?;
    Ok(AppStatus {
        app,
        situation,
        scm_link,
        scm_link_error,
        database,
        database_error,
        hold,
        marked_bad,
        warnings,
        build_logs_read: resolver.logs_read(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Platform(#[from] PlatformError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
}
