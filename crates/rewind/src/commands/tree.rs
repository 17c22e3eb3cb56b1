//! `rewind tree check|show`: check a decision tree file, listing every
//! problem as `file:line: message`, and show a tree as indented text, a
//! Mermaid flowchart or a Graphviz graph, in French or English.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use rewind_core::tree::render::{Format, render};
use rewind_core::tree::{Tree, TreeError};

use crate::cli_error::CliError;
use crate::commands::guide::LangArg;

#[derive(Debug, Subcommand)]
pub enum TreeCommand {
    /// Check a decision tree file: print `ok` with its size, or every
    /// problem as `file:line: message` (exit status 2).
    Check(CheckArgs),
    /// Show a decision tree as an indented tree, a Mermaid flowchart or a
    /// Graphviz DOT graph.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The tree file (TOML, format in docs/decision-tree.md). Without it,
    /// the runbook's built-in tree.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The tree file (TOML, format in docs/decision-tree.md). Without it,
    /// the runbook's built-in tree.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,

    /// How to show it: `text` for a terminal, `mermaid` for Markdown
    /// documents, `dot` for Graphviz.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Language of the texts. Default: French when LC_ALL, LC_MESSAGES or
    /// LANG (the first one set) starts with `fr`, English otherwise.
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Mermaid,
    Dot,
}

pub fn run(command: TreeCommand) -> Result<(), CliError> {
    match command {
        TreeCommand::Check(args) => check(args),
        TreeCommand::Show(args) => show(args),
    }
}

fn check(args: CheckArgs) -> Result<(), CliError> {
    match load(args.file.as_deref()) {
        Ok(tree) => print(&format!(
            "ok: {}: {}, {}\n",
            tree.source_name(),
            count(tree.question_count(), "question"),
            count(tree.action_count(), "action")
        )),
        Err(TreeError::Invalid(problems)) => {
            // The problems are what was asked for: they go to stdout, one
            // per line, in the `file:line: message` form editors jump to.
            let listing: String = problems.problems.iter().map(|p| format!("{p}\n")).collect();
            print(&listing)?;
            Err(CliError::config(problems).hint(FORMAT_HINT))
        }
        Err(err) => Err(read_error(err)),
    }
}

fn show(args: ShowArgs) -> Result<(), CliError> {
    let tree = match load(args.file.as_deref()) {
        Ok(tree) => tree,
        Err(TreeError::Invalid(problems)) => {
            // stdout is for the rendering (often redirected to a file), so
            // the problems go to stderr.
            for problem in &problems.problems {
                msgln!("{problem}");
            }
            return Err(CliError::config(problems).hint(FORMAT_HINT));
        }
        Err(err) => return Err(read_error(err)),
    };
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Mermaid => Format::Mermaid,
        FormatArg::Dot => Format::Dot,
    };
    print(&render(&tree, format, super::guide::lang(args.lang)))
}

const FORMAT_HINT: &str = "the tree file format is described in docs/decision-tree.md; \
                           `rewind tree show` prints the built-in tree as an example";

fn load(file: Option<&Path>) -> Result<Tree, TreeError> {
    match file {
        Some(path) => Tree::load(path),
        None => Ok(Tree::default_runbook()),
    }
}

fn read_error(err: TreeError) -> CliError {
    CliError::config(err).hint("check the path; without FILE, rewind uses its built-in tree")
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Writes to stdout through the output layer: a closed pipe (`rewind tree
/// show | head`) ends the command quietly, the reader simply had enough.
fn print(text: &str) -> Result<(), CliError> {
    out!("{text}");
    Ok(())
}
