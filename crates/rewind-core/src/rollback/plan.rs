//! A rollback's plan: where from, where to, what going back removes, and
//! the ordered steps. The whole plan is written into the incident's opening
//! entry, so that `rewind resume` and `rewind report` read it back as it
//! was shown.

use serde::{Deserialize, Serialize};

use super::database::DatabasePlan;
use super::method::Method;
use super::steps::{PlannedStep, StepId};
use crate::identify::Release;

/// A release as the plan records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    /// What to show: `v4.1.1`, `v4.1.1+3 (abc1234)`, `unknown`.
    pub label: String,
    pub tag: Option<String>,
    pub commit: Option<String>,
    pub version: Option<String>,
    /// The deployment that carried it, when known.
    pub deployment_id: Option<String>,
}

impl ReleaseRef {
    pub fn from_release(release: &Release, deployment_id: Option<&str>) -> Self {
        ReleaseRef {
            label: release.label.clone(),
            tag: release.tag.clone(),
            commit: release.commit.clone(),
            version: release.version.as_ref().map(ToString::to_string),
            deployment_id: deployment_id.map(str::to_string),
        }
    }

    /// The commit, abbreviated for people.
    pub fn short_commit(&self) -> &str {
        self.commit.as_deref().map_or("", crate::git::short_sha)
    }
}

/// A commit the rollback takes off production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedCommit {
    pub sha: String,
    pub short_sha: String,
    pub subject: String,
}

/// A changelog section of a release the rollback takes off production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedSection {
    pub version: String,
    pub date: Option<String>,
    pub body: Vec<String>,
}

/// A migration file that differs between the target and the current
/// release: the schema may not match the code going back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedMigration {
    /// added, modified or deleted (from the target to the current release).
    pub change: String,
    pub path: String,
}

/// What going back takes off production.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Newest first.
    pub commits: Vec<RemovedCommit>,
    pub changelog: Vec<RemovedSection>,
    pub migrations: Vec<RemovedMigration>,
    /// Why a part could not be known (the current commit is not in the
    /// local repository, no CHANGELOG.md...).
    pub notes: Vec<String>,
}

/// A rollback, ready to be shown and carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub app: String,
    pub method: Method,
    /// The release running now.
    pub from: ReleaseRef,
    /// The release going back on production: always a tag and its commit.
    pub to: ReleaseRef,
    /// `release/<tag>` for the branch method.
    pub branch: Option<String>,
    /// The team's git remote.
    pub remote: String,
    /// Whether the SCM link had auto-deploy on when the plan was made.
    pub auto_deploy: Option<bool>,
    /// The archive URL as it may be shown (a template from the environment
    /// may carry a token: then only its origin is named).
    pub archive_source: Option<String>,
    /// The health check URL, when one is configured.
    pub health_check: Option<String>,
    /// Whether a webhook is configured.
    pub notify: bool,
    pub removed: Removed,
    /// What the person must read before confirming.
    pub warnings: Vec<String>,
    /// Safety checks overridden on the command line (`--force`...).
    pub overrides: Vec<String>,
    /// The database side: the migration evidence, the choice made
    /// (`--with-db`, `--no-db` or none), and the restore when chosen.
    /// Absent from plans journaled before rewind knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabasePlan>,
    pub steps: Vec<PlannedStep>,
}

impl Plan {
    /// The tag going back on production.
    pub fn target_tag(&self) -> &str {
        self.to.tag.as_deref().unwrap_or(&self.to.label)
    }

    /// The commit going back on production.
    pub fn target_commit(&self) -> &str {
        self.to.commit.as_deref().unwrap_or_default()
    }

    /// Adds a step just before the deploy (a database backup or restore
    /// must happen before the old code starts).
    pub fn insert_before_deploy(&mut self, step: PlannedStep) {
        let at = self
            .steps
            .iter()
            .position(|s| s.id == StepId::Deploy)
            .unwrap_or(self.steps.len());
        self.steps.insert(at, step);
    }

    /// Adds a step just after `after` (at the end when the plan has no
    /// such step).
    pub fn insert_after(&mut self, after: StepId, step: PlannedStep) {
        let at = self
            .steps
            .iter()
            .position(|s| s.id == after)
            .map_or(self.steps.len(), |i| i + 1);
        self.steps.insert(at, step);
    }

    pub fn has_step(&self, id: StepId) -> bool {
        self.steps.iter().any(|s| s.id == id)
    }
}
