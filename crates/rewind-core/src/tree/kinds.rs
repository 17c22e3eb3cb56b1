//! The closed vocabularies a tree file may name: the actions rewind knows how
//! to carry out and the evidence (probes) it knows how to gather.
//!
//! They are closed on purpose: a tree naming an action rewind cannot perform
//! would only fail in the middle of an incident, so the loader rejects it.

use std::fmt;

/// What an action node makes rewind do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Turn the faulty feature off (feature flag or environment variable).
    SwitchFeatureOff,
    /// Tell the product owner and open a ticket to prioritise the fix.
    WarnProductOwner,
    /// Restore the application's database from a backup.
    RestoreDatabase,
    /// Put the previous version of the application back in production.
    RedeployPrevious,
}

impl ActionKind {
    pub const ALL: [ActionKind; 4] = [
        ActionKind::SwitchFeatureOff,
        ActionKind::WarnProductOwner,
        ActionKind::RestoreDatabase,
        ActionKind::RedeployPrevious,
    ];

    /// The name used in tree files.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::SwitchFeatureOff => "switch_feature_off",
            ActionKind::WarnProductOwner => "warn_product_owner",
            ActionKind::RestoreDatabase => "restore_database",
            ActionKind::RedeployPrevious => "redeploy_previous",
        }
    }

    pub fn from_name(name: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The evidence rewind can gather to help answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// Which release is running and which deploy broke it.
    BadDeploy,
    /// How the application is doing: containers, errors, response codes.
    AppHealth,
    /// Whether the application has a database, and its backups.
    Database,
    /// Which features can be switched off, and how.
    FeatureFlags,
}

impl Probe {
    pub const ALL: [Probe; 4] = [
        Probe::BadDeploy,
        Probe::AppHealth,
        Probe::Database,
        Probe::FeatureFlags,
    ];

    /// The name used in tree files.
    pub fn name(self) -> &'static str {
        match self {
            Probe::BadDeploy => "bad_deploy",
            Probe::AppHealth => "app_health",
            Probe::Database => "database",
            Probe::FeatureFlags => "feature_flags",
        }
    }

    pub fn from_name(name: &str) -> Option<Probe> {
        Self::ALL.into_iter().find(|probe| probe.name() == name)
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
