//! The rehearsals, one for each exit of the runbook's tree, one for
//! `rewind watch --policy auto` and one for several apps rolled back
//! together: the answers a scripted (`--auto`) walk gives, and what
//! production must look like once the walk is over.

use std::fmt;

/// One path through the runbook's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// The database is restored to before the bad release, then the
    /// previous release is redeployed (a3 then a4).
    WithDb,
    /// The previous release is redeployed; the database stays as it is (a4).
    AppOnly,
    /// The faulty feature is switched off and the app restarted (a1).
    FeatureFlag,
    /// A minor problem: the product owner is warned with a ticket (a2).
    Minor,
    /// Nobody walks the tree: `rewind watch --policy auto` notices the bad
    /// release and switches the faulty feature off itself (a1).
    Watch,
    /// The same release ships with its feature off, healthy: the watch
    /// must end quietly, with no incident and nothing posted.
    WatchHealthy,
    /// A release-please monorepo's two apps, front and api, broken by one
    /// coordinated release and rolled back together (`rewind rollback
    /// front api --with-db`): the api's database restored first.
    MultiApp,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::WithDb,
        Scenario::AppOnly,
        Scenario::FeatureFlag,
        Scenario::Minor,
        Scenario::Watch,
        Scenario::WatchHealthy,
        Scenario::MultiApp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::WithDb => "with-db",
            Scenario::AppOnly => "app-only",
            Scenario::FeatureFlag => "feature-flag",
            Scenario::Minor => "minor",
            Scenario::Watch => "watch",
            Scenario::WatchHealthy => "watch-healthy",
            Scenario::MultiApp => "multi-app",
        }
    }

    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The answers of the scripted walk, as `rewind guide --answer` takes
    /// them, in the order the questions come.
    pub fn answers(self) -> &'static [&'static str] {
        match self {
            Scenario::WithDb => &[
                "mep=problem",
                "q1=no",
                "q2=yes",
                "q3=high",
                "q4=no",
                "q5=yes",
            ],
            Scenario::AppOnly => &[
                "mep=problem",
                "q1=no",
                "q2=yes",
                "q3=high",
                "q4=no",
                "q5=no",
            ],
            // The watch's evidence decides the same path as feature-flag.
            Scenario::FeatureFlag | Scenario::Watch => &["mep=problem", "q1=yes"],
            Scenario::Minor => &["mep=problem", "q1=no", "q2=yes", "q3=low"],
            // Nothing crosses a threshold: no incident, no tree.
            Scenario::WatchHealthy => &[],
            // No walk: the on-call engineer rolls both apps back at once.
            Scenario::MultiApp => &[],
        }
    }

    /// The runbook's actions this path ends with.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Scenario::WithDb => &["a3", "a4"],
            Scenario::AppOnly => &["a4"],
            Scenario::FeatureFlag | Scenario::Watch => &["a1"],
            Scenario::Minor => &["a2"],
            Scenario::WatchHealthy => &[],
            Scenario::MultiApp => &["a3", "a4"],
        }
    }

    /// The outcome the rehearsal must reach, in a sentence.
    pub fn expected(self) -> &'static str {
        match self {
            Scenario::WithDb => {
                "the database is back to before the bad release and the previous release runs"
            }
            Scenario::AppOnly => "the previous release runs; the database is left as it is",
            Scenario::FeatureFlag => "the faulty feature is off and the app restarted",
            Scenario::Minor => "the product owner is warned and a ticket draft is written",
            Scenario::Watch => {
                "rewind watch notices the bad release and switches the faulty feature off, with nobody answering"
            }
            Scenario::WatchHealthy => {
                "a healthy release ships and rewind watch ends quietly: no incident, nothing posted"
            }
            Scenario::MultiApp => {
                "front and api run their previous releases, the api's database is back to before the bad release"
            }
        }
    }

    /// Whether the rehearsal is one of `rewind watch`'s (nobody walks the
    /// tree).
    pub fn watches(self) -> bool {
        matches!(self, Scenario::Watch | Scenario::WatchHealthy)
    }

    /// Whether the path puts the previous release back.
    pub fn redeploys(self) -> bool {
        matches!(
            self,
            Scenario::WithDb | Scenario::AppOnly | Scenario::MultiApp
        )
    }

    pub fn restores_database(self) -> bool {
        matches!(self, Scenario::WithDb | Scenario::MultiApp)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_core::tree::{PresetAnswers, Tree};

    #[test]
    fn every_scenario_answers_the_runbook_and_names_round_trip() {
        let tree = Tree::default_runbook();
        for scenario in Scenario::ALL {
            assert_eq!(Scenario::parse(scenario.name()), Some(scenario));
            PresetAnswers::parse(&tree, scenario.answers())
                .unwrap_or_else(|e| panic!("{scenario}: {e}"));
        }
        assert_eq!(Scenario::parse("nope"), None);
    }
}
