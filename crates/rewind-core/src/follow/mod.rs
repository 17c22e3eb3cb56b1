//! Following one deployment live until it ends: through the platform's
//! stream when it has one (statuses and build log lines as they happen),
//! else by polling the deployment; the end is always confirmed by reading
//! the deployment again. Ctrl-C and a deadline stop the following, never
//! the deploy, which goes on on the platform.

mod error;
mod run;
mod watch;

use std::time::Duration;

pub use crate::platform::{DeployStream, StreamError, StreamFrame};
pub use error::FollowError;
pub use run::follow;

use crate::platform::{Deployment, DeploymentStatus};

/// How many build log lines [`Followed::tail`] keeps.
pub const TAIL_LINES: usize = 40;

/// What the caller is told while a deployment is followed.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// The deployment moved to this status (each status once, in order).
    Status(DeploymentStatus),
    /// One raw build log line, without its newline (ANSI codes kept: the
    /// caller sanitises before printing).
    Log(String),
    /// Something the person following should know: the stream was lost,
    /// rewind polls instead, the build log could not be read...
    Note(String),
}

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Give up waiting after this long. Scalingo stops a deploy after 30
    /// minutes; the default leaves it time to say so.
    pub timeout: Duration,
    /// Pause between two reads of the deployment when there is no stream.
    pub poll_interval: Duration,
    /// Try the live stream first.
    pub use_stream: bool,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            timeout: Duration::from_secs(35 * 60),
            poll_interval: Duration::from_secs(5),
            use_stream: true,
        }
    }
}

/// A deployment followed to its end.
#[derive(Debug, Clone)]
pub struct Followed {
    /// The deployment as the platform reports it once finished.
    pub deployment: Deployment,
    /// The last [`TAIL_LINES`] lines of its build log, raw: from the stream,
    /// or downloaded when a failed deploy was followed without one.
    pub tail: Vec<String>,
    /// Whether the live stream was used (at least in part).
    pub via_stream: bool,
}
