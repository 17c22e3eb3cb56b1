//! What the steps of one rollback learnt and the later steps need (the
//! deployment id, what auto-deploy was before the hold...). Each step's
//! facts are journaled with its end, so `resume` gathers them back from the
//! journal instead of guessing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The commit `release/<tag>` points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_commit: Option<String>,
    /// Whether auto-deploy was on before the hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_deploy_was: Option<bool>,
    /// The deployment carrying the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// Its last known status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_status: Option<String>,
    /// The safety backup, as soon as Scalingo accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    /// Its archive on disk, once downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_archive: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_sha256: Option<String>,
    /// The size Scalingo announced for it, when it differs from the bytes
    /// received (the archive read whole, so it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_announced_size: Option<u64>,
    /// The restore was asked for: from then on, a second request could
    /// restore twice, so rewind only follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_requested: Option<bool>,
    /// The restore operation, as soon as Scalingo gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_operation_id: Option<String>,
    /// The time the database went back to, once the restore finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_to: Option<chrono::DateTime<chrono::Utc>>,
}

impl Facts {
    /// Takes the facts a journal entry's `data` holds (under `facts`).
    pub fn absorb(&mut self, data: &Value) {
        let Ok(found) = serde_json::from_value::<Facts>(data["facts"].clone()) else {
            return;
        };
        self.branch_commit = found.branch_commit.or(self.branch_commit.take());
        self.auto_deploy_was = found.auto_deploy_was.or(self.auto_deploy_was);
        self.deployment_id = found.deployment_id.or(self.deployment_id.take());
        self.deployment_status = found.deployment_status.or(self.deployment_status.take());
        self.backup_id = found.backup_id.or(self.backup_id.take());
        self.backup_archive = found.backup_archive.or(self.backup_archive.take());
        self.backup_size = found.backup_size.or(self.backup_size);
        self.backup_sha256 = found.backup_sha256.or(self.backup_sha256.take());
        self.backup_announced_size = found.backup_announced_size.or(self.backup_announced_size);
        self.restore_requested = found.restore_requested.or(self.restore_requested);
        self.restore_operation_id = found
            .restore_operation_id
            .or(self.restore_operation_id.take());
        self.restored_to = found.restored_to.or(self.restored_to);
    }

    /// Everything an incident's entries learnt, later facts first.
    pub fn of(incident: &crate::journal::Incident) -> Facts {
        let mut facts = Facts::default();
        for entry in &incident.entries {
            facts.absorb(&entry.data);
        }
        facts
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_facts_win_and_missing_ones_are_kept() {
        let mut facts = Facts::default();
        facts.absorb(
            &serde_json::json!({"facts": {"branch_commit": "abc", "auto_deploy_was": true}}),
        );
        facts.absorb(&serde_json::json!({"facts": {"deployment_id": "d1"}}));
        facts.absorb(&serde_json::json!({"note": "no facts here"}));
        assert_eq!(facts.branch_commit.as_deref(), Some("abc"));
        assert_eq!(facts.auto_deploy_was, Some(true));
        assert_eq!(facts.deployment_id.as_deref(), Some("d1"));
    }
}
