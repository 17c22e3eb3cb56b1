//! The steps after the deploy: follow it to its end, check that the app
//! runs the target (its newest deployment, that deployment's release, the
//! health check), tell the team, and mark the release rolled back from as
//! bad so that it is never picked as a target again.

use serde_json::json;

use crate::follow::{FollowError, follow};
use crate::identify::Resolver;
use crate::journal::EntryKind;

use super::error::RollbackError;
use super::run::{Ended, Engine, Failure, Progress, Stop};
use crate::git::short_sha;

impl Engine<'_> {
    fn deployment_id(&self) -> Result<String, Stop> {
        self.facts.deployment_id.clone().ok_or_else(|| {
            Stop::Failed(Failure::new(
                "the journal knows no deployment for this rollback",
                vec!["check the app's deployments in the Scalingo dashboard".into()],
            ))
        })
    }

    pub(crate) fn follow(&mut self, progress: &mut dyn Progress) -> Result<Ended, Stop> {
        let id = self.deployment_id()?;
        let mut on_event = |event| progress.deploy_event(&event);
        let followed = follow(
            self.platform,
            &self.plan.app,
            &id,
            &self.options.follow,
            self.interrupt,
            &mut on_event,
        );
        match followed {
            Ok(done) => {
                let status = done.deployment.status.clone();
                self.facts.deployment_status = Some(status.to_string());
                if status.is_success() {
                    return Ok(Ended::Done(format!("deployment {id} succeeded")));
                }
                let mut hints = vec![
                    "read the build log above; fix the cause, then run the rollback again".into(),
                    format!(
                        "the whole log: `scalingo --app {} deployment-logs {id}`",
                        self.plan.app
                    ),
                ];
                if let Some(at) = self.facts.restored_to {
                    hints.push(format!(
                        "the database was restored to {}: {} now runs on the database as it was before its deploy; its safety backup is at {}",
                        at.to_rfc3339(),
                        self.plan.from.label,
                        self.facts.backup_archive.as_deref().unwrap_or("(unknown)")
                    ));
                }
                Err(Stop::Failed(Failure {
                    error: format!(
                        "deployment {id} of {} ended in {status}: {} was not deployed",
                        self.plan.to.label, self.plan.to.label
                    ),
                    hints,
                    log_tail: done.tail,
                    previous_release_running: true,
                    refused: false,
                }))
            }
            Err(FollowError::Interrupted { .. }) => Err(Stop::Interrupted(format!(
                "stopped following deployment {id}; it goes on on the platform"
            ))),
            Err(e) => Err(Stop::Failed(Failure::new(e.to_string(), e.hints()))),
        }
    }

    pub(crate) fn verify(&mut self) -> Result<Ended, Stop> {
        let id = self.deployment_id()?;
        let app = &self.plan.app;
        let newest = self
            .platform
            .deployments(app, 1, 1)?
            .items
            .into_iter()
            .next();
        let Some(newest) = newest else {
            return Err(Stop::Failed(Failure::new(
                format!("{app} shows no deployment"),
                Vec::new(),
            )));
        };
        if newest.id != id {
            return Err(Stop::Failed(Failure {
                previous_release_running: false,
                ..Failure::new(
                    format!(
                        "the newest deployment of {app} is {} ({}), not {id}: someone deployed meanwhile",
                        newest.id, newest.status
                    ),
                    vec!["check what runs now with `rewind status`".into()],
                )
            }));
        }
        if !newest.status.is_success() {
            return Err(Stop::Failed(Failure::new(
                format!("deployment {id} is {}, not success", newest.status),
                Vec::new(),
            )));
        }
        let config = self.options.app;
        let resolver = Resolver::for_app(self.git, self.platform, self.git.tag_index()?, config);
        let release = resolver.release_of(&newest);
        let target = &self.plan.to;
        let matches = match (&release.commit, &target.commit) {
            (Some(a), Some(b)) => a == b,
            _ => release.tag.is_some() && release.tag == target.tag,
        };
        if !matches {
            return Err(Stop::Failed(Failure {
                previous_release_running: false,
                ..Failure::new(
                    format!("{app} runs {}, not {}", release.label, target.label),
                    vec!["check what runs now with `rewind status`".into()],
                )
            }));
        }
        let mut detail = format!(
            "{app} runs {} ({})",
            target.label,
            short_sha(self.plan.target_commit())
        );
        if let Some(check) = &config.health_check {
            let report = crate::health::check(
                &check.url,
                check.expect_status,
                check.retries,
                check.interval,
                self.interrupt,
            );
            if !report.ok {
                if self.interrupt.is_raised() {
                    return Err(Stop::Interrupted(
                        "interrupted during the health check".into(),
                    ));
                }
                let why = report.last_error.unwrap_or_else(|| "no answer".to_string());
                return Err(Stop::Failed(Failure {
                    previous_release_running: false,
                    ..Failure::new(
                        format!(
                            "{} runs, but its health check {} failed after {} attempt(s): {why}",
                            target.label, check.url, report.attempts
                        ),
                        vec!["the target release is deployed: look at the app's logs (`scalingo --app <app> logs`)".into()],
                    )
                }));
            }
            detail.push_str(&format!(
                "; {} answered after {} attempt(s)",
                check.url, report.attempts
            ));
        }
        Ok(Ended::Done(detail))
    }

    pub(crate) fn notify(&mut self) -> Result<Ended, Stop> {
        let Some(url) = self.options.webhook else {
            return Ok(Ended::Skipped("no webhook configured".into()));
        };
        let plan = self.plan;
        let mut text = format!(
            "{} rolled back {} from {} to {} ({} method; incident {})",
            self.options.actor,
            plan.app,
            plan.from.label,
            plan.to.label,
            plan.method,
            self.incident
        );
        if let Some(reason) = self.options.reason {
            text.push_str(&format!(". Reason: {reason}"));
        }
        match crate::notify::post_webhook(url, &text) {
            Ok(()) => Ok(Ended::Done("the team was told through the webhook".into())),
            Err(e) => Ok(Ended::Warned(format!("the webhook failed: {e}"))),
        }
    }

    pub(crate) fn mark_bad(&mut self) -> Result<Ended, Stop> {
        let from = &self.plan.from;
        let marked = crate::journal::BadMarks::read(self.journal, &self.plan.app)
            .map_err(RollbackError::from)?
            .marked_by(self.incident.as_str());
        if !marked {
            self.record(
                EntryKind::ReleaseMarkedBad,
                None,
                json!({ "tag": from.tag, "commit": from.commit, "label": from.label, "deployment_id": from.deployment_id }),
            )
            .map_err(Stop::from)?;
        }
        Ok(Ended::Done(format!(
            "{} is marked bad: nothing proposes it again",
            from.label
        )))
    }
}
