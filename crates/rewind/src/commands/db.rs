//! `rewind db status|backup|restore`: the runbook's "roll back the
//! database" page. Show the addon, its backups and its recovery window;
//! make a manual backup and download it; restore to a point in time (after
//! a safety backup, with the data loss stated and a typed confirmation), or
//! restore a backup archive with `pg_restore` into a database URL.

use std::path::PathBuf;

use chrono::{DateTime, Local, Utc};
use clap::{ArgGroup, Args, Subcommand};
use rewind_core::config::{AppConfig, DEFAULT_MARGIN};
use rewind_core::db::{
    self, BackupEvent, DatabaseUrl, DbError, DbErrorKind, DbStatus, DownloadedBackup, PitrPlan,
    Poll, Target,
};
use rewind_core::git::Git;
use rewind_core::identify::{Resolver, identify};
use rewind_core::journal::{EntryKind, Holder, IncidentId, Journal, LockError};
use rewind_core::platform::{Addon, Platform, PlatformError};
use rewind_core::secret::Secret;
use serde_json::json;

use crate::cli_error::{CliError, ErrorKind};
use crate::commands::rollback::print_json;
use crate::context::{self, Context, Global};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// The database addon (type, plan, status), its backups and the
    /// point-in-time recovery window.
    Status(StatusArgs),
    /// Make a manual backup, wait until it is done, download its archive
    /// and record its path and SHA-256 in the journal.
    Backup(BackupArgs),
    /// Restore the database: to a point in time (PostgreSQL), or from a
    /// backup archive with pg_restore into a database URL.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The app (as named in rewind.toml); optional when there is one.
    app: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The app (as named in rewind.toml); optional when there is one.
    app: Option<String>,
    /// Where to download the archive. Default: the `backups` folder of
    /// the journal directory.
    #[arg(long, value_name = "DIR")]
    download: Option<PathBuf>,
}

/// Put the app first: `rewind db restore my-app --before-deploy`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("source")
        .required(true)
        .args(["to", "before_deploy", "from_backup", "from_file"])
))]
pub struct RestoreArgs {
    /// The app (as named in rewind.toml); optional when there is one.
    app: Option<String>,
    /// Point-in-time restore to TIME: RFC 3339 (2026-07-18T14:02:00Z) or
    /// local time "YYYY-MM-DD HH:MM[:SS]".
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Point-in-time restore to just before a deployment (its creation
    /// time less [apps.database] margin, default 1 minute). Without an id:
    /// the deployment running now, i.e. the bad one.
    #[arg(long, value_name = "DEPLOYMENT_ID", num_args = 0..=1, default_missing_value = "")]
    before_deploy: Option<String>,
    /// Restore this backup's archive with pg_restore into --database-url.
    #[arg(long, value_name = "BACKUP_ID")]
    from_backup: Option<String>,
    /// Restore a downloaded backup archive (.tar.gz) with pg_restore into
    /// --database-url.
    #[arg(long, value_name = "ARCHIVE")]
    from_file: Option<PathBuf>,
    /// The database to restore into with pg_restore, e.g. through
    /// `scalingo --app APP db-tunnel SCALINGO_POSTGRESQL_URL`:
    /// postgres://user:password@127.0.0.1:10000/db. Prefer the
    /// environment variable, which stays out of the shell history; the
    /// password reaches pg_restore through PGPASSWORD, never its arguments.
    #[arg(
        long,
        value_name = "URL",
        env = "REWIND_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Where the safety backup (or the backup to restore) is downloaded.
    /// Default: the `backups` folder of the journal directory.
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    /// Show the plan; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for the typed confirmation (scripts).
    #[arg(long)]
    yes: bool,
    /// Restore even though an earlier incident already restored the
    /// database for the same bad deployment: every write made since that
    /// restore is lost too. Without it, rewind never restores twice.
    #[arg(long, conflicts_with_all = ["from_backup", "from_file"])]
    restore_again: bool,
    /// When an earlier rewind was cut short while asking for a restore for
    /// the same bad release, and rewind cannot tell whether it ran: what the
    /// database's operations in the Scalingo dashboard show (`yes`: it ran,
    /// it is not made again; `no`: it did not).
    #[arg(long, value_name = "yes|no", value_parser = crate::commands::parse_yes_no)]
    restore_ran: Option<bool>,
}

pub fn run(command: DbCommand, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    match command {
        DbCommand::Status(args) => status(&ctx, args),
        DbCommand::Backup(args) => backup(&ctx, args),
        DbCommand::Restore(args) if args.to.is_some() || args.before_deploy.is_some() => {
            pitr(&ctx, args)
        }
        DbCommand::Restore(args) => dump(&ctx, args),
    }
}

fn addon_of(platform: &dyn Platform, app: &AppConfig) -> Result<Addon, CliError> {
    let wanted = app.database.as_ref().map(|d| d.addon.as_str());
    db::database_addon(platform, &app.name, wanted).map_err(CliError::from)
}

fn backup_dir(ctx: &Context, given: Option<PathBuf>, app: &str) -> PathBuf {
    given.unwrap_or_else(|| ctx.journal.backup_dir(app))
}

/// Makes the download folder as the download would (the user's alone, 0700)
/// and proves a file can be written in it.
fn writable_dir(dir: &std::path::Path) -> Result<(), CliError> {
    let fail = |action: &str, e: std::io::Error| {
        CliError::config(format!("cannot {action} the folder {}: {e}", dir.display())).hint(
            "nothing was asked of the platform; choose a folder you can write to with --download DIR",
        )
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| fail("create", e))?;
    let probe = dir.join(format!(".rewind-write-check-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|e| fail("write in", e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `2026-07-18 14:02:00 UTC (16:02:00 local)`.
fn both(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local);
    format!(
        "{} UTC ({} local, {})",
        t.format("%Y-%m-%d %H:%M:%S"),
        local.format("%H:%M:%S"),
        local.format("%:z")
    )
}

fn status(ctx: &Context, args: StatusArgs) -> Result<(), CliError> {
    let app = ctx.app(args.app.as_deref())?;
    let platform = ctx.platform(app)?;
    let addon = addon_of(&platform, app)?;
    let status = db::db_status(&platform, &app.name, &addon).map_err(CliError::from)?;
    if args.json {
        return print_json(&serde_json::to_value(&status).map_err(CliError::failed)?);
    }
    out!("{}", status_text(&app.name, &status));
    Ok(())
}

fn status_text(app: &str, s: &DbStatus) -> String {
    let d = &s.database;
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let mut out = format!(
        "database of {app}: addon {} ({})\n  type {} {}, plan {}, status {}\n",
        s.addon.id,
        s.addon.provider_id,
        or(&d.type_name),
        d.version.clone().unwrap_or_default(),
        or(&d.plan).trim(),
        or(&d.status)
    );
    match (&s.recovery_window, &s.recovery_window_note) {
        (Some(w), _) => out.push_str(&format!(
            "  point-in-time window: from {}\n                        to   {}\n",
            both(w.earliest),
            both(w.latest)
        )),
        (None, Some(note)) => out.push_str(&format!("  {note}\n")),
        (None, None) => {}
    }
    if s.backups.is_empty() {
        out.push_str("  no backups\n");
    } else {
        out.push_str(&format!("  backups ({}, newest first):\n", s.backups.len()));
        for b in &s.backups {
            out.push_str(&format!(
                "    {}  {:<8} {:<8} {:>12}  {}\n",
                b.created_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "?".into()),
                b.method.clone().unwrap_or_default(),
                b.status,
                b.size.map(|s| format!("{s} bytes")).unwrap_or_default(),
                b.id
            ));
        }
    }
    out
}

fn backup(ctx: &Context, args: BackupArgs) -> Result<(), CliError> {
    let app = ctx.app(args.app.as_deref())?;
    let platform = ctx.platform(app)?;
    let addon = addon_of(&platform, app)?;
    let dir = backup_dir(ctx, args.download, &app.name);
    // Before the platform is asked for a backup: one that cannot be kept
    // would be made for nothing.
    writable_dir(&dir)?;
    let journal = &ctx.journal;
    let incident = journal.begin(
        &app.name,
        json!({"command": "db backup", "addon": addon.id, "provider": addon.provider_id}),
    )?;
    let poll = Poll::new(Poll::BACKUP_DEADLINE, ctx.interrupt.clone());
    let done = run_backup(
        &platform, journal, &incident, &app.name, &addon, &dir, &poll, "backup",
    );
    match done {
        Ok(done) => {
            close(journal, &incident, &app.name, "succeeded")?;
            outln!(
                "backup {} done: {} ({} bytes, sha256 {})",
                done.backup.id,
                done.archive.path.display(),
                done.archive.size,
                done.archive.sha256
            );
            Ok(())
        }
        Err(e) => {
            close(journal, &incident, &app.name, outcome_of(&e))?;
            Err(CliError::from(e))
        }
    }
}

fn outcome_of(e: &DbError) -> &'static str {
    if e.kind() == DbErrorKind::Interrupted {
        "interrupted"
    } else {
        "failed"
    }
}

fn close(journal: &Journal, id: &IncidentId, app: &str, outcome: &str) -> Result<(), CliError> {
    journal.record(
        id,
        app,
        EntryKind::IncidentClosed,
        None,
        json!({"outcome": outcome}),
    )?;
    Ok(())
}

/// A backup followed and downloaded as journal step `step`, with its
/// progress on stderr.
#[allow(clippy::too_many_arguments)]
fn run_backup(
    platform: &dyn Platform,
    journal: &Journal,
    incident: &IncidentId,
    app: &str,
    addon: &Addon,
    dir: &std::path::Path,
    poll: &Poll,
    step: &str,
) -> Result<DownloadedBackup, DbError> {
    let record = |kind, data| {
        journal
            .record(incident, app, kind, Some(step), data)
            .map_err(|e| DbError::Io {
                action: "write the journal",
                path: journal.path().to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })
    };
    record(
        EntryKind::StepStarted,
        json!({"addon": addon.id, "dir": dir.display().to_string()}),
    )?;
    let mut created_id = None;
    let result =
        db::backup_and_download(
            platform,
            app,
            &addon.id,
            dir,
            poll,
            &mut |event| match event {
                BackupEvent::Created(b) => {
                    created_id = Some(b.id.clone());
                    msgln!("backup {} started ({})", b.id, b.status);
                }
                BackupEvent::Status(b) => msgln!("backup {}: {}", b.id, b.status),
                BackupEvent::Downloading(b) => msgln!(
                    "downloading backup {} ({} bytes)",
                    b.id,
                    b.size.map_or("?".into(), |s| s.to_string())
                ),
            },
        );
    match result {
        Ok(done) => {
            let mut data = json!({
                "backup_id": done.backup.id,
                "path": done.archive.path.display().to_string(),
                "size": done.archive.size,
                "sha256": done.archive.sha256,
            });
            if let Some(announced) = done.archive.announced_size {
                data["announced_size"] = json!(announced);
            }
            record(EntryKind::StepDone, data)?;
            if let Some(announced) = done.archive.announced_size {
                errln!(
                    "warning: backup {} is {} bytes, but Scalingo announced {announced}; the archive reads whole to its end, so it is kept (sha256 {})",
                    done.backup.id,
                    done.archive.size,
                    done.archive.sha256
                );
            }
            Ok(done)
        }
        Err(e) => {
            let kind = if e.kind() == DbErrorKind::Interrupted {
                EntryKind::Interrupted
            } else {
                EntryKind::StepFailed
            };
            record(
                kind,
                json!({"backup_id": created_id, "error": e.to_string()}),
            )?;
            Err(e)
        }
    }
}

/// `db restore --before-deploy shop`: clap takes the app's name for the
/// deployment id, since the flag's value is optional. Said before anything
/// is asked of the platform, where it would only be "deployment not found".
fn app_after_flag(ctx: &Context, args: &RestoreArgs) -> Result<(), CliError> {
    let Some(id) = args.before_deploy.as_deref() else {
        return Ok(());
    };
    if args.app.is_some() || !ctx.config.apps.iter().any(|a| a.name == id) {
        return Ok(());
    }
    Err(CliError::config(format!(
        "`{id}` is an app of {}, not a deployment id: --before-deploy took it as its value",
        ctx.config.path.display()
    ))
    .hint(format!(
        "put the app before the flag: rewind db restore {id} --before-deploy [DEPLOYMENT_ID]"
    )))
}

/// The deployment a `--before-deploy` restore goes back before.
fn deployment_for(
    ctx: &Context,
    platform: &dyn Platform,
    app: &AppConfig,
    id: &str,
) -> Result<rewind_core::platform::Deployment, CliError> {
    if !id.is_empty() {
        return platform.deployment(&app.name, id).map_err(|e| {
            let names_an_app = ctx.config.apps.iter().any(|a| a.name == id);
            let not_found = matches!(e, PlatformError::NotFound { .. });
            let err = CliError::from(e);
            if names_an_app && err.kind == ErrorKind::Failed {
                // Not found, or any other failure: the id was an app name.
                CliError {
                    kind: ErrorKind::Config,
                    ..err
                }
                .hint(format!(
                    "`{id}` is an app of rewind.toml: the app goes before the flag, rewind db restore {id} --before-deploy DEPLOYMENT_ID"
                ))
            } else if not_found {
                // An id that names no deployment of the app: a usage error.
                CliError {
                    kind: ErrorKind::Config,
                    ..err
                }
                .hint(format!(
                    "`rewind status {}` lists the app's deployments with their ids; or give --before-deploy no id for the one running now",
                    app.name
                ))
            } else {
                err
            }
        });
    }
    let git = ctx.git();
    // Without tags the build logs still tell releases apart; the restore
    // time only needs the deployment.
    let tags = git.tag_index().unwrap_or_default();
    let resolver = Resolver::for_app(&git, platform, tags, app);
    let situation = identify(platform, &app.name, &resolver, 10, &|_| false)?;
    let current = situation.current.ok_or_else(|| {
        CliError::new(
            ErrorKind::Config,
            format!(
                "app `{}` has no successful deployment running now",
                app.name
            ),
        )
        .hint("name the deployment: rewind db restore --before-deploy DEPLOYMENT_ID")
    })?;
    msgln!(
        "the deployment running now is {} (release {}): restoring to before it",
        current.deployment.id,
        current.release.label
    );
    Ok(current.deployment)
}

/// Another rewind on this machine is changing the app: a refusal.
pub(crate) fn lock_error(e: LockError) -> CliError {
    let kind = match e {
        LockError::Held { .. } | LockError::HeldByTeammate { .. } => ErrorKind::Refused,
        LockError::Io { .. } => ErrorKind::Failed,
    };
    let hints = e.hints();
    let mut err = CliError::new(kind, e);
    err.hints = hints;
    err
}

fn plan_text(plan: &PitrPlan, backup_dir: &std::path::Path) -> String {
    let mut out = format!(
        "Point-in-time restore of the database of {} (addon {}, {})\n",
        plan.app, plan.addon.id, plan.addon.provider_id
    );
    out.push_str(&format!("  restore to:  {}\n", both(plan.restore_to)));
    if let Target::BeforeDeploy { deployment, margin } = &plan.target {
        out.push_str(&format!(
            "  because:     {}s before deployment {} was created ({})\n",
            margin.as_secs(),
            deployment.id,
            deployment.created_at.map(both).unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "  window:      {} to {}\n",
        both(plan.window.earliest),
        both(plan.window.latest)
    ));
    out.push_str(&format!(
        "  data loss:   every write between {} and now, {}, will be lost\n",
        plan.restore_to.with_timezone(&Local).format("%H:%M"),
        db::about(plan.data_loss())
    ));
    out.push_str(
        "  downtime:    the database stops during the restore: the app cannot use it until it ends\n",
    );
    out.push_str(&format!(
        "  first:       a safety backup, downloaded to {}\n",
        backup_dir.display()
    ));
    out
}

fn confirm(app: &str, summary: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if context::prompter().confirm_typed(summary, app)? {
        Ok(())
    } else {
        Err(CliError::new(
            ErrorKind::Refused,
            "not confirmed: nothing was changed",
        ))
    }
}

fn pitr(ctx: &Context, args: RestoreArgs) -> Result<(), CliError> {
    app_after_flag(ctx, &args)?;
    let app = ctx.app(args.app.as_deref())?;
    let platform = ctx.platform(app)?;
    let addon = addon_of(&platform, app)?;
    let target = match (&args.to, &args.before_deploy) {
        (Some(text), _) => Target::At {
            time: db::parse_time(text, &Local).map_err(CliError::from)?,
        },
        (None, Some(id)) => Target::BeforeDeploy {
            deployment: Box::new(deployment_for(ctx, &platform, app, id)?),
            margin: app.database.as_ref().map_or(DEFAULT_MARGIN, |d| d.margin),
        },
        (None, None) => unreachable!("clap requires one source"),
    };
    let plan = db::plan_pitr(&platform, &app.name, &addon, target).map_err(CliError::from)?;
    let dir = backup_dir(ctx, args.backup_dir, &app.name);
    let text = plan_text(&plan, &dir);
    crate::output::message(&text, false);
    let journal = &ctx.journal;
    // Which bad release this restore is for: the deployment it goes back
    // before, or for a time, the one that runs now.
    let bad = match &plan.target {
        Target::BeforeDeploy { deployment, .. } => Some(deployment.id.clone()),
        Target::At { .. } => db::running_deployment(&platform, &app.name)?.map(|d| d.id),
    };
    let check = |journal: &Journal| -> Result<Option<db::EarlierRestore>, CliError> {
        match &bad {
            Some(id) => Ok(db::check_not_restored(
                journal,
                &app.name,
                id,
                None,
                args.restore_again,
                args.restore_ran,
            )?),
            None => Ok(None),
        }
    };
    if let Some(done) = check(journal)? {
        msgln!(
            "  again:       {}; restoring again loses every write made since {} as well",
            done.describe(),
            both(done.at)
        );
    }
    let facts = json!({
        "command": "db restore",
        "mode": "point-in-time",
        "addon": addon.id,
        "restore_to": plan.restore_to,
        "target": plan.target,
    });
    if args.dry_run {
        journal.dry_run(&app.name, facts)?;
        msgln!("dry run: nothing was changed");
        return Ok(());
    }
    confirm(
        &app.name,
        &format!(
            "Restore the database of {} to {}",
            app.name,
            both(plan.restore_to)
        ),
        args.yes,
    )?;
    // From here to the end nobody else on this machine changes the app;
    // the journal is asked again under the lock.
    let git = ctx.git();
    let mut lock = rewind_core::team::Lock::acquire(
        journal,
        &app.name,
        &Holder::me(&ctx.actor(), "db restore"),
        rewind_core::team::Shared::of(&git, app),
    )
    .map_err(lock_error)?;
    if let Some(reason) = lock.alone() {
        errln!(
            "warning: {}",
            rewind_core::team::alone_warning(&app.name, reason)
        );
    }
    check(journal)?;
    let incident = journal.begin(&app.name, facts)?;
    lock.set_incident(journal, &incident)?;
    let poll = Poll::new(Poll::BACKUP_DEADLINE, ctx.interrupt.clone());
    let safety = run_backup(
        &platform,
        journal,
        &incident,
        &app.name,
        &addon,
        &dir,
        &poll,
        "safety-backup",
    );
    let safety = match safety {
        Ok(done) => done,
        Err(e) => {
            close(journal, &incident, &app.name, outcome_of(&e))?;
            if e.kind() == DbErrorKind::Interrupted {
                return Err(CliError::from(e));
            }
            let hints = e.hints();
            let mut err = CliError::new(
                ErrorKind::Refused,
                format!("the safety backup failed ({e}): nothing was restored"),
            );
            err.hints = hints;
            return Err(err);
        }
    };
    msgln!(
        "safety backup {} saved: {} (sha256 {})",
        safety.backup.id,
        safety.archive.path.display(),
        safety.archive.sha256
    );
    let step = Some("pitr-restore");
    journal.record(
        &incident,
        &app.name,
        EntryKind::StepStarted,
        step,
        json!({"restore_to": plan.restore_to}),
    )?;
    if let Some(id) = &bad {
        let record = db::RestoreRecord {
            bad_deployment_id: id.clone(),
            bad_label: None,
            addon_id: addon.id.clone(),
            restore_to: plan.restore_to,
            backup: Some(safety.archive.path.display().to_string()),
            backup_sha256: Some(safety.archive.sha256.clone()),
            bad_created_at: match &plan.target {
                Target::BeforeDeploy { deployment, .. } => deployment.created_at,
                Target::At { .. } => None,
            },
        };
        journal.record(&incident, &app.name, EntryKind::Note, step, record.note())?;
    }
    let poll = Poll::new(Poll::RESTORE_DEADLINE, ctx.interrupt.clone());
    let mut started = None;
    let result = db::pitr_restore(
        &platform,
        &plan,
        &poll,
        &mut |id| {
            started = Some(id.to_string());
            // Journaled the moment Scalingo gives it: the restore ran.
            if !id.is_empty() {
                let _ = journal.record(
                    &incident,
                    &app.name,
                    EntryKind::Note,
                    step,
                    db::operation_started(id),
                );
            }
            msgln!("restore started (operation {id}); the database is stopped until it ends");
        },
        &mut |op| msgln!("restore: {}", op.status),
    );
    match result {
        Ok(op) => {
            journal.record(
                &incident,
                &app.name,
                EntryKind::StepDone,
                step,
                json!({"operation_id": op.id, "status": op.status, "restore_to": plan.restore_to}),
            )?;
            close(journal, &incident, &app.name, "succeeded")?;
            outln!(
                "database of {} restored to {} (operation {})",
                app.name,
                both(plan.restore_to),
                op.id
            );
            Ok(())
        }
        Err(e) => {
            let kind = if e.kind() == DbErrorKind::Interrupted {
                EntryKind::Interrupted
            } else {
                EntryKind::StepFailed
            };
            if let Some(note) = db::not_made_by(&e) {
                journal.record(&incident, &app.name, EntryKind::Note, step, note)?;
            }
            journal.record(
                &incident,
                &app.name,
                kind,
                step,
                json!({"operation_id": started, "error": e.to_string()}),
            )?;
            close(journal, &incident, &app.name, outcome_of(&e))?;
            Err(CliError::from(e))
        }
    }
}

fn dump(ctx: &Context, args: RestoreArgs) -> Result<(), CliError> {
    let app = ctx.app(args.app.as_deref())?;
    let url = args.database_url.clone().filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        CliError::config("restoring a backup archive needs the database to restore into")
            .hint("pass --database-url URL or set REWIND_DATABASE_URL (through `scalingo --app APP db-tunnel SCALINGO_POSTGRESQL_URL`)")
    })?;
    let url = DatabaseUrl::parse(&Secret::new(url)).map_err(CliError::from)?;
    if db::find_program("pg_restore", std::env::var_os("PATH").as_ref()).is_none() {
        return Err(CliError::from(DbError::PgRestoreMissing));
    }
    let source = match (&args.from_backup, &args.from_file) {
        (Some(id), _) => format!("backup {id}"),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => unreachable!("clap requires one source"),
    };
    // The source is checked before the plan is shown: a backup id or a
    // file that is not there is a mistake in the command, said at once.
    let found = match (&args.from_backup, &args.from_file) {
        (Some(id), _) => {
            let platform = ctx.platform(app)?;
            let addon = addon_of(&platform, app)?;
            let backup = platform.backup(&app.name, &addon.id, id).map_err(|e| {
                let not_found = matches!(e, PlatformError::NotFound { .. });
                let err = CliError::from(e);
                if not_found {
                    CliError {
                        kind: ErrorKind::Config,
                        ..err
                    }
                    .hint(format!(
                        "`rewind db status {}` lists the backups with their ids",
                        app.name
                    ))
                } else {
                    err
                }
            })?;
            if !backup.is_done() {
                return Err(CliError::config(format!(
                    "backup {id} is `{}`: only a done backup can be restored",
                    backup.status
                )));
            }
            Some((platform, addon, backup))
        }
        (None, Some(path)) => {
            if let Err(e) = std::fs::File::open(path)
                .and_then(|f| f.metadata())
                .and_then(|m| {
                    if m.is_file() {
                        Ok(())
                    } else {
                        Err(std::io::Error::other("it is not a regular file"))
                    }
                })
            {
                return Err(
                    CliError::config(format!("cannot read {}: {e}", path.display()))
                        .hint("nothing was done; check the path given to --from-file"),
                );
            }
            None
        }
        (None, None) => unreachable!("clap requires one source"),
    };
    msgln!(
        "Restore {source} into {} with pg_restore --clean --if-exists --no-owner --no-acl:\n  \
         every object in the dump is dropped and recreated in that database; other objects stay",
        url.shown
    );
    let journal = &ctx.journal;
    let facts = json!({
        "command": "db restore",
        "mode": "dump",
        "source": source,
        "into": url.shown,
    });
    if args.dry_run {
        journal.dry_run(&app.name, facts)?;
        msgln!("dry run: nothing was changed");
        return Ok(());
    }
    confirm(
        &app.name,
        &format!("Restore {source} into {}", url.shown),
        args.yes,
    )?;
    let incident = journal.begin(&app.name, facts)?;
    let archive = match (found, &args.from_file) {
        (Some((platform, addon, backup)), _) => {
            let id = &backup.id;
            let dir = backup_dir(ctx, args.backup_dir.clone(), &app.name);
            let poll = Poll::new(Poll::BACKUP_DEADLINE, ctx.interrupt.clone());
            msgln!("downloading backup {id}");
            let archive =
                db::download_backup(&platform, &app.name, &addon.id, &backup, &dir, &poll)
                    .map_err(CliError::from)?;
            journal.record(
                &incident,
                &app.name,
                EntryKind::Note,
                Some("download"),
                json!({"backup_id": id, "path": archive.path.display().to_string(),
                       "size": archive.size, "sha256": archive.sha256}),
            )?;
            archive.path
        }
        (None, Some(path)) => path.clone(),
        (None, None) => unreachable!("clap requires one source"),
    };
    let step = Some("pg-restore");
    let sha256 = db::sha256_file(&archive).map_err(CliError::from)?;
    journal.record(
        &incident,
        &app.name,
        EntryKind::StepStarted,
        step,
        json!({"archive": archive.display().to_string(), "sha256": sha256, "into": url.shown}),
    )?;
    match db::restore_archive(&archive, &url) {
        Ok(done) => {
            journal.record(
                &incident,
                &app.name,
                EntryKind::StepDone,
                step,
                json!({"dump": done.dump_name, "warnings": done.warnings}),
            )?;
            close(journal, &incident, &app.name, "succeeded")?;
            if !done.warnings.is_empty() {
                errln!("pg_restore said:\n{}", done.warnings);
            }
            outln!("restored {source} into {}", url.shown);
            Ok(())
        }
        Err(e) => {
            journal.record(
                &incident,
                &app.name,
                EntryKind::StepFailed,
                step,
                json!({"error": e.to_string()}),
            )?;
            close(journal, &incident, &app.name, "failed")?;
            Err(CliError::from(e))
        }
    }
}
