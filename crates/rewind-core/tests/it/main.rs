//! rewind-core's integration tests, one binary: real git repositories in
//! temp dirs, real files, the sandbox on 127.0.0.1 where a platform is needed.

mod config;
mod db;
mod follow;
mod fuzz;
mod git;
mod guide;
mod health;
mod identify;
mod linked;
mod migrations;
mod notify;
mod platform_env;
mod release;
mod repo;
mod rollback;
mod rollback_db;
mod scalingo;
mod tree;
