//! One module per subcommand; each has an `Args` struct (its doc comments are
//! the `--help`) and a thin `run` that calls into rewind-core.

mod sandbox;

use clap::Subcommand;

use crate::cli_error::CliError;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local Scalingo-compatible API server, to rehearse or to test
    /// without an account.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
}

pub fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Sandbox(cmd) => sandbox::run(cmd),
    }
}
