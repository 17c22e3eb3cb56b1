//! The steps that change things: the branch, its push, the auto-deploy
//! hold and the deploy. Each reads the state first and does only what is
//! missing, which is what makes `resume` safe: a branch already at the
//! commit is reused, a branch already on the remote is not pushed again, a
//! deployment of the target already running or done since the incident
//! opened is adopted instead of starting a second one.

use chrono::{DateTime, Utc};

use crate::git::short_sha;
use crate::platform::{Deployment, PlatformError};

use super::archive::archive_url;
use super::error::RollbackError;
use super::method::Method;
use super::run::{Ended, Engine, Failure, Stop};
use crate::hold::held_record;

/// The platform's clock and ours may differ a little: deployments created
/// this long before the incident opened still count as its own.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(120);

/// How often the git-push method looks for the deployment its push started.
const PUSH_POLL: std::time::Duration = std::time::Duration::from_millis(250);

impl Engine<'_> {
    fn branch_name(&self) -> Result<&str, Stop> {
        self.plan.branch.as_deref().ok_or_else(|| {
            Stop::Failed(Failure::new(
                "the plan has no branch name (it was made for another method)",
                Vec::new(),
            ))
        })
    }

    pub(crate) fn branch(&mut self) -> Result<Ended, Stop> {
        let name = self.branch_name()?.to_string();
        let commit = self.plan.target_commit().to_string();
        let tag = self.plan.target_tag().to_string();
        match self.git.branch_commit(&name)? {
            Some(found) if found == commit => {
                self.facts.branch_commit = Some(commit);
                Ok(Ended::Done(format!(
                    "{name} exists at {}: reused",
                    short_sha(&found)
                )))
            }
            Some(found) => Err(RollbackError::BranchElsewhere {
                branch: name,
                found,
                wanted: commit,
                tag,
            }
            .into()),
            None => {
                if let Err(error) = self.git.create_branch(&name, &commit) {
                    // Another app of the same rollback, or another rewind,
                    // may have created it between the read and now: the
                    // branch at the target is as good as one made here.
                    return match self.git.branch_commit(&name)? {
                        Some(found) if found == commit => {
                            self.facts.branch_commit = Some(commit);
                            Ok(Ended::Done(format!(
                                "{name} exists at {}: reused",
                                short_sha(&found)
                            )))
                        }
                        _ => Err(error.into()),
                    };
                }
                self.facts.branch_commit = Some(commit.clone());
                Ok(Ended::Done(format!(
                    "created {name} at {}",
                    short_sha(&commit)
                )))
            }
        }
    }

    pub(crate) fn push(&mut self) -> Result<Ended, Stop> {
        let name = self.branch_name()?.to_string();
        let commit = self.plan.target_commit().to_string();
        let remote = &self.plan.remote;
        match self.git.remote_branch_commit(remote, &name)? {
            Some(found) if found == commit => {
                return Ok(Ended::Skipped(format!("{name} is on {remote} already")));
            }
            Some(found) => {
                return Err(RollbackError::RemoteBranchElsewhere {
                    branch: name,
                    remote: remote.clone(),
                    found,
                    wanted: commit,
                    tag: self.plan.target_tag().to_string(),
                }
                .into());
            }
            None => {}
        }
        self.git.push_branch(remote, &name)?;
        match self.git.remote_branch_commit(remote, &name)? {
            Some(found) if found == commit => Ok(Ended::Done(format!("pushed {name} to {remote}"))),
            found => Err(Stop::Failed(Failure::new(
                format!(
                    "after the push, {name} on {remote} is at {}, not at {}",
                    found.as_deref().unwrap_or("nothing"),
                    short_sha(&commit)
                ),
                vec![format!(
                    "check the remote with `git ls-remote {remote} {name}`"
                )],
            ))),
        }
    }

    pub(crate) fn hold(&mut self) -> Result<Ended, Stop> {
        let app = &self.plan.app;
        let Some(link) = self.platform.scm_link(app)? else {
            return Ok(Ended::Skipped("the app has no SCM link any more".into()));
        };
        let was = if link.auto_deploy_enabled {
            self.platform.set_auto_deploy(app, false)?;
            true
        } else if self.facts.auto_deploy_was.is_some() || self.plan.auto_deploy == Some(true) {
            // On when the plan was made and off now: this rollback switched
            // it off before being cut short.
            true
        } else {
            return Ok(Ended::Skipped("auto-deploy is off already".into()));
        };
        self.facts.auto_deploy_was = Some(was);
        self.hold_note = Some(held_record(was, self.options.actor, self.options.reason));
        Ok(Ended::Done(
            "auto-deploy is off; `rewind unhold` switches it back on".into(),
        ))
    }

    pub(crate) fn deploy(&mut self) -> Result<Ended, Stop> {
        if let Some(found) = self.adoptable()? {
            let detail = format!(
                "deployment {} of {} was started already ({}): following it instead of starting another",
                found.id,
                short_sha(self.plan.target_commit()),
                found.status
            );
            self.adopt(&found);
            return Ok(Ended::Done(detail));
        }
        let app = self.plan.app.as_str();
        let commit = self.plan.target_commit().to_string();
        let deployment = match self.plan.method {
            Method::Branch => {
                let branch = self.branch_name()?.to_string();
                self.platform
                    .manual_deploy(app, &branch, Some(&commit))
                    .map_err(deploy_failed)?
            }
            Method::Archive => {
                let link = self.platform.scm_link(app)?;
                let (url, _) = archive_url(
                    app,
                    self.options.archive_template,
                    link.as_ref(),
                    self.plan.target_tag(),
                    &commit,
                )?;
                // The commit as the label: it is what identifies the
                // release of this deployment later, as for a git deploy.
                self.platform
                    .archive_deploy(app, &commit, &url)
                    .map_err(deploy_failed)?
            }
            Method::GitPush => self.push_to_platform(&commit)?,
        };
        self.adopt(&deployment);
        Ok(Ended::Done(format!("deployment {} started", deployment.id)))
    }

    fn adopt(&mut self, deployment: &Deployment) {
        self.facts.deployment_id = Some(deployment.id.clone());
        self.facts.deployment_status = Some(deployment.status.to_string());
    }

    /// A deployment of the target running or done since the incident
    /// opened (from `since` less the skew).
    fn adoptable(&self) -> Result<Option<Deployment>, Stop> {
        if let Some(id) = &self.facts.deployment_id {
            return Ok(Some(self.platform.deployment(&self.plan.app, id)?));
        }
        Ok(self
            .newest_of_target(self.opened_at)?
            .filter(|d| !d.status.is_failure()))
    }

    /// The newest deployment of the target that is newer than the bad one
    /// (the listing is newest first: only what comes before the deployment
    /// being rolled back from counts) and created since `since`, less the
    /// skew. A deployment of the target from before the bad release is the
    /// old one: never adopted, whatever the clocks say.
    fn newest_of_target(&self, since: DateTime<Utc>) -> Result<Option<Deployment>, PlatformError> {
        let commit = self.plan.target_commit();
        let bad = self.plan.from.deployment_id.as_deref();
        let page = self.platform.deployments(&self.plan.app, 1, 20)?;
        Ok(page
            .items
            .into_iter()
            .take_while(|d| Some(d.id.as_str()) != bad)
            .find(|d| {
                d.git_ref.as_deref() == Some(commit)
                    && d.created_at.is_some_and(|t| t >= since - CLOCK_SKEW)
            }))
    }

    /// Force-pushes the commit to the app's git remote, then waits for the
    /// platform to start its deployment. Scalingo deploys only when a push
    /// moves `master` or `main`: the commit goes to the first of them that
    /// does not hold it already, and when both do, no push can deploy it,
    /// which is said before any wait.
    fn push_to_platform(&self, commit: &str) -> Result<Deployment, Stop> {
        let app = &self.plan.app;
        let git_url = self
            .platform
            .app(app)?
            .git_url
            .ok_or_else(|| RollbackError::NoGitUrl { app: app.clone() })?;
        let pushed_at = Utc::now();
        let branches = self.platform.deploy_methods().push_branches;
        let branch =
            platform_branch_to_push(self.git, &git_url, commit, branches)?.ok_or_else(|| {
                RollbackError::PushDeploysNothing {
                    commit: commit.to_string(),
                    platform: self.platform.name(),
                    branches: branches.join(" and "),
                }
            })?;
        self.git
            .force_push_commit(&git_url, commit, &format!("refs/heads/{branch}"))?;
        let deadline = std::time::Instant::now() + self.options.push_wait;
        loop {
            if let Some(found) = self.newest_of_target(pushed_at.min(self.opened_at))? {
                return Ok(found);
            }
            if std::time::Instant::now() >= deadline {
                return Err(RollbackError::PushNotDeployed {
                    commit: commit.to_string(),
                    waited_secs: self.options.push_wait.as_secs(),
                }
                .into());
            }
            if self.interrupt.sleep(PUSH_POLL) {
                return Err(Stop::Interrupted(format!(
                    "interrupted while waiting for the deployment of {}; the push is done",
                    short_sha(commit)
                )));
            }
        }
    }
}

/// A deploy request that failed: whether it may have happened matters.
fn deploy_failed(e: PlatformError) -> Stop {
    let mut hints = e.hints();
    if matches!(e, PlatformError::WriteUncertain { .. }) {
        hints.push("`rewind resume` looks for the deployment before starting another".into());
    }
    Stop::Failed(Failure::new(e.to_string(), hints))
}

/// The first of the platform's deploy branches (`branches`, from
/// [`crate::platform::Platform::deploy_methods`]) that does not hold
/// `commit`: the one a push of it moves, hence deploys. `None` when all
/// hold it already.
pub(crate) fn platform_branch_to_push(
    git: &dyn crate::git::Git,
    git_url: &str,
    commit: &str,
    branches: &[&'static str],
) -> Result<Option<&'static str>, crate::git::GitError> {
    for &branch in branches {
        if git.remote_branch_commit(git_url, branch)?.as_deref() != Some(commit) {
            return Ok(Some(branch));
        }
    }
    Ok(None)
}
