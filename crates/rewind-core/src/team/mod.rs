//! What a team shares on the bad night, kept on the repository's own git
//! remote (no server of its own): the lock that lets one person at a time
//! change an app.

pub mod lock;

pub use lock::{HeldBy, TeamLock, TeamLockError};
