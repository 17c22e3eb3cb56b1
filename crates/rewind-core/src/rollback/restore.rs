//! The database steps of a `--with-db` rollback: the safety backup
//! (requested, followed, downloaded, its size and SHA-256 recorded) and the
//! point-in-time restore (requested once, followed to its end). Each fact
//! is journaled the moment it is known, so that `resume` follows a backup
//! or a restore already started instead of asking Scalingo for a second.

use serde_json::json;

use crate::config::RollbackOrder;
use crate::db::{self, BackupEvent, DbError, DbErrorKind, PitrPlan, Poll, RestoreRecord, Target};
use crate::journal::EntryKind;
use crate::platform::RecoveryWindow;

use super::database::{RestorePlan, utc};
use super::error::RollbackError;
use super::plan::Plan;
use super::run::{Ended, Engine, Failure, Stop};
use super::steps::StepId;

impl Engine<'_> {
    fn restore_plan(&self) -> Result<&RestorePlan, Stop> {
        self.plan
            .database
            .as_ref()
            .and_then(|d| d.restore.as_ref())
            .ok_or_else(|| {
                Stop::Failed(Failure::new(
                    "the plan has a database step but no restore plan (it was edited?)",
                    vec!["start a new rollback with --with-db".into()],
                ))
            })
    }

    fn poll(&self, deadline: std::time::Duration) -> Poll {
        Poll {
            first: self.options.db_poll_first,
            max: self.options.db_poll_max,
            ..Poll::new(deadline, self.interrupt.clone())
        }
    }

    pub(crate) fn safety_backup(&mut self) -> Result<Ended, Stop> {
        let restore = self.restore_plan()?.clone();
        let app = self.plan.app.clone();
        let poll = self.poll(Poll::BACKUP_DEADLINE);
        let result = match self.facts.backup_id.clone() {
            // Requested before an interruption: follow that one.
            Some(id) => db::follow_backup(
                self.platform,
                &app,
                &restore.addon_id,
                &id,
                &poll,
                &mut |_| {},
            )
            .and_then(|done| {
                let archive = db::download_backup(
                    self.platform,
                    &app,
                    &restore.addon_id,
                    &done,
                    &restore.backup_dir,
                    &poll,
                )?;
                Ok(db::DownloadedBackup {
                    backup: done,
                    archive,
                })
            }),
            None => {
                // Journaled the moment Scalingo accepts it: a rewind killed
                // while the backup runs resumes by following this one.
                let mut created: Option<Result<String, Stop>> = None;
                let (journal, incident, app_name) = (self.journal, &self.incident, &self.plan.app);
                let result = db::backup_and_download(
                    self.platform,
                    &app,
                    &restore.addon_id,
                    &restore.backup_dir,
                    &poll,
                    &mut |event| {
                        if let BackupEvent::Created(b) = event {
                            let noted = journal
                                .record(
                                    incident,
                                    app_name,
                                    EntryKind::Note,
                                    Some(StepId::SafetyBackup.as_str()),
                                    json!({
                                        "text": format!("safety backup {} requested", b.id),
                                        "facts": { "backup_id": b.id },
                                    }),
                                )
                                .map(|()| b.id.clone())
                                .map_err(|e| Stop::from(RollbackError::from(e)));
                            created = Some(noted);
                        }
                    },
                );
                if let Some(noted) = created {
                    self.facts.backup_id = Some(noted?);
                }
                result
            }
        };
        let done = result.map_err(|e| backup_failed(e, &restore, self.plan))?;
        self.facts.backup_id = Some(done.backup.id.clone());
        self.facts.backup_archive = Some(done.archive.path.display().to_string());
        self.facts.backup_size = Some(done.archive.size);
        self.facts.backup_sha256 = Some(done.archive.sha256.clone());
        self.facts.backup_announced_size = done.archive.announced_size;
        let mut detail = format!(
            "safety backup {} saved to {} ({} bytes, sha256 {})",
            done.backup.id,
            done.archive.path.display(),
            done.archive.size,
            done.archive.sha256
        );
        if let Some(announced) = done.archive.announced_size {
            detail.push_str(&format!(
                "; warning: Scalingo announced {announced} bytes, but the archive reads whole to its end, so it is kept"
            ));
        }
        Ok(Ended::Done(detail))
    }

    pub(crate) fn pitr_restore(&mut self) -> Result<Ended, Stop> {
        let restore = self.restore_plan()?.clone();
        let app = self.plan.app.clone();
        if self.plan.has_step(StepId::SafetyBackup) && self.facts.backup_sha256.is_none() {
            return Err(Stop::Failed(Failure {
                refused: true,
                ..Failure::new(
                    "no safety backup is recorded for this rollback: the database is not restored without one",
                    vec!["start a new rollback with --with-db".into()],
                )
            }));
        }
        let poll = self.poll(Poll::RESTORE_DEADLINE);
        let operation_id = match self.facts.restore_operation_id.clone() {
            Some(id) => Some(id),
            None if self.facts.restore_requested == Some(true) => {
                match self.running_operation(&restore)? {
                    Some(id) => Some(id),
                    // Nothing runs now: the restore either never ran or
                    // is over, and Scalingo's API does not say which.
                    // Only the person, reading the dashboard, can.
                    None => match self.options.restore_ran {
                        Some(true) => {
                            self.facts.restored_to = Some(restore.restore_to);
                            self.record(
                                EntryKind::Note,
                                Some(StepId::PitrRestore),
                                json!({
                                    "text": format!("{} says the restore to {} ran (--restore-ran yes)", self.options.actor, utc(restore.restore_to)),
                                    "facts": { "restored_to": restore.restore_to },
                                }),
                            )
                            .map_err(Stop::from)?;
                            return Ok(Ended::Done(format!(
                                "database restored to {} (as {} says: --restore-ran yes)",
                                utc(restore.restore_to),
                                self.options.actor
                            )));
                        }
                        Some(false) => {
                            self.facts.restore_requested = Some(false);
                            let mut data = RestoreRecord::not_made(&format!(
                                "{} says it did not run (--restore-ran no)",
                                self.options.actor
                            ));
                            data["facts"] = json!({ "restore_requested": false });
                            self.record(EntryKind::Note, Some(StepId::PitrRestore), data)
                                .map_err(Stop::from)?;
                            None
                        }
                        None => return Err(self.restore_unknown(&restore)),
                    },
                }
            }
            None => None,
        };
        let result = match operation_id {
            Some(id) => db::follow_operation(
                self.platform,
                &app,
                &restore.addon_id,
                &id,
                &poll,
                &mut |_| {},
            ),
            None => {
                let addon = db::database_addon(self.platform, &app, Some(&restore.addon_id))
                    .map_err(|e| {
                        restore_failed(e, &restore, self.facts.backup_archive.as_deref())
                    })?;
                let pitr = PitrPlan {
                    app: app.clone(),
                    addon,
                    target: Target::At {
                        time: restore.restore_to,
                    },
                    restore_to: restore.restore_to,
                    window: RecoveryWindow {
                        earliest: restore.window_earliest,
                        latest: restore.window_latest,
                    },
                    planned_at: restore.planned_at,
                };
                // Under the app's lock, the journal is asked once more: a
                // restore for this bad release made by another incident
                // (a rerun, `db restore`, the guide) is not made twice.
                let earlier = db::made_restore(
                    self.journal,
                    &app,
                    &restore.bad_deployment_id,
                    Some(&self.incident),
                    self.options.restore_ran,
                )
                .map_err(|e| {
                    Stop::Failed(Failure {
                        refused: true,
                        ..Failure::new(e.to_string(), e.hints())
                    })
                })?;
                if let (Some(done), None) = (earlier.as_ref(), &restore.again) {
                    return Err(Stop::Failed(Failure {
                        refused: true,
                        ..Failure::new(
                            format!(
                                "{}: the database is not restored a second time, which would lose every write made since then",
                                done.describe()
                            ),
                            vec![
                                format!("`rewind report {}` shows that restore and its safety backup", done.incident),
                                "to restore again anyway, start a new rollback with --with-db --restore-again".into(),
                            ],
                        )
                    }));
                }
                self.facts.restore_requested = Some(true);
                let record = RestoreRecord {
                    bad_deployment_id: restore.bad_deployment_id.clone(),
                    bad_label: Some(self.plan.from.label.clone()),
                    addon_id: restore.addon_id.clone(),
                    restore_to: restore.restore_to,
                    backup: self.facts.backup_archive.clone(),
                    backup_sha256: self.facts.backup_sha256.clone(),
                    bad_created_at: Some(restore.bad_deployment_created_at),
                };
                let mut data = record.note();
                data["facts"] = json!({ "restore_requested": true });
                self.record(EntryKind::Note, Some(StepId::PitrRestore), data)
                    .map_err(Stop::from)?;
                // Journaled the moment Scalingo gives it, for the same
                // reason as the backup: a resume follows it, never starts
                // a second restore.
                let mut started: Option<Result<String, Stop>> = None;
                let (journal, incident, app_name) = (self.journal, &self.incident, &self.plan.app);
                let result = db::pitr_restore(
                    self.platform,
                    &pitr,
                    &poll,
                    &mut |id| {
                        if id.is_empty() {
                            return;
                        }
                        let noted = journal
                            .record(
                                incident,
                                app_name,
                                EntryKind::Note,
                                Some(StepId::PitrRestore.as_str()),
                                json!({
                                    "text": format!("restore operation {id} started: the database is stopped until it ends"),
                                    "facts": { "restore_operation_id": id },
                                }),
                            )
                            .map(|()| id.to_string())
                            .map_err(|e| Stop::from(RollbackError::from(e)));
                        started = Some(noted);
                    },
                    &mut |_| {},
                );
                if let Some(noted) = started {
                    self.facts.restore_operation_id = Some(noted?);
                }
                if let Some(mut data) = result.as_ref().err().and_then(db::not_made_by) {
                    // Nothing was restored: a resume may ask again.
                    self.facts.restore_requested = Some(false);
                    data["facts"] = json!({ "restore_requested": false });
                    self.record(EntryKind::Note, Some(StepId::PitrRestore), data)
                        .map_err(Stop::from)?;
                }
                result
            }
        };
        let op = result
            .map_err(|e| restore_failed(e, &restore, self.facts.backup_archive.as_deref()))?;
        self.facts.restore_operation_id = Some(op.id.clone());
        self.facts.restored_to = Some(restore.restore_to);
        Ok(Ended::Done(format!(
            "database restored to {} (operation {})",
            utc(restore.restore_to),
            op.id
        )))
    }

    /// The restore asked for before an interruption, without its operation
    /// id in the journal: the database's current operation, if any.
    fn running_operation(&self, restore: &RestorePlan) -> Result<Option<String>, Stop> {
        let database = self.platform.database(&self.plan.app, &restore.addon_id)?;
        Ok(database.current_operation_id.filter(|id| !id.is_empty()))
    }

    /// Asking again could restore twice, and not asking could leave the
    /// bad release's data in place: rewind stops and lets the person say.
    fn restore_unknown(&self, restore: &RestorePlan) -> Stop {
        Stop::Failed(Failure::new(
            format!(
                "the restore to {} was requested when rewind was cut short, and rewind cannot tell whether it ran: it is not requested twice without your word",
                utc(restore.restore_to)
            ),
            vec![
                "look at the database's operations in the Scalingo dashboard (a point-in-time restore since the incident began, or none)".to_string(),
                format!(
                    "then finish with `rewind resume {} --restore-ran yes` if it ran, or `--restore-ran no` to ask for it now",
                    self.incident
                ),
            ],
        ))
    }
}

/// A safety backup that did not finish: a refusal (nothing restored, and
/// in the runbook's order nothing deployed), or an interruption to resume.
fn backup_failed(e: DbError, restore: &RestorePlan, plan: &Plan) -> Stop {
    if e.kind() == DbErrorKind::Interrupted {
        return Stop::Interrupted(format!(
            "{e}; the safety backup goes on on Scalingo and `rewind resume` picks it up"
        ));
    }
    let before = restore.order == RollbackOrder::BeforeDeploy;
    let error = if before {
        format!(
            "the safety backup failed ({e}): nothing was restored and nothing was deployed; {} keeps running",
            plan.from.label
        )
    } else {
        format!(
            "the safety backup failed ({e}): nothing was restored; {} is deployed on the database as it was",
            plan.to.label
        )
    };
    Stop::Failed(Failure {
        refused: true,
        previous_release_running: before,
        ..Failure::new(error, e.hints())
    })
}

fn restore_failed(e: DbError, restore: &RestorePlan, archive: Option<&str>) -> Stop {
    if e.kind() == DbErrorKind::Interrupted {
        return Stop::Interrupted(format!(
            "{e}; the restore goes on on Scalingo and `rewind resume` follows it without starting another"
        ));
    }
    let mut hints = e.hints();
    if let Some(path) = archive {
        hints.push(format!("the safety backup is at {path}"));
    }
    hints.push(format!(
        "the database was meant to go back to {}; check it with `rewind db status`",
        utc(restore.restore_to)
    ));
    Stop::Failed(Failure {
        previous_release_running: restore.order == RollbackOrder::BeforeDeploy,
        ..Failure::new(e.to_string(), hints)
    })
}
