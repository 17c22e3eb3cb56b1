//! One module per subcommand; each has an `Args` struct (its doc comments are
//! the `--help`) and a thin `run` that calls into rewind-core.

mod sandbox;
mod tree;

use clap::Subcommand;

use crate::cli_error::CliError;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local Scalingo-compatible API server, to rehearse or to test
    /// without an account.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Check or show a decision tree: the runbook's built-in one or a file.
    #[command(subcommand)]
    Tree(tree::TreeCommand),
}

pub fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Tree(cmd) => tree::run(cmd),
    }
}
