//! The night of the incident, scripted: the good releases deployed in
//! order for real through the API, production writing its orders under
//! each; then v1.3.0 goes out with its feature on: its deploy succeeds, it
//! writes orders priced at zero, and its health check fails, which the
//! drill raises as a monitoring alert would.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use rewind_core::config::AppConfig;
use rewind_core::db::database_addon;
use rewind_core::follow::{FollowOptions, follow};
use rewind_core::health::{HealthReport, check};
use rewind_core::interrupt::Interrupt;
use rewind_core::platform::{Deployment, Platform};

use crate::admin::{Admin, Row};
use crate::error::DrillError;
use crate::history::{BAD, FLAG, FLAG_OFF, Release};
use crate::pace::Pace;
use crate::workspace::Workspace;

/// One line of the drill's progress: a step, how it went, how long.
#[derive(Debug, Clone, Serialize)]
pub struct StepLine {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub duration_ms: u64,
}

impl StepLine {
    pub fn done(name: impl Into<String>, detail: impl Into<String>, since: Instant) -> StepLine {
        StepLine {
            name: name.into(),
            ok: true,
            detail: detail.into(),
            duration_ms: since.elapsed().as_millis() as u64,
        }
    }
}

/// What the drill reports as it goes.
pub trait Reporter {
    fn step(&mut self, line: &StepLine);
    /// A monitoring alert: production is broken.
    fn alert(&mut self, text: &str);
}

/// What the night's script works with.
pub struct Stage<'a> {
    pub platform: &'a dyn Platform,
    pub admin: &'a Admin,
    pub app: &'a AppConfig,
    pub workspace: &'a Workspace,
    pub interrupt: &'a Interrupt,
    pub pace: &'a Pace,
}

/// Production, broken.
#[derive(Debug, Clone)]
pub struct Broken {
    /// The database addon's id.
    pub addon: String,
    pub bad_deployment: Deployment,
    /// Every row just after the bad release wrote its own.
    pub rows: Vec<Row>,
    /// Where a restore to before the bad deploy goes: its creation less
    /// the margin.
    pub restore_point: DateTime<Utc>,
    pub health: HealthReport,
    /// When the alert went off.
    pub alert_at: DateTime<Utc>,
}

/// v1.3.0 out, production writing under it, before anyone noticed.
#[derive(Debug, Clone)]
pub struct Shipped {
    /// The database addon's id.
    pub addon: String,
    pub bad_deployment: Deployment,
    /// Every row just after the bad release wrote its own.
    pub rows: Vec<Row>,
}

impl Broken {
    /// The rows a restore to [`Broken::restore_point`] loses.
    pub fn rows_after_restore_point(&self) -> Vec<Row> {
        self.rows
            .iter()
            .filter(|r| r.at > self.restore_point)
            .cloned()
            .collect()
    }
}

impl Stage<'_> {
    pub fn follow_options(&self) -> FollowOptions {
        self.pace.follow_options()
    }

    /// Deploys the good releases, then breaks production with v1.3.0.
    pub fn play(&self, reporter: &mut dyn Reporter) -> Result<Broken, DrillError> {
        let shipped = self.ship(reporter)?;
        self.alert(shipped, reporter)
    }

    /// Deploys the good releases, then v1.3.0 with its feature on, and
    /// lets production write under it; no alert yet.
    pub fn ship(&self, reporter: &mut dyn Reporter) -> Result<Shipped, DrillError> {
        self.ship_with(true, reporter)
    }

    /// Deploys the good releases, then v1.3.0 with its feature off: a
    /// healthy release (its app answers 503 only while the feature is on),
    /// which writes nothing of its own.
    pub fn ship_healthy(&self, reporter: &mut dyn Reporter) -> Result<Shipped, DrillError> {
        self.ship_with(false, reporter)
    }

    fn ship_with(
        &self,
        feature_on: bool,
        reporter: &mut dyn Reporter,
    ) -> Result<Shipped, DrillError> {
        let name = &self.app.name;
        let wanted = self.app.database.as_ref().map(|d| d.addon.as_str());
        let addon = database_addon(self.platform, name, wanted)
            .map_err(DrillError::Database)?
            .id;
        self.past(&addon, reporter)?;
        let (release, sha) = self
            .workspace
            .releases
            .iter()
            .find(|(r, _)| r.version == BAD)
            .ok_or_else(|| DrillError::NotBroken(format!("no release v{BAD} to deploy")))?;
        let since = Instant::now();
        let value = if feature_on { "true" } else { FLAG_OFF };
        self.platform
            .set_variable(name, FLAG, value)
            .map_err(|e| DrillError::platform(format!("cannot set {FLAG}"), e))?;
        // The last good writes must fall before the restore point.
        if self.interrupt.sleep(self.pace.quiet) {
            return Err(DrillError::Interrupted);
        }
        if feature_on {
            reporter.step(&StepLine::done(
                format!("switch {FLAG} on"),
                format!("{FLAG}=true: v{BAD} ships its new pricing on"),
                since,
            ));
        } else {
            reporter.step(&StepLine::done(
                format!("keep {FLAG} off"),
                format!("{FLAG}={FLAG_OFF}: v{BAD} ships with its new pricing off, healthy"),
                since,
            ));
        }
        let bad_deployment = self.deploy(release, sha, reporter)?;
        if !feature_on {
            let rows = self.admin.rows(&addon)?;
            return Ok(Shipped {
                addon,
                bad_deployment,
                rows,
            });
        }
        let since = Instant::now();
        let rows = self.admin.write_rows(&addon, release.rows)?;
        reporter.step(&StepLine::done(
            format!("production writes under {}", release.tag()),
            format!(
                "{} order(s) priced 0.00 EUR; {} row(s) in the database",
                release.rows.len(),
                rows.len()
            ),
            since,
        ));
        Ok(Shipped {
            addon,
            bad_deployment,
            rows,
        })
    }

    /// The monitoring alert after [`Stage::ship`]: the health check fails.
    pub fn alert(
        &self,
        shipped: Shipped,
        reporter: &mut dyn Reporter,
    ) -> Result<Broken, DrillError> {
        let Shipped {
            addon,
            bad_deployment,
            rows,
        } = shipped;
        let name = &self.app.name;
        let since = Instant::now();
        let health = self.health_check()?;
        if health.ok {
            return Err(DrillError::NotBroken(format!(
                "the health check of v{BAD} passed (HTTP {})",
                health.last_status.unwrap_or_default()
            )));
        }
        let alert_at = Utc::now();
        // The drill's step went as planned: production is broken.
        reporter.step(&StepLine::done(
            "production broken",
            format!(
                "health check: {} after {} attempt(s)",
                health.last_error.as_deref().unwrap_or("failing"),
                health.attempts
            ),
            since,
        ));
        reporter.alert(&format!(
            "{name} is failing since v{BAD} went out ({} ago): health check answers {}; new orders are priced 0.00 EUR",
            ago(bad_deployment.finished_at.or(bad_deployment.created_at)),
            health
                .last_status
                .map_or("nothing".to_string(), |s| format!("HTTP {s}")),
        ));
        let created = bad_deployment.created_at.unwrap_or(alert_at);
        let restore_point = self.pace.restore_point(self.app, created);
        Ok(Broken {
            addon,
            bad_deployment,
            rows,
            restore_point,
            health,
            alert_at,
        })
    }

    /// The releases before the incident, deployed in order for real
    /// through the API, production writing its orders under each; and the
    /// database's nightly backups.
    fn past(&self, addon: &str, reporter: &mut dyn Reporter) -> Result<(), DrillError> {
        seed_nightly(
            self.admin,
            addon,
            "one a night for the last 3 nights",
            reporter,
        )?;
        for (release, sha) in self
            .workspace
            .releases
            .iter()
            .filter(|(r, _)| r.version != BAD)
        {
            self.deploy(release, sha, reporter)?;
            let since = Instant::now();
            let written = self.admin.write_rows(addon, release.rows)?;
            reporter.step(&StepLine::done(
                format!("production writes under {}", release.tag()),
                format!(
                    "{} order(s); {} row(s) in the database",
                    release.rows.len(),
                    written.len()
                ),
                since,
            ));
        }
        Ok(())
    }

    /// Deploys one release through the SCM link and follows it to its end.
    fn deploy(
        &self,
        release: &Release,
        sha: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Deployment, DrillError> {
        let since = Instant::now();
        let tag = release.tag();
        let name = &self.app.name;
        let started = self
            .platform
            .manual_deploy(name, &tag, Some(sha))
            .map_err(|e| DrillError::platform(format!("cannot deploy {tag}"), e))?;
        let mut lines = 0usize;
        let deployment = follow_to_success(
            self.platform,
            name,
            &started.id,
            &tag,
            &self.follow_options(),
            self.interrupt,
            &mut || lines += 1,
        )?;
        reporter.step(&StepLine::done(
            format!("deploy {tag}"),
            format!(
                "deployment {} {}, {lines} build log line(s)",
                deployment.id, deployment.status
            ),
            since,
        ));
        Ok(deployment)
    }

    /// The app's health check, as monitoring runs it.
    pub fn health_check(&self) -> Result<HealthReport, DrillError> {
        health_check(self.app, self.interrupt, "")
    }
}

/// The database's nightly backups, one a night for the last three.
pub(crate) fn seed_nightly(
    admin: &Admin,
    addon: &str,
    detail: &str,
    reporter: &mut dyn Reporter,
) -> Result<(), DrillError> {
    let since = Instant::now();
    let now = Utc::now();
    let nightly: Vec<DateTime<Utc>> = (1..=3).map(|d| now - chrono::Duration::days(d)).collect();
    admin.seed_backups(addon, &nightly)?;
    reporter.step(&StepLine::done("nightly backups", detail, since));
    Ok(())
}

/// Follows a deployment of `tag` to its end, counting its build log's
/// lines with `on_log`; anything but a success is the drill's error, with
/// the log's tail.
pub(crate) fn follow_to_success(
    platform: &dyn Platform,
    app: &str,
    id: &str,
    tag: &str,
    options: &FollowOptions,
    interrupt: &Interrupt,
    on_log: &mut dyn FnMut(),
) -> Result<Deployment, DrillError> {
    let followed = follow(platform, app, id, options, interrupt, &mut |event| {
        if let rewind_core::follow::FollowEvent::Log(_) = event {
            on_log();
        }
    })
    .map_err(|source| DrillError::Follow {
        version: tag.to_string(),
        source,
    })?;
    let deployment = followed.deployment;
    if !deployment.status.is_success() {
        return Err(DrillError::Deploy {
            version: tag.to_string(),
            id: deployment.id,
            status: deployment.status.to_string(),
            tail: followed.tail,
        });
    }
    Ok(deployment)
}

/// An app's health check, as monitoring runs it; `which` names the app
/// in the error when rewind.toml has several.
pub(crate) fn health_check(
    app: &AppConfig,
    interrupt: &Interrupt,
    which: &str,
) -> Result<HealthReport, DrillError> {
    let health = app.health_check.as_ref().ok_or_else(|| {
        DrillError::NotBroken(if which.is_empty() {
            "the drill's rewind.toml has no health check".to_string()
        } else {
            format!("the drill's rewind.toml has no health check for {which}")
        })
    })?;
    Ok(check(
        &health.url,
        health.expect_status,
        health.retries,
        health.interval,
        interrupt,
    ))
}

/// `1.2s`: how long ago, for the alert.
fn ago(t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => {
            let ms = (Utc::now() - t).num_milliseconds().max(0);
            format!("{:.1}s", ms as f64 / 1000.0)
        }
        None => "moments".to_string(),
    }
}
