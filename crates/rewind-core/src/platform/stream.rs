//! What a live deployment stream delivers, platform-neutral: the frames
//! ([`StreamFrame`]), the reading side of an open stream ([`DeployStream`])
//! and the ways it ends ([`StreamError`]). A platform opens one through
//! [`crate::platform::Platform::deployment_stream`]; [`crate::follow`]
//! reads it. It lives with the platform, which produces it, so that the
//! platform does not depend on its follower.

use std::time::Duration;

use super::{Deployment, DeploymentStatus};

/// One frame of the stream. A stream covers every deployment of the app,
/// so each frame says which deployment it is about (`id`); a frame without
/// an id cannot be attributed and is ignored by followers.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamFrame {
    /// A deployment was created. Some platforms send only its id, others
    /// the whole object.
    New {
        id: Option<String>,
        deployment: Option<Box<Deployment>>,
    },
    /// Build log output: one or several lines, usually newline-terminated.
    Log { id: Option<String>, content: String },
    /// The deployment moved to a new status.
    Status {
        id: Option<String>,
        status: DeploymentStatus,
    },
    /// Keep-alive.
    Ping,
    /// A frame type this version of rewind does not use.
    Other { kind: String },
}

/// An open live stream.
pub trait DeployStream: Send {
    /// Waits up to `wait` for the next frame: `Ok(None)` when none came in
    /// that time (or the frame could not be read), so that callers can
    /// check for Ctrl-C and deadlines between reads.
    fn next_frame(&mut self, wait: Duration) -> Result<Option<StreamFrame>, StreamError>;
}

/// Why a stream stopped delivering frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("the platform closed the live stream{}", reason_suffix(.reason))]
    Closed { reason: Option<String> },
    #[error("the live stream broke: {detail}")]
    Broken { detail: String },
}

fn reason_suffix(reason: &Option<String>) -> String {
    match reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => format!(" ({r})"),
        _ => String::new(),
    }
}
