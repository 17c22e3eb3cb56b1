//! One module per subcommand; each has an `Args` struct (its doc comments are
//! the `--help`) and a thin `run` that calls into rewind-core.

mod init;
mod sandbox;
mod tree;

use clap::Subcommand;

use crate::cli_error::CliError;
use crate::context::Global;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a first rewind.toml at the repository root from what the
    /// repository shows (remote, release-please files, tags, migrations).
    Init(init::InitArgs),
    /// Run a local Scalingo-compatible API server, to rehearse or to test
    /// without an account.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Check or show a decision tree: the runbook's built-in one or a file.
    #[command(subcommand)]
    Tree(tree::TreeCommand),
}

pub fn run(command: Command, global: &Global) -> Result<(), CliError> {
    let _ = global;
    match command {
        Command::Init(args) => init::run(args),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Tree(cmd) => tree::run(cmd),
    }
}
