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
