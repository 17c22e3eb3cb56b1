//! Auto-deploy: a background task polls the linked branch of every app's
//! repository with `git rev-parse`; when the branch head moves and the
//! link has auto-deploy on, the new head is deployed (pusher
//! `auto-deploy`), as a push to GitHub does on Scalingo. Heads are
//! remembered at start and whenever a link is first seen or changes branch,
//! so that existing history never deploys by itself.

use std::collections::HashMap;
use std::time::Duration;

use crate::deploy::engine::{self, NewDeployment};
use crate::deploy::git;
use crate::deploy::source::Source;
use crate::deploy::trigger::blocking;
use crate::platform::persist::save as save_state;
use crate::state::AppState;
use crate::time::now;

const POLL_EVERY: Duration = Duration::from_millis(200);

/// The pusher auto-deploys are recorded with.
pub const AUTO_DEPLOY_PUSHER: &str = "auto-deploy";

/// An app's linked branch as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    repo: String,
    branch: String,
    head: Option<String>,
}

/// One linked app, as read from the world for a poll.
#[derive(Debug, Clone)]
struct Linked {
    app: String,
    repo: String,
    branch: String,
    auto_deploy: bool,
}

/// Takes the first look at every linked branch before the server answers
/// anything (so a push made after the sandbox is up always counts as a
/// push), then polls on the runtime.
pub fn start(state: &AppState) {
    let mut seen = HashMap::new();
    for linked in linked_apps(state) {
        if let Ok(head) = head(&linked) {
            seen.insert(linked.app.clone(), seen_of(&linked, head));
        }
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(POLL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            poll(&state, &mut seen).await;
        }
    });
}

async fn poll(state: &AppState, seen: &mut HashMap<String, Seen>) {
    let linked = linked_apps(state);
    seen.retain(|app, _| linked.iter().any(|l| &l.app == app));
    let heads = {
        let linked = linked.clone();
        blocking(move || Ok(linked.iter().map(head).collect::<Vec<_>>())).await
    };
    let Ok(heads) = heads else {
        return;
    };
    for (linked, head) in linked.into_iter().zip(heads) {
        // An unreadable repository tells nothing about pushes: keep the
        // last head seen and look again next time.
        let Ok(head) = head else {
            continue;
        };
        let now_seen = seen_of(&linked, head.clone());
        let before = seen.insert(linked.app.clone(), now_seen);
        let moved = match before {
            // Same repository and branch: a push is a change of head.
            Some(b) if b.repo == linked.repo && b.branch == linked.branch => b.head != head,
            // First look, or the link now points elsewhere: a new baseline.
            _ => false,
        };
        if let (true, true, Some(sha)) = (moved, linked.auto_deploy, head) {
            deploy(state, &linked, sha).await;
        }
    }
}

async fn deploy(state: &AppState, linked: &Linked, sha: String) {
    let source = {
        let (repo, sha, app) = (linked.repo.clone(), sha.clone(), linked.app.clone());
        blocking(move || Source::from_commit(&repo, &sha, &app)).await
    };
    let source = match source {
        Ok(source) => source,
        Err(message) => {
            eprintln!(
                "rewind-sandbox: auto-deploy of {} skipped: {message}",
                linked.app
            );
            return;
        }
    };
    let started = engine::start(
        state,
        &linked.app,
        NewDeployment {
            git_ref: sha,
            kind: "deployment",
            pusher: AUTO_DEPLOY_PUSHER.to_string(),
            source,
        },
    );
    if started.is_ok() {
        state
            .world()
            .deploy
            .last_auto_deploy_at
            .insert(linked.app.clone(), now());
        if let Err(message) = save_state(state).await {
            eprintln!("rewind-sandbox: {message}");
        }
    }
}

fn linked_apps(state: &AppState) -> Vec<Linked> {
    let world = state.world();
    world
        .apps
        .values()
        .filter_map(|app| {
            let (repo, scm) = (app.repo.as_ref()?, app.scm.as_ref()?);
            Some(Linked {
                app: app.name.clone(),
                repo: repo.clone(),
                branch: scm.branch.clone(),
                auto_deploy: scm.auto_deploy_enabled,
            })
        })
        .collect()
}

/// The linked branch's head; `None` while the branch does not exist.
fn head(linked: &Linked) -> Result<Option<String>, String> {
    let branch = format!("refs/heads/{}", linked.branch);
    git::resolve_commit(&linked.repo, &branch)
}

fn seen_of(linked: &Linked, head: Option<String>) -> Seen {
    Seen {
        repo: linked.repo.clone(),
        branch: linked.branch.clone(),
        head,
    }
}
