//! rewind-core's integration tests, one binary: real git repositories in
//! temp dirs, real files, the sandbox on 127.0.0.1 where a platform is needed.

mod config;
mod git;
mod migrations;
mod release;
mod repo;
mod tree;
