//! Point-in-time restore: plan it (the time to go back to, checked against
//! the recovery window, and the writes that will be lost), then run it and
//! follow the restore operation to its end. The caller takes the safety
//! backup first ([`super::safety_backup`]) and confirms with the user.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::platform::{Addon, DatabaseOperation, Deployment, Platform, RecoveryWindow};

use super::DbError;
use super::poll::{Poll, follow_operation};

/// Where the restore time comes from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A time the user gave.
    At { time: DateTime<Utc> },
    /// Just before a deployment: its creation time less a margin, because
    /// its migrations ran a little after it was created.
    BeforeDeploy {
        deployment: Box<Deployment>,
        #[serde(with = "secs")]
        margin: Duration,
    },
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

/// A point-in-time restore, checked and ready to confirm.
#[derive(Debug, Clone, Serialize)]
pub struct PitrPlan {
    pub app: String,
    pub addon: Addon,
    pub target: Target,
    /// The time the database goes back to.
    pub restore_to: DateTime<Utc>,
    pub window: RecoveryWindow,
    /// When the plan was made: writes from `restore_to` to now are lost.
    pub planned_at: DateTime<Utc>,
}

impl PitrPlan {
    /// How much writing is lost, counted to when the plan was made (it
    /// grows until the restore starts).
    pub fn data_loss(&self) -> chrono::Duration {
        self.planned_at - self.restore_to
    }
}

/// The one rule for the instant a restore goes back to, whatever asks for
/// it (`rollback --with-db`, `db restore --to` or `--before-deploy`, the
/// guide): whole seconds, rounded down. People read and type seconds, and
/// Scalingo's documentation writes restore times in seconds; rounding
/// down keeps the instant on the safe side of the bad release (never a
/// write of it more). One exception: when the recovery window opens inside
/// that very second, after the rounded-down instant, the time keeps its
/// milliseconds (rounded down too), the only way to stay inside the
/// window. The plan shows, checks and sends exactly this instant.
pub fn restore_instant(t: DateTime<Utc>, window: &RecoveryWindow) -> DateTime<Utc> {
    let second = t.trunc_subsecs(0);
    if second < window.earliest && t >= window.earliest {
        t.trunc_subsecs(3)
    } else {
        second
    }
}

/// Checks that `addon` can do a point-in-time restore to `target`, and
/// makes the plan.
pub fn plan_pitr(
    platform: &dyn Platform,
    app: &str,
    addon: &Addon,
    target: Target,
) -> Result<PitrPlan, DbError> {
    if !addon.is_postgresql() {
        return Err(DbError::NoPitr {
            addon_id: addon.id.clone(),
            provider: addon.provider_id.clone(),
        });
    }
    let requested = match &target {
        Target::At { time } => *time,
        Target::BeforeDeploy { deployment, margin } => {
            let created = deployment.created_at.ok_or_else(|| DbError::BadTime {
                text: format!("deployment {}", deployment.id),
                problem: "Scalingo gives no creation time for it".into(),
            })?;
            let margin = chrono::Duration::from_std(*margin).map_err(|_| DbError::BadTime {
                text: format!("margin {}s", margin.as_secs()),
                problem: "too large".into(),
            })?;
            created
                .checked_sub_signed(margin)
                .ok_or_else(|| DbError::BadTime {
                    text: format!("margin {}s", margin.num_seconds()),
                    problem: "it goes back before any date rewind can name".into(),
                })?
        }
    };
    let window = platform.recovery_window(app, &addon.id)?;
    let restore_to = restore_instant(requested, &window);
    if !window.contains(restore_to) {
        return Err(DbError::OutsideWindow {
            target: restore_to,
            earliest: window.earliest,
            latest: window.latest,
        });
    }
    Ok(PitrPlan {
        app: app.to_string(),
        addon: addon.clone(),
        target,
        restore_to,
        window,
        planned_at: Utc::now(),
    })
}

/// Starts the restore of `plan` and follows it to its end. `on_started`
/// gets the operation id as soon as Scalingo gives it (to journal it).
pub fn pitr_restore(
    platform: &dyn Platform,
    plan: &PitrPlan,
    poll: &Poll,
    on_started: &mut dyn FnMut(&str),
    on_status: &mut dyn FnMut(&DatabaseOperation),
) -> Result<DatabaseOperation, DbError> {
    let operation_id = platform.pitr_restore(&plan.app, &plan.addon.id, plan.restore_to)?;
    on_started(&operation_id);
    if operation_id.is_empty() {
        // The write was confirmed by re-reading, without an operation to
        // follow: say so instead of claiming it finished.
        return Err(DbError::RestoreFailed {
            operation_id: "(unknown)".into(),
            status: "unknown".into(),
            detail: Some("Scalingo started the restore but gave no operation to follow".into()),
        });
    }
    follow_operation(
        platform,
        &plan.app,
        &plan.addon.id,
        &operation_id,
        poll,
        on_status,
    )
}

/// The deployment running now: the newest that succeeded among the
/// newest ten (a running release is always among them).
pub fn running_deployment(
    platform: &dyn Platform,
    app: &str,
) -> Result<Option<Deployment>, DbError> {
    let page = platform.deployments(app, 1, 10)?;
    Ok(page.items.into_iter().find(|d| d.status.is_success()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).expect("time")
    }

    #[test]
    fn whole_seconds_rounded_down_unless_the_window_opens_inside_that_second() {
        let window = RecoveryWindow {
            earliest: at(1_000_000_000),
            latest: at(2_000_000_000),
        };
        assert_eq!(
            restore_instant(at(1_500_000_999), &window),
            at(1_500_000_000)
        );
        assert_eq!(
            restore_instant(at(1_500_000_000), &window),
            at(1_500_000_000)
        );
        let opens_mid_second = RecoveryWindow {
            earliest: at(1_500_000_400),
            latest: at(2_000_000_000),
        };
        assert_eq!(
            restore_instant(at(1_500_000_700), &opens_mid_second),
            at(1_500_000_700)
        );
        // Before the window: left as asked, for the window check to refuse.
        assert_eq!(
            restore_instant(at(1_500_000_100), &opens_mid_second),
            at(1_500_000_000)
        );
    }
}
