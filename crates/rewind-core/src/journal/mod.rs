//! The journal: an append-only record of every incident and every step
//! rewind takes, written before a step starts and after it ends, one JSON
//! line per event, flushed to disk each time, so that an interruption (a
//! crash, Ctrl-C, a closed laptop) loses nothing and `resume` knows where
//! things stand. A partial last line, as a crash can leave, is tolerated.

mod bad;
mod entry;
mod incident;
mod lock;
mod store;

pub use bad::{BadMark, BadMarks};
pub use entry::{Entry, EntryKind, IncidentId, scrub};
pub use incident::{Incident, IncidentState, StepRecord, StepState};
pub use lock::{AppLock, Holder, LockError};
pub use store::{Journal, JournalError, ReadReport, SkippedLine};
