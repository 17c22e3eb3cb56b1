//! rewind's integration tests, one binary: they run the built `rewind`
//! executable in a hermetic environment (cleared locale, temp HOME) and check
//! what a person sees on stdout and stderr, and the exit status.

mod bad_inputs;
mod canary;
mod ci_docs;
mod completions;
mod db;
mod db_from_backup;
mod debug_log;
mod dev_only;
mod doctor;
mod drill;
mod exits;
mod fault_matrix;
mod guide;
mod guide_apps;
mod hostile;
mod init;
mod lang;
mod rollback;
mod rollback_apps;
mod sandbox_cleanup;
mod sandbox_hostile;
mod status;
mod support;
mod team;
mod terminal;
mod test_files;
mod tree;
mod version;
mod watch;
