//! Identify: which release each deployment was, what runs now, and the last
//! good release to go back to. The runbook's first step (read build logs by
//! hand to find `projectName@version`) done from the platform's history and
//! the team's git repository.

mod history;
mod release;

pub use history::History;
pub use release::{Release, ReleaseSource, Resolver};

use serde::Serialize;

use crate::platform::{Deployment, Page, Platform, PlatformError};

/// A deployment and the release it carried.
#[derive(Debug, Clone, Serialize)]
pub struct Identified {
    pub deployment: Deployment,
    pub release: Release,
}

/// What the history says.
#[derive(Debug, Clone, Serialize)]
pub struct Situation {
    /// The newest deployments, newest first, each with its release.
    pub recent: Vec<Identified>,
    /// The release running now: the newest successful deployment (a failed
    /// deploy leaves the previous release running).
    pub current: Option<Identified>,
    /// The newest successful deployment before the current one whose
    /// release differs from it and is not marked bad.
    pub last_good: Option<Identified>,
    /// A deployment still in progress, if any.
    pub in_progress: Option<Deployment>,
    /// Deployments read from the platform to answer.
    pub deployments_read: usize,
}

/// Reads the history as deep as needed: the `limit` newest deployments,
/// then on until the current and last good releases are found.
/// `is_bad` says whether a release was marked bad (by an earlier rollback).
pub fn identify(
    platform: &dyn Platform,
    app: &str,
    resolver: &Resolver<'_>,
    limit: usize,
    is_bad: &dyn Fn(&Release) -> bool,
) -> Result<Situation, PlatformError> {
    identify_from(platform, app, resolver, limit, is_bad, None)
}

/// How many deployments a page of [`identify`]'s history holds for
/// `limit`: a caller that read the first page itself asks for this many.
pub fn page_size(limit: usize) -> u32 {
    limit.clamp(10, 100) as u32
}

/// [`identify`], with the first page of the history when the caller has
/// just read it (page 1 of [`page_size`] deployments): it is not asked
/// for twice.
pub fn identify_from(
    platform: &dyn Platform,
    app: &str,
    resolver: &Resolver<'_>,
    limit: usize,
    is_bad: &dyn Fn(&Release) -> bool,
    first_page: Option<Page<Deployment>>,
) -> Result<Situation, PlatformError> {
    let per_page = page_size(limit);
    let mut history = match first_page {
        Some(page) => History::starting_with(platform, app, per_page, page),
        None => History::new(platform, app, per_page),
    };
    let mut recent = Vec::new();
    let mut current: Option<Identified> = None;
    let mut last_good: Option<Identified> = None;
    let mut in_progress = None;
    let mut index = 0;
    while let Some(deployment) = history.get(index)? {
        let deployment = deployment.clone();
        index += 1;
        let shown = recent.len() < limit;
        if deployment.status.in_progress() && in_progress.is_none() && current.is_none() {
            in_progress = Some(deployment.clone());
        }
        let wanted = deployment.status.is_success() && (current.is_none() || last_good.is_none());
        if !shown && !wanted {
            if current.is_some() && last_good.is_some() {
                break;
            }
            continue;
        }
        let release = resolver.release_of(&deployment);
        let item = Identified {
            deployment,
            release,
        };
        if item.deployment.status.is_success() {
            match &current {
                None => current = Some(item.clone()),
                Some(cur) if last_good.is_none() => {
                    if !item.release.same_as(&cur.release) && !is_bad(&item.release) {
                        last_good = Some(item.clone());
                    }
                }
                Some(_) => {}
            }
        }
        if shown {
            recent.push(item);
        }
        if recent.len() >= limit && current.is_some() && last_good.is_some() {
            break;
        }
    }
    Ok(Situation {
        recent,
        current,
        last_good,
        in_progress,
        deployments_read: history.read(),
    })
}
