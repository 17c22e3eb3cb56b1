//! Why a rollback cannot be planned, is refused, or stops: each variant
//! says what was found, [`RollbackError::class`] says whether it is a
//! refusal, a configuration problem or a failure (the binary's exit code),
//! and [`RollbackError::hints`] says what to do next.

use crate::db::{DbError, DbErrorKind};
use crate::git::GitError;
use crate::journal::{JournalError, LockError};
use crate::platform::PlatformError;
use crate::release::LookupError;

/// What kind of stop an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// A safety check refused, or the user said no (exit 3).
    Refused,
    /// The configuration or the command line asks for something impossible
    /// (exit 2).
    Config,
    /// Something failed while acting (exit 1).
    Failed,
    /// Ctrl-C while waiting (exit 130).
    Interrupted,
}

#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("{label} is the release running now on {app}: there is nothing to roll back to")]
    TargetIsCurrent { app: String, label: String },

    #[error("{label} was marked bad by an earlier rollback (incident {incident})")]
    TargetMarkedBad { label: String, incident: String },

    #[error(
        "no release to go back to: the history of {app} shows no earlier successful deployment of another release that is not marked bad"
    )]
    NoLastGood { app: String },

    #[error("{app} has no successful deployment: rewind cannot tell which release runs now")]
    NothingRunning { app: String },

    #[error("the last good release ({label}) has no release tag in the repository")]
    TargetWithoutTag { label: String },

    #[error(
        "no release tag `{tag}` in the repository after fetching the tags from `{remote}`{}",
        nearest_list(nearest)
    )]
    TagNotFound {
        tag: String,
        remote: String,
        nearest: Vec<String>,
    },

    #[error(
        "the tag `{tag}` names a {kind}, not a commit: there is no release to deploy behind it"
    )]
    TagNotOnACommit { tag: String, kind: String },

    #[error("cannot choose the target release")]
    Lookup(#[source] LookupError),

    #[error("branch `{branch}` already exists at {found}, not at {wanted} ({tag})")]
    BranchElsewhere {
        branch: String,
        found: String,
        wanted: String,
        tag: String,
    },

    #[error("branch `{branch}` on `{remote}` is at {found}, not at {wanted} ({tag})")]
    RemoteBranchElsewhere {
        branch: String,
        remote: String,
        found: String,
        wanted: String,
        tag: String,
    },

    #[error("another rollback of {app} is not finished (incident {incident}, {state})")]
    RollbackInProgress {
        app: String,
        incident: String,
        state: String,
    },

    #[error("a deployment of {app} is running on the platform ({id}, {status})")]
    DeploymentRunning {
        app: String,
        id: String,
        status: String,
    },

    #[error("{app} has no SCM link, which {needed_for}")]
    NoScmLink { app: String, needed_for: String },

    #[error(
        "cannot build an archive URL for {app}: its SCM link is `{scm}`, and rewind knows GitHub and GitLab archive URLs only"
    )]
    NoArchiveUrl { app: String, scm: String },

    #[error("the archive URL template has no `{{tag}}` or `{{commit}}` placeholder")]
    ArchiveTemplate,

    #[error("{app} has no git URL on the platform: the `git-push` method pushes to it")]
    NoGitUrl { app: String },

    #[error(
        "both {branches} of the app's git remote hold {commit} already: {platform} deploys only when a push moves one of them, so a push would start no deployment"
    )]
    PushDeploysNothing {
        commit: String,
        platform: &'static str,
        branches: String,
    },

    /// The platform does not deploy this way (its `deploy_methods`).
    #[error("{platform} does not deploy with the `{method}` method")]
    MethodUnsupported {
        method: super::Method,
        platform: &'static str,
    },

    #[error(
        "the push of {commit} to the platform's git remote started no deployment within {waited_secs}s"
    )]
    PushNotDeployed { commit: String, waited_secs: u64 },

    #[error("incident {id} is not a rollback (it was `{command}`)")]
    NotARollback { id: String, command: String },

    #[error("incident {id} is {state}: there is nothing to resume")]
    NotResumable { id: String, state: String },

    #[error("the journal's record of incident {id} cannot be read back as a plan: {detail}")]
    UnreadablePlan { id: String, detail: String },

    #[error(transparent)]
    Git(#[from] GitError),

    #[error(transparent)]
    Platform(#[from] PlatformError),

    #[error(transparent)]
    Journal(#[from] JournalError),

    #[error(
        "the release running now ({label}) has no deployment with a creation time: rewind cannot tell when the bad release started"
    )]
    NoBadDeployment { label: String },

    #[error("the database restore cannot be planned: {0}")]
    Database(DbError),

    #[error(transparent)]
    Locked(#[from] LockError),

    #[error(
        "{app} changed since the plan was made: it was planned from {planned}, and {now} runs now"
    )]
    AppChanged {
        app: String,
        planned: String,
        now: String,
    },
}

impl From<crate::hold::HoldError> for RollbackError {
    fn from(e: crate::hold::HoldError) -> Self {
        use crate::hold::HoldError;
        match e {
            HoldError::NoScmLink { app, needed_for } => {
                RollbackError::NoScmLink { app, needed_for }
            }
            HoldError::Platform(p) => RollbackError::Platform(p),
            HoldError::Journal(j) => RollbackError::Journal(j),
        }
    }
}

impl From<DbError> for RollbackError {
    fn from(e: DbError) -> Self {
        match e {
            // A platform error keeps its own class and hints.
            DbError::Platform(p) => RollbackError::Platform(p),
            other => RollbackError::Database(other),
        }
    }
}

fn nearest_list(nearest: &[String]) -> String {
    if nearest.is_empty() {
        " (the repository has no release tag of this format)".to_string()
    } else {
        format!("; nearest tags: {}", nearest.join(", "))
    }
}

impl RollbackError {
    pub fn class(&self) -> ErrorClass {
        use RollbackError::*;
        match self {
            TargetIsCurrent { .. }
            | TargetMarkedBad { .. }
            | BranchElsewhere { .. }
            | RemoteBranchElsewhere { .. }
            | RollbackInProgress { .. }
            | DeploymentRunning { .. }
            | NotResumable { .. } => ErrorClass::Refused,
            NoLastGood { .. }
            | NothingRunning { .. }
            | TargetWithoutTag { .. }
            | TagNotFound { .. }
            | TagNotOnACommit { .. }
            | Lookup(_)
            | NoScmLink { .. }
            | NoArchiveUrl { .. }
            | ArchiveTemplate
            | NoBadDeployment { .. }
            | NotARollback { .. } => ErrorClass::Config,
            Platform(
                PlatformError::MissingToken { .. }
                | PlatformError::InvalidToken { .. }
                | PlatformError::InvalidUrl { .. },
            ) => ErrorClass::Config,
            Platform(PlatformError::Interrupted { .. }) => ErrorClass::Interrupted,
            Database(e) if e.kind() == DbErrorKind::Interrupted => ErrorClass::Interrupted,
            Database(e) if e.kind() == DbErrorKind::Usage => ErrorClass::Config,
            Database(e) if e.kind() == DbErrorKind::Refused => ErrorClass::Refused,
            Locked(LockError::Held { .. } | LockError::HeldByTeammate { .. })
            | AppChanged { .. }
            | PushDeploysNothing { .. } => ErrorClass::Refused,
            Locked(LockError::Io { .. }) => ErrorClass::Failed,
            MethodUnsupported { .. } => ErrorClass::Config,
            NoGitUrl { .. }
            | Database(_)
            | PushNotDeployed { .. }
            | UnreadablePlan { .. }
            | Git(_)
            | Platform(_)
            | Journal(_) => ErrorClass::Failed,
        }
    }

    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        use RollbackError::*;
        match self {
            TargetIsCurrent { .. } => vec![
                "name an older release with --to VERSION; `rewind status` lists the recent ones".into(),
            ],
            TargetMarkedBad { .. } => vec![
                "choose another release with --to VERSION, or pass --force-bad if you know it is safe".into(),
            ],
            NoLastGood { .. } => vec!["name the release to go back to with --to VERSION".into()],
            NothingRunning { .. } => vec!["name the release to go back to with --to VERSION".into()],
            TargetWithoutTag { .. } => vec![
                "name the release with --to VERSION; rollbacks deploy release tags only".into(),
            ],
            TagNotOnACommit { tag, .. } => vec![
                format!("`git cat-file -p {tag}` shows what it holds; retag the release's commit (`git tag -f {tag} COMMIT` and push it), or name another release with --to"),
            ],
            TagNotFound { .. } | Lookup(_) => vec![
                "check the version given to --to (`git tag --list` lists the tags), or the app's `tag_format` and `remote` in rewind.toml".into(),
            ],
            BranchElsewhere { branch, tag, .. } => vec![
                format!("inspect it (`git log -1 {branch}`); if it is not needed, delete it with `git branch -D {branch}` and run the rollback again"),
                format!("or deploy by hand from the tag: rewind never moves an existing branch to {tag}"),
            ],
            RemoteBranchElsewhere { branch, remote, .. } => vec![
                format!("someone pushed `{branch}` to {remote} at another commit: check it with `git ls-remote {remote} {branch}`"),
                format!("if it is not needed, delete it on the remote (`git push {remote} --delete {branch}`) and run the rollback again"),
            ],
            RollbackInProgress { incident, .. } => vec![
                format!("resume it with `rewind resume {incident}`, or look at it with `rewind journal show {incident}`"),
                "or pass --force if you are sure it is abandoned".into(),
            ],
            DeploymentRunning { .. } => vec![
                "wait for it to end (`rewind status`), or pass --force to roll back anyway".into(),
            ],
            NoScmLink { .. } => vec![
                "link the app to its repository in the Scalingo dashboard, or use --method archive or --method git-push".into(),
            ],
            NoArchiveUrl { .. } => vec![
                format!("set {} to the URL of the tag's .tar.gz, with {{tag}} where the tag goes", super::ARCHIVE_TEMPLATE_ENV),
            ],
            ArchiveTemplate => vec![format!(
                "write {{tag}} (or {{commit}}) in {} where the tag (or commit) goes",
                super::ARCHIVE_TEMPLATE_ENV
            )],
            NoGitUrl { .. } => vec!["use --method branch or --method archive".into()],
            MethodUnsupported { .. } => {
                vec!["use another --method: `rewind rollback --help` lists them".into()]
            }
            PushDeploysNothing { .. } => vec![
                "use --method branch or --method archive: they deploy a commit the git remote holds already".into(),
                "or move master (or main) of the app's git remote to another commit first, then run the rollback again".into(),
            ],
            PushNotDeployed { .. } => vec![
                "check the app's deployments in the Scalingo dashboard before trying again".into(),
            ],
            NotARollback { .. } => vec!["`rewind journal` lists the incidents and their commands".into()],
            NotResumable { .. } => vec!["start a new rollback with `rewind rollback`".into()],
            UnreadablePlan { .. } => vec![
                "the journal may have been edited by hand: finish by hand, or start a new rollback with --force".into(),
            ],
            Git(_) => vec![
                "check that the remote is reachable and that your git credentials can push to it".into(),
            ],
            Platform(e) => e.hints(),
            NoBadDeployment { .. } => vec![
                "restore by time with `rewind db restore --to TIME`, then roll back with --no-db".into(),
            ],
            Database(e) if e.kind() == DbErrorKind::Refused => e.hints(),
            Database(e) => {
                let mut hints = e.hints();
                hints.push("or roll back without the database with --no-db, after reading the migration evidence".into());
                hints
            }
            Journal(_) => vec![
                "check that the journal directory is writable, or set REWIND_JOURNAL_DIR".into(),
            ],
            Locked(e) => e.hints(),
            AppChanged { .. } => vec![
                "nothing was changed: run the command again to see a plan made from what runs now".into(),
            ],
        }
    }
}
