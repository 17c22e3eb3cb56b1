//! Making the plan: fetch the tags, check nothing else is rolling the app
//! back, choose the target, read what going back removes, and check what
//! the chosen method needs (an SCM link, a branch name that is free, an
//! archive URL, a git URL). Preparing changes nothing on the platform or
//! the remote: a dry run is a prepared plan that is not run.

use crate::config::{AppConfig, DEFAULT_MIGRATIONS};
use crate::git::{ChangeStatus, Git, TagIndex};
use crate::release::{Version, sections_between};
use crate::secret::Secret;

use super::archive::archive_url;
use super::database::{self, DatabaseChoice};
use super::error::RollbackError;
use super::guard;
use super::method::Method;
use super::plan::{Plan, ReleaseRef, Removed, RemovedCommit, RemovedMigration, RemovedSection};
use super::run::Tools;
use super::steps::{PlannedStep, StepId};
use super::target::{self, Choice};

/// The branch a rollback deploys: the runbook's name.
pub(crate) fn branch_name(tag: &str) -> String {
    format!("release/{tag}")
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepareOptions<'a> {
    /// `--to`: a version or tag; the last good release when `None`.
    pub to: Option<&'a str>,
    pub method: Method,
    /// `--force`: roll back even while another rollback or a deployment is
    /// running.
    pub force: bool,
    /// `--force-bad`: accept a target marked bad.
    pub force_bad: bool,
    /// The archive URL template from the environment, if set.
    pub archive_template: Option<&'a Secret>,
    /// Whether a webhook is configured for the app.
    pub webhook: bool,
    /// `--with-db`, `--no-db`, or neither.
    pub database: DatabaseChoice,
    /// Where a `--with-db` safety backup is downloaded; by default the
    /// `backups/<app>` folder next to the journal.
    pub backup_dir: Option<&'a std::path::Path>,
    /// `--restore-again`: restore the database even though an earlier
    /// incident already restored it for the same bad release.
    pub restore_again: bool,
    /// `--restore-ran yes|no`: the person's word on a restore an earlier
    /// incident asked for when it was cut short.
    pub restore_ran: Option<bool>,
}

pub fn prepare(
    tools: &Tools<'_>,
    app: &AppConfig,
    options: &PrepareOptions<'_>,
) -> Result<Plan, RollbackError> {
    let (platform, git, journal) = (tools.platform, tools.git, tools.journal);
    let deploys = platform.deploy_methods();
    let supported = match options.method {
        Method::Branch => deploys.scm_branch,
        Method::Archive => deploys.archive,
        Method::GitPush => !deploys.push_branches.is_empty(),
    };
    if !supported {
        return Err(RollbackError::MethodUnsupported {
            method: options.method,
            platform: platform.name(),
        });
    }
    // Reads that do not depend on each other go out at once: the newest
    // deployments (for the one-rollback-at-a-time checks, and the first
    // page of the history identify reads: one request for both), the
    // remote's tags, the SCM link and, when no database flag was given,
    // the app's database addon. Their errors are reported in the order
    // the checks come.
    let undecided = options.database == DatabaseChoice::Undecided;
    let (recent, tags, link, addon) = std::thread::scope(|s| {
        let tags = s.spawn(|| -> Result<TagIndex, RollbackError> {
            git.fetch_tags(&app.remote)?;
            Ok(git.tag_index()?)
        });
        let link = s.spawn(|| platform.scm_link(&app.name));
        let addon = undecided.then(|| s.spawn(|| database::undecided_addon(tools, app)));
        let recent = platform.deployments(&app.name, 1, target::history_page());
        (recent, joined(tags), joined(link), addon.and_then(joined))
    });
    let recent = recent?;
    let mut overrides = Vec::new();
    for obstacle in guard::obstacles_in(journal, &recent, &app.name, None)? {
        if !options.force {
            return Err(obstacle);
        }
        overrides.push(format!("--force: {obstacle}"));
    }
    let tags = tags?;
    let choice = Choice {
        app,
        to: options.to,
        force_bad: options.force_bad,
        recent: Some(recent),
    };
    let ends = target::choose(platform, git, journal, &tags, choice)?;
    overrides.extend(ends.forced_bad.clone());
    let (from, to) = (ends.from, ends.to);
    let tag = to.tag.clone().unwrap_or_else(|| to.label.clone());
    let commit = to.commit.clone().unwrap_or_default();
    let short = &commit[..commit.len().min(7)];
    // What going back removes (git log, diff, changelog) and where the
    // release branch is, here and on the remote: independent git work,
    // at once.
    let branch_wanted = options.method == Method::Branch;
    let (removed, branch_reads) = std::thread::scope(|s| {
        let branch_reads = branch_wanted.then(|| {
            let name = branch_name(&tag);
            let remote = s.spawn(move || git.remote_branch_commit(&app.remote, &name));
            (git.branch_commit(&branch_name(&tag)), remote)
        });
        let removed = removed(git, app, &from, &to);
        (
            removed,
            branch_reads.map(|(local, remote)| (local, joined(remote))),
        )
    });
    let removed = removed?;
    let link = link?;
    let mut branch = None;
    let mut archive_source = None;
    // First, as soon as the person confirms: whatever happens next, no
    // retry, rerun or teammate's command proposes the bad release again.
    let mut steps = vec![PlannedStep::new(
        StepId::MarkBad,
        format!(
            "mark {} as bad now, so that nothing proposes it again, whatever happens next",
            from.label
        ),
    )];
    let deploy_title = match options.method {
        Method::Branch => {
            if link.is_none() {
                return Err(RollbackError::NoScmLink {
                    app: app.name.clone(),
                    needed_for: "the branch method deploys through".into(),
                });
            }
            let name = branch_name(&tag);
            let (local, remote) = branch_reads.unwrap_or_else(|| {
                (
                    git.branch_commit(&name),
                    git.remote_branch_commit(&app.remote, &name),
                )
            });
            match local?.as_deref() {
                Some(found) if found != commit => {
                    return Err(RollbackError::BranchElsewhere {
                        branch: name,
                        found: found.to_string(),
                        wanted: commit,
                        tag,
                    });
                }
                Some(_) => steps.push(PlannedStep::new(
                    StepId::Branch,
                    format!("reuse branch {name}, already at {short} ({tag})"),
                )),
                None => steps.push(PlannedStep::new(
                    StepId::Branch,
                    format!("create branch {name} at {short} ({tag}), without a checkout"),
                )),
            }
            match remote?.as_deref() {
                Some(found) if found != commit => {
                    return Err(RollbackError::RemoteBranchElsewhere {
                        branch: name,
                        remote: app.remote.clone(),
                        found: found.to_string(),
                        wanted: commit,
                        tag,
                    });
                }
                Some(_) => steps.push(PlannedStep::new(
                    StepId::Push,
                    format!("{name} is on {} already: nothing to push", app.remote),
                )),
                None => steps.push(PlannedStep::new(
                    StepId::Push,
                    format!("push {name} to {}", app.remote),
                )),
            }
            let title = format!("deploy branch {name} ({short}) through the SCM link");
            branch = Some(name);
            title
        }
        Method::Archive => {
            let (_, shown) = archive_url(
                &app.name,
                options.archive_template,
                link.as_ref(),
                &tag,
                &commit,
            )?;
            let title = format!("deploy the source archive of {tag} ({short}) from {shown}");
            archive_source = Some(shown);
            title
        }
        Method::GitPush => {
            let Some(git_url) = platform.app(&app.name)?.git_url else {
                return Err(RollbackError::NoGitUrl {
                    app: app.name.clone(),
                });
            };
            // The platform deploys a push only when it moves one of its
            // deploy branches (Scalingo: master or main): a plan whose
            // push would move none is refused now, not found out after a
            // wait. A remote that cannot be read here is read again by the
            // deploy step.
            let branches = deploys.push_branches;
            match super::act::platform_branch_to_push(git, &git_url, &commit, branches) {
                Ok(None) => {
                    return Err(RollbackError::PushDeploysNothing {
                        commit,
                        platform: platform.name(),
                        branches: branches.join(" and "),
                    });
                }
                Ok(Some(branch)) => format!(
                    "force-push {short} ({tag}) to the app's git remote (refs/heads/{branch}, which {} deploys)",
                    platform.name()
                ),
                Err(_) => format!(
                    "force-push {short} ({tag}) to the app's git remote ({})",
                    push_branches_words(branches)
                ),
            }
        }
    };
    let auto_deploy = link.as_ref().map(|l| l.auto_deploy_enabled);
    if auto_deploy == Some(true) {
        let on = link
            .as_ref()
            .and_then(|l| l.branch.as_deref())
            .unwrap_or("its branch");
        steps.push(PlannedStep::new(
            StepId::Hold,
            format!("switch auto-deploy off (it deploys every push to {on}), so the next merge does not ship the bad code again"),
        ));
    }
    steps.push(PlannedStep::new(StepId::Deploy, deploy_title));
    steps.push(PlannedStep::new(
        StepId::Follow,
        "follow the deployment to its end",
    ));
    let health_check = app.health_check.as_ref().map(|h| h.url.clone());
    steps.push(PlannedStep::new(
        StepId::Verify,
        match &health_check {
            Some(url) => format!("check that {} runs {tag}, and that {url} answers", app.name),
            None => format!("check that {} runs {tag}", app.name),
        },
    ));
    if options.webhook {
        steps.push(PlannedStep::new(
            StepId::Notify,
            "tell the team through the webhook",
        ));
    }

    let mut plan = Plan {
        app: app.name.clone(),
        method: options.method,
        from,
        to,
        branch,
        remote: app.remote.clone(),
        auto_deploy,
        archive_source,
        health_check,
        notify: options.webhook,
        removed,
        warnings: Vec::new(),
        overrides,
        database: None,
        steps,
    };
    database::apply(
        tools,
        app,
        &mut plan,
        options.database,
        addon,
        options.backup_dir,
        options.restore_again,
        options.restore_ran,
    )?;
    Ok(plan)
}

/// What a thread of [`prepare`] returned; its panic goes on in the caller.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The commits, changelog sections and migration files between the target
/// and what runs now.
fn removed(
    git: &dyn Git,
    app: &AppConfig,
    from: &ReleaseRef,
    to: &ReleaseRef,
) -> Result<Removed, RollbackError> {
    let mut removed = Removed::default();
    let target = to.commit.as_deref().unwrap_or_default();
    let current = match from.commit.as_deref() {
        Some(c) if git.commit_exists(c)? => Some(c),
        _ => None,
    };
    let Some(current) = current else {
        removed.notes.push(format!(
            "the running release ({}) is not a commit of the local repository: what it adds cannot be listed",
            from.label
        ));
        return Ok(removed);
    };
    removed.commits = git
        .log_subjects(target, current)?
        .into_iter()
        .map(|c| RemovedCommit {
            sha: c.sha,
            short_sha: c.short_sha,
            subject: c.subject,
        })
        .collect();
    let paths: Vec<&str> = match app.database.as_ref().map(|d| &d.migrations) {
        Some(list) if !list.is_empty() => list.iter().map(String::as_str).collect(),
        _ => DEFAULT_MIGRATIONS.to_vec(),
    };
    removed.migrations = git
        .changed_files(target, current, &paths)?
        .into_iter()
        .map(|f| RemovedMigration {
            change: match f.status {
                ChangeStatus::Added => "added",
                ChangeStatus::Modified => "modified",
                ChangeStatus::Deleted => "deleted",
            }
            .to_string(),
            path: f.path,
        })
        .collect();
    let versions = (
        from.version.as_deref().and_then(|v| Version::parse(v).ok()),
        to.version.as_deref().and_then(|v| Version::parse(v).ok()),
    );
    match (versions, git.show_file(current, "CHANGELOG.md")?) {
        ((Some(current_version), Some(target_version)), Some(text)) => {
            removed.changelog = sections_between(&text, &target_version, &current_version)
                .into_iter()
                .map(|s| RemovedSection {
                    version: s.version.to_string(),
                    date: s.date.map(|d| d.to_string()),
                    body: s.body,
                })
                .collect();
        }
        (_, None) => removed
            .notes
            .push("no CHANGELOG.md in the running release".to_string()),
        ((None, _), Some(_)) | ((_, None), Some(_)) => removed.notes.push(format!(
            "the running release ({}) is not exactly a release: its changelog sections are not listed",
            from.label
        )),
    }
    Ok(removed)
}
/// Where a push goes, in words: `refs/heads/master, or main when master
/// holds it already`.
fn push_branches_words(branches: &[&str]) -> String {
    let mut words = format!("refs/heads/{}", branches[0]);
    for pair in branches.windows(2) {
        words.push_str(&format!(
            ", or {} when {} holds it already",
            pair[1], pair[0]
        ));
    }
    words
}
