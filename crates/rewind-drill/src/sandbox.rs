//! The drill's sandbox: one app with the drill's real git repository, its
//! SCM link with auto-deploy and a PostgreSQL addon, deploys at the drill's
//! pace, no rate limit; and the client's settings fitted to it (the sandbox
//! is not Scalingo: no need to share Scalingo's request budget or wait as
//! long between tries).

use std::time::Duration;

use rewind_core::platform::scalingo::{RequestBudget, RetryPolicy, ScalingoSettings};
use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};

use crate::error::DrillError;
use crate::history::APP;
use crate::monorepo::{API, FRONT};
use crate::pace::Pace;
use crate::replay::ReplayFiles;
use crate::workspace::Workspace;

/// Starts the sandbox the drill plays on, keeping its state in the replay
/// files when the workspace is kept (`files`), with a real PostgreSQL or
/// a simulated database as `postgres` says.
pub fn start(
    ws: &Workspace,
    pace: &Pace,
    files: Option<&ReplayFiles>,
    postgres: PostgresMode,
) -> Result<Sandbox, DrillError> {
    Sandbox::start(SandboxConfig {
        apps: vec![AppSeed {
            name: APP.to_string(),
            repo: Some(ws.origin.display().to_string()),
            scm: Some(ScmSeed {
                branch: "main".to_string(),
                auto_deploy: true,
            }),
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".to_string(),
                plan: "postgresql-starter-512".to_string(),
            }],
        }],
        deploy_duration: pace.deploy,
        rate_limit_per_minute: 0,
        postgres,
        state_file: files.map(|f| f.state.clone()),
        ..SandboxConfig::default()
    })
    .map_err(DrillError::Sandbox)
}

/// The multi-app scenario's sandbox: front and api, both deploying the
/// monorepo's origin through their SCM link (auto-deploy on), the api with
/// its PostgreSQL addon. A kept workspace keeps the sandbox's state in
/// `sandbox-state.json`, for a look at what the platform holds.
pub fn start_monorepo(
    ws: &Workspace,
    pace: &Pace,
    postgres: PostgresMode,
) -> Result<Sandbox, DrillError> {
    let state_file = (!ws.is_temporary()).then(|| ws.root.join("sandbox-state.json"));
    let app = |name: &str, addons: Vec<AddonSeed>| AppSeed {
        name: name.to_string(),
        repo: Some(ws.origin.display().to_string()),
        scm: Some(ScmSeed {
            branch: "main".to_string(),
            auto_deploy: true,
        }),
        addons,
    };
    Sandbox::start(SandboxConfig {
        apps: vec![
            app(
                API,
                vec![AddonSeed {
                    provider: "scalingo-postgresql".to_string(),
                    plan: "postgresql-starter-512".to_string(),
                }],
            ),
            app(FRONT, Vec::new()),
        ],
        deploy_duration: pace.deploy,
        rate_limit_per_minute: 0,
        postgres,
        state_file,
        ..SandboxConfig::default()
    })
    .map_err(DrillError::Sandbox)
}

/// The client's settings for the sandbox: a budget of its own, and short
/// waits between tries.
pub fn fit(settings: &mut ScalingoSettings) {
    settings.budget = RequestBudget::new(10_000, Duration::from_secs(60));
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    };
}
