//! How following a deployment ends without seeing it finish. Each message
//! says what became of the deploy: it goes on on the platform, and until it
//! succeeds the previous release keeps running.

use std::time::Duration;

use crate::platform::{DeploymentStatus, PlatformError};

/// Why [`super::follow`] returned before the deployment finished.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("cannot follow the deployment: {0}")]
    Platform(#[from] PlatformError),

    #[error(
        "the deployment did not finish within {} (last seen: {}); it may still be running on the platform, and until it succeeds the previous release keeps running",
        human(*.waited),
        last_seen(.last)
    )]
    TimedOut {
        last: Option<DeploymentStatus>,
        waited: Duration,
    },

    #[error(
        "stopped following the deployment (last seen: {}); the deploy itself keeps going on the platform, and until it succeeds the previous release keeps running",
        last_seen(.last)
    )]
    Interrupted { last: Option<DeploymentStatus> },
}

impl FollowError {
    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            FollowError::Platform(e) => e.hints(),
            FollowError::TimedOut { .. } | FollowError::Interrupted { .. } => vec![
                "check where the deploy stands in the Scalingo dashboard, or with `scalingo --app <app> deployments`".into(),
                "if it is stuck, it ends by itself after 30 minutes; the previous release serves meanwhile".into(),
            ],
        }
    }
}

fn last_seen(last: &Option<DeploymentStatus>) -> String {
    match last {
        Some(s) => s.to_string(),
        None => "no status yet".to_string(),
    }
}

/// `35m`, `1m30s`, `12s`, `250ms`: short and exact enough for a message.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 10 && d.subsec_millis() != 0 {
        return format!("{}ms", d.as_millis());
    }
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_the_previous_release_keeps_running() {
        let timed_out = FollowError::TimedOut {
            last: Some(DeploymentStatus::Building),
            waited: Duration::from_secs(35 * 60),
        };
        let text = timed_out.to_string();
        assert!(text.contains("within 35m (last seen: building)"), "{text}");
        assert!(text.contains("previous release keeps running"), "{text}");
        let interrupted = FollowError::Interrupted { last: None }.to_string();
        assert!(interrupted.contains("no status yet"), "{interrupted}");
        assert!(
            interrupted.contains("keeps going on the platform"),
            "{interrupted}"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
        assert_eq!(human(Duration::from_secs(5)), "5s");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(2100)), "35m");
    }
}
