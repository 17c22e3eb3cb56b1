//! Replaying the night by hand: the sandbox's seed and its state as it was
//! at the alert (written with `--keep`), and the commands that take the
//! same steps one at a time against `rewind sandbox serve`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::DrillError;
use crate::history::{APP, GOOD};
use crate::pace::Pace;
use crate::scenario::Scenario;
use crate::workspace::Workspace;

/// The files a replay starts from.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayFiles {
    pub seed: PathBuf,
    /// Where the drill's sandbox keeps its state while it runs.
    pub state: PathBuf,
    /// The state copied at the alert: production just broken. Never
    /// written by a replay, so that every replay starts from it.
    pub at_alert: PathBuf,
    /// The state a replay's sandbox works on: a copy of `at_alert`.
    pub replay_state: PathBuf,
    /// The drill's PostgreSQL kept at the alert, when it ran a real one.
    pub postgres: PathBuf,
    /// A fresh journal for the replay, apart from the drill's.
    pub journal: PathBuf,
}

impl ReplayFiles {
    pub fn in_workspace(ws: &Workspace) -> ReplayFiles {
        ReplayFiles {
            seed: ws.root.join("sandbox-seed.toml"),
            state: ws.root.join("sandbox-state.json"),
            at_alert: ws.root.join("sandbox-state-at-alert.json"),
            replay_state: ws.root.join("sandbox-state-replay.json"),
            postgres: ws.root.join("sandbox-postgres-at-alert"),
            journal: ws.root.join("replay-journal"),
        }
    }

    /// Writes the seed: the same app, repository, link and addon as the
    /// drill's sandbox, and the same database: a real PostgreSQL started
    /// from the cluster kept at the alert when the drill ran one
    /// (`real_database`), simulated otherwise.
    pub fn write_seed(
        &self,
        ws: &Workspace,
        pace: &Pace,
        real_database: bool,
    ) -> Result<(), DrillError> {
        let repo = toml::Value::String(ws.origin.display().to_string());
        let database = if real_database {
            let kept = toml::Value::String(self.postgres.display().to_string());
            format!("postgres = \"on\"\npostgres_snapshot = {kept}\n")
        } else {
            "postgres = \"off\"\n".to_string()
        };
        let text = format!(
            "# The drill's sandbox, for a replay by hand (docs/drill.md):\n\
             #   cp {at_alert} {state}\n\
             #   rewind sandbox serve --seed {seed} --state {state}\n\
             [sandbox]\n\
             rate_limit_per_minute = 0\n\
             deploy_duration_ms = {ms}\n\
             {database}\n\
             [[apps]]\n\
             name = \"{APP}\"\n\
             repo = {repo}\n\
             [apps.scm]\n\
             branch = \"main\"\n\
             auto_deploy = true\n\
             [[apps.addons]]\n\
             provider = \"scalingo-postgresql\"\n\
             plan = \"postgresql-starter-512\"\n",
            seed = self.seed.display(),
            at_alert = self.at_alert.display(),
            state = self.replay_state.display(),
            ms = pace.deploy.as_millis(),
        );
        std::fs::write(&self.seed, text).map_err(|source| DrillError::Write {
            path: self.seed.clone(),
            source,
        })
    }

    /// Keeps the sandbox's state as it is at the alert.
    pub fn snapshot_at_alert(&self) -> Result<(), DrillError> {
        std::fs::copy(&self.state, &self.at_alert)
            .map(|_| ())
            .map_err(|source| DrillError::Write {
                path: self.at_alert.clone(),
                source,
            })
    }
}

/// Points the kept rewind.toml's `webhook_url` at the replay's sandbox
/// (`http://LISTEN/_sandbox/webhook`, which answers like a chat webhook):
/// the drill's own listener ends with the drill, and a replay whose
/// notify step, or whose whole action (warning the product owner), cannot
/// reach anyone would fail where the drill succeeded.
pub fn redirect_webhook(config: &Path, listen: &str) -> Result<(), DrillError> {
    let write_error = |source| DrillError::Write {
        path: config.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(config).map_err(write_error)?;
    let mut found = false;
    let out: String = text
        .lines()
        .map(|line| {
            if line.starts_with("webhook_url = ") {
                found = true;
                format!(
                    "webhook_url = \"http://{listen}/_sandbox/webhook\"  # the replay's sandbox answers as the team's chat\n"
                )
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    if !found {
        return Err(DrillError::InitShape("webhook_url".into()));
    }
    std::fs::write(config, out).map_err(write_error)
}

/// The line that ends the replay's own steps: what follows is another
/// path, to take from a fresh copy of the state.
pub const ANOTHER_PATH: &str =
    "# another path: stop the sandbox, run the `cp` and `rewind sandbox serve` lines again, then";

/// The replay, command by command, for `scenario`: without kept files
/// there is nothing to replay from (the workspace is removed at the end),
/// and the lines say so instead of naming paths that will be gone.
/// `listen` is the address the drill's sandbox had: rewind.toml's health
/// URL points there.
pub fn commands(
    scenario: Scenario,
    ws: &Workspace,
    files: Option<&ReplayFiles>,
    listen: &str,
    bad_deployment: &str,
) -> Vec<String> {
    let Some(files) = files else {
        return vec![
            "# the workspace is removed at the end of this drill: run it again with --keep DIR to replay the night by hand".into(),
        ];
    };
    let state = files.replay_state.display();
    let mut lines = vec![
        format!("cp {} {state}", files.at_alert.display()),
        format!(
            "rewind sandbox serve --listen {listen} --seed {} --state {state}",
            files.seed.display()
        ),
        "# in another terminal: paste the four `export SCALINGO_...` lines it prints, then".into(),
        format!(
            "export REWIND_JOURNAL_DIR={} GIT_CONFIG_GLOBAL=/dev/null",
            files.journal.display()
        ),
        format!("cd {}", ws.clone.display()),
        "rewind status".into(),
    ];
    let walk = format!(
        "rewind guide --answer {} --yes",
        scenario.answers().join(",")
    );
    match scenario {
        Scenario::WithDb => {
            lines.push("# step by step:".into());
            lines.push(format!(
                "rewind db restore --before-deploy {bad_deployment} --yes"
            ));
            // The database is back already: this rollback leaves it.
            lines.push(format!("rewind rollback --to v{GOOD} --no-db --yes"));
        }
        Scenario::AppOnly => {
            lines.push("# step by step:".into());
            lines.push(format!("rewind rollback --to v{GOOD} --no-db --yes"));
        }
        // The tree's walk is the whole replay: printed once.
        Scenario::FeatureFlag | Scenario::Minor => {
            lines.push("# the tree's walk, as the drill took it:".into());
            lines.push(walk.clone());
        }
        // rewind.toml allows `feature-flag-off` in [apps.watch] auto.
        Scenario::Watch => {
            lines.push("# the watch, as the drill ran it (nobody answers):".into());
            lines.push("rewind watch --policy auto --for 2m".into());
        }
        Scenario::WatchHealthy => {
            lines.push(
                "# the watch, as the drill ran it (a healthy release: it ends quietly):".into(),
            );
            lines.push("rewind watch --policy auto --for 2m".into());
        }
        Scenario::MultiApp => {
            lines.push("# both apps at once, the api's database restored first:".into());
            lines.push("rewind rollback front api --with-db --yes".into());
        }
    }
    lines.push("rewind journal   # then `rewind report ID` for any incident".into());
    if matches!(scenario, Scenario::WithDb | Scenario::AppOnly) {
        lines.push(ANOTHER_PATH.into());
        lines.push(walk);
    }
    lines
}
