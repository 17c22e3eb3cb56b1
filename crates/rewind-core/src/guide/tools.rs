//! What the guide's walk and its actions share: the tools they read from and
//! act on ([`Tools`]) and how they behave ([`GuideOptions`]). Kept apart
//! from the walk (`session.rs`) so that the actions depend on this module
//! and not on the walk that calls them.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::AppConfig;
use crate::follow::FollowOptions;
use crate::git::Git;
use crate::i18n::Lang;
use crate::interrupt::Interrupt;
use crate::journal::Journal;
use crate::platform::Platform;
use crate::secret::Secret;

/// What the guide reads from and acts on.
#[derive(Clone, Copy)]
pub struct Tools<'a> {
    pub platform: &'a dyn Platform,
    pub git: &'a dyn Git,
    pub journal: &'a Journal,
    pub interrupt: &'a Interrupt,
    pub app: &'a AppConfig,
    /// The team's webhook for this app (`Config::webhook_url`).
    pub webhook: Option<&'a Secret>,
}

/// How the walk behaves.
#[derive(Debug, Clone)]
pub struct GuideOptions {
    pub lang: Lang,
    /// Show each action's plan; change nothing.
    pub dry_run: bool,
    /// Confirm every action without the typed app name (scripts).
    pub yes: bool,
    /// Where ticket drafts are written.
    pub ticket_dir: PathBuf,
    /// Where the safety backup of a restore is downloaded.
    pub backup_dir: PathBuf,
    /// Who runs the guide (journal, rollback, report).
    pub actor: String,
    /// The feature flag to switch off, when several are configured.
    pub flag: Option<String>,
    /// The archive URL template, for a rollback by archive.
    pub archive_template: Option<Secret>,
    pub follow: FollowOptions,
    /// The first pause while following a restart, backup or restore; each
    /// next one is half as long again, up to `poll_max`.
    pub poll_first: Duration,
    pub poll_max: Duration,
    /// How long a restart may take before rewind stops waiting.
    pub restart_deadline: Duration,
    /// `--restore-again`: restore the database even though an earlier
    /// incident restored it for the same bad release.
    pub restore_again: bool,
    /// `--no-db`: a redeploy leaves the database as the bad release left
    /// it, knowingly (what `--yes` alone does not decide).
    pub no_db: bool,
    /// `--restore-ran yes|no`: the person's word on a restore an earlier
    /// incident asked for when it was cut short.
    pub restore_ran: Option<bool>,
}

impl GuideOptions {
    pub fn new(lang: Lang, ticket_dir: PathBuf, backup_dir: PathBuf, actor: &str) -> Self {
        GuideOptions {
            lang,
            dry_run: false,
            yes: false,
            ticket_dir,
            backup_dir,
            actor: actor.to_string(),
            flag: None,
            archive_template: None,
            follow: FollowOptions::default(),
            poll_first: Duration::from_millis(500),
            poll_max: Duration::from_secs(5),
            restart_deadline: Duration::from_secs(10 * 60),
            restore_again: false,
            no_db: false,
            restore_ran: None,
        }
    }
}
