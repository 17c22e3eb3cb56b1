//! Deploys on push: a background task polls, with `git rev-parse`, the
//! linked branch of every app's repository (auto-deploy, as a push to
//! GitHub does on Scalingo; only while the link has auto-deploy on) and
//! the `master` and `main` branches of every app's own remote (`git_url`, as a
//! `git push` to Scalingo does). When a head moves, the new head is
//! deployed. Heads are remembered at start and whenever a watch is first
//! seen or changes branch, so that existing history never deploys by
//! itself.
//!
//! `POST /_sandbox/watcher/tick` makes it look now, and answers once that
//! look is over: a test pushes, ticks, and finds the deployment there (or
//! ticks and knows that nothing was deployed), instead of sleeping past a
//! few polls. Looks never overlap: the ticker and the route take turns.

use std::collections::HashMap;
use std::time::Duration;

use crate::deploy::engine::{self, NewDeployment};
use crate::deploy::source::Source;
use crate::deploy::trigger::blocking;
use crate::deploy::{git, push};
use crate::platform::persist::save as save_state;
use crate::state::AppState;
use crate::time::now;

const POLL_EVERY: Duration = Duration::from_millis(200);

/// What the watcher remembers between looks: each watched branch as last
/// seen. Locked for a whole look.
#[derive(Debug, Default)]
pub struct Watcher {
    seen: tokio::sync::Mutex<HashMap<String, Seen>>,
}

/// The pusher auto-deploys are recorded with.
pub const AUTO_DEPLOY_PUSHER: &str = "auto-deploy";

/// The pusher of a `git push` to an app's remote: the apps' owner.
const GIT_PUSHER: &str = "sandbox-user";

/// A watched branch as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    repo: String,
    branch: String,
    head: Option<String>,
}

/// What a move of a watched branch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The SCM link's branch: deploys only with auto-deploy on.
    Scm { enabled: bool },
    /// The app's own remote.
    Push,
}

/// One watched branch, as read from the world for a poll.
#[derive(Debug, Clone)]
struct Watch {
    app: String,
    kind: Kind,
    repo: String,
    branch: String,
}

impl Watch {
    fn key(&self) -> String {
        match self.kind {
            Kind::Scm { .. } => format!("scm:{}", self.app),
            Kind::Push => format!("push:{}:{}", self.app, self.branch),
        }
    }
}

/// Creates the git remote of every app that has none yet.
pub fn ensure_remotes(state: &AppState) {
    let names: Vec<String> = state.world().apps.keys().cloned().collect();
    for name in names {
        if let Err(message) = push::ensure(&state.git_root, &name) {
            crate::say!("rewind-sandbox: {message}");
        }
    }
}

/// Creates the apps' remotes and takes the first look at every watched
/// branch before the server answers anything (so a push made after the
/// sandbox is up always counts as a push), then polls on the runtime.
pub fn start(state: &AppState) {
    ensure_remotes(state);
    let mut seen = HashMap::new();
    for watch in watches(state) {
        if let Ok(head) = head(&watch) {
            seen.insert(watch.key(), seen_of(&watch, head));
        }
    }
    // Nothing else runs yet: the lock is free.
    if let Ok(mut first) = state.watcher.seen.try_lock() {
        *first = seen;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(POLL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            tick(&state).await;
        }
    });
}

/// One look at every watched branch; returns how many deployments it
/// started.
pub async fn tick(state: &AppState) -> usize {
    let mut seen = state.watcher.seen.lock().await;
    poll(state, &mut seen).await
}

async fn poll(state: &AppState, seen: &mut HashMap<String, Seen>) -> usize {
    let root = state.git_root.clone();
    let names: Vec<String> = state.world().apps.keys().cloned().collect();
    // Apps added through the admin route get their remote here.
    let created = blocking(move || {
        for name in &names {
            push::ensure(&root, name)?;
        }
        Ok(())
    })
    .await;
    if let Err(message) = created {
        crate::say!("rewind-sandbox: {message}");
    }
    let watched = watches(state);
    seen.retain(|key, _| watched.iter().any(|w| &w.key() == key));
    let heads = {
        let watched = watched.clone();
        blocking(move || Ok(watched.iter().map(head).collect::<Vec<_>>())).await
    };
    let Ok(heads) = heads else {
        return 0;
    };
    let mut started = 0;
    for (watch, head) in watched.into_iter().zip(heads) {
        // An unreadable repository tells nothing about pushes: keep the
        // last head seen and look again next time.
        let Ok(head) = head else {
            continue;
        };
        let before = seen.insert(watch.key(), seen_of(&watch, head.clone()));
        let moved = match before {
            // Same repository and branch: a push is a change of head.
            Some(b) if b.repo == watch.repo && b.branch == watch.branch => b.head != head,
            // First look, or the link now points elsewhere: a new baseline.
            _ => false,
        };
        let wanted = match watch.kind {
            Kind::Scm { enabled } => enabled,
            Kind::Push => true,
        };
        if let (true, true, Some(sha)) = (moved, wanted, head)
            && deploy(state, &watch, sha).await
        {
            started += 1;
        }
    }
    started
}

/// Starts the deployment of a pushed head; false when it could not start.
async fn deploy(state: &AppState, watch: &Watch, sha: String) -> bool {
    let source = {
        let (repo, sha, app) = (watch.repo.clone(), sha.clone(), watch.app.clone());
        blocking(move || Source::from_commit(&repo, &sha, &app)).await
    };
    let source = match source {
        Ok(source) => source,
        Err(message) => {
            crate::say!(
                "rewind-sandbox: the push to {} was not deployed: {message}",
                watch.app
            );
            return false;
        }
    };
    let pusher = match watch.kind {
        Kind::Scm { .. } => AUTO_DEPLOY_PUSHER,
        Kind::Push => GIT_PUSHER,
    };
    let started = engine::start(
        state,
        &watch.app,
        NewDeployment {
            git_ref: sha,
            kind: "deployment",
            pusher: pusher.to_string(),
            source,
        },
    );
    if started.is_err() {
        return false;
    }
    if let Kind::Scm { .. } = watch.kind {
        state
            .world()
            .deploy
            .last_auto_deploy_at
            .insert(watch.app.clone(), now());
    }
    if let Err(message) = save_state(state).await {
        crate::say!("rewind-sandbox: {message}");
    }
    true
}

/// Every watched branch: each linked app's branch, each app's remote.
fn watches(state: &AppState) -> Vec<Watch> {
    let world = state.world();
    let mut found = Vec::new();
    for app in world.apps.values() {
        if let (Some(repo), Some(scm)) = (&app.repo, &app.scm) {
            found.push(Watch {
                app: app.name.clone(),
                kind: Kind::Scm {
                    enabled: scm.auto_deploy_enabled,
                },
                repo: repo.clone(),
                branch: scm.branch.clone(),
            });
        }
        for branch in push::DEPLOY_BRANCHES {
            found.push(Watch {
                app: app.name.clone(),
                kind: Kind::Push,
                repo: push::git_url(&state.git_root, &app.name),
                branch: branch.to_string(),
            });
        }
    }
    found
}

/// The watched branch's head; `None` while the branch does not exist.
fn head(watch: &Watch) -> Result<Option<String>, String> {
    let branch = format!("refs/heads/{}", watch.branch);
    git::resolve_commit(&watch.repo, &branch)
}

fn seen_of(watch: &Watch, head: Option<String>) -> Seen {
    Seen {
        repo: watch.repo.clone(),
        branch: watch.branch.clone(),
        head,
    }
}
