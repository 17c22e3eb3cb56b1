//! An in-memory platform for the core's unit tests: apps, deployments, SCM
//! links, variables and addons held in memory, each request answered from
//! them and each write recorded. It imitates the neutral model of
//! [`Platform`], not any platform's wire: a deploy is a new deployment that
//! succeeds at once with the commit it was asked for. Fast (no sandbox, no
//! socket); what only a real API shows (rate limits, retries, uncertain
//! writes) stays with the sandbox's tests.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::{
    Addon, App, Backup, Database, DatabaseOperation, Deployment, DeploymentStatus, Event,
    MetricPoint, Operation, Page, Platform, PlatformError, PlatformInfo, Pusher, RecoveryWindow,
    ScmLink, Variable,
};
use crate::secret::Secret;

/// What the fake's errors say about it.
pub static INFO: PlatformInfo = PlatformInfo {
    name: "the fake platform",
    token_hints: &["the fake platform needs no token"],
    invalid_token_hint: "the fake platform needs no token",
    otp_hint: "the fake platform needs no token",
    unauthorized_hint: "the fake platform needs no token",
    endpoint_example: "memory:",
    region_setting: "nothing: the fake platform has no region",
    dashboard: "the fake platform's state",
    rate_limit_note: "the fake platform's rate limit",
    rate_limit_hint: "the fake platform has no rate limit",
    outage_hint: "the fake platform does not fail by itself",
    endpoint_variables: "nothing",
    api_url_variable: "nothing",
};

/// One app held in memory.
#[derive(Debug, Clone, Default)]
pub struct FakeApp {
    /// Newest first, as the platform lists them.
    pub deployments: Vec<Deployment>,
    pub scm: Option<ScmLink>,
    pub git_url: Option<String>,
    pub variables: Vec<Variable>,
    pub addons: Vec<Addon>,
}

/// A write the fake received, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    ManualDeploy { app: String, branch: String },
    ArchiveDeploy { app: String, git_ref: String },
    AutoDeploy { app: String, enabled: bool },
    Restart { app: String },
    SetVariable { app: String, name: String },
}

#[derive(Default)]
pub struct FakePlatform {
    apps: Mutex<HashMap<String, FakeApp>>,
    writes: Mutex<Vec<Write>>,
    reads: Mutex<usize>,
}

/// A finished deployment of `commit`, `minutes_ago` minutes old.
pub fn deployment(
    id: &str,
    commit: &str,
    status: DeploymentStatus,
    minutes_ago: i64,
) -> Deployment {
    let created = Utc::now() - Duration::minutes(minutes_ago);
    Deployment {
        id: id.to_string(),
        created_at: Some(created),
        finished_at: (!status.in_progress()).then_some(created + Duration::seconds(30)),
        status,
        git_ref: Some(commit.to_string()),
        previous_git_ref: None,
        kind: None,
        pusher: Pusher::default(),
        duration: Some(30),
        output_url: None,
    }
}

impl FakePlatform {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an app.
    pub fn with_app(self, name: &str, app: FakeApp) -> Self {
        self.apps.lock().unwrap().insert(name.to_string(), app);
        self
    }

    /// The writes received so far, in order.
    pub fn writes(&self) -> Vec<Write> {
        self.writes.lock().unwrap().clone()
    }

    /// The app as it is now.
    pub fn state(&self, app: &str) -> FakeApp {
        self.apps.lock().unwrap()[app].clone()
    }

    fn with<T>(
        &self,
        app: &str,
        f: impl FnOnce(&mut FakeApp) -> Result<T, PlatformError>,
    ) -> Result<T, PlatformError> {
        *self.reads.lock().unwrap() += 1;
        let mut apps = self.apps.lock().unwrap();
        match apps.get_mut(app) {
            Some(a) => f(a),
            None => Err(not_found("app", app)),
        }
    }

    fn record(&self, write: Write) {
        self.writes.lock().unwrap().push(write);
    }

    fn deploy(
        &self,
        app: &str,
        commit: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Deployment, PlatformError> {
        self.with(app, |a| {
            let previous = a.deployments.first().and_then(|d| d.git_ref.clone());
            let mut d = deployment(
                &format!("fake-{}", a.deployments.len() + 1),
                commit.unwrap_or_default(),
                DeploymentStatus::Success,
                0,
            );
            d.git_ref = commit.map(str::to_string);
            d.previous_git_ref = previous;
            d.kind = kind.map(str::to_string);
            a.deployments.insert(0, d.clone());
            Ok(d)
        })
    }
}

fn not_found(resource: &str, name: &str) -> PlatformError {
    PlatformError::NotFound {
        platform: &INFO,
        resource: resource.to_string(),
        name: name.to_string(),
        region: "memory".to_string(),
    }
}

impl Platform for FakePlatform {
    fn info(&self) -> &'static PlatformInfo {
        &INFO
    }

    /// No git remote in memory: a push deploys nothing.
    fn deploy_methods(&self) -> super::DeployMethods {
        super::DeployMethods {
            scm_branch: true,
            archive: true,
            push_branches: &[],
        }
    }

    fn requests_sent(&self) -> usize {
        *self.reads.lock().unwrap()
    }

    fn app(&self, app: &str) -> Result<App, PlatformError> {
        self.with(app, |a| {
            let last = a.deployments.first();
            Ok(App {
                id: format!("app-{app}"),
                name: app.to_string(),
                status: "running".to_string(),
                url: None,
                git_url: a.git_url.clone(),
                region: None,
                last_deployed_at: last.and_then(|d| d.created_at),
                last_deployment_id: last.map(|d| d.id.clone()),
            })
        })
    }

    fn deployments(
        &self,
        app: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Deployment>, PlatformError> {
        self.with(app, |a| {
            let per = per_page.max(1) as usize;
            let total = a.deployments.len();
            let start = (page.max(1) as usize - 1) * per;
            let items: Vec<Deployment> = a
                .deployments
                .iter()
                .skip(start)
                .take(per)
                .cloned()
                .collect();
            let pages = total.div_ceil(per) as u32;
            Ok(Page {
                items,
                current_page: page,
                next_page: (page < pages).then_some(page + 1),
                total_pages: Some(pages),
                total_count: Some(total as u64),
            })
        })
    }

    fn deployment(&self, app: &str, id: &str) -> Result<Deployment, PlatformError> {
        self.with(app, |a| {
            a.deployments
                .iter()
                .find(|d| d.id == id)
                .cloned()
                .ok_or_else(|| not_found("deployment", id))
        })
    }

    fn build_log(
        &self,
        _deployment: &Deployment,
    ) -> Result<Option<Box<dyn Read + Send>>, PlatformError> {
        Ok(None)
    }

    fn scm_link(&self, app: &str) -> Result<Option<ScmLink>, PlatformError> {
        self.with(app, |a| Ok(a.scm.clone()))
    }

    fn set_auto_deploy(&self, app: &str, enabled: bool) -> Result<ScmLink, PlatformError> {
        self.record(Write::AutoDeploy {
            app: app.to_string(),
            enabled,
        });
        self.with(app, |a| {
            let link = a
                .scm
                .as_mut()
                .ok_or_else(|| not_found("scm_repo_link", app))?;
            link.auto_deploy_enabled = enabled;
            Ok(link.clone())
        })
    }

    fn manual_deploy(
        &self,
        app: &str,
        branch: &str,
        expected_commit: Option<&str>,
    ) -> Result<Deployment, PlatformError> {
        self.record(Write::ManualDeploy {
            app: app.to_string(),
            branch: branch.to_string(),
        });
        self.deploy(app, expected_commit, None)
    }

    fn archive_deploy(
        &self,
        app: &str,
        git_ref: &str,
        _source_url: &Secret,
    ) -> Result<Deployment, PlatformError> {
        self.record(Write::ArchiveDeploy {
            app: app.to_string(),
            git_ref: git_ref.to_string(),
        });
        self.deploy(app, Some(git_ref), Some("archive"))
    }

    fn restart(&self, app: &str, _scope: &[String]) -> Result<String, PlatformError> {
        self.record(Write::Restart {
            app: app.to_string(),
        });
        self.with(app, |_| Ok("restart-1".to_string()))
    }

    fn operation(&self, app: &str, id: &str) -> Result<Operation, PlatformError> {
        self.with(app, |_| {
            Ok(Operation {
                id: id.to_string(),
                status: "done".to_string(),
                kind: Some("restart".to_string()),
                error: None,
                created_at: None,
                finished_at: None,
            })
        })
    }

    fn variables(&self, app: &str) -> Result<Vec<Variable>, PlatformError> {
        self.with(app, |a| Ok(a.variables.clone()))
    }

    fn set_variable(&self, app: &str, name: &str, value: &str) -> Result<Variable, PlatformError> {
        self.record(Write::SetVariable {
            app: app.to_string(),
            name: name.to_string(),
        });
        self.with(app, |a| {
            a.variables.retain(|v| v.name != name);
            let v = Variable {
                id: format!("var-{name}"),
                name: name.to_string(),
                value: value.to_string(),
            };
            a.variables.push(v.clone());
            Ok(v)
        })
    }

    fn events(&self, app: &str, page: u32, _per_page: u32) -> Result<Page<Event>, PlatformError> {
        self.with(app, |_| {
            Ok(Page {
                items: Vec::new(),
                current_page: page,
                next_page: None,
                total_pages: Some(1),
                total_count: Some(0),
            })
        })
    }

    fn router_metrics(
        &self,
        app: &str,
        _since_hours: u32,
        _status_class: Option<&str>,
    ) -> Result<Vec<MetricPoint>, PlatformError> {
        self.with(app, |_| Ok(Vec::new()))
    }

    fn addons(&self, app: &str) -> Result<Vec<Addon>, PlatformError> {
        self.with(app, |a| Ok(a.addons.clone()))
    }

    fn database(&self, app: &str, addon_id: &str) -> Result<Database, PlatformError> {
        self.with(app, |_| Err(not_found("database", addon_id)))
    }

    fn backups(&self, app: &str, addon_id: &str) -> Result<Vec<Backup>, PlatformError> {
        self.with(app, |_| Err(not_found("database", addon_id)))
    }

    fn create_backup(&self, app: &str, addon_id: &str) -> Result<Backup, PlatformError> {
        self.with(app, |_| Err(not_found("database", addon_id)))
    }

    fn backup(&self, app: &str, _addon_id: &str, backup_id: &str) -> Result<Backup, PlatformError> {
        self.with(app, |_| Err(not_found("backup", backup_id)))
    }

    fn backup_download_url(
        &self,
        app: &str,
        _addon_id: &str,
        backup_id: &str,
    ) -> Result<Secret, PlatformError> {
        self.with(app, |_| Err(not_found("backup", backup_id)))
    }

    fn recovery_window(&self, app: &str, addon_id: &str) -> Result<RecoveryWindow, PlatformError> {
        self.with(app, |_| Err(not_found("database", addon_id)))
    }

    fn pitr_restore(
        &self,
        app: &str,
        addon_id: &str,
        _at: DateTime<Utc>,
    ) -> Result<String, PlatformError> {
        self.with(app, |_| Err(not_found("database", addon_id)))
    }

    fn database_operation(
        &self,
        app: &str,
        _addon_id: &str,
        operation_id: &str,
    ) -> Result<DatabaseOperation, PlatformError> {
        self.with(app, |_| Err(not_found("operation", operation_id)))
    }
}
