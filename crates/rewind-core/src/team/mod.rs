//! What a team shares on the bad night, kept on the repository's own git
//! remote (no server of its own): the lock that lets one person at a time
//! change an app, and the journal of every teammate's incidents.

pub mod journal;
pub mod lock;

pub use journal::TeamJournal;
pub use lock::{HeldBy, IncidentMove, TeamLock, TeamLockError};

use crate::config::TeamPlace;
use crate::git::{CasOutcome, Git, GitError};
use crate::journal::{AppLock, EntryKind, Holder, IncidentId, Journal, JournalError, LockError};

/// The lock an operation holds from the confirmation to its end: this
/// machine's (`AppLock`, gone with the process however it ends), then the
/// team's on the app's git remote. When the remote cannot hold it
/// (unreachable, or it refuses rewind's refs), the operation goes on alone
/// and [`Lock::alone`] says why, for the person and the journal.
#[derive(Debug)]
pub struct Lock<'g> {
    local: AppLock,
    team: Option<TeamLock<'g>>,
    alone: Option<String>,
    /// The holder of a lock left by a killed rewind of this machine, taken
    /// over (journaled).
    took_over: Option<Holder>,
    app: String,
}

/// Whether the repository `git` runs in has a remote named `remote`: a
/// repository without one shares nothing (and has nothing to warn about).
pub fn has_remote(git: &dyn Git, remote: &str) -> bool {
    git.remote_url(remote).is_ok()
}

/// Where the team lock lives: the repository, the remote and its refs.
#[derive(Clone, Copy)]
pub struct Shared<'g> {
    pub git: &'g dyn Git,
    pub place: &'g TeamPlace,
}

impl<'g> Shared<'g> {
    /// Where `app`'s team lock lives, or `None` when the team shares
    /// nothing (`[team] shared = false`, or no such remote here).
    pub fn of(git: &'g dyn Git, app: &'g crate::config::AppConfig) -> Option<Shared<'g>> {
        app.team
            .as_ref()
            .filter(|place| has_remote(git, &place.remote))
            .map(|place| Shared { git, place })
    }
}

impl<'g> Lock<'g> {
    /// Takes `app`'s lock on this machine, then on the team's remote when
    /// `shared` is given. Never waits; never breaks anyone's lock.
    pub fn acquire(
        journal: &Journal,
        app: &str,
        holder: &Holder,
        shared: Option<Shared<'g>>,
    ) -> Result<Lock<'g>, LockError> {
        let local = AppLock::acquire(journal, app, holder)?;
        let team = shared.map(|shared| {
            let (remote, locks) = (&shared.place.remote, &shared.place.refs.locks);
            (
                shared,
                TeamLock::acquire(shared.git, remote, locks, app, holder),
            )
        });
        Lock::assemble(journal, app, holder, local, team)
    }

    /// Several apps' locks, for one operation on all of them: this
    /// machine's first, then the team's claims pushed all at once (with
    /// `git`, from as many threads), each outcome then taken as
    /// [`Lock::acquire`] takes it. The first app (in the given order)
    /// whose lock is held is the error; the locks taken are let go.
    pub fn acquire_several(
        journal: &Journal,
        git: &(dyn Git + Sync),
        wanted: Vec<(&str, &Holder, Option<Shared<'g>>)>,
    ) -> Result<Vec<Lock<'g>>, Box<(String, LockError)>> {
        let mut locals = Vec::new();
        for (app, holder, _) in &wanted {
            locals.push(
                AppLock::acquire(journal, app, holder)
                    .map_err(|e| Box::new((app.to_string(), e)))?,
            );
        }
        let begun: Vec<_> = wanted
            .iter()
            .map(|(app, holder, shared)| {
                shared.map(|s| {
                    TeamLock::begin(s.git, &s.place.remote, &s.place.refs.locks, app, holder)
                })
            })
            .collect();
        let pushed: Vec<Option<Result<crate::git::CasOutcome, GitError>>> =
            std::thread::scope(|s| {
                let handles: Vec<_> = begun
                    .iter()
                    .map(|b| match b {
                        Some(Ok(lock::Begun::Claim(claim))) => {
                            Some(s.spawn(move || claim.push(git)))
                        }
                        _ => None,
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
                    .collect()
            });
        let mut teams = Vec::new();
        for ((begun, pushed), (_, _, shared)) in begun.into_iter().zip(pushed).zip(&wanted) {
            teams.push(shared.zip(begun).map(|(shared, begun)| {
                let team = begun.and_then(|b| match b {
                    lock::Begun::Again(lock) => Ok(lock),
                    lock::Begun::Claim(claim) => {
                        let pushed = pushed.unwrap_or_else(|| {
                            Err(GitError::Spawn {
                                command: "git push".into(),
                                source: std::io::Error::other("the push was not made"),
                            })
                        });
                        TeamLock::finish(shared.git, claim, pushed)
                    }
                });
                (shared, team)
            }));
        }
        let mut out = Vec::new();
        for ((local, team), (app, holder, _)) in locals.into_iter().zip(teams).zip(&wanted) {
            out.push(
                Lock::assemble(journal, app, holder, local, team)
                    .map_err(|e| Box::new((app.to_string(), e)))?,
            );
        }
        Ok(out)
    }

    /// The lock, from this machine's and the outcome of the team's.
    fn assemble(
        journal: &Journal,
        app: &str,
        holder: &Holder,
        local: AppLock,
        team: Option<(Shared<'g>, Result<TeamLock<'g>, TeamLockError>)>,
    ) -> Result<Lock<'g>, LockError> {
        let mut took_over = None;
        let (team, alone) = match team {
            None => (None, None),
            Some((shared, acquired)) => {
                let (remote, locks) = (&shared.place.remote, &shared.place.refs.locks);
                match acquired.or_else(|e| match e {
                    // A rewind of this machine that was killed: this
                    // machine's lock is ours now, so it is gone for sure.
                    TeamLockError::Held(by) if lock::left_by_a_dead_rewind_here(&by, holder) => {
                        let team =
                            TeamLock::take_over(shared.git, remote, locks, app, holder, &by)?;
                        took_over = by.holder.clone();
                        Ok(team)
                    }
                    other => Err(other),
                }) {
                    Ok(team) => (Some(team), None),
                    Err(TeamLockError::Held(by)) => {
                        let stale = by
                            .holder
                            .as_ref()
                            .and_then(|h| quiet_for(journal, h, shared.place.stale_after));
                        return Err(LockError::HeldByTeammate {
                            app: app.to_string(),
                            remote: remote.to_string(),
                            refname: lock::lock_ref(locks, app),
                            holder: by.holder.map(Box::new),
                            stale,
                        });
                    }
                    Err(TeamLockError::Unavailable { reason }) => (None, Some(reason)),
                }
            }
        };
        Ok(Lock {
            local,
            team,
            alone,
            took_over,
            app: app.to_string(),
        })
    }

    /// Why the team's lock was not taken, when it was not: the operation
    /// works alone, and a teammate's rewind would not be stopped.
    pub fn alone(&self) -> Option<&str> {
        self.alone.as_deref()
    }

    /// Names the incident the operation opened in both locks, for whoever
    /// is refused next, and journals that it works alone when it does.
    /// A team lock that could not be moved is journaled (the lock itself
    /// is what matters: the operation goes on).
    pub fn set_incident(
        &mut self,
        journal: &Journal,
        incident: &IncidentId,
    ) -> Result<(), JournalError> {
        let pending = self.set_incident_later(journal, incident)?;
        let pushed = match (&self.team, &pending) {
            (Some(team), Some(Ok(pending))) => Some(team.push(pending)),
            _ => None,
        };
        self.incident_pushed(journal, incident, pending, pushed)?;
        Ok(())
    }

    /// [`Lock::set_incident`] but for the push of the team lock, returned
    /// to be made off the critical path (any thread, with any git of the
    /// same repository); its outcome goes to [`Lock::incident_pushed`]
    /// before the operation ends. `None` without a team lock; `Err(why)`
    /// when the lock's new commit could not even be written.
    pub fn set_incident_later(
        &mut self,
        journal: &Journal,
        incident: &IncidentId,
    ) -> Result<Option<Result<IncidentMove, String>>, JournalError> {
        self.local.set_incident(incident.as_str());
        let pending = self.team.as_ref().map(|team| {
            team.incident_move(&self.app, incident.as_str())
                .map_err(|e| e.to_string())
        });
        if let Some(gone) = &self.took_over {
            journal.record(
                incident,
                &self.app,
                EntryKind::Note,
                None,
                serde_json::json!({
                    "team_lock": "taken over",
                    "text": format!(
                        "took over the team lock left by {}, a rewind of this machine that no longer runs",
                        gone.describe()
                    ),
                }),
            )?;
        }
        if let Some(reason) = &self.alone {
            journal.record(
                incident,
                &self.app,
                EntryKind::Note,
                None,
                serde_json::json!({
                    "team_lock": "not taken",
                    "text": format!("worked alone: the team lock could not be taken ({reason})"),
                }),
            )?;
        }
        Ok(pending)
    }

    /// Takes the outcome of the push [`Lock::set_incident_later`] left to
    /// make. When the lock could not be moved, journals it and returns
    /// what to tell the person: a teammate refused by the lock is not
    /// told which incident holds it (the lock itself still holds).
    pub fn incident_pushed(
        &mut self,
        journal: &Journal,
        incident: &IncidentId,
        pending: Option<Result<IncidentMove, String>>,
        pushed: Option<Result<CasOutcome, GitError>>,
    ) -> Result<Option<String>, JournalError> {
        let (Some(team), Some(pending)) = (self.team.as_mut(), pending) else {
            return Ok(None);
        };
        let why = match (pending, pushed) {
            (Err(why), _) => why,
            (Ok(_), None) => "its push was not made".to_string(),
            (Ok(pending), Some(pushed)) => match team.moved(pending, pushed) {
                Ok(true) => return Ok(None),
                Ok(false) => "the remote's lock is no longer the one taken".to_string(),
                Err(e) => e.to_string(),
            },
        };
        let text = format!(
            "the team lock on {} does not name incident {incident} ({why}); it is still held, and a teammate refused by it sees who holds it but not the incident",
            self.app
        );
        journal.record(
            incident,
            &self.app,
            EntryKind::Note,
            None,
            serde_json::json!({ "team_lock": "incident not recorded", "text": text }),
        )?;
        Ok(Some(text))
    }
}

/// "no progress in its incident for 23 min", when the holder's incident
/// (from the team's journal) or, without one, the lock itself is older
/// than `stale_after`: its rewind may be gone. Never acted upon: only
/// `rewind unlock` removes a teammate's lock.
fn quiet_for(
    journal: &Journal,
    holder: &Holder,
    stale_after: std::time::Duration,
) -> Option<String> {
    let last = holder
        .incident
        .as_deref()
        .and_then(|id| journal.incident(id).ok())
        .and_then(|incident| incident.entries.last().map(|e| e.at))
        .unwrap_or(holder.since);
    let quiet = (chrono::Utc::now() - last).to_std().ok()?;
    if quiet < stale_after {
        return None;
    }
    let minutes = quiet.as_secs() / 60;
    Some(match &holder.incident {
        Some(id) => format!("no progress in incident {id} for {minutes} min: it may be stale"),
        None => format!("held for {minutes} min: it may be stale"),
    })
}

/// What to tell the person when the team lock was not taken.
pub fn alone_warning(app: &str, reason: &str) -> String {
    format!(
        "working alone: the team lock on {app} could not be taken ({reason}); a teammate's rewind will not be stopped, so tell the team you are rolling back"
    )
}

/// How `rewind unlock` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlocked {
    /// The lock that was shown is gone; the journal's incident says who
    /// took it away and why.
    Removed { incident: IncidentId },
    /// The lock moved since it was shown (its holder released it, or
    /// someone else took it): nothing was removed.
    Moved,
}

/// Why `rewind unlock` could not remove a lock.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    #[error("cannot remove the team lock of {app} on {remote}: {reason}")]
    Remote {
        app: String,
        remote: String,
        reason: String,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Takes away `app`'s team lock, the very one `seen` shows (a holder whose
/// rewind is gone), and journals who did it and why, before and after.
pub fn remove_lock(
    journal: &Journal,
    git: &dyn Git,
    place: &TeamPlace,
    app: &str,
    by: &str,
    reason: Option<&str>,
    seen: &HeldBy,
) -> Result<Unlocked, UnlockError> {
    let holder = seen.holder.as_ref().map(Holder::describe);
    let incident = journal.begin(
        app,
        serde_json::json!({
            "command": "unlock",
            "user": by,
            "reason": reason,
            "lock": { "ref": lock::lock_ref(&place.refs.locks, app), "remote": place.remote, "commit": seen.commit, "holder": holder },
        }),
    )?;
    let result = lock::unlock(git, &place.remote, &place.refs.locks, app, seen);
    let (kind, data, outcome) = match &result {
        Ok(true) => (
            EntryKind::Note,
            serde_json::json!({ "text": format!("team lock of {app} removed by {by}") }),
            "succeeded",
        ),
        Ok(false) => (
            EntryKind::Note,
            serde_json::json!({ "text": "the lock had moved since it was shown: nothing removed" }),
            "refused",
        ),
        Err(reason) => (
            EntryKind::Note,
            serde_json::json!({ "error": reason }),
            "failed",
        ),
    };
    journal.record(&incident, app, kind, None, data)?;
    journal.record(
        &incident,
        app,
        EntryKind::IncidentClosed,
        None,
        serde_json::json!({ "outcome": outcome }),
    )?;
    match result {
        Ok(true) => Ok(Unlocked::Removed { incident }),
        Ok(false) => Ok(Unlocked::Moved),
        Err(reason) => Err(UnlockError::Remote {
            app: app.to_string(),
            remote: place.remote.clone(),
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TeamPlace, TeamRefs};
    use rewind_test_support::git;

    fn place() -> TeamPlace {
        TeamPlace {
            remote: "origin".into(),
            refs: TeamRefs::default(),
            stale_after: std::time::Duration::from_secs(3600),
        }
    }

    #[test]
    fn the_incident_pushed_later_names_it_on_the_remote_and_a_moved_lock_is_journaled_and_told() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        git(root.path(), &["clone", "--quiet", "remote.git", "a"]);
        let cli = crate::git::test_cli(root.path().join("a"));
        let journal = Journal::open(&root.path().join("journal"));
        let place = place();
        let holder = Holder::me("alice", "rollback");
        for (app, moved_meanwhile) in [("api", false), ("front", true)] {
            let shared = Shared {
                git: &cli,
                place: &place,
            };
            let mut lock = Lock::acquire(&journal, app, &holder, Some(shared)).expect("lock");
            let id = journal.begin(app, serde_json::json!({})).expect("begin");
            let pending = lock.set_incident_later(&journal, &id).expect("journal");
            let refname = lock::lock_ref(&place.refs.locks, app);
            if moved_meanwhile {
                // Someone replaces the lock before the push is made.
                let other = cli
                    .record_commit("rewind lock: someone else", "bob", None)
                    .expect("commit");
                git(
                    &root.path().join("a"),
                    &[
                        "push",
                        "--quiet",
                        "--force",
                        "origin",
                        &format!("{other}:{refname}"),
                    ],
                );
            }
            // The push, from another thread, as the rollback of several
            // apps makes it.
            let pushed = std::thread::scope(|s| {
                let change = pending
                    .as_ref()
                    .and_then(|p| p.as_ref().ok())
                    .expect("a move");
                let cli = &cli;
                s.spawn(move || change.push(cli)).join().expect("push")
            });
            let warning = lock
                .incident_pushed(&journal, &id, pending, Some(pushed))
                .expect("journal");
            let on_remote = lock::read(&cli, "origin", &place.refs.locks, app)
                .expect("read")
                .expect("held");
            let notes: Vec<String> = journal
                .incident(id.as_str())
                .expect("incident")
                .entries
                .iter()
                .map(|e| e.data.to_string())
                .collect();
            let journaled = notes.iter().any(|n| n.contains("incident not recorded"));
            if moved_meanwhile {
                let text = warning.expect("a warning");
                assert!(text.contains("does not name incident"), "{text}");
                assert!(journaled, "{notes:?}");
                assert_eq!(on_remote.holder, None, "the other lock stays");
            } else {
                assert_eq!(warning, None);
                assert!(!journaled, "{notes:?}");
                assert_eq!(
                    on_remote.holder.and_then(|h| h.incident),
                    Some(id.to_string())
                );
            }
        }
    }
}
