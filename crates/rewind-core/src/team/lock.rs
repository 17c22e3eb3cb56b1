//! One change to an app at a time for the whole team: the app's lock is a
//! ref on the repository's own git remote, `refs/rewind/locks/<app>`,
//! created with a compare-and-swap push (it must not exist) and deleted the
//! same way (it must still be ours). The commit it points at holds no files;
//! its message says who holds the lock, from which machine, for which
//! incident and since when, so `git log -1 refs/rewind/locks/shop` after a
//! fetch shows it to anyone.
//!
//! The machine's own lock (`journal::AppLock`) is still taken first: it
//! goes with the process however it ends. The team lock cannot, so a
//! holder killed with SIGKILL leaves it behind; the next person is told who
//! held it and since when, and `rewind unlock APP` takes it away after a
//! typed confirmation. It is never broken silently.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use crate::git::{CasOutcome, Git, GitError};
use crate::journal::Holder;

/// Where the locks live on the remote unless `[team] state_branch` says
/// otherwise (see [`crate::config::TeamRefs`]).
pub const LOCKS: &str = "refs/rewind/locks/";

/// The first line of every lock commit, before the holder as JSON.
const TITLE: &str = "rewind lock";

/// The ref of `app`'s lock: app names are Scalingo's (lower-case letters,
/// digits, dashes); anything else is replaced so the ref stays valid.
pub fn lock_ref(locks: &str, app: &str) -> String {
    let safe: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{locks}{safe}")
}

/// Who holds a team lock, read from the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    /// The lock commit, for `rewind unlock` to remove exactly this one.
    pub commit: String,
    /// `None` when the commit's message is not one rewind wrote.
    pub holder: Option<Holder>,
}

/// Why the team lock was not taken.
#[derive(Debug)]
pub enum TeamLockError {
    /// Someone else holds it.
    Held(Box<HeldBy>),
    /// The remote could not be used for the lock: unreachable, or it
    /// refuses rewind's refs. The caller works alone and says so.
    Unavailable { reason: String },
}

/// The team lock on one app, released when dropped (best effort: a
/// release that fails leaves the lock for `rewind unlock`, and
/// [`TeamLock::release`] says why).
pub struct TeamLock<'g> {
    git: &'g dyn Git,
    remote: String,
    refname: String,
    commit: String,
    holder: Holder,
    released: bool,
}

/// The team locks this process holds, with how many guards share each
/// (a guide action that runs a rollback takes the app's lock once).
fn held() -> MutexGuard<'static, BTreeMap<String, (String, usize)>> {
    static HELD: Mutex<BTreeMap<String, (String, usize)>> = Mutex::new(BTreeMap::new());
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

/// A lock is re-entered only by the same person on the same machine, in
/// the same process, for the same remote repository.
fn key(git: &dyn Git, remote: &str, refname: &str, holder: &Holder) -> String {
    let url = git
        .remote_url(remote)
        .unwrap_or_else(|_| remote.to_string());
    format!(
        "{url}\u{0}{refname}\u{0}{}\u{0}{}",
        holder.user, holder.host
    )
}

impl<'g> TeamLock<'g> {
    /// Takes `app`'s lock on `remote` for `holder`, or says who holds it.
    /// Never waits and never breaks a lock.
    pub fn acquire(
        git: &'g dyn Git,
        remote: &str,
        locks: &str,
        app: &str,
        holder: &Holder,
    ) -> Result<TeamLock<'g>, TeamLockError> {
        match TeamLock::begin(git, remote, locks, app, holder)? {
            Begun::Again(lock) => Ok(lock),
            Begun::Claim(claim) => {
                let pushed = claim.push(git);
                TeamLock::finish(git, claim, pushed)
            }
        }
    }

    /// [`TeamLock::acquire`] up to its push: the lock this process holds
    /// already, or the claim to push ([`Claim::push`], on any thread),
    /// whose outcome [`TeamLock::finish`] takes.
    pub fn begin(
        git: &'g dyn Git,
        remote: &str,
        locks: &str,
        app: &str,
        holder: &Holder,
    ) -> Result<Begun<'g>, TeamLockError> {
        let refname = lock_ref(locks, app);
        {
            let mut held = held();
            if let Some((commit, count)) = held.get_mut(&key(git, remote, &refname, holder)) {
                *count += 1;
                return Ok(Begun::Again(TeamLock {
                    git,
                    remote: remote.to_string(),
                    refname,
                    commit: commit.clone(),
                    holder: holder.clone(),
                    released: false,
                }));
            }
        }
        let commit = git
            .record_commit(&message(app, holder), &holder.user, None)
            .map_err(|e| TeamLockError::Unavailable {
                reason: e.to_string(),
            })?;
        Ok(Begun::Claim(Claim {
            remote: remote.to_string(),
            locks: locks.to_string(),
            app: app.to_string(),
            refname,
            commit,
            holder: holder.clone(),
        }))
    }

    /// Takes the outcome of `claim`'s push: the lock, or who holds it.
    pub fn finish(
        git: &'g dyn Git,
        claim: Claim,
        pushed: Result<CasOutcome, GitError>,
    ) -> Result<TeamLock<'g>, TeamLockError> {
        let Claim {
            remote,
            locks,
            app,
            commit,
            holder,
            ..
        } = claim;
        claimed(git, &remote, &locks, &app, &holder, None, commit, pushed)
    }

    /// Takes over the lock `by` shows, left by a rewind of this very
    /// machine that is gone (its process no longer runs): the ref moves
    /// from that commit to ours, only if it still holds it.
    pub fn take_over(
        git: &'g dyn Git,
        remote: &str,
        locks: &str,
        app: &str,
        holder: &Holder,
        by: &HeldBy,
    ) -> Result<TeamLock<'g>, TeamLockError> {
        claim(git, remote, locks, app, holder, Some(by))
    }

    /// Adds the incident the operation opened, for whoever is refused
    /// next: the lock moves to a new commit saying so, only from ours.
    /// `Ok(false)` when the lock was not ours any more on the remote.
    pub fn set_incident(&mut self, app: &str, incident: &str) -> Result<bool, GitError> {
        let pending = self.incident_move(app, incident)?;
        let pushed = self.push(&pending);
        self.moved(pending, pushed)
    }

    /// The commit naming `incident`, written but not pushed yet: the push
    /// ([`IncidentMove::push`]) may run on another thread while the
    /// operation goes on, then [`TeamLock::moved`] takes its outcome.
    pub fn incident_move(&self, app: &str, incident: &str) -> Result<IncidentMove, GitError> {
        let mut holder = self.holder.clone();
        holder.incident = Some(incident.to_string());
        let commit =
            self.git
                .record_commit(&message(app, &holder), &holder.user, Some(&self.commit))?;
        Ok(IncidentMove {
            remote: self.remote.clone(),
            refname: self.refname.clone(),
            from: self.commit.clone(),
            to: commit,
            holder,
        })
    }

    /// Pushes `pending` with this lock's own git.
    pub fn push(&self, pending: &IncidentMove) -> Result<CasOutcome, GitError> {
        pending.push(self.git)
    }

    /// Takes the outcome of `pending`'s push: the lock is now its commit
    /// when the push was done; `Ok(false)` when the ref was not ours any
    /// more (or the remote refused it), `Err` when git failed.
    pub fn moved(
        &mut self,
        pending: IncidentMove,
        pushed: Result<CasOutcome, GitError>,
    ) -> Result<bool, GitError> {
        if pushed? != CasOutcome::Done {
            return Ok(false);
        }
        if let Some((held, _)) =
            held().get_mut(&key(self.git, &self.remote, &self.refname, &self.holder))
        {
            *held = pending.to.clone();
        }
        self.commit = pending.to;
        self.holder = pending.holder;
        Ok(true)
    }

    /// Releases the lock when this is its last guard in the process.
    /// `Err` says why the ref stays on the remote.
    pub fn release(mut self) -> Result<(), String> {
        self.release_inner()
    }

    fn release_inner(&mut self) -> Result<(), String> {
        if self.released {
            return Ok(());
        }
        self.released = true;
        {
            let mut held = held();
            let k = key(self.git, &self.remote, &self.refname, &self.holder);
            let last = match held.get_mut(&k) {
                Some((_, count)) => {
                    *count -= 1;
                    *count == 0
                }
                None => false,
            };
            if !last {
                return Ok(());
            }
            if let Some((commit, _)) = held.remove(&k) {
                self.commit = commit;
            }
        }
        match self
            .git
            .push_cas(&self.remote, &self.refname, Some(&self.commit), None)
        {
            Ok(CasOutcome::Done) => Ok(()),
            Ok(CasOutcome::Moved) => Err(format!(
                "{} on {} is no longer this lock: someone removed or replaced it",
                self.refname, self.remote
            )),
            Ok(CasOutcome::Refused { detail }) => Err(format!(
                "{} refused to delete {}: {detail}",
                self.remote, self.refname
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// [`TeamLock::begin`]'s answer.
pub enum Begun<'g> {
    /// This process holds the lock already: one more guard.
    Again(TeamLock<'g>),
    /// The lock's commit is written; its push is to be made.
    Claim(Claim),
}

/// A team lock's claim: its commit written, its compare-and-swap push (the
/// ref must not exist) to be made, on any thread.
#[derive(Debug, Clone)]
pub struct Claim {
    remote: String,
    locks: String,
    app: String,
    refname: String,
    commit: String,
    holder: Holder,
}

impl Claim {
    pub fn push(&self, git: &dyn Git) -> Result<CasOutcome, GitError> {
        git.push_cas(&self.remote, &self.refname, None, Some(&self.commit))
    }
}

/// A lock's move to the commit naming its incident, to be pushed: plain
/// data, so that the push can run on another thread.
#[derive(Debug, Clone)]
pub struct IncidentMove {
    remote: String,
    refname: String,
    from: String,
    to: String,
    holder: Holder,
}

impl IncidentMove {
    /// The compare-and-swap push: the lock moves only from our commit.
    pub fn push(&self, git: &dyn Git) -> Result<CasOutcome, GitError> {
        git.push_cas(
            &self.remote,
            &self.refname,
            Some(&self.from),
            Some(&self.to),
        )
    }
}

impl std::fmt::Debug for TeamLock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamLock")
            .field("remote", &self.remote)
            .field("refname", &self.refname)
            .field("commit", &self.commit)
            .finish()
    }
}

/// Moves `app`'s lock ref to a new commit naming `holder`: from nothing
/// (a lock taken), or from the commit `replacing` shows (a lock taken over),
/// and nowhere else; says who holds it when it moved meanwhile.
fn claim<'g>(
    git: &'g dyn Git,
    remote: &str,
    locks: &str,
    app: &str,
    holder: &Holder,
    replacing: Option<&HeldBy>,
) -> Result<TeamLock<'g>, TeamLockError> {
    let refname = lock_ref(locks, app);
    let unavailable = |e: GitError| TeamLockError::Unavailable {
        reason: e.to_string(),
    };
    let commit = git
        .record_commit(&message(app, holder), &holder.user, None)
        .map_err(unavailable)?;
    let expected = replacing.map(|by| by.commit.as_str());
    let pushed = git.push_cas(remote, &refname, expected, Some(&commit));
    claimed(git, remote, locks, app, holder, replacing, commit, pushed)
}

/// What a claim's push says: the lock is ours, or who holds it.
#[allow(clippy::too_many_arguments)]
fn claimed<'g>(
    git: &'g dyn Git,
    remote: &str,
    locks: &str,
    app: &str,
    holder: &Holder,
    replacing: Option<&HeldBy>,
    commit: String,
    pushed: Result<CasOutcome, GitError>,
) -> Result<TeamLock<'g>, TeamLockError> {
    let refname = lock_ref(locks, app);
    let unavailable = |e: GitError| TeamLockError::Unavailable {
        reason: e.to_string(),
    };
    match pushed.map_err(unavailable)? {
        CasOutcome::Done => {}
        CasOutcome::Moved => {
            return Err(match read(git, remote, locks, app) {
                Ok(Some(by)) => TeamLockError::Held(Box::new(by)),
                // Released between the push and the read: say so rather
                // than try again behind the person's back.
                Ok(None) => TeamLockError::Held(Box::new(replacing.cloned().unwrap_or(HeldBy {
                    commit: String::new(),
                    holder: None,
                }))),
                Err(e) => unavailable(e),
            });
        }
        CasOutcome::Refused { detail } => {
            return Err(TeamLockError::Unavailable {
                reason: format!("{remote} refuses {refname}: {detail}"),
            });
        }
    }
    held().insert(key(git, remote, &refname, holder), (commit.clone(), 1));
    Ok(TeamLock {
        git,
        remote: remote.to_string(),
        refname,
        commit,
        holder: holder.clone(),
        released: false,
    })
}

impl Drop for TeamLock<'_> {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// Who holds `app`'s lock on `remote`, if anyone.
pub fn read(
    git: &dyn Git,
    remote: &str,
    locks: &str,
    app: &str,
) -> Result<Option<HeldBy>, GitError> {
    let Some((commit, text)) = git.fetch_record(remote, &lock_ref(locks, app))? else {
        return Ok(None);
    };
    Ok(Some(HeldBy {
        commit,
        holder: parse(&text),
    }))
}

/// Removes the lock `held` names, and only that one: if it moved since it
/// was read, nothing is removed and `Ok(false)` says so.
pub fn unlock(
    git: &dyn Git,
    remote: &str,
    locks: &str,
    app: &str,
    held: &HeldBy,
) -> Result<bool, String> {
    match git
        .push_cas(remote, &lock_ref(locks, app), Some(&held.commit), None)
        .map_err(|e| e.to_string())?
    {
        CasOutcome::Done => Ok(true),
        CasOutcome::Moved => Ok(false),
        CasOutcome::Refused { detail } => Err(format!(
            "{remote} refused to delete {}: {detail}",
            lock_ref(locks, app)
        )),
    }
}

/// Whether the holder of a lock is a rewind of this machine whose process
/// is gone: then nobody is changing the app from there, and this machine's
/// next rewind may take the lock over (this machine's own lock, a `flock`
/// that died with that process, was just taken, which says the same).
pub fn left_by_a_dead_rewind_here(by: &HeldBy, me: &Holder) -> bool {
    let Some(holder) = &by.holder else {
        return false;
    };
    !holder.host.is_empty()
        && holder.host == me.host
        && holder.pid != me.pid
        && holder.pid != 0
        && !process_runs(holder.pid)
}

fn process_runs(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.is_dir() {
        // A zombie is gone for this purpose.
        return std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rfind(')')
                    .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st != "Z"))
            })
            .unwrap_or(false);
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn message(app: &str, holder: &Holder) -> String {
    let json = serde_json::to_string(holder).unwrap_or_else(|_| "{}".to_string());
    format!("{TITLE}: {app} held by {}\n\n{json}\n", holder.user)
}

fn parse(text: &str) -> Option<Holder> {
    if !text.starts_with(TITLE) {
        return None;
    }
    let json = text.lines().find(|l| l.trim_start().starts_with('{'))?;
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitCli;
    use rewind_test_support::git;
    use std::path::Path;

    fn clone(root: &Path, name: &str) -> GitCli {
        git(
            root,
            &[
                "clone",
                "--quiet",
                root.join("remote.git").to_str().expect("utf-8"),
                name,
            ],
        );
        crate::git::test_cli(root.join(name))
    }

    fn holder(user: &str) -> Holder {
        let mut holder = Holder::me(user, "rollback");
        // Another machine, as far as the lock can tell.
        holder.host = format!("{user}-laptop");
        holder
    }

    #[test]
    fn a_teammate_is_refused_told_who_holds_it_and_may_take_it_once_released() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        let b = clone(root.path(), "b");

        let mut lock =
            TeamLock::acquire(&a, "origin", LOCKS, "shop", &holder("alice")).expect("alice");
        lock.set_incident("shop", "20261202-020304-ab12")
            .expect("incident");
        let by = match TeamLock::acquire(&b, "origin", LOCKS, "shop", &holder("bob")) {
            Err(TeamLockError::Held(by)) => *by,
            other => panic!("bob must be refused: {other:?}"),
        };
        let alice = by.holder.expect("a holder rewind wrote");
        assert_eq!(alice.user, "alice");
        assert_eq!(alice.host, "alice-laptop");
        assert_eq!(alice.incident.as_deref(), Some("20261202-020304-ab12"));
        // Another app is another lock.
        let other = TeamLock::acquire(&b, "origin", LOCKS, "api", &holder("bob")).expect("api");
        other.release().expect("released");

        lock.release().expect("released");
        assert_eq!(read(&b, "origin", LOCKS, "shop").expect("read"), None);
        let again = TeamLock::acquire(&b, "origin", LOCKS, "shop", &holder("bob")).expect("bob");
        drop(again);
        assert_eq!(
            read(&a, "origin", LOCKS, "shop").expect("read"),
            None,
            "dropped"
        );
    }

    #[test]
    fn unlock_removes_only_the_lock_that_was_read() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        let b = clone(root.path(), "b");
        let lock = TeamLock::acquire(&a, "origin", LOCKS, "shop", &holder("carol")).expect("carol");
        let seen = read(&b, "origin", LOCKS, "shop")
            .expect("read")
            .expect("held");
        // Alice's rewind dies without releasing it.
        let k = key(&a, "origin", &lock_ref(LOCKS, "shop"), &holder("carol"));
        std::mem::forget(lock);
        held().remove(&k);
        // Someone else's lock taken meanwhile is not the one bob saw.
        let stale = HeldBy {
            commit: "0".repeat(40),
            holder: None,
        };
        assert_eq!(unlock(&b, "origin", LOCKS, "shop", &stale), Ok(false));
        assert_eq!(unlock(&b, "origin", LOCKS, "shop", &seen), Ok(true));
        assert_eq!(read(&b, "origin", LOCKS, "shop").expect("read"), None);
    }

    #[test]
    fn an_unreachable_remote_leaves_the_person_working_alone() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        git(
            a.repo(),
            &["remote", "set-url", "origin", "/nonexistent/remote.git"],
        );
        match TeamLock::acquire(&a, "origin", LOCKS, "shop", &holder("alice")) {
            Err(TeamLockError::Unavailable { reason }) => {
                assert!(reason.contains("push"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_clones_racing_for_the_lock_never_both_win() {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "--quiet", "--bare", "remote.git"]);
        let a = clone(root.path(), "a");
        let b = clone(root.path(), "b");
        for round in 0..10 {
            let barrier = std::sync::Barrier::new(2);
            let (wa, wb) = std::thread::scope(|s| {
                let ta = s.spawn(|| {
                    barrier.wait();
                    let lock =
                        TeamLock::acquire(&a, "origin", LOCKS, "shop", &holder("alice")).ok();
                    // Held until both tried.
                    barrier.wait();
                    lock.is_some()
                });
                let tb = s.spawn(|| {
                    barrier.wait();
                    let lock = TeamLock::acquire(&b, "origin", LOCKS, "shop", &holder("bob")).ok();
                    barrier.wait();
                    lock.is_some()
                });
                (ta.join().expect("a"), tb.join().expect("b"))
            });
            assert!(wa ^ wb, "round {round}: exactly one wins ({wa}, {wb})");
            assert_eq!(read(&a, "origin", LOCKS, "shop").expect("read"), None);
        }
    }
}
