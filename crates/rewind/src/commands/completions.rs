//! `rewind completions SHELL`: the completion script for bash, zsh, fish
//! or PowerShell, generated from the very definitions that parse the
//! command line, so it never lags behind a new subcommand or flag.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli_error::CliError;

#[derive(Debug, Args)]
#[command(
    after_help = "Install it where your shell reads completions, for example:
  bash: rewind completions bash > ~/.local/share/bash-completion/completions/rewind
  zsh:  rewind completions zsh > \"${fpath[1]}/_rewind\"
  fish: rewind completions fish > ~/.config/fish/completions/rewind.fish
  PowerShell: rewind completions powershell >> $PROFILE"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: CompletionShell,
}

/// The shells clap_complete writes for (elvish left out: nobody asked).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

pub fn run(args: CompletionsArgs) -> Result<(), CliError> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut command = crate::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "rewind", &mut script);
    let script = String::from_utf8(script).map_err(|e| {
        CliError::failed(format!("the {shell} completion script is not UTF-8: {e}"))
    })?;
    crate::output::generated(&script);
    Ok(())
}
