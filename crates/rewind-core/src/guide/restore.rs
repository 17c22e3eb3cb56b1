//! The `restore_database` leaf: the database engineer's point-in-time
//! restore to just before the bad deploy, after a safety backup that is
//! downloaded first ("you never know"). The plan states the time, the data
//! lost and the downtime before anyone confirms.

use std::path::Path;

use crate::config::DEFAULT_MARGIN;
use crate::db::{self, BackupEvent, DbError, PitrPlan, Poll, Target};
use crate::journal::{EntryKind, IncidentId};

/// The step the guide journals the restore's records under.
const RESTORE_STEP: &str = "restore_database";

use super::actions::{Failure, Stop};
use super::probes::Known;
use super::say::{self, leaves as words};
use super::tools::{GuideOptions, Tools};

pub(crate) struct Prepared {
    pub plan: PitrPlan,
    pub lines: Vec<String>,
    /// The bad deployment the restore goes back before.
    pub bad_deployment_id: String,
    pub bad_label: String,
    pub bad_created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A restore an earlier incident made for this bad release, and the
    /// person did not ask to restore again: nothing is done.
    pub already: Option<db::EarlierRestore>,
}

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Finds the database and the bad deploy, and checks the restore time is
/// inside the recovery window.
pub(crate) fn prepare(
    tools: &Tools<'_>,
    options: &GuideOptions,
    known: &mut Known,
) -> Result<Prepared, Stop> {
    let app = tools.app;
    let wanted = app.database.as_ref().map(|d| d.addon.as_str());
    let addon = db::database_addon(tools.platform, &app.name, wanted)?;
    let situation = known.situation(tools).map_err(Failure::new)?;
    let bad = situation.current.as_ref().ok_or_else(|| {
        Failure::new(format!(
            "app `{}` has no successful deployment: there is no bad deploy to restore before",
            app.name
        ))
        .hint("restore to a time with `rewind db restore --to TIME`")
    })?;
    let margin = app.database.as_ref().map_or(DEFAULT_MARGIN, |d| d.margin);
    // The release running now may be one a rollback put back (a walk run
    // again after it was cut short): the bad release is then the one that
    // rollback went back from, never the good one running now.
    let incidents = tools
        .journal
        .incidents()
        .map_err(|e| Failure::new(e.to_string()))?;
    let (bad_deployment, bad_label) =
        match crate::rollback::rolled_back_from(&incidents, &app.name, &bad.deployment.id) {
            Some((_, label, deployment_id)) => {
                (tools.platform.deployment(&app.name, &deployment_id)?, label)
            }
            None => (bad.deployment.clone(), bad.release.label.clone()),
        };
    let plan = db::plan_pitr(
        tools.platform,
        &app.name,
        &addon,
        Target::BeforeDeploy {
            deployment: Box::new(bad_deployment.clone()),
            margin,
        },
    )?;
    let lang = options.lang;
    let earlier = db::made_restore(
        tools.journal,
        &app.name,
        &bad_deployment.id,
        None,
        options.restore_ran,
    )?;
    if let Some(done) = earlier.as_ref().filter(|_| !options.restore_again) {
        let line = words::already_restored(
            lang,
            &date(done.record.restore_to),
            done.incident.as_str(),
            &date(done.at),
        );
        return Ok(Prepared {
            plan,
            lines: vec![line],
            bad_deployment_id: bad_deployment.id.clone(),
            bad_label,
            bad_created_at: bad_deployment.created_at,
            already: earlier,
        });
    }
    let mut lines = vec![
        words::plan_pitr(lang, &addon.id, &addon.provider_id),
        words::plan_restore_to(
            lang,
            &date(plan.restore_to),
            margin.as_secs(),
            &bad_deployment.id,
            &bad_label,
        ),
        words::plan_data_loss(
            lang,
            &date(plan.restore_to),
            &say::about(lang, plan.data_loss()),
        ),
        words::plan_downtime(lang),
        words::plan_safety_backup(lang, &options.backup_dir),
    ];
    if let Some(done) = &earlier {
        lines.push(words::restoring_again(
            lang,
            done.incident.as_str(),
            &date(done.at),
        ));
    }
    Ok(Prepared {
        plan,
        lines,
        bad_deployment_id: bad_deployment.id.clone(),
        bad_label,
        bad_created_at: bad_deployment.created_at,
        already: None,
    })
}

/// Takes the safety backup, then restores and follows the restore.
pub(crate) fn run(
    tools: &Tools<'_>,
    options: &GuideOptions,
    prepared: &Prepared,
    incident: &IncidentId,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Failure> {
    let lang = options.lang;
    let plan = &prepared.plan;
    if prepared.already.is_some() {
        return Ok(prepared.lines.clone());
    }
    // Under the app's lock: asked once more, in case another command
    // restored it while the person read the plan.
    db::check_not_restored(
        tools.journal,
        &plan.app,
        &prepared.bad_deployment_id,
        Some(incident),
        options.restore_again,
        options.restore_ran,
    )?;
    let mut done = Vec::new();
    let poll = |deadline| Poll {
        first: options.poll_first,
        max: options.poll_max,
        ..Poll::new(deadline, tools.interrupt.clone())
    };
    let dir: &Path = &options.backup_dir;
    // A safety backup an earlier walk asked for, for this bad release, and
    // never got to use (cut short while downloading it): that one is
    // followed and downloaded, not a second one taken.
    let earlier = db::unused_safety_backup(tools.journal, &plan.app, &prepared.bad_deployment_id);
    let step = Some(RESTORE_STEP);
    let new_backup = |progress: &mut dyn FnMut(&str)| {
        db::backup_and_download(
            tools.platform,
            &plan.app,
            &plan.addon.id,
            dir,
            &poll(Poll::BACKUP_DEADLINE),
            &mut |event| match event {
                BackupEvent::Created(b) => {
                    // Journaled the moment Scalingo accepts it.
                    let _ = tools.journal.record(
                        incident,
                        &plan.app,
                        EntryKind::Note,
                        step,
                        db::safety_backup_taken(&prepared.bad_deployment_id, &b.id),
                    );
                    progress(&words::backup_requested(lang, &b.id))
                }
                BackupEvent::Status(b) => progress(&words::backup_status(lang, &b.status)),
                BackupEvent::Downloading(_) => progress(&words::backup_downloading(lang)),
            },
        )
    };
    let safety = match earlier {
        Some(id) => {
            progress(&words::backup_requested(lang, &id));
            let followed = db::follow_backup(
                tools.platform,
                &plan.app,
                &plan.addon.id,
                &id,
                &poll(Poll::BACKUP_DEADLINE),
                &mut |b| progress(&words::backup_status(lang, &b.status)),
            )
            .and_then(|backup| {
                progress(&words::backup_downloading(lang));
                let archive = db::download_backup(
                    tools.platform,
                    &plan.app,
                    &plan.addon.id,
                    &backup,
                    dir,
                    &poll(Poll::BACKUP_DEADLINE),
                )?;
                Ok(db::DownloadedBackup { backup, archive })
            });
            match followed {
                // That backup failed on Scalingo: a new one is needed.
                Err(DbError::BackupFailed { .. }) => new_backup(progress),
                other => other,
            }
        }
        None => new_backup(progress),
    }
    .map_err(|e| {
        let mut failure = Failure::from(e);
        failure.error = format!(
            "the safety backup failed ({}): nothing was restored",
            failure.error
        );
        failure
    })?;
    done.push(words::backup_saved(
        lang,
        &safety.backup.id,
        &safety.archive.path,
        &safety.archive.sha256,
    ));
    progress(&done[0]);
    let record = db::RestoreRecord {
        bad_deployment_id: prepared.bad_deployment_id.clone(),
        bad_label: Some(prepared.bad_label.clone()),
        addon_id: plan.addon.id.clone(),
        restore_to: plan.restore_to,
        backup: Some(safety.archive.path.display().to_string()),
        backup_sha256: Some(safety.archive.sha256.clone()),
        bad_created_at: prepared.bad_created_at,
    };
    tools
        .journal
        .record(incident, &plan.app, EntryKind::Note, step, record.note())
        .map_err(|e| Failure::new(e.to_string()))?;
    // Both callbacks report through the one `progress`.
    let progress = std::cell::RefCell::new(progress);
    let operation = db::pitr_restore(
        tools.platform,
        plan,
        &poll(Poll::RESTORE_DEADLINE),
        &mut |id| {
            if !id.is_empty() {
                // Journaled the moment Scalingo gives it: the restore ran.
                let _ = tools.journal.record(
                    incident,
                    &plan.app,
                    EntryKind::Note,
                    step,
                    db::operation_started(id),
                );
            }
            (progress.borrow_mut())(&words::restore_started(lang, id))
        },
        &mut |op| (progress.borrow_mut())(&words::restore_status(lang, &op.status)),
    )
    .map_err(|e| {
        if let Some(note) = db::not_made_by(&e) {
            // Known not made: a later run may ask again.
            let _ = tools
                .journal
                .record(incident, &plan.app, EntryKind::Note, step, note);
        }
        Failure::from(e).hint(format!(
            "the safety backup {} is at {}",
            safety.backup.id,
            safety.archive.path.display()
        ))
    })?;
    done.push(words::restored(lang, &date(plan.restore_to), &operation.id));
    Ok(done)
}
