//! How a sandbox starts: the address it listens on, its timings, and the
//! seed (API tokens, apps, their repositories, SCM links and addons), either
//! built in code by tests or read from a TOML seed file.
//!
//! Seed file format (every key optional unless marked):
//!
//! ```toml
//! [sandbox]
//! token_lifetime_secs = 3600      # lifetime of the bearer from /v1/tokens/exchange
//! addon_token_lifetime_secs = 3600
//! rate_limit_per_minute = 60      # per API token; 0 turns the limit off
//! deploy_duration_ms = 4000       # time from queued to a terminal status
//! postgres = "auto"               # real PostgreSQL: "auto" | "on" | "off"
//! postgres_snapshot = "DIR"       # with "on": start from a kept cluster
//!
//! [sandbox.variants]              # where the docs and the live API disagree
//! pitr_restore_body = "operation_id"   # or "operation"
//! archive_deploy_status = 201          # or 200
//! backup_size = "archive"              # or "differs"
//! deployment_links = "everywhere"      # or "single", "none"
//! stream_requires_origin = false
//! recovery_window = "times"            # or "no_times"
//! build_log_redirects = 0              # 0 to 5
//! build_log_redirect_host = "same"     # or "other"
//!
//! [[tokens]]
//! token = "tk-us-sandbox"         # required
//! user = "alice"                  # the username (GET /v1/users/self)
//! email = "alice@example.com"     # default: <user>@sandbox.localhost
//! fullname = "Alice Martin"       # default: the username
//!
//! [[apps]]
//! name = "my-app"                 # required
//! repo = "/path/to/repo.git"      # a local path or file:// URL
//! [apps.scm]
//! branch = "main"
//! auto_deploy = true
//! [[apps.addons]]
//! provider = "scalingo-postgresql"
//! plan = "postgresql-starter-512"
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything a sandbox needs to start.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen. Must be a loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub tokens: Vec<TokenSeed>,
    pub apps: Vec<AppSeed>,
    /// Lifetime of the bearer returned by the token exchange.
    pub token_lifetime: Duration,
    /// Lifetime of addon (database API) tokens.
    pub addon_token_lifetime: Duration,
    /// Requests per minute per API token; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Time a deployment takes from `queued` to its terminal status.
    pub deploy_duration: Duration,
    /// Which of the documented response variants the sandbox answers with.
    pub variants: Variants,
    /// When set, state is loaded from this file at start (if it exists) and
    /// saved to it after every change.
    pub state_file: Option<PathBuf>,
    /// Whether PostgreSQL addons are backed by a real PostgreSQL cluster.
    pub postgres: PostgresMode,
    /// Where the sandbox makes its temporary directories (its PostgreSQL
    /// cluster, its apps' git remotes) and reaps those a killed sandbox
    /// left; `None`: `REWIND_SANDBOX_TMPDIR`, else the system's.
    pub temp_dir: Option<PathBuf>,
    /// Start the real PostgreSQL from this snapshot (`Sandbox::keep_postgres`,
    /// written by `rewind drill --keep`) instead of an empty cluster.
    pub postgres_snapshot: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: vec![TokenSeed::new("tk-us-sandbox", "sandbox-user")],
            apps: Vec::new(),
            token_lifetime: Duration::from_secs(3600),
            addon_token_lifetime: Duration::from_secs(3600),
            rate_limit_per_minute: 60,
            deploy_duration: Duration::from_millis(4000),
            state_file: None,
            variants: Variants::default(),
            postgres: PostgresMode::default(),
            temp_dir: None,
            postgres_snapshot: None,
        }
    }
}

/// Where the documentation and the live API disagree, or where Scalingo's
/// public sources leave the real behaviour uncertain, the sandbox can serve
/// either form, so that clients are tested against both. The defaults are
/// the forms the sandbox always served; each is also switchable while it
/// runs (`PUT /_sandbox/variants`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variants {
    /// Body of `POST /api/databases/{id}/pitr/restore`.
    #[serde(default)]
    pub pitr_restore_body: PitrRestoreBody,
    /// Status of `POST /v1/apps/{app}/deployments` (archive deploy): 200 as
    /// documented, 201 as seen live.
    #[serde(default = "default_archive_status")]
    pub archive_deploy_status: u16,
    /// A finished backup's `size`: its archive's byte count, or another
    /// figure (nothing in Scalingo's sources says it is the archive's).
    #[serde(default)]
    pub backup_size: BackupSize,
    /// Which deployment objects carry `links.output`.
    #[serde(default)]
    pub deployment_links: DeploymentLinks,
    /// The deployment stream refuses (403) a handshake without an
    /// `Origin` header, as the official clients' habit suggests it may.
    #[serde(default)]
    pub stream_requires_origin: bool,
    /// Whether the recovery window carries its times.
    #[serde(default)]
    pub recovery_window: RecoveryWindowForm,
    /// How many redirects the build-log route answers before the log
    /// (0 to [`MAX_BUILD_LOG_REDIRECTS`]).
    #[serde(default)]
    pub build_log_redirects: u8,
    /// Where the last redirect of the build-log route goes.
    #[serde(default)]
    pub build_log_redirect_host: RedirectHost,
}

impl Default for Variants {
    fn default() -> Self {
        Variants {
            pitr_restore_body: PitrRestoreBody::default(),
            archive_deploy_status: default_archive_status(),
            backup_size: BackupSize::default(),
            deployment_links: DeploymentLinks::default(),
            stream_requires_origin: false,
            recovery_window: RecoveryWindowForm::default(),
            build_log_redirects: 0,
            build_log_redirect_host: RedirectHost::default(),
        }
    }
}

/// The most redirects the build-log route may be told to answer: one more
/// than a client that follows three must accept.
pub const MAX_BUILD_LOG_REDIRECTS: u8 = 5;

impl Variants {
    /// The values a seed or the admin route may not give.
    pub fn check(&self) -> Result<(), String> {
        if self.archive_deploy_status != 200 && self.archive_deploy_status != 201 {
            return Err("sandbox.variants.archive_deploy_status must be 200 or 201".into());
        }
        if self.build_log_redirects > MAX_BUILD_LOG_REDIRECTS {
            return Err(format!(
                "sandbox.variants.build_log_redirects must be from 0 to {MAX_BUILD_LOG_REDIRECTS}"
            ));
        }
        Ok(())
    }
}

fn default_archive_status() -> u16 {
    201
}

/// What a finished backup's `size` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupSize {
    /// The byte count of the archive a client downloads.
    #[default]
    Archive,
    /// Another figure: the dump's size before compression, so never the
    /// archive's byte count.
    Differs,
}

/// Which deployment objects carry `links.output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentLinks {
    /// The list's items and the single deployment.
    #[default]
    Everywhere,
    /// Only the single deployment (`GET .../deployments/{id}`): the list's
    /// items have no `links`, as in the documented list example.
    Single,
    /// Neither: clients must know the `/deployments/{id}/output` path.
    None,
}

/// The recovery window's shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryWindowForm {
    /// `earliest_recoverable_at` and `latest_recoverable_at` given.
    #[default]
    Times,
    /// Both absent (Go's client makes them optional): a database with no
    /// point-in-time base backup yet. A restore is then refused.
    NoTimes,
}

/// Where the build-log route's last redirect points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectHost {
    /// The API's own host: the bearer is expected there too.
    #[default]
    Same,
    /// Another host name for the same server (`localhost` for
    /// `127.0.0.1`), serving the log at a signed path that refuses a
    /// request carrying an `Authorization` header, as a storage host does.
    Other,
}

/// `{"operation_id": "..."}` (documentation) or `{"operation": {...}}`
/// (clients).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PitrRestoreBody {
    #[default]
    OperationId,
    Operation,
}

/// Whether the sandbox runs a real PostgreSQL cluster for its PostgreSQL
/// addons (real `pg_dump` backups, real point-in-time recovery, a
/// connection URL) or keeps their contents simulated in memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostgresMode {
    /// Real when the server binaries are found, simulated otherwise.
    #[default]
    Auto,
    /// Real; the sandbox does not start without the server binaries.
    On,
    /// Simulated.
    Off,
}

/// An API token the sandbox accepts, and the user it belongs to (what
/// `GET /v1/users/self` answers).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSeed {
    pub token: String,
    /// The username.
    #[serde(default = "default_user")]
    pub user: String,
    /// `<user>@sandbox.localhost` when not given.
    #[serde(default)]
    pub email: Option<String>,
    /// The username when not given.
    #[serde(default)]
    pub fullname: Option<String>,
}

impl TokenSeed {
    /// A token for `user`, with the default email and full name.
    pub fn new(token: &str, user: &str) -> Self {
        TokenSeed {
            token: token.to_string(),
            user: user.to_string(),
            email: None,
            fullname: None,
        }
    }

    /// The user's email address.
    pub fn email(&self) -> String {
        self.email
            .clone()
            .unwrap_or_else(|| format!("{}@sandbox.localhost", self.user))
    }

    /// The user's full name.
    pub fn fullname(&self) -> String {
        self.fullname.clone().unwrap_or_else(|| self.user.clone())
    }
}

fn default_user() -> String {
    "sandbox-user".to_string()
}

/// An app declared at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSeed {
    pub name: String,
    /// The app's git repository: a local path or a `file://` URL.
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub scm: Option<ScmSeed>,
    #[serde(default)]
    pub addons: Vec<AddonSeed>,
}

/// The app's SCM link.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScmSeed {
    #[serde(default = "default_branch")]
    pub branch: String,
    #[serde(default)]
    pub auto_deploy: bool,
}

fn default_branch() -> String {
    "main".to_string()
}

/// An addon of an app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonSeed {
    /// `scalingo-postgresql`, `scalingo-redis`, ...
    pub provider: String,
    #[serde(default = "default_plan")]
    pub plan: String,
}

fn default_plan() -> String {
    "postgresql-starter-512".to_string()
}

/// The longest token lifetime a seed may ask for: a year.
const MAX_LIFETIME_SECS: u64 = 365 * 24 * 3600;
/// The longest deploy a seed may ask for: an hour.
const MAX_DEPLOY_MS: u64 = 3_600_000;

/// A token and its user: printable, no blank, not absurdly long.
fn check_token(seed: &TokenSeed) -> Result<(), String> {
    let fields = [
        ("token", Some(&seed.token)),
        ("user", Some(&seed.user)),
        ("email", seed.email.as_ref()),
        ("fullname", seed.fullname.as_ref()),
    ];
    for (name, value) in fields {
        let Some(value) = value else { continue };
        if value.trim().is_empty() {
            return Err(format!("{name} can't be blank"));
        }
        if value.len() > 1024 || value.chars().any(char::is_control) {
            return Err(format!(
                "{name} `{}` is invalid: at most 1024 printable characters",
                shown(value)
            ));
        }
    }
    if seed.token.chars().any(char::is_whitespace) {
        return Err("token holds a space: API tokens are one word, such as `tk-us-sandbox`".into());
    }
    Ok(())
}

/// Text from a seed file as it may appear in a message: escapes shown, not
/// acted on by the terminal, and cut when long.
fn shown(text: &str) -> String {
    let escaped: String = text.escape_debug().collect();
    if escaped.chars().count() > 80 {
        let cut: String = escaped.chars().take(80).collect();
        format!("{cut}...")
    } else {
        escaped
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    sandbox: SeedSettings,
    #[serde(default)]
    tokens: Vec<TokenSeed>,
    #[serde(default)]
    apps: Vec<AppSeed>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSettings {
    token_lifetime_secs: Option<u64>,
    addon_token_lifetime_secs: Option<u64>,
    rate_limit_per_minute: Option<u32>,
    deploy_duration_ms: Option<u64>,
    variants: Option<Variants>,
    postgres: Option<PostgresMode>,
    postgres_snapshot: Option<PathBuf>,
}

/// A seed file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the seed file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl SandboxConfig {
    /// Reads a TOML seed file on top of the defaults. Tokens declared in the
    /// file replace the default token.
    pub fn from_seed_file(path: &Path) -> Result<Self, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |message| SeedError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut config = Self::from_seed_str(&text).map_err(invalid)?;
        if let Some(dir) = config.postgres_snapshot.take() {
            // Relative to the seed file, as a person reading it expects.
            let dir = match path.parent() {
                Some(parent) if dir.is_relative() => parent.join(dir),
                _ => dir,
            };
            if !dir.join("snapshot.json").is_file() {
                return Err(invalid(format!(
                    "sandbox.postgres_snapshot: {} holds no kept PostgreSQL cluster (no snapshot.json); it is the sandbox-postgres-at-alert directory `rewind drill --keep` writes",
                    dir.display()
                )));
            }
            config.postgres_snapshot = Some(dir);
        }
        Ok(config)
    }

    /// Parses seed text; the error is the TOML parser's message (with line
    /// and column).
    pub fn from_seed_str(text: &str) -> Result<Self, String> {
        let seed: SeedFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut config = SandboxConfig::default();
        if !seed.tokens.is_empty() {
            config.tokens = seed.tokens;
        }
        config.apps = seed.apps;
        let s = seed.sandbox;
        for (key, value, min, max) in [
            (
                "token_lifetime_secs",
                s.token_lifetime_secs,
                1,
                MAX_LIFETIME_SECS,
            ),
            (
                "addon_token_lifetime_secs",
                s.addon_token_lifetime_secs,
                1,
                MAX_LIFETIME_SECS,
            ),
            ("deploy_duration_ms", s.deploy_duration_ms, 0, MAX_DEPLOY_MS),
        ] {
            if let Some(v) = value
                && !(min..=max).contains(&v)
            {
                return Err(format!(
                    "sandbox.{key} = {v} is out of range: give a number from {min} to {max}"
                ));
            }
        }
        if let Some(v) = s.token_lifetime_secs {
            config.token_lifetime = Duration::from_secs(v);
        }
        if let Some(v) = s.addon_token_lifetime_secs {
            config.addon_token_lifetime = Duration::from_secs(v);
        }
        if let Some(v) = s.rate_limit_per_minute {
            config.rate_limit_per_minute = v;
        }
        if let Some(v) = s.deploy_duration_ms {
            config.deploy_duration = Duration::from_millis(v);
        }
        if let Some(v) = s.postgres {
            config.postgres = v;
        }
        if let Some(dir) = s.postgres_snapshot {
            if config.postgres != PostgresMode::On {
                return Err(
                    "sandbox.postgres_snapshot needs postgres = \"on\": a snapshot is a real PostgreSQL cluster"
                        .into(),
                );
            }
            config.postgres_snapshot = Some(dir);
        }
        if let Some(v) = s.variants {
            v.check()?;
            config.variants = v;
        }
        let mut tokens = std::collections::HashSet::new();
        for (i, token) in config.tokens.iter().enumerate() {
            check_token(token).map_err(|m| format!("tokens[{i}]: {m}"))?;
            if !tokens.insert(token.token.as_str()) {
                return Err(format!(
                    "tokens[{i}]: the token `{}` is declared twice",
                    shown(&token.token)
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for app in &config.apps {
            // The same rules as `POST /_sandbox/apps`: an app's name
            // becomes a directory name, and its branch a git argument.
            crate::platform::check_app_seed(app)
                .map_err(|(field, m)| format!("app `{}`: {field} {m}", shown(&app.name)))?;
            if !names.insert(app.name.as_str()) {
                return Err(format!("app `{}` is declared twice", shown(&app.name)));
            }
        }
        Ok(config)
    }
}
