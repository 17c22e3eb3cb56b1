//! Which point-in-time restores were made, and for which bad release: the
//! journal's answer to "was the database already put back for this?".
//! Every restore path (`rollback --with-db`, `db restore`, the guide's
//! restore action) writes a [`RestoreRecord`] into its incident just
//! before it asks Scalingo, and asks [`earlier_restores`] first: a second
//! restore for the same bad deployment would wipe every write made since
//! the first one, so it is refused unless the person decides it in so many
//! words (`--restore-again`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::journal::{EntryKind, Incident, IncidentId, Journal, JournalError};
use crate::platform::PlatformError;

/// The key a journal note carries a restore under.
const KEY: &str = "database_restore";
/// The key of the note that says a requested restore was not made
/// (Scalingo refused it, and rewind checked).
const NOT_MADE: &str = "database_restore_not_made";

/// A restore as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRecord {
    /// The bad release's deployment the restore went back before; for a
    /// restore to a time, the deployment that ran when it was asked for.
    pub bad_deployment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_label: Option<String>,
    pub addon_id: String,
    pub restore_to: DateTime<Utc>,
    /// The safety backup taken before it, on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_sha256: Option<String>,
    /// When the bad deployment was created: writes between the restore
    /// point and then were made under the good release (the margin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_created_at: Option<DateTime<Utc>>,
}

impl RestoreRecord {
    /// The note's data: the record, and a sentence for people.
    pub fn note(&self) -> Value {
        json!({
            "text": format!(
                "point-in-time restore to {} requested{}",
                self.restore_to.format("%Y-%m-%d %H:%M:%S UTC"),
                self.bad_label
                    .as_deref()
                    .map(|l| format!(" (before {l})"))
                    .unwrap_or_default()
            ),
            KEY: self,
        })
    }

    /// The note's data when the request is known not to have been applied.
    pub fn not_made(why: &str) -> Value {
        json!({ "text": format!("the restore was not made: {why}"), NOT_MADE: true })
    }
}

/// The note saying Scalingo gave the restore's operation: from then on the
/// restore is known to have run.
pub fn operation_started(operation_id: &str) -> Value {
    json!({
        "text": format!("restore operation {operation_id} started"),
        "restore_operation_id": operation_id,
    })
}

/// The note for a restore request that failed in a way that proves nothing
/// was restored (a refusal, 429 included, or a failure rewind checked did
/// not apply), so that a later run may ask again; `None` when the failure
/// leaves it unknown (a lost answer) or is not the request's.
pub fn not_made_by(e: &super::DbError) -> Option<Value> {
    match e {
        super::DbError::Platform(p)
            if !p.is_uncertain() && !matches!(p, PlatformError::WriteUncertain { .. }) =>
        {
            Some(RestoreRecord::not_made(&p.to_string()))
        }
        _ => None,
    }
}

/// The key of the note naming a safety backup and the bad deployment it
/// was taken for.
const SAFETY_BACKUP_FOR: &str = "safety_backup_for";

/// The note a safety backup leaves the moment Scalingo accepts it.
pub fn safety_backup_taken(bad_deployment_id: &str, backup_id: &str) -> Value {
    json!({
        "text": format!("safety backup {backup_id} requested"),
        SAFETY_BACKUP_FOR: bad_deployment_id,
        "backup_id": backup_id,
    })
}

/// The newest safety backup taken before restoring for `bad_deployment`
/// that no restore used since (a restore asked for, and not known to be
/// refused, uses it up): the backup a run cut short never used, to be
/// downloaded rather than taken twice.
pub fn unused_safety_backup(journal: &Journal, app: &str, bad_deployment: &str) -> Option<String> {
    let (entries, _) = journal.entries().ok()?;
    let mut found = None;
    let mut used_by: Option<&IncidentId> = None;
    for entry in entries.iter().filter(|e| e.app == app) {
        if entry.data[SAFETY_BACKUP_FOR].as_str() == Some(bad_deployment) {
            found = entry.data["backup_id"].as_str().map(str::to_string);
            used_by = None;
        } else if entry.data[KEY]["bad_deployment_id"].as_str() == Some(bad_deployment) {
            used_by = Some(&entry.incident);
        } else if entry.data[NOT_MADE] == Value::Bool(true) && used_by == Some(&entry.incident) {
            used_by = None;
        }
    }
    found.filter(|_| used_by.is_none())
}

/// A restore made (or asked for, and maybe made) by an earlier incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierRestore {
    pub incident: IncidentId,
    /// When it was asked for: writes made since then are what a second
    /// restore loses.
    pub at: DateTime<Utc>,
    pub record: RestoreRecord,
    /// Scalingo answered with an operation, or the restore ended: it ran.
    /// Otherwise the incident was cut short while asking, and nobody knows.
    pub certain: bool,
}

impl EarlierRestore {
    /// "the database was already restored to ... for v1.3.0 by incident ...".
    pub fn describe(&self) -> String {
        format!(
            "the database was already restored to {} for {} (deployment {}) by incident {} at {}",
            self.record.restore_to.format("%Y-%m-%d %H:%M:%S UTC"),
            self.record
                .bad_label
                .as_deref()
                .unwrap_or("the bad release"),
            self.record.bad_deployment_id,
            self.incident,
            self.at.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// The restores of `app` made for `bad_deployment_id`, oldest first,
/// `except` one incident (the one asking, on a resume).
fn earlier_restores(
    journal: &Journal,
    app: &str,
    bad_deployment_id: &str,
    except: Option<&IncidentId>,
) -> Result<Vec<EarlierRestore>, JournalError> {
    Ok(journal
        .incidents()?
        .iter()
        .filter(|i| i.app == app && Some(&i.id) != except)
        .filter_map(restore_of)
        .filter(|r| r.record.bad_deployment_id == bad_deployment_id)
        .collect())
}

/// The restore made for `bad_deployment_id` most recently, if any, as the
/// journal and the person know it. A restore an incident asked for when it
/// was cut short is unknown: `restore_ran` is the person's word on it
/// (`--restore-ran yes|no`, from the database's operations in the
/// dashboard); without it, [`super::DbError::RestoreUnknown`].
pub fn made_restore(
    journal: &Journal,
    app: &str,
    bad_deployment_id: &str,
    except: Option<&IncidentId>,
    restore_ran: Option<bool>,
) -> Result<Option<EarlierRestore>, super::DbError> {
    let earlier = earlier_restores(journal, app, bad_deployment_id, except).map_err(|e| {
        super::DbError::Journal {
            detail: e.to_string(),
        }
    })?;
    let mut made = None;
    for restore in earlier {
        if !restore.certain
            && let Some(ran) = restore_ran
        {
            // The person's word is kept in that incident, so that nobody
            // is asked again.
            let note = if ran {
                json!({ "text": "the person said this restore ran (--restore-ran yes)", MADE_BY_WORD: true })
            } else {
                RestoreRecord::not_made("the person said it did not run (--restore-ran no)")
            };
            journal
                .record(&restore.incident, app, EntryKind::Note, None, note)
                .map_err(|e| super::DbError::Journal {
                    detail: e.to_string(),
                })?;
        }
        match (restore.certain, restore_ran) {
            (true, _) | (false, Some(true)) => made = Some(restore),
            (false, Some(false)) => {}
            (false, None) => {
                return Err(super::DbError::RestoreUnknown {
                    earlier: Box::new(restore),
                });
            }
        }
    }
    Ok(made)
}

/// The rule every restore path applies before asking Scalingo: an earlier
/// restore for the same bad deployment refuses this one, unless the
/// person chose `again` (`--restore-again`); then that earlier restore is
/// returned, for the plan to say what is lost on top of it.
pub fn check_not_restored(
    journal: &Journal,
    app: &str,
    bad_deployment_id: &str,
    except: Option<&IncidentId>,
    again: bool,
    restore_ran: Option<bool>,
) -> Result<Option<EarlierRestore>, super::DbError> {
    match made_restore(journal, app, bad_deployment_id, except, restore_ran)? {
        Some(done) if !again => Err(super::DbError::AlreadyRestored {
            earlier: Box::new(done),
        }),
        found => Ok(found),
    }
}

/// The restore an incident asked for and did not learn was refused, and
/// whether it is known to have run.
pub fn restore_of(incident: &Incident) -> Option<EarlierRestore> {
    let mut found: Option<EarlierRestore> = None;
    for entry in &incident.entries {
        if let Some(restore) = found.as_mut()
            && !restore.certain
            && ran(&entry.kind, &entry.data)
        {
            restore.certain = true;
        }
        if entry.kind != EntryKind::Note {
            continue;
        }
        if let Some(record) = entry
            .data
            .get(KEY)
            .and_then(|v| serde_json::from_value::<RestoreRecord>(v.clone()).ok())
        {
            found = Some(EarlierRestore {
                incident: incident.id.clone(),
                at: entry.at,
                record,
                certain: false,
            });
        } else if entry.data.get(NOT_MADE) == Some(&Value::Bool(true)) {
            found = None;
        }
    }
    found.or_else(|| older_rollback_restore(incident))
}

/// An entry after a restore record that shows the restore ran: Scalingo
/// gave its operation, the step ended well, or the person said so.
fn ran(kind: &EntryKind, data: &Value) -> bool {
    let operation = ["restore_operation_id", "operation_id"].iter().any(|k| {
        data.get(*k).is_some_and(|v| v.is_string())
            || data["facts"].get(*k).is_some_and(|v| v.is_string())
    });
    operation || *kind == EntryKind::StepDone || data.get(MADE_BY_WORD) == Some(&Value::Bool(true))
}

/// The key of the note a person's `--restore-ran yes` leaves.
const MADE_BY_WORD: &str = "database_restore_ran";

/// Rollbacks journaled before restore records existed: the plan names the
/// bad deployment, and the restore step started.
fn older_rollback_restore(incident: &Incident) -> Option<EarlierRestore> {
    let restore = &incident.opening["plan"]["database"]["restore"];
    let step = incident.step("pitr-restore")?;
    let record = RestoreRecord {
        bad_deployment_id: restore["bad_deployment_id"].as_str()?.to_string(),
        bad_label: incident.opening["from"].as_str().map(str::to_string),
        addon_id: restore["addon_id"].as_str().unwrap_or_default().to_string(),
        restore_to: serde_json::from_value(restore["restore_to"].clone()).ok()?,
        backup: None,
        backup_sha256: None,
        bad_created_at: serde_json::from_value(restore["bad_deployment_created_at"].clone()).ok(),
    };
    Some(EarlierRestore {
        incident: incident.id.clone(),
        at: step.started_at.unwrap_or(incident.opened_at),
        record,
        certain: step.state == crate::journal::StepState::Done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(bad: &str) -> RestoreRecord {
        RestoreRecord {
            bad_deployment_id: bad.into(),
            bad_label: Some("v1.3.0".into()),
            addon_id: "ad-1".into(),
            restore_to: DateTime::from_timestamp(1_700_000_000, 0).expect("t"),
            backup: None,
            backup_sha256: None,
            bad_created_at: None,
        }
    }

    #[test]
    fn a_restore_counts_for_its_bad_deployment_until_known_not_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path());
        let first = journal
            .begin("app", json!({"command": "db restore"}))
            .expect("begin");
        journal
            .record(&first, "app", EntryKind::Note, None, record("d-bad").note())
            .expect("note");
        let found = earlier_restores(&journal, "app", "d-bad", None).expect("read");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].incident, first);
        assert!(
            found[0].describe().contains("v1.3.0"),
            "{}",
            found[0].describe()
        );
        assert!(
            earlier_restores(&journal, "app", "d-other", None)
                .expect("read")
                .is_empty()
        );
        assert!(
            earlier_restores(&journal, "other", "d-bad", None)
                .expect("read")
                .is_empty()
        );
        assert!(
            earlier_restores(&journal, "app", "d-bad", Some(&first))
                .expect("read")
                .is_empty()
        );
        // Scalingo refused the request and rewind checked: not a restore.
        journal
            .record(
                &first,
                "app",
                EntryKind::Note,
                None,
                RestoreRecord::not_made("HTTP 500"),
            )
            .expect("note");
        assert!(
            earlier_restores(&journal, "app", "d-bad", None)
                .expect("read")
                .is_empty()
        );
    }
}
