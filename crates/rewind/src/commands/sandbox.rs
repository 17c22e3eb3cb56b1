//! `rewind sandbox serve`: a local Scalingo-compatible API on 127.0.0.1,
//! seeded from a TOML file, printing the environment variables that point a
//! Scalingo client (rewind included) at it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rewind_sandbox::{Sandbox, SandboxConfig, StartError, StopSignals};

use crate::cli_error::CliError;

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Start the sandbox and serve until Ctrl-C, SIGTERM or SIGHUP; then it
    /// stops its PostgreSQL and deletes its temporary directories, and
    /// exits 0.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; only loopback addresses are accepted. Port 0
    /// picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// A TOML seed file declaring API tokens, apps, their repositories, SCM
    /// links and addons (format in the README).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,

    /// Keep the sandbox's state in this file, so it survives a restart.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

pub fn run(command: SandboxCommand) -> Result<(), CliError> {
    match command {
        SandboxCommand::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let mut config = match &args.seed {
        Some(path) => SandboxConfig::from_seed_file(path).map_err(|e| {
            CliError::config(e).hint(format!(
                "fix the seed file {} (its format is in docs/sandbox.md); nothing was started",
                path.display()
            ))
        })?,
        None => SandboxConfig::default(),
    };
    config.listen = args.listen;
    config.state_file = args.state.clone();
    // Caught before the sandbox starts, so that a Ctrl-C during its start
    // still stops what it started.
    let signals = StopSignals::install()
        .map_err(|e| CliError::failed(format!("cannot catch Ctrl-C and SIGTERM: {e}")))?;
    let sandbox = Sandbox::start(config).map_err(|e| start_error(e, args.state.as_deref()))?;
    msgln!("rewind sandbox listening on {}", sandbox.base_url());
    msgln!("export these to point a Scalingo client at it:");
    for (name, value) in sandbox.env_vars() {
        crate::output::sandbox_export(&format!("export {name}={value}"));
    }
    msgln!("press Ctrl-C to stop");
    match signals.serve(sandbox) {
        Some(signal) => {
            msgln!(
                "rewind sandbox stopped ({signal}): its PostgreSQL is stopped and its temporary directories are deleted"
            );
            Ok(())
        }
        None => Err(CliError::failed("the sandbox's server stopped by itself")
            .hint("the messages above say why; start it again with `rewind sandbox serve`")),
    }
}

/// Why the sandbox did not start, with the hint that fits the cause.
fn start_error(error: StartError, state: Option<&Path>) -> CliError {
    match (&error, state) {
        (StartError::NotLoopback(_) | StartError::Bind { .. }, _) => CliError::config(error)
            .hint("pass --listen 127.0.0.1:0 to pick a free port on loopback"),
        (StartError::State(_), Some(path)) => CliError::config(error).hint(format!(
            "the state file {} cannot be used: move it away (or pass another --state FILE) and the sandbox starts again from its seed",
            path.display()
        )),
        (StartError::State(_), None) => CliError::config(error),
        (StartError::Postgres(_), _) => CliError::failed(error).hint(
            "install PostgreSQL's server package (initdb, pg_ctl), or set postgres = \"off\" in the seed's [sandbox] table",
        ),
        (StartError::Runtime(_), _) => CliError::failed(error),
    }
}
