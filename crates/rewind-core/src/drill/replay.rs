//! Replaying the night by hand: the sandbox's seed and its state as it was
//! at the alert (written with `--keep`), and the commands that take the
//! same steps one at a time against `rewind sandbox serve`.

use std::path::PathBuf;

use serde::Serialize;

use super::error::DrillError;
use super::history::{APP, GOOD};
use super::pace::Pace;
use super::scenario::Scenario;
use super::workspace::Workspace;

/// The files a replay starts from.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayFiles {
    pub seed: PathBuf,
    /// Where the drill's sandbox keeps its state while it runs.
    pub state: PathBuf,
    /// The state copied at the alert: production just broken.
    pub at_alert: PathBuf,
    /// A fresh journal for the replay, apart from the drill's.
    pub journal: PathBuf,
}

impl ReplayFiles {
    pub fn in_workspace(ws: &Workspace) -> ReplayFiles {
        ReplayFiles {
            seed: ws.root.join("sandbox-seed.toml"),
            state: ws.root.join("sandbox-state.json"),
            at_alert: ws.root.join("sandbox-state-at-alert.json"),
            journal: ws.root.join("replay-journal"),
        }
    }

    /// Writes the seed: the same app, repository, link and addon as the
    /// drill's sandbox. The database is simulated in a replay: the drill's
    /// PostgreSQL cluster does not outlive the drill.
    pub fn write_seed(&self, ws: &Workspace, pace: &Pace) -> Result<(), DrillError> {
        let repo = toml::Value::String(ws.origin.display().to_string());
        let text = format!(
            "# The drill's sandbox, for a replay by hand (docs/drill.md):\n\
             #   rewind sandbox serve --seed {seed} --state {state}\n\
             [sandbox]\n\
             rate_limit_per_minute = 0\n\
             deploy_duration_ms = {ms}\n\
             postgres = \"off\"\n\n\
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
            state = self.at_alert.display(),
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

/// The replay, command by command, for `scenario`. `listen` is the
/// address the drill's sandbox had: rewind.toml's health URL points there.
pub fn commands(
    scenario: Scenario,
    ws: &Workspace,
    files: Option<&ReplayFiles>,
    listen: &str,
    bad_deployment: &str,
) -> Vec<String> {
    let (seed, state, journal) = match files {
        Some(f) => (
            f.seed.display().to_string(),
            f.at_alert.display().to_string(),
            f.journal.display().to_string(),
        ),
        None => (
            "SEED.toml".to_string(),
            "STATE.json".to_string(),
            "JOURNAL_DIR".to_string(),
        ),
    };
    let mut lines = vec![
        format!("rewind sandbox serve --listen {listen} --seed {seed} --state {state}"),
        "# in another terminal: paste the four `export SCALINGO_...` lines it prints, then".into(),
        format!("export REWIND_JOURNAL_DIR={journal} GIT_CONFIG_GLOBAL=/dev/null"),
        format!("cd {}", ws.clone.display()),
        "rewind status".into(),
        "# step by step:".into(),
    ];
    match scenario {
        Scenario::WithDb => {
            lines.push(format!(
                "rewind db restore --before-deploy {bad_deployment}"
            ));
            lines.push(format!("rewind rollback --to v{GOOD}"));
        }
        Scenario::AppOnly => lines.push(format!("rewind rollback --to v{GOOD}")),
        Scenario::FeatureFlag => lines.push("rewind guide --answer mep=problem,q1=yes".into()),
        Scenario::Minor => {
            lines.push("rewind guide --answer mep=problem,q1=no,q2=yes,q3=low".into())
        }
    }
    lines.push("# or the whole walk at once, on a fresh state:".into());
    lines.push(format!(
        "rewind guide --answer {}",
        scenario.answers().join(",")
    ));
    lines.push("rewind journal   # then `rewind report ID` for any incident".into());
    lines
}
