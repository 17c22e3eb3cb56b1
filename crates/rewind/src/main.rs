//! rewind: when production breaks after a deploy, put the last good release
//! back, restore the database to just before the bad one, and keep a record.
//!
//! This binary parses the command line, calls into rewind-core, and turns
//! results into what a person reads (stderr, colours, prompts) or what a
//! script reads (`--json` on stdout), and errors into exit codes. Every
//! write goes through [`output`].

// First: the printing macros (`outln!`, `msgln!`, `errln!`) are used by
// every module declared after it.
#[macro_use]
mod output;

mod cli_error;
mod commands;
mod context;
mod log;
mod prompter;
mod ui;
mod waits;

use std::process::ExitCode;

use clap::Parser;

/// What `rewind --version` prints after the name: the version and the git
/// commit the binary was built from (`unknown` when the sources had no
/// git history, see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("REWIND_COMMIT"),
    ")"
);

/// Put the last good release back when production breaks after a deploy.
#[derive(Debug, Parser)]
#[command(name = "rewind", version = VERSION, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: context::Global,

    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::configure(cli.global.color, cli.global.quiet);
    log::init();
    // Problems with the team's journal (an unreachable remote) are told
    // as warnings, once each, whatever the command.
    rewind_core::team::journal::set_reporter(|problem| errln!("warning: {problem}"));
    match commands::run(cli.command, &cli.global) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.print();
            ExitCode::from(err.exit_code())
        }
    }
}
