//! rewind-core: everything that decides and acts during a bad release, with
//! no terminal. It returns values and typed errors; the `rewind` binary does
//! the printing and the prompting.

pub mod config;
pub mod db;
mod diagnostics;
pub mod doctor;
pub mod follow;
pub mod git;
pub mod guide;
pub mod health;
pub mod hold;
pub mod i18n;
pub mod identify;
pub mod interrupt;
pub mod journal;
pub mod migrations;
pub mod notify;
pub mod platform;
pub mod prompt;
pub mod redact;
pub mod release;
pub mod rollback;
pub mod secret;
pub mod status;
pub mod team;
pub mod text;
pub mod tree;
pub mod watch;
