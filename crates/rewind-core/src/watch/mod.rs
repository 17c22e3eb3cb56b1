//! `rewind watch`: a release watched right after it ships. The newest
//! deployment is followed to its end ([`crate::follow`]), a baseline is
//! learnt from the router metrics of the period before it, then the health
//! check, the 5XX share against the baseline, crash events and the app's
//! status are checked every round for a while. A threshold crossed opens
//! an incident with the evidence the decision tree's questions use and
//! tells the team; a quiet release ends with nothing said.
//!
//! - [`baseline`]: router metrics to shares of 5XX answers;
//! - [`detect`]: the thresholds of `[apps.watch]`;
//! - [`run`]: the follow, the baseline, the rounds;
//! - [`incident`]: the incident, the evidence, the message.

pub mod baseline;
pub mod detect;
pub mod incident;
pub mod run;

pub use baseline::Traffic;
pub use detect::{Detector, Signal};
pub use incident::{Acted, Policy, Proposal, Raised, healthy_line, interrupted, raise};
pub use run::{
    DEFAULT_POLL, REQUESTS_PER_ROUND, Target, WatchError, WatchEvent, WatchOptions, WatchOutcome,
    Watched, pace_for, requests_per_minute, watch,
};

/// The `rewind watch` policies (docs/watch.md).
pub const POLICIES: [&str; 3] = ["notify", "ask", "auto"];
