//! The platform's objects as rewind uses them: apps, deployments and their
//! statuses, SCM links, operations, variables, events, addons, databases,
//! backups. Platform-neutral: the Scalingo client converts its wire format
//! into these.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// An app on the platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    pub id: String,
    pub name: String,
    /// new, running, stopped, crashed, restarting, scaling, booting...
    pub status: String,
    pub url: Option<String>,
    pub git_url: Option<String>,
    pub region: Option<String>,
    pub last_deployed_at: Option<DateTime<Utc>>,
    pub last_deployment_id: Option<String>,
}

/// Where a deployment is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum DeploymentStatus {
    Queued,
    Building,
    Pushing,
    Starting,
    Success,
    BuildError,
    CrashedError,
    TimeoutError,
    HookError,
    Aborted,
    /// A status this version of rewind does not know: treated as finished
    /// and failed, never as success.
    Other(String),
}

impl DeploymentStatus {
    /// Reads back [`DeploymentStatus::as_str`] (rewind's own words, as the
    /// journal keeps them). A platform maps its own statuses in its module
    /// (Scalingo's: `scalingo/wire.rs`).
    pub fn parse(s: &str) -> Self {
        match s {
            "queued" => Self::Queued,
            "building" => Self::Building,
            "pushing" => Self::Pushing,
            "starting" => Self::Starting,
            "success" => Self::Success,
            "build-error" => Self::BuildError,
            "crashed-error" => Self::CrashedError,
            "timeout-error" => Self::TimeoutError,
            "hook-error" => Self::HookError,
            "aborted" => Self::Aborted,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Queued => "queued",
            Self::Building => "building",
            Self::Pushing => "pushing",
            Self::Starting => "starting",
            Self::Success => "success",
            Self::BuildError => "build-error",
            Self::CrashedError => "crashed-error",
            Self::TimeoutError => "timeout-error",
            Self::HookError => "hook-error",
            Self::Aborted => "aborted",
            Self::Other(s) => s,
        }
    }

    /// Still queued, building, pushing or starting.
    pub fn in_progress(&self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Building | Self::Pushing | Self::Starting
        )
    }

    pub fn is_success(&self) -> bool {
        *self == Self::Success
    }

    /// Finished and not a success: the previous release kept running.
    pub fn is_failure(&self) -> bool {
        !self.in_progress() && !self.is_success()
    }
}

impl std::fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<DeploymentStatus> for String {
    fn from(s: DeploymentStatus) -> String {
        s.as_str().to_string()
    }
}

/// Who started a deployment.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Pusher {
    pub username: Option<String>,
    pub email: Option<String>,
}

/// One deployment of an app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    pub id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: DeploymentStatus,
    /// A commit SHA for git and SCM deploys; any label for archive deploys.
    pub git_ref: Option<String>,
    pub previous_git_ref: Option<String>,
    /// `archive` for archive deploys when the platform says so.
    pub kind: Option<String>,
    pub pusher: Pusher,
    /// Seconds, when the platform gives it.
    pub duration: Option<u64>,
    /// The build log's URL.
    pub output_url: Option<String>,
}

/// A page of a paginated list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub current_page: u32,
    pub next_page: Option<u32>,
    pub total_pages: Option<u32>,
    pub total_count: Option<u64>,
}

/// The link between an app and its source repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScmLink {
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub scm_type: Option<String>,
    pub auto_deploy_enabled: bool,
    pub url: Option<String>,
}

/// An app operation (restart, scale...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub id: String,
    /// pending, running, done, error.
    pub status: String,
    pub kind: Option<String>,
    pub error: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Operation {
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "done" | "error")
    }
}

/// An environment variable. Its value may be a secret: never print it
/// unless the user asked for that variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub value: String,
}

/// An entry of the app's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: String,
    pub created_at: Option<DateTime<Utc>>,
    /// deployment, restart, edit_variable, database_backup_succeeded...
    pub kind: String,
    pub user: Option<String>,
    pub type_data: serde_json::Value,
}

/// One point of a platform metric: a minute and its value (for the
/// router, the requests received in that minute).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricPoint {
    /// The start of the minute.
    pub time: DateTime<Utc>,
    pub value: f64,
}

/// An addon of an app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Addon {
    pub id: String,
    pub resource_id: Option<String>,
    pub status: Option<String>,
    /// `scalingo-postgresql`, `scalingo-redis`...
    pub provider_id: String,
    pub provider_name: Option<String>,
    pub plan: Option<String>,
}

impl Addon {
    pub fn is_postgresql(&self) -> bool {
        self.provider_id.contains("postgresql")
    }
}

/// The database behind an addon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Database {
    pub id: String,
    pub status: Option<String>,
    /// postgresql, mysql, redis...
    pub type_name: Option<String>,
    pub plan: Option<String>,
    pub version: Option<String>,
    pub periodic_backups_enabled: Option<bool>,
    pub current_operation_id: Option<String>,
}

/// A database backup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backup {
    pub id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub size: Option<u64>,
    /// scheduled, pending, running, done, error, cancelling, cancelled.
    pub status: String,
    /// periodic or manual.
    pub method: Option<String>,
}

impl Backup {
    pub fn is_done(&self) -> bool {
        self.status == "done"
    }

    pub fn is_failed(&self) -> bool {
        matches!(self.status.as_str(), "error" | "cancelled" | "cancelling")
    }
}

/// The span a point-in-time restore can reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoveryWindow {
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

impl RecoveryWindow {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.earliest <= t && t <= self.latest
    }
}

/// A database operation (a point-in-time restore).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseOperation {
    pub id: String,
    /// pending, running, finished, error, user-error, cancelling, cancelled.
    pub status: String,
    pub kind: Option<String>,
    pub error: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl DatabaseOperation {
    pub fn is_finished(&self) -> bool {
        !matches!(self.status.as_str(), "pending" | "running" | "cancelling")
    }

    pub fn is_success(&self) -> bool {
        self.status == "finished" || self.status == "done"
    }
}

/// The account the API token belongs to: who acts on the platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlatformUser {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub fullname: Option<String>,
}

/// The bearer a client holds, as `rewind doctor` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Session {
    /// When the bearer stops being accepted (its `exp`), when it says.
    pub expires_at: Option<DateTime<Utc>>,
    pub issued_at: Option<DateTime<Utc>>,
}

/// Where a client sends its requests, and how it learnt it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiEndpoints {
    pub region: String,
    pub api_url: String,
    pub db_url: String,
    /// Both URLs came from the environment (`SCALINGO_API_URL` and
    /// `SCALINGO_DB_URL`): the region list was not consulted.
    pub from_environment: bool,
}
