//! Which release a rollback goes from and to: what runs now and the last
//! good release (identify's answer, releases marked bad left out), or the
//! release the user named with `--to`; refused when the target runs already
//! or was marked bad.

use crate::config::AppConfig;
use crate::git::{Git, TagIndex};
use crate::identify::{Release, Resolver, identify_from};
use crate::journal::{BadMarks, Journal};
use crate::platform::{Deployment, Page, Platform};
use crate::release::{LookupError, ReleaseTag, Version, find_tag, nearest};

use super::error::RollbackError;
use super::plan::ReleaseRef;

/// How many recent deployments identify reads at least.
const HISTORY: usize = 10;

/// The two ends of a rollback.
#[derive(Debug, Clone)]
pub(crate) struct Ends {
    pub from: ReleaseRef,
    pub to: ReleaseRef,
    /// Set when `--force-bad` let a release marked bad through.
    pub forced_bad: Option<String>,
}

pub(crate) struct Choice<'a> {
    pub app: &'a AppConfig,
    pub to: Option<&'a str>,
    pub force_bad: bool,
    /// The newest deployments, when the caller has just read them (page 1
    /// of [`history_page`] deployments).
    pub recent: Option<Page<Deployment>>,
}

/// How many deployments a page of the history holds: a caller that reads
/// the first page itself for another check asks for this many.
pub(crate) fn history_page() -> u32 {
    crate::identify::page_size(HISTORY)
}

/// The app's release tags, in version order (its component's only).
fn releases(app: &AppConfig, tags: &TagIndex) -> Vec<ReleaseTag> {
    app.tag_format
        .releases(tags.tag_names())
        .into_iter()
        .filter(|t| app.component.is_none() || t.component == app.component)
        .collect()
}

pub(crate) fn choose(
    platform: &dyn Platform,
    git: &dyn Git,
    journal: &Journal,
    tags: &TagIndex,
    choice: Choice<'_>,
) -> Result<Ends, RollbackError> {
    let app = choice.app;
    let bad = BadMarks::read(journal, &app.name)?;
    let resolver = Resolver::for_app(git, platform, tags.clone(), app);
    let is_bad = |r: &Release| bad.is_bad(r);
    let situation = identify_from(
        platform,
        &app.name,
        &resolver,
        HISTORY,
        &is_bad,
        choice.recent,
    )?;
    let current = situation
        .current
        .ok_or_else(|| RollbackError::NothingRunning {
            app: app.name.clone(),
        })?;
    let from = ReleaseRef::from_release(&current.release, Some(&current.deployment.id));
    let releases = releases(app, tags);
    let (tag, deployment_id) = match choice.to {
        Some(wanted) => (named(app, &releases, tags, wanted)?, None),
        None => {
            let good = situation
                .last_good
                .ok_or_else(|| RollbackError::NoLastGood {
                    app: app.name.clone(),
                })?;
            let tag = known_tag(app, &releases, &good.release)?;
            (tag, Some(good.deployment.id))
        }
    };
    let commit = tags.commit_of(&tag.name).map(str::to_string);
    let to = ReleaseRef {
        label: tag.name.clone(),
        tag: Some(tag.name.clone()),
        commit,
        version: Some(tag.version.to_string()),
        deployment_id,
    };
    let same_commit = from.commit.is_some() && from.commit == to.commit;
    let same_tag = from.commit.is_none() && from.tag == to.tag;
    if same_commit || same_tag {
        return Err(RollbackError::TargetIsCurrent {
            app: app.name.clone(),
            label: to.label,
        });
    }
    let mut forced_bad = None;
    if let Some(mark) = bad.find(to.tag.as_deref(), to.commit.as_deref()) {
        if !choice.force_bad {
            return Err(RollbackError::TargetMarkedBad {
                label: to.label,
                incident: mark.incident.clone(),
            });
        }
        forced_bad = Some(format!(
            "--force-bad: {} was marked bad by incident {}",
            to.label, mark.incident
        ));
    }
    Ok(Ends {
        from,
        to,
        forced_bad,
    })
}

/// The tag `--to` names.
fn named(
    app: &AppConfig,
    releases: &[ReleaseTag],
    tags: &TagIndex,
    wanted: &str,
) -> Result<ReleaseTag, RollbackError> {
    find_tag(&app.tag_format, releases, wanted, app.component.as_deref())
        .cloned()
        .map_err(|e| match e {
            LookupError::NotFound { input, nearest } => {
                // The tag may be there, on something that is not a commit.
                let as_tag = [input.clone()].into_iter().chain(
                    Version::parse(input.trim_start_matches('v'))
                        .ok()
                        .and_then(|v| app.tag_format.format(&v, app.component.as_deref()).ok()),
                );
                for name in as_tag {
                    if let Some(kind) = tags.kind_of_non_commit(&name) {
                        return RollbackError::TagNotOnACommit {
                            tag: name,
                            kind: kind.to_string(),
                        };
                    }
                }
                RollbackError::TagNotFound {
                    tag: input,
                    remote: app.remote.clone(),
                    nearest,
                }
            }
            other => RollbackError::Lookup(other),
        })
}

/// The last good release's tag, which must exist in the repository: a
/// release known only from a build log may never have been tagged here.
fn known_tag(
    app: &AppConfig,
    releases: &[ReleaseTag],
    good: &Release,
) -> Result<ReleaseTag, RollbackError> {
    if let Some(tag) = good.tag.as_deref() {
        if let Some(found) = releases.iter().find(|t| t.name == tag) {
            return Ok(found.clone());
        }
        let version = good
            .version
            .clone()
            .unwrap_or_else(|| Version::new(0, 0, 0));
        return Err(RollbackError::TagNotFound {
            tag: tag.to_string(),
            remote: app.remote.clone(),
            nearest: nearest(releases, &version)
                .into_iter()
                .map(|t| t.name.clone())
                .collect(),
        });
    }
    Err(RollbackError::TargetWithoutTag {
        label: good.label.clone(),
    })
}
