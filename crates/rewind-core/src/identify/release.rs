//! Which release a deployment carried, and where that knowledge came from:
//! the tag on its commit, the nearest tag before it, the build log's
//! `name@version` line, or nothing.

use std::fmt;

use serde::Serialize;

use crate::git::{Git, TagIndex};
use crate::platform::{Deployment, Platform};
use crate::release::{TagFormat, Version, find_version};

/// Where a release was learnt from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseSource {
    /// A release tag points at the deployed commit.
    Tag,
    /// The commit is known locally but untagged: shown after its nearest tag.
    NearestTag,
    /// Read from the `name@version` line of the build log.
    BuildLog,
    /// Nothing said which release it was.
    Unknown,
}

impl fmt::Display for ReleaseSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReleaseSource::Tag => "tag",
            ReleaseSource::NearestTag => "nearest tag",
            ReleaseSource::BuildLog => "build log",
            ReleaseSource::Unknown => "unknown",
        })
    }
}

/// A release as rewind knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    /// What to show: `v4.1.1`, `v4.1.1+3 (abc1234)`, `4.1.1`, `unknown`.
    pub label: String,
    /// The release's version, when the deployment is exactly a release.
    #[serde(serialize_with = "version_string")]
    pub version: Option<Version>,
    /// The release tag, when one points at the commit.
    pub tag: Option<String>,
    /// The deployed commit, when it is known.
    pub commit: Option<String>,
    pub source: ReleaseSource,
    /// Why the release could not be known, when it could not.
    pub note: Option<String>,
}

fn version_string<S: serde::Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&v.to_string()),
        None => s.serialize_none(),
    }
}

impl Release {
    /// Whether two deployments carried the same release.
    pub fn same_as(&self, other: &Release) -> bool {
        if let (Some(a), Some(b)) = (&self.commit, &other.commit) {
            return a == b;
        }
        if let (Some(a), Some(b)) = (&self.version, &other.version) {
            return a == b;
        }
        self.source != ReleaseSource::Unknown && self.label == other.label
    }

    fn unknown(commit: Option<String>, note: impl Into<String>) -> Release {
        Release {
            label: "unknown".to_string(),
            version: None,
            tag: None,
            commit,
            source: ReleaseSource::Unknown,
            note: Some(note.into()),
        }
    }
}

/// A full or abbreviated commit SHA, as opposed to an archive's label.
fn looks_like_sha(s: &str) -> bool {
    (7..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Resolves deployments to releases with the team's repository and tag
/// format, downloading a build log only when git cannot answer.
pub struct Resolver<'a> {
    git: &'a dyn Git,
    platform: &'a dyn Platform,
    tags: TagIndex,
    format: TagFormat,
    /// The package name printed in build logs.
    package: Option<String>,
    /// The `{component}` of the app's tags, when the format has one.
    component: Option<String>,
    logs_read: std::cell::Cell<usize>,
}

impl<'a> Resolver<'a> {
    pub fn new(
        git: &'a dyn Git,
        platform: &'a dyn Platform,
        tags: TagIndex,
        format: TagFormat,
        package: Option<String>,
        component: Option<String>,
    ) -> Self {
        Resolver {
            git,
            platform,
            tags,
            format,
            package,
            component,
            logs_read: std::cell::Cell::new(0),
        }
    }

    /// The resolver for one configured app: its tag format, and the
    /// release-please package and component its tags may carry.
    pub fn for_app(
        git: &'a dyn Git,
        platform: &'a dyn Platform,
        tags: TagIndex,
        app: &crate::config::AppConfig,
    ) -> Self {
        Resolver::new(
            git,
            platform,
            tags,
            app.tag_format.clone(),
            app.package.clone(),
            app.component.clone(),
        )
    }

    /// Build logs downloaded so far.
    pub fn logs_read(&self) -> usize {
        self.logs_read.get()
    }

    /// The release a deployment carried.
    pub fn release_of(&self, deployment: &Deployment) -> Release {
        let git_ref = deployment.git_ref.as_deref().unwrap_or("");
        if looks_like_sha(git_ref)
            && let Some(release) = self.by_git(git_ref)
        {
            return release;
        }
        let commit = looks_like_sha(git_ref).then(|| git_ref.to_string());
        self.by_build_log(deployment, commit)
    }

    fn by_git(&self, sha: &str) -> Option<Release> {
        let full = if sha.len() == 40 {
            sha.to_string()
        } else {
            self.git.resolve_commit(sha).ok()?
        };
        let releases = self
            .format
            .releases(self.tags.tags_at(&full).iter().map(String::as_str));
        let mine = releases
            .into_iter()
            .rev()
            .find(|t| self.component.is_none() || t.component == self.component);
        if let Some(tag) = mine {
            return Some(Release {
                label: tag.name.clone(),
                version: Some(tag.version),
                tag: Some(tag.name),
                commit: Some(full),
                source: ReleaseSource::Tag,
                note: None,
            });
        }
        if !self.git.commit_exists(&full).unwrap_or(false) {
            return None;
        }
        let description = self
            .git
            .describe(&full, Some(&self.format.glob()))
            .ok()
            .flatten();
        Some(match description {
            Some(d) => Release {
                label: d.to_string(),
                version: None,
                tag: None,
                commit: Some(full),
                source: ReleaseSource::NearestTag,
                note: None,
            },
            None => Release {
                label: format!("{} (untagged)", &full[..7.min(full.len())]),
                version: None,
                tag: None,
                commit: Some(full),
                source: ReleaseSource::NearestTag,
                note: Some("no release tag before this commit".to_string()),
            },
        })
    }

    fn by_build_log(&self, deployment: &Deployment, commit: Option<String>) -> Release {
        let Some(package) = self.package.as_deref() else {
            return Release::unknown(
                commit,
                "not in the local repository, and no package name configured to read the build log",
            );
        };
        let log = match self.platform.build_log(deployment) {
            Ok(Some(log)) => log,
            Ok(None) => return Release::unknown(commit, "no build log"),
            Err(e) => return Release::unknown(commit, format!("build log unavailable: {e}")),
        };
        self.logs_read.set(self.logs_read.get() + 1);
        match find_version(log, package) {
            Ok(Some(version)) => {
                let tag = self.format.format(&version, self.component.as_deref()).ok();
                Release {
                    label: tag.clone().unwrap_or_else(|| version.to_string()),
                    version: Some(version),
                    tag,
                    commit,
                    source: ReleaseSource::BuildLog,
                    note: None,
                }
            }
            Ok(None) => Release::unknown(
                commit,
                format!("no `{package}@version` line in the build log"),
            ),
            Err(e) => Release::unknown(commit, format!("build log unreadable: {e}")),
        }
    }
}
