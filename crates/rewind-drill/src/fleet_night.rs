//! The multi-app scenario's night: the acme monorepo's good releases
//! deployed to both apps, front and api, for real through the API, while
//! production writes orders into the api's database; then the coordinated
//! release that breaks both: the front's new checkout goes out with its
//! feature on and fails its health check, the api's drops a column and
//! writes orders priced at zero. The alert names both. After the rollback,
//! [`verify_fleet`] checks both apps and the data where they live.

use std::time::Instant;

use chrono::{DateTime, Utc};

use rewind_core::config::AppConfig;
use rewind_core::db::database_addon;
use rewind_core::follow::FollowOptions;
use rewind_core::health::HealthReport;
use rewind_core::interrupt::Interrupt;
use rewind_core::journal::{Incident, StepState};
use rewind_core::platform::{Deployment, Platform};
use rewind_core::rollback::FleetSummary;

use crate::admin::{Admin, Row};
use crate::checks::{Check, DataLoss, auto_deploy_held, has, row_lines, running_commit};
use crate::error::DrillError;
use crate::monorepo::{API, FRONT, FRONT_FLAG, LinkedRelease, RELEASES, bad, good};
use crate::night::{Reporter, StepLine, follow_to_success, health_check, seed_nightly};
use crate::pace::Pace;
use crate::workspace::Workspace;

/// What the multi-app night works with: both apps of rewind.toml.
pub struct FleetStage<'a> {
    pub platform: &'a dyn Platform,
    pub admin: &'a Admin,
    pub front: &'a AppConfig,
    pub api: &'a AppConfig,
    pub workspace: &'a Workspace,
    pub interrupt: &'a Interrupt,
    pub pace: &'a Pace,
}

/// Both apps broken by the coordinated release.
#[derive(Debug, Clone)]
pub struct FleetBroken {
    /// The api's database addon.
    pub addon: String,
    /// The bad release's deployment of each app: (app, deployment).
    pub bad_deployments: Vec<(String, Deployment)>,
    /// Every row of the api's database just after the bad release wrote
    /// its own.
    pub rows: Vec<Row>,
    /// Where the api's restore goes: its bad deploy's creation less the
    /// margin, in whole seconds.
    pub restore_point: DateTime<Utc>,
    /// The front's failing health check.
    pub front_health: HealthReport,
    pub alert_at: DateTime<Utc>,
}

impl FleetBroken {
    /// The rows a restore to the restore point loses.
    pub fn rows_after_restore_point(&self) -> Vec<Row> {
        self.rows
            .iter()
            .filter(|r| r.at > self.restore_point)
            .cloned()
            .collect()
    }
}

impl FleetStage<'_> {
    pub fn follow_options(&self) -> FollowOptions {
        self.pace.follow_options()
    }

    fn app(&self, name: &str) -> &AppConfig {
        if name == FRONT { self.front } else { self.api }
    }

    /// The good releases to both apps, then the bad one, then the alert.
    pub fn play(&self, reporter: &mut dyn Reporter) -> Result<FleetBroken, DrillError> {
        let wanted = self.api.database.as_ref().map(|d| d.addon.as_str());
        let addon = database_addon(self.platform, API, wanted)
            .map_err(DrillError::Database)?
            .id;
        seed_nightly(
            self.admin,
            &addon,
            "the api's database: one a night for the last 3 nights",
            reporter,
        )?;
        for release in RELEASES.iter().filter(|r| !r.is_bad()) {
            self.deploy_both(release, reporter)?;
            self.write(&addon, release, reporter)?;
        }
        let since = Instant::now();
        self.platform
            .set_variable(FRONT, FRONT_FLAG, "true")
            .map_err(|e| DrillError::platform(format!("cannot set {FRONT_FLAG}"), e))?;
        // The last good writes must fall before the restore point.
        if self.interrupt.sleep(self.pace.quiet) {
            return Err(DrillError::Interrupted);
        }
        reporter.step(&StepLine::done(
            format!("switch {FRONT_FLAG} on"),
            format!(
                "{FRONT_FLAG}=true on {FRONT}: front v{} ships its new checkout on",
                bad().front
            ),
            since,
        ));
        let bad_deployments = self.deploy_both(bad(), reporter)?;
        let rows = self.write(&addon, bad(), reporter)?;

        let since = Instant::now();
        let front_health = self.health_check(FRONT)?;
        if front_health.ok {
            return Err(DrillError::NotBroken(format!(
                "the health check of front v{} passed (HTTP {})",
                bad().front,
                front_health.last_status.unwrap_or_default()
            )));
        }
        let alert_at = Utc::now();
        reporter.step(&StepLine::done(
            "production broken",
            format!(
                "front: health check {} after {} attempt(s); api: orders priced 0.00 EUR, and its release ships a migration that drops legacy_price_cents",
                front_health.last_error.as_deref().unwrap_or("failing"),
                front_health.attempts
            ),
            since,
        ));
        reporter.alert(&format!(
            "{FRONT} and {API} are failing since the release {} / {} went out: {FRONT}'s health check answers {}; {API} prices new orders at 0.00 EUR",
            bad().front_tag(),
            bad().api_tag(),
            front_health
                .last_status
                .map_or("nothing".to_string(), |s| format!("HTTP {s}")),
        ));
        let created = bad_deployments
            .iter()
            .find(|(app, _)| app == API)
            .and_then(|(_, d)| d.created_at)
            .unwrap_or(alert_at);
        let restore_point = self.pace.restore_point(self.api, created);
        Ok(FleetBroken {
            addon,
            bad_deployments,
            rows,
            restore_point,
            front_health,
            alert_at,
        })
    }

    /// Production writes the release's orders into the api's database.
    fn write(
        &self,
        addon: &str,
        release: &LinkedRelease,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<Row>, DrillError> {
        let since = Instant::now();
        let rows = self.admin.write_rows(addon, release.rows)?;
        reporter.step(&StepLine::done(
            format!("production writes under {}", release.api_tag()),
            format!(
                "{} order(s); {} row(s) in the api's database",
                release.rows.len(),
                rows.len()
            ),
            since,
        ));
        Ok(rows)
    }

    /// Deploys one coordinated release to both apps: both deployments
    /// started, then each followed to its end.
    fn deploy_both(
        &self,
        release: &LinkedRelease,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<(String, Deployment)>, DrillError> {
        let since = Instant::now();
        let mut started = Vec::new();
        for app in [FRONT, API] {
            let tag = release.tag(app);
            let sha = self.workspace.tagged(&tag).ok_or_else(|| {
                DrillError::NotBroken(format!("no tag {tag} in the drill's repository"))
            })?;
            let deployment = self
                .platform
                .manual_deploy(&self.app(app).name, &tag, Some(sha))
                .map_err(|e| DrillError::platform(format!("cannot deploy {tag}"), e))?;
            started.push((app, tag, deployment.id));
        }
        let mut done = Vec::new();
        for (app, tag, id) in started {
            let deployment = follow_to_success(
                self.platform,
                app,
                &id,
                &tag,
                &self.follow_options(),
                self.interrupt,
                &mut || {},
            )?;
            done.push((app.to_string(), deployment));
        }
        let ids: Vec<String> = done
            .iter()
            .map(|(app, d)| format!("{app} {} {}", d.id, d.status))
            .collect();
        reporter.step(&StepLine::done(
            format!("deploy {} + {}", release.front_tag(), release.api_tag()),
            ids.join(", "),
            since,
        ));
        Ok(done)
    }

    /// An app's health check, as monitoring runs it.
    pub fn health_check(&self, app: &str) -> Result<HealthReport, DrillError> {
        health_check(self.app(app), self.interrupt, app)
    }
}

/// Checks the multi-app outcome where it lives: what each app runs (a
/// fresh read of its deployments), each app's health and auto-deploy, the
/// api's rows, the one incident and its parts (from the journal), the
/// report's sections and the team's one message.
pub fn verify_fleet(
    stage: &FleetStage<'_>,
    broken: &FleetBroken,
    summary: &FleetSummary,
    parts: &[Incident],
    report: &str,
    webhook_messages: &[String],
) -> (Vec<Check>, DataLoss) {
    let mut checks = Vec::new();
    let ended: Vec<String> = summary
        .apps
        .iter()
        .map(|a| format!("{} {}", a.summary.app, a.summary.outcome.words()))
        .collect();
    checks.push(Check::new(
        "the rollback of both apps",
        summary.succeeded() && summary.apps.len() == 2,
        ended.join(", "),
    ));
    for app in [FRONT, API] {
        let tag = good().tag(app);
        let want = stage.workspace.tagged(&tag).unwrap_or_default();
        let running = running_commit(stage.platform, app);
        checks.push(Check::new(
            format!("{app} runs {tag}"),
            running.as_deref().ok() == Some(want),
            match &running {
                Ok(sha) => format!(
                    "its last successful deployment runs {}",
                    rewind_core::git::short_sha(sha)
                ),
                Err(e) => e.clone(),
            },
        ));
        checks.push(match stage.health_check(app) {
            Ok(h) => Check::new(
                format!("{app}'s health check passes"),
                h.ok,
                h.last_error
                    .unwrap_or_else(|| format!("HTTP {}", h.last_status.unwrap_or_default())),
            ),
            Err(e) => Check::new(format!("{app}'s health check passes"), false, e.to_string()),
        });
        checks.push(auto_deploy_held(stage.platform, app));
    }
    checks.push(restored_after_backup(parts));
    let mut loss = DataLoss::default();
    match stage.admin.rows(&broken.addon) {
        Err(e) => checks.push(Check::new("the api's rows", false, e.to_string())),
        Ok(now) => {
            let lost = broken.rows_after_restore_point();
            let kept: Vec<&Row> = broken
                .rows
                .iter()
                .filter(|r| r.at <= broken.restore_point)
                .collect();
            let bad_rows = lost.iter().filter(|r| r.text.contains(bad().api)).count();
            checks.push(Check::new(
                "the bad release's rows are gone",
                bad_rows == bad().rows.len() && lost.iter().all(|r| !has(&now, r)),
                format!(
                    "{} row(s) written since the restore point, none left; {} row(s) in the api's database",
                    lost.len(),
                    now.len()
                ),
            ));
            checks.push(Check::new(
                "the rows written before the bad release are kept",
                !kept.is_empty() && kept.iter().all(|r| has(&now, r)),
                format!("{} row(s) expected, all there", kept.len()),
            ));
            loss.lost = row_lines(&lost);
        }
    }
    let mut apps: Vec<&str> = parts.iter().map(|p| p.app.as_str()).collect();
    apps.sort_unstable();
    let one_id = parts.windows(2).all(|w| w[0].id == w[1].id);
    checks.push(Check::new(
        "one incident, a part per app",
        one_id && apps == [API, FRONT],
        format!(
            "incident {}: parts {}",
            summary.incident,
            if apps.is_empty() {
                "none".to_string()
            } else {
                apps.join(", ")
            }
        ),
    ));
    let sections = [API, FRONT]
        .iter()
        .filter(|app| report.contains(&format!("- **{app}**")))
        .count();
    checks.push(Check::new(
        "the report has a section per app",
        sections == 2 && report.matches("\n## ").count() >= 2,
        format!("{sections} app(s) in the report's summary"),
    ));
    let one = webhook_messages.len() == 1
        && webhook_messages
            .first()
            .is_some_and(|m| m.contains(FRONT) && m.contains(API));
    checks.push(Check::new(
        "the team was told once, about both apps",
        one,
        format!("{} webhook message(s)", webhook_messages.len()),
    ));
    (checks, loss)
}

/// The api's safety backup was taken, and before its restore (from the
/// journal's steps of the api's part).
fn restored_after_backup(parts: &[Incident]) -> Check {
    let what = "the api's database: safety backup, then the restore";
    let Some(api) = parts.iter().find(|p| p.app == API) else {
        return Check::new(what, false, "the incident has no part for the api");
    };
    let backup = api.step("safety-backup");
    let restore = api.step("pitr-restore");
    match (backup, restore) {
        (Some(b), Some(r)) => {
            let done = b.state == StepState::Done && r.state == StepState::Done;
            let ordered = matches!((b.ended_at, r.started_at), (Some(e), Some(s)) if e <= s);
            Check::new(
                what,
                done && ordered,
                format!("backup {}, restore {}", b.state.label(), r.state.label()),
            )
        }
        _ => Check::new(
            what,
            false,
            "the api's part has no safety-backup or pitr-restore step",
        ),
    }
}
