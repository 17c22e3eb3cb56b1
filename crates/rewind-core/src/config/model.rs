//! What `rewind.toml` says once read and checked: the apps rewind can roll
//! back, and for each where it runs, how its releases are tagged, its
//! database, its health check and its feature flags.

use std::path::PathBuf;
use std::time::Duration;

use crate::release::TagFormat;
use crate::secret::Secret;

/// The git remote used when the file names none.
pub const DEFAULT_REMOTE: &str = "origin";
/// release-please's own default tag format.
pub const DEFAULT_TAG_FORMAT: &str = "v{version}";
/// How long before a deploy the database is restored to by default: a
/// deploy's migrations start a little after the deploy is created.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);
/// Where migrations live in the frameworks rewind users meet most.
pub const DEFAULT_MIGRATIONS: [&str; 4] = [
    "migrations",
    "db/migrate",
    "prisma/migrations",
    "database/migrations",
];
/// Health check defaults.
pub const DEFAULT_HEALTH_RETRIES: u32 = 3;
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_HEALTH_STATUS: u16 = 200;

/// The whole file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    /// The team's decision tree, resolved against the file's directory;
    /// `None` means the built-in tree.
    pub tree: Option<PathBuf>,
    /// Settings shared by every app.
    pub notify: Notify,
    /// What the team shares on the git remote.
    pub team: Team,
    /// At least one app, names unique, in the file's order.
    pub apps: Vec<AppConfig>,
}

/// `[notify]`: where the team hears about a rollback.
#[derive(Debug, Clone, Default)]
pub struct Notify {
    /// A chat webhook; it carries a token, hence a [`Secret`].
    pub webhook_url: Option<Secret>,
}

/// `[team]`: the lock and the journal every teammate's rewind shares,
/// kept on the repository's git remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// `false`: this machine only (no refs on the remote).
    pub shared: bool,
    /// The remote that holds them; default: the first app's `remote`.
    pub remote: Option<String>,
    /// How long a teammate's incident may show no progress before their
    /// lock is reported as possibly stale.
    pub stale_after: Duration,
    /// Keep the team's state under branches `<state_branch>/…` instead of
    /// `refs/rewind/…`, for hosts that refuse refs outside branches.
    pub state_branch: Option<String>,
}

impl Team {
    pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);
}

impl Default for Team {
    fn default() -> Self {
        Team {
            shared: true,
            remote: None,
            stale_after: Team::STALE_AFTER,
            state_branch: None,
        }
    }
}

/// Where one app's team state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamPlace {
    pub remote: String,
    pub refs: TeamRefs,
    pub stale_after: Duration,
}

/// The refs of the team's state on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRefs {
    /// Followed by the app's name: its lock.
    pub locks: String,
    /// The journal.
    pub journal: String,
}

impl TeamRefs {
    /// `refs/rewind/locks/<app>` and `refs/rewind/journal`, or, with a
    /// state branch, `refs/heads/<branch>/locks/<app>` and
    /// `refs/heads/<branch>/journal`.
    pub fn new(state_branch: Option<&str>) -> TeamRefs {
        let base = match state_branch {
            Some(branch) => format!("refs/heads/{branch}/"),
            None => "refs/rewind/".to_string(),
        };
        TeamRefs {
            locks: format!("{base}locks/"),
            journal: format!("{base}journal"),
        }
    }
}

impl Default for TeamRefs {
    fn default() -> Self {
        TeamRefs::new(None)
    }
}

/// The hosting platforms rewind can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformKind {
    Scalingo,
}

impl PlatformKind {
    pub const NAMES: [&str; 1] = ["scalingo"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "scalingo" => Some(PlatformKind::Scalingo),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PlatformKind::Scalingo => "scalingo",
        }
    }
}

/// One `[[apps]]` entry.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The app's name on the platform.
    pub name: String,
    pub platform: PlatformKind,
    pub region: String,
    /// The git remote holding the release tags.
    pub remote: String,
    /// Where the team's lock and journal live (`[team]`); `None` when
    /// `[team] shared = false`.
    pub team: Option<TeamPlace>,
    pub tag_format: TagFormat,
    /// Fills `{component}` in the tag format; set exactly when the format
    /// has one.
    pub component: Option<String>,
    /// The package name printed in build logs (`> name@1.2.3 prepare`),
    /// which tells which version a deployment was built from.
    pub package: Option<String>,
    pub database: Option<DatabaseConfig>,
    pub health_check: Option<HealthCheck>,
    pub feature_flags: Vec<FeatureFlag>,
    /// `[apps.watch]`: what `rewind watch` counts as a bad release (its
    /// defaults when the table is absent).
    pub watch: WatchConfig,
    /// This app's own webhook; see [`Config::webhook_url`].
    pub webhook_url: Option<Secret>,
}

/// `[apps.database]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// An addon id, or a provider such as `scalingo-postgresql` when the
    /// app has one addon of that kind.
    pub addon: String,
    /// How far before the bad deploy a point-in-time restore goes.
    pub margin: Duration,
    /// Folders, relative to the repository root, whose changes between two
    /// releases mean the database schema changed.
    pub migrations: Vec<String>,
    /// When `rewind rollback --with-db` restores the database: before the
    /// redeploy (the runbook's order) or once the redeploy is verified.
    pub rollback_order: RollbackOrder,
}

/// `[apps.database] rollback_order`: where a rollback's database steps go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackOrder {
    /// Safety backup, point-in-time restore, then the redeploy: the old
    /// code starts on the schema it was written for.
    #[default]
    BeforeDeploy,
    /// The redeploy first, verified, then the safety backup and the
    /// restore: the bad code stops serving sooner, when the previous
    /// release runs on the new schema.
    AfterDeploy,
}

impl RollbackOrder {
    pub const NAMES: [&str; 2] = ["before-deploy", "after-deploy"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "before-deploy" => Some(RollbackOrder::BeforeDeploy),
            "after-deploy" => Some(RollbackOrder::AfterDeploy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RollbackOrder::BeforeDeploy => "before-deploy",
            RollbackOrder::AfterDeploy => "after-deploy",
        }
    }
}

impl std::fmt::Display for RollbackOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[apps.watch]`: the thresholds of `rewind watch` (docs/watch.md says
/// why each default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// The period before the deploy whose router metrics make the baseline.
    pub baseline: Duration,
    /// The 5XX share of requests must exceed this many times the baseline's...
    pub error_factor: u32,
    /// ... and this share, in percent, however quiet the baseline was.
    pub error_floor_percent: u32,
    /// A window with fewer requests than this is not judged alone (it is
    /// added to the next): two requests and one error is not a 50% error
    /// rate anyone should be woken for.
    pub error_min_requests: u32,
    /// How long the 5XX share must stay above both before it counts.
    pub error_sustained: Duration,
    /// Failed health checks in a row that count as the app being down.
    pub health_failures: u32,
    /// Whether a crash event after the deploy counts (any one).
    pub crash_events: bool,
    /// Whether a quiet watch posts one "release looks healthy" line to
    /// the team's webhook (nothing by default).
    pub healthy_message: bool,
    /// The actions `rewind watch --policy auto` may carry out on its own
    /// (none by default).
    pub auto: Vec<AutoAction>,
}

/// An action the team allows `rewind watch --policy auto` to carry out
/// when the evidence decides the tree's whole path to it. A database
/// restore is never one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AutoAction {
    /// `feature-flag-off`: the tree's `switch_feature_off` leaf.
    #[serde(rename = "feature-flag-off")]
    FeatureFlagOff,
    /// `redeploy`: the tree's `redeploy_previous` leaf, only when no
    /// migration changed between the two releases.
    #[serde(rename = "redeploy")]
    Redeploy,
}

impl AutoAction {
    pub const ALL: [AutoAction; 2] = [AutoAction::FeatureFlagOff, AutoAction::Redeploy];

    pub fn name(self) -> &'static str {
        match self {
            AutoAction::FeatureFlagOff => "feature-flag-off",
            AutoAction::Redeploy => "redeploy",
        }
    }

    pub fn from_name(name: &str) -> Option<AutoAction> {
        AutoAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for AutoAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            baseline: Duration::from_secs(30 * 60),
            error_factor: 3,
            error_floor_percent: 5,
            error_min_requests: 10,
            error_sustained: Duration::from_secs(45),
            health_failures: 3,
            crash_events: true,
            healthy_message: false,
            auto: Vec::new(),
        }
    }
}

/// `[apps.health_check]`: how to tell the app is up after a redeploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub url: String,
    /// Attempts before giving up.
    pub retries: u32,
    /// Pause between attempts.
    pub interval: Duration,
    pub expect_status: u16,
}

/// `[[apps.feature_flags]]`: an environment variable that switches a
/// feature, which the tree may turn off instead of rolling back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureFlag {
    /// The environment variable.
    pub name: String,
    /// The value that turns the feature off.
    pub off_value: String,
    pub description: Option<String>,
}

impl Config {
    /// The app named `name`, or the only app when `name` is `None`.
    pub fn app(&self, name: Option<&str>) -> Result<&AppConfig, super::ConfigError> {
        match name {
            Some(name) => self.apps.iter().find(|a| a.name == name).ok_or_else(|| {
                super::ConfigError::UnknownApp {
                    name: name.to_string(),
                    path: self.path.clone(),
                    available: self.app_names(),
                }
            }),
            None => match self.apps.as_slice() {
                [only] => Ok(only),
                _ => Err(super::ConfigError::AppRequired {
                    path: self.path.clone(),
                    available: self.app_names(),
                }),
            },
        }
    }

    /// Every app's name, in the file's order.
    pub fn app_names(&self) -> Vec<String> {
        self.apps.iter().map(|a| a.name.clone()).collect()
    }

    /// Where the team's journal lives: `[team] remote`, else the first
    /// app's `remote`; `None` when `[team] shared = false`.
    pub fn team_place(&self) -> Option<&TeamPlace> {
        self.apps.first().and_then(|a| a.team.as_ref())
    }

    /// The webhook for `app`: its own, else the shared `[notify]` one.
    pub fn webhook_url<'a>(&'a self, app: &'a AppConfig) -> Option<&'a Secret> {
        app.webhook_url
            .as_ref()
            .or(self.notify.webhook_url.as_ref())
    }
}
