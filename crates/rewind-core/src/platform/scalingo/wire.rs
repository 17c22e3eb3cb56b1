//! Scalingo's JSON as it comes over the wire, read leniently (every field
//! but ids optional, unknown fields ignored, numbers or strings accepted
//! where either has been seen), and turned into rewind's model.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::platform::model::*;

/// A string, or a number written as one.
fn flex_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string id, found {other}"
        ))),
    }
}

fn opt_flex_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// An ISO-8601 time; anything unreadable counts as absent rather than
/// failing the whole answer.
fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .and_then(|v| v.as_str().map(str::to_string))
        .and_then(|s| parse_time(&s)))
}

pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppEnvelope {
    pub app: WireApp,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireApp {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub git_url: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "opt_time")]
    pub last_deployed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_flex_string")]
    pub last_deployment_id: Option<String>,
    #[serde(default)]
    pub links: Option<WireAppLinks>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireAppLinks {
    #[serde(default)]
    pub deployments_stream: Option<String>,
}

impl From<WireApp> for App {
    fn from(w: WireApp) -> App {
        App {
            id: w.id,
            name: w.name,
            status: w.status.unwrap_or_else(|| "unknown".to_string()),
            url: w.url,
            git_url: w.git_url,
            region: w.region,
            last_deployed_at: w.last_deployed_at,
            last_deployment_id: w.last_deployment_id,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Pagination {
    #[serde(default)]
    pub current_page: Option<u32>,
    #[serde(default)]
    pub next_page: Option<u32>,
    #[serde(default)]
    pub total_pages: Option<u32>,
    #[serde(default)]
    pub total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Meta {
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeploymentsEnvelope {
    pub deployments: Vec<WireDeployment>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeploymentEnvelope {
    pub deployment: WireDeployment,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WirePusher {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireDeploymentLinks {
    #[serde(default)]
    pub output: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireDeployment {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub previous_git_ref: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub pusher: Option<WirePusher>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub duration: Option<u64>,
    #[serde(default)]
    pub links: Option<WireDeploymentLinks>,
}

impl From<WireDeployment> for Deployment {
    fn from(w: WireDeployment) -> Deployment {
        Deployment {
            id: w.id,
            created_at: w.created_at,
            finished_at: w.finished_at,
            status: deployment_status(w.status.as_deref().unwrap_or("unknown")),
            git_ref: w.git_ref.filter(|r| !r.is_empty()),
            previous_git_ref: w.previous_git_ref.filter(|r| !r.is_empty()),
            kind: w.kind,
            pusher: w
                .pusher
                .map(|p| Pusher {
                    username: p.username,
                    email: p.email,
                })
                .unwrap_or_default(),
            duration: w.duration,
            output_url: w.links.and_then(|l| l.output),
        }
    }
}

impl DeploymentsEnvelope {
    pub fn into_page(self, asked_page: u32) -> Page<Deployment> {
        page(self.deployments, self.meta, asked_page)
    }
}

/// A page of items from a list answer and its `meta.pagination`, which
/// may be missing (then the page asked for is the one given).
fn page<W, T: From<W>>(items: Vec<W>, meta: Option<Meta>, asked_page: u32) -> Page<T> {
    let p = meta.and_then(|m| m.pagination);
    Page {
        items: items.into_iter().map(T::from).collect(),
        current_page: p
            .as_ref()
            .and_then(|p| p.current_page)
            .unwrap_or(asked_page),
        next_page: p.as_ref().and_then(|p| p.next_page),
        total_pages: p.as_ref().and_then(|p| p.total_pages),
        total_count: p.as_ref().and_then(|p| p.total_count),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ScmLinkEnvelope {
    pub scm_repo_link: WireScmLink,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireScmLink {
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub scm_type: Option<String>,
    #[serde(default)]
    pub auto_deploy_enabled: Option<bool>,
    #[serde(default)]
    pub url: Option<String>,
}

impl From<WireScmLink> for ScmLink {
    fn from(w: WireScmLink) -> ScmLink {
        ScmLink {
            owner: w.owner,
            repo: w.repo,
            branch: w.branch,
            scm_type: w.scm_type,
            auto_deploy_enabled: w.auto_deploy_enabled.unwrap_or(false),
            url: w.url,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct OperationEnvelope {
    pub operation: WireOperation,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireOperation {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    pub finished_at: Option<DateTime<Utc>>,
}

fn error_text(v: Option<Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

impl From<WireOperation> for Operation {
    fn from(w: WireOperation) -> Operation {
        Operation {
            id: w.id,
            status: w.status.unwrap_or_else(|| "unknown".to_string()),
            kind: w.kind,
            error: error_text(w.error),
            created_at: w.created_at,
            finished_at: w.finished_at,
        }
    }
}

impl From<WireOperation> for DatabaseOperation {
    fn from(w: WireOperation) -> DatabaseOperation {
        DatabaseOperation {
            id: w.id,
            status: w.status.unwrap_or_else(|| "unknown".to_string()),
            kind: w.kind,
            error: error_text(w.error),
            created_at: w.created_at,
            finished_at: w.finished_at,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct VariablesEnvelope {
    pub variables: Vec<WireVariable>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VariableEnvelope {
    pub variable: WireVariable,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireVariable {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

impl From<WireVariable> for Variable {
    fn from(w: WireVariable) -> Variable {
        Variable {
            id: w.id,
            name: w.name,
            value: w.value.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct EventsEnvelope {
    pub events: Vec<WireEvent>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireEvent {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub user: Option<Value>,
    #[serde(default)]
    pub type_data: Option<Value>,
}

impl From<WireEvent> for Event {
    fn from(w: WireEvent) -> Event {
        let user = match w.user {
            Some(Value::Object(map)) => map
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_string),
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        Event {
            id: w.id,
            created_at: w.created_at,
            kind: w.kind.unwrap_or_else(|| "unknown".to_string()),
            user,
            type_data: w.type_data.unwrap_or(Value::Null),
        }
    }
}

impl EventsEnvelope {
    pub fn into_page(self, asked_page: u32) -> Page<Event> {
        page(self.events, self.meta, asked_page)
    }
}

/// One point of a metric (`GET /v1/apps/{app}/stats/router`): a bare
/// array of these.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePoint {
    #[serde(default, deserialize_with = "opt_time")]
    pub time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub value: Option<f64>,
}

impl WirePoint {
    /// The point, or `None` when it has no time (a point nobody can place
    /// is no evidence). A missing value counts as no request.
    pub fn into_point(self) -> Option<MetricPoint> {
        Some(MetricPoint {
            time: self.time?,
            value: self.value.unwrap_or(0.0).max(0.0),
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddonsEnvelope {
    pub addons: Vec<WireAddon>,
}

// No Debug: it holds a token.
#[derive(Deserialize)]
pub(crate) struct AddonTokenEnvelope {
    pub addon: AddonToken,
}

#[derive(Deserialize)]
pub(crate) struct AddonToken {
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireAddon {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub plan: Option<Value>,
    #[serde(default)]
    pub addon_provider: Option<WireProvider>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireProvider {
    #[serde(default, deserialize_with = "opt_flex_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A plan is an object with a name in the main API and a bare string in the
/// database API.
fn plan_name(plan: Option<Value>) -> Option<String> {
    match plan? {
        Value::String(s) => Some(s),
        Value::Object(map) => map
            .get("name")
            .or_else(|| map.get("display_name"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

impl From<WireAddon> for Addon {
    fn from(w: WireAddon) -> Addon {
        let provider = w.addon_provider;
        Addon {
            id: w.id,
            resource_id: w.resource_id,
            status: w.status,
            provider_id: provider
                .as_ref()
                .and_then(|p| p.id.clone())
                .unwrap_or_else(|| "unknown".to_string()),
            provider_name: provider.and_then(|p| p.name),
            plan: plan_name(w.plan),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DatabaseEnvelope {
    pub database: WireDatabase,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireDatabase {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub plan: Option<Value>,
    #[serde(default)]
    pub readable_version: Option<String>,
    #[serde(default)]
    pub periodic_backups_enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_flex_string")]
    pub current_operation_id: Option<String>,
}

impl From<WireDatabase> for Database {
    fn from(w: WireDatabase) -> Database {
        Database {
            id: w.id,
            status: w.status,
            type_name: w.type_name,
            plan: plan_name(w.plan),
            version: w.readable_version,
            periodic_backups_enabled: w.periodic_backups_enabled,
            current_operation_id: w.current_operation_id.filter(|s| !s.is_empty()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct BackupsEnvelope {
    pub database_backups: Vec<WireBackup>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BackupEnvelope {
    pub database_backup: WireBackup,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireBackup {
    #[serde(deserialize_with = "flex_string")]
    pub id: String,
    #[serde(default, deserialize_with = "opt_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub size: Option<u64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
}

impl From<WireBackup> for Backup {
    fn from(w: WireBackup) -> Backup {
        Backup {
            id: w.id,
            created_at: w.created_at,
            started_at: w.started_at,
            name: w.name,
            size: w.size,
            status: w.status.unwrap_or_else(|| "unknown".to_string()),
            method: w.method,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct DownloadUrl {
    pub download_url: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RecoveryWindowEnvelope {
    /// Absent, `null` or without its times for a database that has no
    /// point-in-time base backup yet (Go's client makes both optional).
    #[serde(default)]
    pub recovery_window: Option<WireRecoveryWindow>,
}

impl RecoveryWindowEnvelope {
    /// The window, or `None` when the database has none yet.
    pub fn window(self) -> Option<RecoveryWindow> {
        let w = self.recovery_window?;
        Some(RecoveryWindow {
            earliest: w.earliest_recoverable_at?,
            latest: w.latest_recoverable_at?,
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireRecoveryWindow {
    #[serde(default, deserialize_with = "opt_time")]
    pub earliest_recoverable_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_time")]
    pub latest_recoverable_at: Option<DateTime<Utc>>,
}

/// The PITR restore answer: `{"operation_id": ...}` in the documentation,
/// `{"operation": {...}}` from the clients. Both are accepted.
#[derive(Debug, Deserialize)]
pub(crate) struct PitrRestoreAnswer {
    #[serde(default, deserialize_with = "opt_flex_string")]
    pub operation_id: Option<String>,
    #[serde(default)]
    pub operation: Option<WireOperation>,
}

impl PitrRestoreAnswer {
    pub fn operation_id(self) -> Option<String> {
        self.operation_id.or_else(|| self.operation.map(|o| o.id))
    }
}

/// `{"token": ...}` from the exchange.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub token: String,
}

/// Scalingo's deployment statuses in the neutral model. An unknown one
/// is kept as it was said, and counts as finished and failed.
pub(crate) fn deployment_status(s: &str) -> DeploymentStatus {
    match s {
        "queued" => DeploymentStatus::Queued,
        "building" => DeploymentStatus::Building,
        "pushing" => DeploymentStatus::Pushing,
        "starting" => DeploymentStatus::Starting,
        "success" => DeploymentStatus::Success,
        "build-error" => DeploymentStatus::BuildError,
        "crashed-error" => DeploymentStatus::CrashedError,
        "timeout-error" => DeploymentStatus::TimeoutError,
        "hook-error" => DeploymentStatus::HookError,
        "aborted" => DeploymentStatus::Aborted,
        other => DeploymentStatus::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    //! Every documented example of an endpoint rewind uses must parse.
    use super::*;

    fn example(name: &str) -> String {
        let path = format!(
            "{}/../../tests/fixtures/scalingo-examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
        serde_json::from_str(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn every_example_of_the_endpoints_rewind_uses_parses() {
        let index: Vec<Value> = serde_json::from_str(&example("index.json")).expect("index");
        let mut checked = 0;
        for entry in &index {
            let file = entry["file"].as_str().expect("file");
            let path = entry["path"].as_str().unwrap_or("");
            let method = entry["method"].as_str().unwrap_or("");
            match (method, path) {
                ("GET", "/v1/apps/[:app]") | ("POST", "/v1/apps") => {
                    parse::<AppEnvelope>(file);
                }
                ("GET", "/v1/apps/[:app]/deployments") => {
                    parse::<DeploymentsEnvelope>(file);
                }
                ("GET", "/v1/apps/[:app]/deployments/[:deployment_id]")
                | ("POST", "/v1/apps/[:app]/deployments")
                | ("POST", "/v1/apps/example-app/scm_repo_link/manual_deploy") => {
                    parse::<DeploymentEnvelope>(file);
                }
                ("GET", "/v1/apps/example-app/scm_repo_link") => {
                    parse::<ScmLinkEnvelope>(file);
                }
                ("GET", "/v1/apps/[:app]/operations/[:operation_id]") => {
                    parse::<OperationEnvelope>(file);
                }
                ("GET", "/v1/apps/[:app]/variables") | ("PUT", "/v1/apps/[:app]/variables") => {
                    parse::<VariablesEnvelope>(file);
                }
                ("POST", "/v1/apps/[:app]/variables")
                | ("PATCH", "/v1/apps/[:app]/variables/[:variable_id]") => {
                    parse::<VariableEnvelope>(file);
                }
                ("GET", "/v1/apps/[:app]/addons") => {
                    parse::<AddonsEnvelope>(file);
                }
                ("GET", "/api/databases/[:db_id]") | ("PUT", "/api/databases/[:db_id]") => {
                    parse::<DatabaseEnvelope>(file);
                }
                ("GET", "/api/databases/[:db]/backups") => {
                    parse::<BackupsEnvelope>(file);
                }
                ("POST", "/api/databases/[:db]/backups") => {
                    parse::<BackupEnvelope>(file);
                }
                ("GET", "/api/databases/[:db]/backups/[:backup]/archive") => {
                    parse::<DownloadUrl>(file);
                }
                ("POST", "/api/databases/[:db_id]/pitr/restore") => {
                    let a: PitrRestoreAnswer = parse(file);
                    assert!(a.operation_id().is_some(), "{file}");
                }
                ("POST", "https://auth.scalingo.com/v1/tokens/exchange") => {
                    parse::<TokenAnswer>(file);
                }
                _ => continue,
            }
            checked += 1;
        }
        assert!(checked >= 18, "only {checked} examples checked");
    }

    #[test]
    fn every_event_example_parses() {
        for n in 1..=52 {
            let w: WireEvent = parse(&format!("events-{n:02}.json"));
            let e = Event::from(w);
            assert!(!e.kind.is_empty());
        }
    }

    #[test]
    fn examples_convert_to_the_model() {
        let d: DeploymentsEnvelope = parse("deployments-01.json");
        let page = d.into_page(1);
        assert_eq!(page.items[0].status, DeploymentStatus::BuildError);
        assert_eq!(page.items[0].git_ref.as_deref(), Some("abcdef1234567890"));
        assert_eq!(page.next_page, None);
        let archive: DeploymentEnvelope = parse("deployments-04.json");
        let archive = Deployment::from(archive.deployment);
        assert_eq!(archive.kind.as_deref(), Some("archive"));
        assert!(archive.status.in_progress());
        let addons: AddonsEnvelope = parse("addons-01.json");
        let addon = Addon::from(addons.addons.into_iter().next().expect("addon"));
        assert_eq!(addon.provider_id, "scalingo-redis");
        assert_eq!(addon.plan.as_deref(), Some("redis-sandbox"));
        assert!(!addon.is_postgresql());
        let db: DatabaseEnvelope = parse("databases-01.json");
        assert_eq!(
            Database::from(db.database).plan.as_deref(),
            Some("redis-sandbox")
        );
        let backups: BackupsEnvelope = parse("backups-01.json");
        let b: Vec<Backup> = backups
            .database_backups
            .into_iter()
            .map(Backup::from)
            .collect();
        assert_eq!(b[2].size, Some(17_484_513_608));
        assert!(b[1].is_failed());
    }

    #[test]
    fn both_pitr_answer_shapes_are_accepted() {
        let a: PitrRestoreAnswer = serde_json::from_str(r#"{"operation_id":"op-1"}"#).expect("a");
        assert_eq!(a.operation_id().as_deref(), Some("op-1"));
        let b: PitrRestoreAnswer =
            serde_json::from_str(r#"{"operation":{"id":"op-2","type":"pitr","status":"pending"}}"#)
                .expect("b");
        assert_eq!(b.operation_id().as_deref(), Some("op-2"));
    }

    #[test]
    fn a_recovery_window_without_times_is_no_window_not_a_malformed_answer() {
        for body in [
            r#"{"recovery_window":{}}"#,
            r#"{"recovery_window":{"earliest_recoverable_at":null,"latest_recoverable_at":null}}"#,
            r#"{"recovery_window":{"earliest_recoverable_at":"2026-11-20T10:00:00Z"}}"#,
            r#"{"recovery_window":null}"#,
            r#"{}"#,
        ] {
            let e: RecoveryWindowEnvelope = serde_json::from_str(body).expect(body);
            assert_eq!(e.window(), None, "{body}");
        }
        let e: RecoveryWindowEnvelope = serde_json::from_str(
            r#"{"recovery_window":{"earliest_recoverable_at":"2026-11-20T10:00:00Z","latest_recoverable_at":"2026-11-21T10:00:00.5Z"}}"#,
        )
        .expect("window");
        assert!(e.window().is_some());
    }

    #[test]
    fn router_metrics_are_read_as_documented_and_undated_points_are_dropped() {
        // The shape of the developers documentation's "Get Metrics Data of
        // an Application" and scalingo.js's `Point`: a bare array.
        let points: Vec<WirePoint> = serde_json::from_str(
            r#"[{"time":"2016-07-26T15:34:00Z","value":12},{"time":"2016-07-26T15:35:00Z","value":0.5},{"value":3},{"time":"2016-07-26T15:36:00Z","value":null}]"#,
        )
        .expect("points");
        let points: Vec<MetricPoint> = points
            .into_iter()
            .filter_map(WirePoint::into_point)
            .collect();
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].time.to_rfc3339(), "2016-07-26T15:34:00+00:00");
        assert_eq!(
            points.iter().map(|p| p.value).collect::<Vec<_>>(),
            [12.0, 0.5, 0.0]
        );
    }
}

#[cfg(test)]
mod status_tests {
    use super::*;

    /// Every status Scalingo documents has its neutral value, said in
    /// rewind's words as Scalingo says it; an unknown one is a failure.
    #[test]
    fn scalingo_statuses_map_to_the_neutral_ones() {
        let known = [
            "queued",
            "building",
            "pushing",
            "starting",
            "success",
            "build-error",
            "crashed-error",
            "timeout-error",
            "hook-error",
            "aborted",
        ];
        for s in known {
            let status = deployment_status(s);
            assert!(!matches!(status, DeploymentStatus::Other(_)), "{s}");
            assert_eq!(status.as_str(), s);
            assert_eq!(DeploymentStatus::parse(status.as_str()), status);
        }
        let unknown = deployment_status("exploded");
        assert_eq!(unknown, DeploymentStatus::Other("exploded".into()));
        assert!(unknown.is_failure());
    }
}
