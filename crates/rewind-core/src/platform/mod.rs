//! What a hosting platform must offer rewind ([`Platform`]), the values it
//! returns ([`model`]) and the ways it fails ([`PlatformError`]); Scalingo is
//! the first implementation ([`scalingo`]).

pub mod error;
#[cfg(test)]
pub(crate) mod fake;
pub mod model;
pub mod scalingo;
mod stream;
pub mod wait;

pub use error::{PlatformError, PlatformInfo, Service};
pub use model::*;
pub use stream::{DeployStream, StreamError, StreamFrame};
pub use wait::{Unwatched, Wait, WaitKind, WaitObserver};

use std::io::Read;

use chrono::{DateTime, Utc};

use crate::secret::Secret;

/// The ways the platform can be given a release to deploy, and how: what
/// a rollback may offer on it. The rollback asks, never assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployMethods {
    /// A branch (or tag) deployed through the SCM link
    /// ([`Platform::manual_deploy`]).
    pub scm_branch: bool,
    /// A source archive deployed by URL ([`Platform::archive_deploy`]).
    pub archive: bool,
    /// The branches of the app's own git remote a push deploys, in the
    /// order rewind pushes to them (a push deploys only when it moves one);
    /// empty when a push deploys nothing.
    pub push_branches: &'static [&'static str],
}

/// Everything rewind asks of a platform. Reads may be retried by the
/// implementation; writes are never retried blindly: after an uncertain
/// failure the implementation re-reads the state to learn whether the write
/// happened, and says so in its error. `Sync`: independent reads of one
/// operation go out at once, from threads of its own.
pub trait Platform: Sync {
    /// What errors and hints say about the platform: its name, its
    /// dashboard, its status page, its variables.
    fn info(&self) -> &'static PlatformInfo;

    /// How a sentence names the platform: `Scalingo`.
    fn name(&self) -> &'static str {
        self.info().name
    }

    /// The ways it deploys a release.
    fn deploy_methods(&self) -> DeployMethods;

    /// Requests sent so far by this client, retries included (0 for a
    /// platform that does not count them).
    fn requests_sent(&self) -> usize {
        0
    }

    /// The app, its status and links.
    fn app(&self, app: &str) -> Result<App, PlatformError>;

    /// One page of the app's deployments, newest first.
    fn deployments(
        &self,
        app: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Deployment>, PlatformError>;

    /// One deployment.
    fn deployment(&self, app: &str, id: &str) -> Result<Deployment, PlatformError>;

    /// The build log of a deployment as a stream, or `None` when the
    /// platform has no log for it. Callers read as little as they need.
    fn build_log(
        &self,
        deployment: &Deployment,
    ) -> Result<Option<Box<dyn Read + Send>>, PlatformError>;

    /// Opens the app's live deployment stream (every deployment of the
    /// app, filtered by the reader), or `None` when there is none; callers
    /// then poll [`Platform::deployment`]. Platforms without a stream keep
    /// this default.
    fn deployment_stream(&self, app: &str) -> Result<Option<Box<dyn DeployStream>>, PlatformError> {
        let _ = app;
        Ok(None)
    }

    /// The app's SCM link, or `None` when the app has none.
    fn scm_link(&self, app: &str) -> Result<Option<ScmLink>, PlatformError>;

    /// The account the token belongs to, or `None` when the platform does
    /// not say.
    fn current_user(&self) -> Result<Option<PlatformUser>, PlatformError> {
        Ok(None)
    }

    /// The bearer held after exchanging the API token (exchanging it when
    /// none is held), or `None` when the platform has no such thing.
    fn session(&self) -> Result<Option<Session>, PlatformError> {
        Ok(None)
    }

    /// Where requests go (resolving the region when needed), or `None`
    /// when the platform has a single address.
    fn api_endpoints(&self) -> Result<Option<ApiEndpoints>, PlatformError> {
        Ok(None)
    }

    /// Switches auto-deploy of the SCM link on or off.
    fn set_auto_deploy(&self, app: &str, enabled: bool) -> Result<ScmLink, PlatformError>;

    /// Deploys a branch (or tag) through the SCM link. `expected_commit`,
    /// when known, lets an uncertain failure be resolved by re-reading the
    /// deployments.
    fn manual_deploy(
        &self,
        app: &str,
        branch: &str,
        expected_commit: Option<&str>,
    ) -> Result<Deployment, PlatformError>;

    /// Deploys a source archive (`.tar.gz` URL, which may carry a token).
    fn archive_deploy(
        &self,
        app: &str,
        git_ref: &str,
        source_url: &Secret,
    ) -> Result<Deployment, PlatformError>;

    /// Restarts the app (all process types when `scope` is empty) and
    /// returns the id of the operation to follow.
    fn restart(&self, app: &str, scope: &[String]) -> Result<String, PlatformError>;

    /// An app operation (restart, scale...).
    fn operation(&self, app: &str, id: &str) -> Result<Operation, PlatformError>;

    /// The app's environment variables.
    fn variables(&self, app: &str) -> Result<Vec<Variable>, PlatformError>;

    /// Creates or updates an environment variable. It does not restart the
    /// app.
    fn set_variable(&self, app: &str, name: &str, value: &str) -> Result<Variable, PlatformError>;

    /// One page of the app's events, newest first.
    fn events(&self, app: &str, page: u32, per_page: u32) -> Result<Page<Event>, PlatformError>;

    /// The app's router metrics, one point per minute over the last
    /// `since_hours` hours, oldest first: the requests the app received,
    /// or only those answered with `status_class` (`"5XX"`) when given.
    fn router_metrics(
        &self,
        app: &str,
        since_hours: u32,
        status_class: Option<&str>,
    ) -> Result<Vec<MetricPoint>, PlatformError>;

    /// The app's addons.
    fn addons(&self, app: &str) -> Result<Vec<Addon>, PlatformError>;

    /// The database behind an addon.
    fn database(&self, app: &str, addon_id: &str) -> Result<Database, PlatformError>;

    /// The database's backups, newest first.
    fn backups(&self, app: &str, addon_id: &str) -> Result<Vec<Backup>, PlatformError>;

    /// Starts a manual backup.
    fn create_backup(&self, app: &str, addon_id: &str) -> Result<Backup, PlatformError>;

    /// One backup.
    fn backup(&self, app: &str, addon_id: &str, backup_id: &str) -> Result<Backup, PlatformError>;

    /// A URL the backup's archive can be downloaded from (it carries a
    /// token: a secret).
    fn backup_download_url(
        &self,
        app: &str,
        addon_id: &str,
        backup_id: &str,
    ) -> Result<Secret, PlatformError>;

    /// The span of time a point-in-time restore can reach.
    fn recovery_window(&self, app: &str, addon_id: &str) -> Result<RecoveryWindow, PlatformError>;

    /// Starts a point-in-time restore and returns the operation id.
    fn pitr_restore(
        &self,
        app: &str,
        addon_id: &str,
        at: DateTime<Utc>,
    ) -> Result<String, PlatformError>;

    /// A database operation (a restore).
    fn database_operation(
        &self,
        app: &str,
        addon_id: &str,
        operation_id: &str,
    ) -> Result<DatabaseOperation, PlatformError>;
}

/// A boxed platform is a platform: what `Context::platform` returns is
/// passed wherever a `&dyn Platform` is asked for.
impl<P: Platform + ?Sized> Platform for Box<P> {
    fn info(&self) -> &'static PlatformInfo {
        (**self).info()
    }

    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn deploy_methods(&self) -> DeployMethods {
        (**self).deploy_methods()
    }

    fn requests_sent(&self) -> usize {
        (**self).requests_sent()
    }

    fn app(&self, app: &str) -> Result<App, PlatformError> {
        (**self).app(app)
    }

    fn deployments(
        &self,
        app: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Deployment>, PlatformError> {
        (**self).deployments(app, page, per_page)
    }

    fn deployment(&self, app: &str, id: &str) -> Result<Deployment, PlatformError> {
        (**self).deployment(app, id)
    }

    fn build_log(
        &self,
        deployment: &Deployment,
    ) -> Result<Option<Box<dyn Read + Send>>, PlatformError> {
        (**self).build_log(deployment)
    }

    fn deployment_stream(&self, app: &str) -> Result<Option<Box<dyn DeployStream>>, PlatformError> {
        (**self).deployment_stream(app)
    }

    fn scm_link(&self, app: &str) -> Result<Option<ScmLink>, PlatformError> {
        (**self).scm_link(app)
    }

    fn current_user(&self) -> Result<Option<PlatformUser>, PlatformError> {
        (**self).current_user()
    }

    fn session(&self) -> Result<Option<Session>, PlatformError> {
        (**self).session()
    }

    fn api_endpoints(&self) -> Result<Option<ApiEndpoints>, PlatformError> {
        (**self).api_endpoints()
    }

    fn set_auto_deploy(&self, app: &str, enabled: bool) -> Result<ScmLink, PlatformError> {
        (**self).set_auto_deploy(app, enabled)
    }

    fn manual_deploy(
        &self,
        app: &str,
        branch: &str,
        expected_commit: Option<&str>,
    ) -> Result<Deployment, PlatformError> {
        (**self).manual_deploy(app, branch, expected_commit)
    }

    fn archive_deploy(
        &self,
        app: &str,
        git_ref: &str,
        source_url: &Secret,
    ) -> Result<Deployment, PlatformError> {
        (**self).archive_deploy(app, git_ref, source_url)
    }

    fn restart(&self, app: &str, scope: &[String]) -> Result<String, PlatformError> {
        (**self).restart(app, scope)
    }

    fn operation(&self, app: &str, id: &str) -> Result<Operation, PlatformError> {
        (**self).operation(app, id)
    }

    fn variables(&self, app: &str) -> Result<Vec<Variable>, PlatformError> {
        (**self).variables(app)
    }

    fn set_variable(&self, app: &str, name: &str, value: &str) -> Result<Variable, PlatformError> {
        (**self).set_variable(app, name, value)
    }

    fn events(&self, app: &str, page: u32, per_page: u32) -> Result<Page<Event>, PlatformError> {
        (**self).events(app, page, per_page)
    }

    fn router_metrics(
        &self,
        app: &str,
        since_hours: u32,
        status_class: Option<&str>,
    ) -> Result<Vec<MetricPoint>, PlatformError> {
        (**self).router_metrics(app, since_hours, status_class)
    }

    fn addons(&self, app: &str) -> Result<Vec<Addon>, PlatformError> {
        (**self).addons(app)
    }

    fn database(&self, app: &str, addon_id: &str) -> Result<Database, PlatformError> {
        (**self).database(app, addon_id)
    }

    fn backups(&self, app: &str, addon_id: &str) -> Result<Vec<Backup>, PlatformError> {
        (**self).backups(app, addon_id)
    }

    fn create_backup(&self, app: &str, addon_id: &str) -> Result<Backup, PlatformError> {
        (**self).create_backup(app, addon_id)
    }

    fn backup(&self, app: &str, addon_id: &str, backup_id: &str) -> Result<Backup, PlatformError> {
        (**self).backup(app, addon_id, backup_id)
    }

    fn backup_download_url(
        &self,
        app: &str,
        addon_id: &str,
        backup_id: &str,
    ) -> Result<Secret, PlatformError> {
        (**self).backup_download_url(app, addon_id, backup_id)
    }

    fn recovery_window(&self, app: &str, addon_id: &str) -> Result<RecoveryWindow, PlatformError> {
        (**self).recovery_window(app, addon_id)
    }

    fn pitr_restore(
        &self,
        app: &str,
        addon_id: &str,
        at: DateTime<Utc>,
    ) -> Result<String, PlatformError> {
        (**self).pitr_restore(app, addon_id, at)
    }

    fn database_operation(
        &self,
        app: &str,
        addon_id: &str,
        operation_id: &str,
    ) -> Result<DatabaseOperation, PlatformError> {
        (**self).database_operation(app, addon_id, operation_id)
    }
}
