//! The database side of a rollback's plan. Going back to older code leaves
//! the database as the bad release's migrations made it; the runbook's
//! answer is a safety backup, then a point-in-time restore to just before
//! the bad release, then the redeploy. This module reads the migration
//! evidence between the two releases and, as the person chose
//! (`--with-db`, `--no-db`, or neither), adds the database steps with the
//! data they lose in words, states plainly that the migrations stay, or
//! warns loudly and suggests `--with-db`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{
    AppConfig, DEFAULT_MARGIN, DEFAULT_MIGRATIONS, RollbackOrder, format_duration,
};
use crate::db::{self, Target};
use crate::migrations::{self, MigrationEvidence, Verdict};

use super::error::RollbackError;
use super::plan::Plan;
use super::run::Tools;
use super::steps::{PlannedStep, StepId};

/// What the person chose for the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatabaseChoice {
    /// Neither flag: the plan warns when the migrations call for a restore.
    #[default]
    Undecided,
    /// `--with-db`: safety backup and point-in-time restore.
    WithDb,
    /// `--no-db`: the migrations are knowingly left in place.
    NoDb,
    /// The database was restored to just before the bad release right
    /// before this rollback (the decision tree restores it first): no
    /// database step, and no warning about the migrations.
    RestoredAlready,
}

/// One changed migration file, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationLine {
    /// added, modified or deleted.
    pub change: String,
    pub path: String,
    /// additive, unknown or destructive.
    pub class: String,
    /// The first reason for the class ("drops column users.email").
    pub why: Option<String>,
}

/// The migration evidence between the target and the running release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationSummary {
    /// no_migrations, additive, unknown or destructive.
    pub verdict: String,
    /// The verdict in one sentence.
    pub description: String,
    pub files: Vec<MigrationLine>,
}

impl MigrationSummary {
    fn from_evidence(found: &MigrationEvidence) -> Self {
        let verdict = match found.verdict {
            Verdict::NoMigrations => "no_migrations",
            Verdict::Additive => "additive",
            Verdict::Unknown => "unknown",
            Verdict::Destructive => "destructive",
        };
        MigrationSummary {
            verdict: verdict.to_string(),
            description: found.verdict.describe().to_string(),
            files: found
                .files
                .iter()
                .map(|f| MigrationLine {
                    change: f.change.to_string(),
                    path: f.path.clone(),
                    class: f.class.to_string(),
                    why: f.reasons.first().map(|r| r.what.clone()),
                })
                .collect(),
        }
    }

    /// Whether the evidence says going back likely needs a restore.
    pub fn calls_for_restore(&self) -> bool {
        matches!(self.verdict.as_str(), "destructive" | "unknown")
    }
}

/// The point-in-time restore a `--with-db` rollback makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestorePlan {
    pub addon_id: String,
    pub provider: String,
    pub order: RollbackOrder,
    /// The time the database goes back to.
    pub restore_to: DateTime<Utc>,
    /// The bad release's deployment, whose creation less the margin is
    /// `restore_to`.
    pub bad_deployment_id: String,
    pub bad_deployment_created_at: DateTime<Utc>,
    pub margin_ms: u64,
    pub window_earliest: DateTime<Utc>,
    pub window_latest: DateTime<Utc>,
    /// When the plan was made: the data loss is counted to then.
    pub planned_at: DateTime<Utc>,
    /// The writes lost, in words ("about 37 minutes").
    pub data_loss: String,
    /// Where the safety backup is downloaded.
    pub backup_dir: PathBuf,
    /// Set when the person chose to restore again although an earlier
    /// incident restored the database for the same bad release: that
    /// restore, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub again: Option<String>,
}

impl RestorePlan {
    pub fn margin(&self) -> Duration {
        Duration::from_millis(self.margin_ms)
    }
}

/// The database part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabasePlan {
    pub choice: DatabaseChoice,
    /// `None` when the running release is not in the local repository.
    pub migrations: Option<MigrationSummary>,
    /// What `--no-db` means for this rollback, said plainly.
    pub statement: Option<String>,
    /// With `--with-db`.
    pub restore: Option<RestorePlan>,
    /// The app's database addon, when it has one: without it there is no
    /// database step to suggest.
    #[serde(default)]
    pub addon: Option<String>,
}

impl DatabasePlan {
    /// Nobody chose for the database, there is one to restore, and the
    /// migrations may need it (destructive, or unknown to rewind): a
    /// script's `--yes` must not decide this; the person says `--with-db`
    /// or `--no-db`.
    pub fn needs_a_choice(&self) -> bool {
        self.choice == DatabaseChoice::Undecided
            && self.addon.is_some()
            && self
                .migrations
                .as_ref()
                .is_none_or(MigrationSummary::calls_for_restore)
    }

    /// Neither flag was given, the app has a database, and the evidence
    /// says going back may need it restored: worth asking the person.
    pub fn restore_worth_asking(&self) -> bool {
        self.choice == DatabaseChoice::Undecided
            && self.addon.is_some()
            && self
                .migrations
                .as_ref()
                .is_some_and(MigrationSummary::calls_for_restore)
    }
}

/// The app's database addon when no database flag was given, or `None`
/// when it has none (or its addons cannot be read now): only to know
/// whether there is a database to suggest restoring. Read by
/// [`super::prepare`] beside its other reads, and handed to [`apply`].
pub(crate) fn undecided_addon(tools: &Tools<'_>, app: &AppConfig) -> Option<String> {
    let wanted = app.database.as_ref().map(|d| d.addon.as_str());
    db::database_addon(tools.platform, &app.name, wanted)
        .ok()
        .map(|a| a.id)
}

/// Reads the migration evidence and adds what `choice` means to `plan`;
/// `addon` is [`undecided_addon`]'s answer, when `choice` is
/// [`DatabaseChoice::Undecided`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    tools: &Tools<'_>,
    app: &AppConfig,
    plan: &mut Plan,
    choice: DatabaseChoice,
    addon: Option<String>,
    backup_dir: Option<&Path>,
    restore_again: bool,
    restore_ran: Option<bool>,
) -> Result<(), RollbackError> {
    let migrations = evidence(tools, app, plan)?;
    let earlier = database_warnings(plan);
    plan.warnings.retain(|w| !earlier.contains(w));
    let mut database = DatabasePlan {
        choice,
        migrations,
        statement: None,
        restore: None,
        addon: None,
    };
    match choice {
        DatabaseChoice::Undecided => {
            // An app without a database (or whose addons cannot be read
            // now) keeps the plain warning.
            database.addon = addon;
            let loud = database_warnings_for(plan, &database);
            plan.warnings.extend(loud);
        }
        DatabaseChoice::NoDb => database.statement = Some(no_db_statement(plan, &database)),
        DatabaseChoice::RestoredAlready => {
            database.statement = Some(format!(
                "the database was restored to just before {} by the step before this rollback: no database step here",
                plan.from.label
            ));
        }
        DatabaseChoice::WithDb => {
            let dir = backup_dir
                .map(Path::to_path_buf)
                .unwrap_or_else(|| tools.journal.backup_dir(&app.name));
            let mut restore = restore_plan(tools, app, plan, dir)?;
            let earlier = db::made_restore(
                tools.journal,
                &app.name,
                &restore.bad_deployment_id,
                None,
                restore_ran,
            )?;
            match earlier.as_ref() {
                // Restored already for this bad release (a rerun after a
                // failure): the database is not put back a second time,
                // which would wipe every write made since the first.
                Some(done) if !restore_again => {
                    database.choice = DatabaseChoice::RestoredAlready;
                    database.addon = Some(restore.addon_id.clone());
                    database.statement = Some(format!(
                        "{}: it is not restored again (that would lose every write made since {}); pass --restore-again to do it anyway",
                        done.describe(),
                        done.at.format("%H:%M:%S UTC")
                    ));
                }
                Some(done) => {
                    plan.warnings.push(format!(
                        "--restore-again: {}; restoring again loses every write made since {} as well",
                        done.describe(),
                        done.at.format("%H:%M:%S UTC")
                    ));
                    restore.again = Some(done.describe());
                    add_steps(plan, &restore);
                    database.addon = Some(restore.addon_id.clone());
                    database.restore = Some(restore);
                }
                None => {
                    add_steps(plan, &restore);
                    database.addon = Some(restore.addon_id.clone());
                    database.restore = Some(restore);
                }
            }
        }
    }
    plan.database = Some(database);
    Ok(())
}

/// Turns a prepared plan into one with the database steps (the person
/// said yes when asked): the loud warning goes, the steps come in.
pub fn add_database(
    tools: &Tools<'_>,
    app: &AppConfig,
    plan: &mut Plan,
    backup_dir: Option<&Path>,
) -> Result<(), RollbackError> {
    if plan.has_step(StepId::PitrRestore) {
        return Ok(());
    }
    apply(
        tools,
        app,
        plan,
        DatabaseChoice::WithDb,
        None,
        backup_dir,
        false,
        None,
    )
}

fn evidence(
    tools: &Tools<'_>,
    app: &AppConfig,
    plan: &Plan,
) -> Result<Option<MigrationSummary>, RollbackError> {
    let (Some(current), Some(target)) = (plan.from.commit.as_deref(), plan.to.commit.as_deref())
    else {
        return Ok(None);
    };
    if !tools.git.commit_exists(current)? {
        return Ok(None);
    }
    let paths: Vec<String> = match app.database.as_ref().map(|d| &d.migrations) {
        Some(list) if !list.is_empty() => list.clone(),
        _ => DEFAULT_MIGRATIONS.iter().map(|p| p.to_string()).collect(),
    };
    let found = migrations::evidence(tools.git, target, current, &paths)?;
    Ok(Some(MigrationSummary::from_evidence(&found)))
}

/// The warnings an undecided plan carries (also what is taken away when
/// the database steps are added afterwards).
fn database_warnings(plan: &Plan) -> Vec<String> {
    match &plan.database {
        Some(database) => database_warnings_for(plan, database),
        None => Vec::new(),
    }
}

fn database_warnings_for(plan: &Plan, database: &DatabasePlan) -> Vec<String> {
    let mut out = Vec::new();
    if !plan.removed.migrations.is_empty() {
        out.push(format!(
            "{} migration file(s) changed between {} and {}: the database schema may not match the code going back, and no database step is planned",
            plan.removed.migrations.len(),
            plan.to.label,
            plan.from.label
        ));
    }
    let restorable = database.addon.is_some();
    let calls = database
        .migrations
        .as_ref()
        .filter(|m| restorable && m.calls_for_restore());
    if let Some(summary) = calls {
        out.push(format!(
            "the migrations are {}: pass --with-db to take a safety backup and restore the database to just before {} ahead of the redeploy, or --no-db to leave it as it is knowingly",
            summary.verdict, plan.from.label
        ));
    }
    out
}

fn no_db_statement(plan: &Plan, database: &DatabasePlan) -> String {
    let count = plan.removed.migrations.len();
    let verdict = database
        .migrations
        .as_ref()
        .map(|m| format!(" ({})", m.verdict))
        .unwrap_or_default();
    if count == 0 {
        format!(
            "--no-db: the database is left as {} made it; no migration file changed between {} and {}",
            plan.from.label, plan.to.label, plan.from.label
        )
    } else {
        format!(
            "--no-db: {count} migration file(s){verdict} changed between {} and {} and are knowingly left in place: the database keeps the schema and data of {}",
            plan.to.label, plan.from.label, plan.from.label
        )
    }
}

/// The restore to just before the bad release's deployment, checked
/// against the recovery window; changes nothing.
fn restore_plan(
    tools: &Tools<'_>,
    app: &AppConfig,
    plan: &Plan,
    backup_dir: PathBuf,
) -> Result<RestorePlan, RollbackError> {
    let config = app.database.as_ref();
    let addon = db::database_addon(tools.platform, &app.name, config.map(|d| d.addon.as_str()))?;
    let bad_id = plan
        .from
        .deployment_id
        .clone()
        .ok_or_else(|| RollbackError::NoBadDeployment {
            label: plan.from.label.clone(),
        })?;
    let deployment = tools.platform.deployment(&app.name, &bad_id)?;
    let created = deployment
        .created_at
        .ok_or_else(|| RollbackError::NoBadDeployment {
            label: plan.from.label.clone(),
        })?;
    let margin = config.map_or(DEFAULT_MARGIN, |d| d.margin);
    let pitr = db::plan_pitr(
        tools.platform,
        &app.name,
        &addon,
        Target::BeforeDeploy {
            deployment: Box::new(deployment),
            margin,
        },
    )?;
    // plan_pitr applies the one restore-instant rule and checks it against
    // the recovery window.
    let restore_to = pitr.restore_to;
    Ok(RestorePlan {
        addon_id: addon.id.clone(),
        provider: addon.provider_id.clone(),
        order: config.map(|d| d.rollback_order).unwrap_or_default(),
        restore_to,
        bad_deployment_id: bad_id,
        bad_deployment_created_at: created,
        margin_ms: margin.as_millis().try_into().unwrap_or(u64::MAX),
        window_earliest: pitr.window.earliest,
        window_latest: pitr.window.latest,
        planned_at: pitr.planned_at,
        data_loss: db::about(pitr.data_loss()),
        backup_dir,
        again: None,
    })
}

pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn add_steps(plan: &mut Plan, restore: &RestorePlan) {
    let before = restore.order == RollbackOrder::BeforeDeploy;
    let backup = PlannedStep::new(
        StepId::SafetyBackup,
        format!(
            "take a safety backup of the database {} and download it to {} (size checked, SHA-256 recorded); if it fails, nothing is restored{}",
            restore.addon_id,
            restore.backup_dir.display(),
            if before {
                " and nothing is deployed"
            } else {
                ""
            }
        ),
    );
    let pitr = PlannedStep::new(
        StepId::PitrRestore,
        format!(
            "restore the database to {} ({} before deployment {} of {}): every write since then is lost, {} so far; the database stops during the restore",
            utc(restore.restore_to),
            format_duration(restore.margin()),
            restore.bad_deployment_id,
            plan.from.label,
            restore.data_loss
        ),
    );
    if before {
        plan.insert_before_deploy(backup);
        plan.insert_before_deploy(pitr);
    } else {
        plan.insert_after(StepId::Verify, backup);
        plan.insert_after(StepId::SafetyBackup, pitr);
    }
}
