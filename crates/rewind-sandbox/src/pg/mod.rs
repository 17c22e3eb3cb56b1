//! A real PostgreSQL cluster behind the sandbox's PostgreSQL addons: found
//! on the machine (`binaries`), run in a temporary directory as a user the
//! server accepts (`run`, `cluster`), with real databases and dumps
//! (`data`) and real point-in-time recovery (`recovery`).
//!
//! One cluster serves every PostgreSQL addon of a sandbox, each addon in
//! its own database; a point-in-time restore recovers the whole cluster, so
//! tests that restore use one PostgreSQL addon per sandbox.

mod binaries;
mod cluster;
mod data;
mod recovery;
mod run;
mod snapshot;
mod template;

pub use binaries::Binaries;
pub use cluster::{Cluster, USER};
