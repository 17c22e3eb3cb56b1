//! What a build reads from the code it deploys: the `package.json` (its
//! name, version and npm scripts, which the build log shows) and the
//! sandbox's own `.sandbox/outcome` file, with which a commit or an archive
//! asks its deploy to fail in a given way (or to hang).

use serde_json::Value;

use crate::deploy::git;

/// The file in which a commit or archive names how its deploy ends.
pub const OUTCOME_FILE: &str = ".sandbox/outcome";

/// The code of one deployment, as far as the build cares.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub package: Option<Package>,
    pub outcome: Outcome,
}

/// The parts of `package.json` a Node.js build log shows.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub version: Option<String>,
    pub prepare: Option<String>,
    pub build: Option<String>,
    pub node_engine: Option<String>,
}

impl Package {
    /// Reads a `package.json`; `None` when it is not a JSON object.
    pub fn parse(text: &str, fallback_name: &str) -> Option<Package> {
        let value: Value = serde_json::from_str(text).ok()?;
        let object = value.as_object()?;
        let text_at = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let scripts = object.get("scripts");
        Some(Package {
            name: text_at(object.get("name")).unwrap_or_else(|| fallback_name.to_string()),
            version: text_at(object.get("version")),
            prepare: text_at(scripts.and_then(|s| s.get("prepare"))),
            build: text_at(scripts.and_then(|s| s.get("build"))),
            node_engine: text_at(object.get("engines").and_then(|e| e.get("node"))),
        })
    }

    /// `name@version`, as npm names a package in its lifecycle lines.
    pub fn id(&self) -> String {
        match &self.version {
            Some(version) => format!("{}@{version}", self.name),
            None => self.name.clone(),
        }
    }
}

/// How a deployment ends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Outcome {
    #[default]
    Success,
    BuildError,
    HookError,
    CrashedError,
    TimeoutError,
    Aborted,
    /// Stays in `building` until the admin `finish` route ends it.
    Hang,
    /// `.sandbox/outcome` holds something else: the build fails and says
    /// so in its log, so that a typo does not pass for a success.
    Unknown(String),
}

impl Outcome {
    /// Reads the content of `.sandbox/outcome`.
    pub fn parse(text: &str) -> Outcome {
        match text.trim() {
            "" | "success" => Outcome::Success,
            "build-error" => Outcome::BuildError,
            "hook-error" => Outcome::HookError,
            "crashed-error" => Outcome::CrashedError,
            "timeout-error" => Outcome::TimeoutError,
            "aborted" => Outcome::Aborted,
            "hang" => Outcome::Hang,
            other => Outcome::Unknown(other.to_string()),
        }
    }

    /// The outcome that ends in a given terminal status (for deployments
    /// inserted already finished).
    pub fn for_status(status: &str) -> Option<Outcome> {
        match status {
            "success" => Some(Outcome::Success),
            "build-error" => Some(Outcome::BuildError),
            "hook-error" => Some(Outcome::HookError),
            "crashed-error" => Some(Outcome::CrashedError),
            "timeout-error" => Some(Outcome::TimeoutError),
            "aborted" => Some(Outcome::Aborted),
            _ => None,
        }
    }
}

impl Source {
    /// The source of commit `sha` of the app's repository.
    pub fn from_commit(repo: &str, sha: &str, app: &str) -> Result<Source, String> {
        let package =
            git::read_file(repo, sha, "package.json")?.and_then(|text| Package::parse(&text, app));
        let outcome = git::read_file(repo, sha, OUTCOME_FILE)?
            .map(|text| Outcome::parse(&text))
            .unwrap_or_default();
        Ok(Source { package, outcome })
    }
}
