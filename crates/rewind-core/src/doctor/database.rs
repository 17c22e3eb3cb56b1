//! The database, when rewind.toml has one: the addon is found, its plan
//! offers point-in-time recovery (and the window), the newest backup and
//! its age, and the local PostgreSQL client tools are there and not older
//! than the server.

use std::ffi::OsString;

use chrono::{DateTime, Duration, Utc};

use super::checks::{Checks, first_hint};
use super::tools;
use crate::config::AppConfig;
use crate::db::database_addon;
use crate::platform::{Addon, Platform, PlatformError};

/// A backup older than this is worth a warning: periodic backups run
/// daily, so the newest is at most a day old, plus the time it ran late.
pub const BACKUP_WARN_AGE: Duration = Duration::hours(36);
/// Older than this, the dump restore would lose days of data.
pub const BACKUP_FAIL_AGE: Duration = Duration::hours(72);

const IDS: [&str; 4] = ["db.addon", "db.pitr", "db.backup", "db.tools"];

/// `db.addon`, `db.pitr`, `db.backup` and `db.tools`.
pub(crate) fn check(
    platform: &dyn Platform,
    config: &AppConfig,
    path: Option<&OsString>,
    now: DateTime<Utc>,
    out: &mut Checks,
) {
    let Some(db) = &config.database else {
        out.skip(
            "db.addon",
            "no [apps.database] in rewind.toml: rollbacks leave the database alone",
        );
        return;
    };
    let addon = match database_addon(platform, &config.name, Some(&db.addon)) {
        Ok(addon) => addon,
        Err(e) => {
            out.fail(
                "db.addon",
                e.to_string(),
                first_hint(e.hints(), "check `addon` in [apps.database] of rewind.toml"),
            );
            for id in &IDS[1..] {
                out.skip(id, "not checked: no database addon");
            }
            return;
        }
    };
    let database = platform.database(&config.name, &addon.id);
    let plan = database
        .as_ref()
        .ok()
        .and_then(|d| d.plan.clone())
        .or_else(|| addon.plan.clone())
        .unwrap_or_else(|| "?".to_string());
    let state = database
        .as_ref()
        .ok()
        .and_then(|d| d.status.clone())
        .or_else(|| addon.status.clone())
        .unwrap_or_else(|| "unknown".to_string());
    out.ok(
        "db.addon",
        format!("{} {} ({plan}, {state})", addon.provider_id, addon.id),
    );
    pitr(platform, config, &addon, &plan, out);
    let periodic = database
        .as_ref()
        .ok()
        .and_then(|d| d.periodic_backups_enabled);
    backups(platform, config, &addon, periodic, now, out);
    if !addon.is_postgresql() {
        out.skip(
            "db.tools",
            "not checked: only PostgreSQL dumps are restored with local tools",
        );
        return;
    }
    let server = match &database {
        Ok(d) => d.version.clone(),
        Err(_) => None,
    };
    tools::check(server.as_deref(), path, out);
}

fn pitr(platform: &dyn Platform, config: &AppConfig, addon: &Addon, plan: &str, out: &mut Checks) {
    if !addon.is_postgresql() {
        out.warn(
            "db.pitr",
            format!("{} offers no point-in-time recovery (PostgreSQL only)", addon.provider_id),
            "`rewind rollback --with-db` can only restore a backup: everything written since it is lost",
        );
        return;
    }
    match platform.recovery_window(&config.name, &addon.id) {
        Ok(w) => out.ok(
            "db.pitr",
            format!(
                "point-in-time recovery from {} to {} ({} day(s) back)",
                super::account::stamp(w.earliest),
                super::account::stamp(w.latest),
                (w.latest - w.earliest).num_days()
            ),
        ),
        Err(e @ PlatformError::NoRecoveryWindow { .. }) => out.warn(
            "db.pitr",
            e.to_string(),
            "the window opens after the next base backup; run `rewind doctor` again tomorrow",
        ),
        Err(
            e @ (PlatformError::Rejected { .. }
            | PlatformError::Forbidden { .. }
            | PlatformError::PaymentRequired { .. }
            | PlatformError::Unprocessable { .. }),
        ) => out.fail(
            "db.pitr",
            format!("the plan {plan} offers no point-in-time recovery: {e}"),
            "move the addon to a plan with point-in-time recovery (Scalingo's Starter and Business plans have it); until then `rewind rollback --with-db` restores the newest backup and loses every write since",
        ),
        Err(e) => out.fail(
            "db.pitr",
            format!("cannot read the recovery window: {e}"),
            first_hint(e.hints(), "run `rewind db status` to see the same error"),
        ),
    }
}

fn backups(
    platform: &dyn Platform,
    config: &AppConfig,
    addon: &Addon,
    periodic: Option<bool>,
    now: DateTime<Utc>,
    out: &mut Checks,
) {
    let list = match platform.backups(&config.name, &addon.id) {
        Ok(list) => list,
        Err(e) => {
            out.fail(
                "db.backup",
                format!("cannot read the backups: {e}"),
                first_hint(e.hints(), "run `rewind db status` to see the same error"),
            );
            return;
        }
    };
    let periodic_off = periodic == Some(false);
    let schedule_fix = if periodic_off {
        "switch periodic backups on (dashboard > addon > Backups)"
    } else {
        "check the addon's backups in the dashboard; take one now with `rewind db backup`"
    };
    let newest = list
        .iter()
        .filter(|b| b.status == "done")
        .filter_map(|b| b.created_at.map(|at| (at, b)))
        .max_by_key(|(at, _)| *at);
    let Some((at, backup)) = newest else {
        out.fail(
            "db.backup",
            format!(
                "no finished backup ({} listed){}",
                list.len(),
                if periodic_off {
                    "; periodic backups are off"
                } else {
                    ""
                }
            ),
            schedule_fix,
        );
        return;
    };
    let age = now - at;
    let detail = format!(
        "newest finished backup {} ({}, {} ago){}",
        super::account::stamp(at),
        backup.method.as_deref().unwrap_or("?"),
        age_words(age),
        if periodic_off {
            "; periodic backups are off"
        } else {
            ""
        }
    );
    if age > BACKUP_FAIL_AGE {
        out.fail(
            "db.backup",
            detail,
            format!(
                "no backup for more than 3 days: a dump restore would lose them all; {schedule_fix}"
            ),
        );
    } else if age > BACKUP_WARN_AGE || periodic_off {
        out.warn("db.backup", detail, schedule_fix);
    } else {
        out.ok("db.backup", detail);
    }
}

fn age_words(age: Duration) -> String {
    if age.num_hours() < 1 {
        format!("{} min", age.num_minutes().max(0))
    } else if age.num_hours() < 48 {
        format!("{} h", age.num_hours())
    } else {
        format!("{} days", age.num_days())
    }
}
