//! `rewind man [COMMAND...]`: rewind's manual page in roff, generated from
//! the definitions that parse the command line (the `--help` texts), for
//! `man -l -` or to install as `rewind.1`; with a subcommand, that
//! subcommand's page (`rewind man db restore` is `rewind-db-restore(1)`).

use clap::{Args, CommandFactory};

use crate::cli_error::CliError;

#[derive(Debug, Args)]
#[command(after_help = "Read it with `rewind man | man -l -`, or install it:
  rewind man > ~/.local/share/man/man1/rewind.1")]
pub struct ManArgs {
    /// A subcommand whose page to print (`db restore`); none for rewind's
    /// own page, which lists every subcommand.
    #[arg(value_name = "COMMAND")]
    path: Vec<String>,
}

pub fn run(args: ManArgs) -> Result<(), CliError> {
    // Built, so that each subcommand knows its full name (`rewind db
    // restore`, page `rewind-db-restore`) and shows the global flags.
    let mut page = crate::Cli::command().bin_name("rewind");
    page.build();
    for word in &args.path {
        let Some(sub) = page.find_subcommand(word).cloned() else {
            let known: Vec<&str> = page
                .get_subcommands()
                .map(|c| c.get_name())
                .filter(|n| *n != "help")
                .collect();
            let name = page.get_bin_name().unwrap_or("rewind").to_string();
            return Err(
                CliError::config(format!("`{name}` has no subcommand `{word}`"))
                    .hint(format!("one of: {}", known.join(", "))),
            );
        };
        page = sub;
    }
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(concat!("rewind ", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .map_err(|e| CliError::failed(format!("cannot write the manual page: {e}")))?;
    let roff = String::from_utf8(roff)
        .map_err(|e| CliError::failed(format!("the manual page is not UTF-8: {e}")))?;
    crate::output::generated(&roff);
    Ok(())
}
