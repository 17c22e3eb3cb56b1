//! The ways a rollback can put a release back on the platform.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Push `release/<tag>` to the team's remote and deploy it through the
    /// SCM link (the runbook's way).
    #[default]
    Branch,
    /// Deploy the tag's source archive (`.tar.gz`) by URL: no branch, no
    /// push; works when the SCM link is broken.
    Archive,
    /// Force-push the tag's commit to the app's own git remote, on a
    /// branch a push deploys from (the platform's `deploy_methods`; on
    /// Scalingo `master` or `main`, as `git push scalingo` does).
    GitPush,
}

impl Method {
    pub const NAMES: [&str; 3] = ["branch", "archive", "git-push"];

    pub fn parse(name: &str) -> Option<Method> {
        match name {
            "branch" => Some(Method::Branch),
            "archive" => Some(Method::Archive),
            "git-push" => Some(Method::GitPush),
            _ => None,
        }
    }

    /// Whether this way of deploying replaces what a branch of the app's
    /// own git remote held (a force-push): the person confirms that on its
    /// own, with a word of its own.
    pub fn overwrites_remote_branch(self) -> bool {
        matches!(self, Method::GitPush)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Branch => "branch",
            Method::Archive => "archive",
            Method::GitPush => "git-push",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
