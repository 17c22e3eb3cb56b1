//! The one way rewind writes to the terminal: data on stdout (`outln!`,
//! `out!`, [`json`]), messages on stderr (`msgln!`, hidden by `--quiet`;
//! `errln!` for warnings, errors and prompts, always shown).
//!
//! Three promises are kept here, once for every command:
//! - colour is decided per stream (`rewind status > file` from a terminal
//!   writes no escape codes into the file), from `--color`, `NO_COLOR`,
//!   `CLICOLOR`, `CLICOLOR_FORCE` and whether that stream is a terminal
//!   (anstream's rules, the ones clap follows);
//! - every line is neutralised on its way out ([`rewind_core::text`]):
//!   escape sequences and invisible characters from outside text are shown
//!   as `\u{1b}`, never acted on; only plain colours pass, and only on a
//!   colour stream. Commands neutralise outside text before painting it
//!   too; this is the net under them;
//! - credentials that slipped into a line (an API error echoing a URL with
//!   its token) are redacted ([`rewind_core::redact`]);
//! - a write never panics and never stops an operation. A read command
//!   whose reader went away (`rewind status | head -1`) ends quietly with
//!   exit 0, as ripgrep does; once a command may change production
//!   ([`finish_whatever_happens`]), failed writes are ignored so that the
//!   operation runs to its end and is journaled.

use std::io::{self, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anstream::ColorChoice;
use rewind_core::text;

/// `--color`: when to colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set or `CLICOLOR=0`
    /// (`CLICOLOR_FORCE=1` colours off a terminal too).
    #[default]
    Auto,
    Always,
    Never,
}

/// The exit code of a read command whose stdout was closed by its reader:
/// the reader had what it wanted (`| head -1`), so it is a success, as for
/// ripgrep.
pub const CLOSED_STDOUT_EXIT: i32 = 0;

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug)]
struct Settings {
    stdout_colour: bool,
    stderr_colour: bool,
    quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();
/// Set once production may change: from then on nothing a terminal does
/// ends the process.
static FINISH: AtomicBool = AtomicBool::new(false);
/// Stdout failed once: later data is dropped rather than retried.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Applies the global flags; called once, before any command runs.
pub fn configure(color: ColorWhen, quiet: bool) {
    let choice = match color {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    };
    choice.write_global();
    let _ = SETTINGS.set(decide(quiet));
}

fn decide(quiet: bool) -> Settings {
    let on = |c: ColorChoice| matches!(c, ColorChoice::Always | ColorChoice::AlwaysAnsi);
    Settings {
        stdout_colour: on(anstream::AutoStream::choice(&io::stdout())),
        stderr_colour: on(anstream::AutoStream::choice(&io::stderr())),
        quiet,
    }
}

fn settings() -> &'static Settings {
    SETTINGS.get_or_init(|| decide(false))
}

/// Whether lines written to stdout may carry colours.
pub fn stdout_colour() -> bool {
    settings().stdout_colour
}

/// Whether lines written to stderr may carry colours.
pub fn stderr_colour() -> bool {
    settings().stderr_colour
}

/// From now on, a closed or failing stdout or stderr is ignored: the
/// command may change production, and must finish and journal what it
/// does whatever happens to its terminal.
pub fn finish_whatever_happens() {
    FINISH.store(true, Ordering::SeqCst);
}

/// Writes `line` (and a newline when `newline`) on stdout, neutralised.
pub fn stdout(line: &str, newline: bool) {
    let shown = render(line, newline, Stream::Stdout);
    write_stdout(shown.as_bytes());
}

/// Writes one of the sandbox's own `export NAME=value` lines on stdout,
/// neutralised but not redacted: its token is the sandbox's, made up, and
/// printed so that a person can paste it.
pub fn sandbox_export(line: &str) {
    let shown = format!("{}\n", text::neutralise(line));
    write_stdout(shown.as_bytes());
}

/// Writes text rewind generated from its own command definitions (a shell
/// completion script, the man page) on stdout, neutralised but not
/// redacted: it holds no secret, and a line of shell such as `key=...`
/// must reach the shell as written.
pub fn generated(text: &str) {
    let shown = text::neutralise(text);
    write_stdout(shown.as_bytes());
}

/// Writes a message on stderr, neutralised, unless `--quiet`.
pub fn message(line: &str, newline: bool) {
    if !settings().quiet {
        stderr(line, newline);
    }
}

/// Writes on stderr, neutralised, even with `--quiet`: warnings, errors,
/// and prompts (a question must be seen to be answered).
pub fn stderr(line: &str, newline: bool) {
    let shown = render(line, newline, Stream::Stderr);
    let mut err = io::stderr().lock();
    // Nowhere left to say it: a message that cannot be written is dropped.
    let _ = err.write_all(shown.as_bytes()).and_then(|()| err.flush());
}

/// Whether stderr is a terminal that can show a line being rewritten.
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

/// Rewrites the current line of a terminal's stderr with `line`
/// (neutralised), for a countdown; unless `--quiet`. An empty `line`
/// clears it. Only called when [`stderr_is_terminal`].
pub fn progress(line: &str) {
    if settings().quiet {
        return;
    }
    let shown = format!("\r\x1b[2K{}", text::neutralise_line(line));
    let mut err = io::stderr().lock();
    let _ = err.write_all(shown.as_bytes()).and_then(|()| err.flush());
}

/// Redraws a block of live lines on a terminal's stderr, one per thing
/// being followed (the apps of a rollback of several apps): moves back up
/// over the `drawn` lines the previous call wrote, writes `lines` (each
/// cleared first, neutralised, credentials redacted), then clears what is
/// below (a countdown left by a wait). Unless `--quiet`. Only called when
/// [`stderr_is_terminal`].
pub fn board(lines: &[String], drawn: usize) {
    if settings().quiet {
        return;
    }
    let mut shown = String::from("\r");
    if drawn > 0 {
        shown.push_str(&format!("\x1b[{drawn}A"));
    }
    for line in lines {
        shown.push_str("\x1b[2K");
        shown.push_str(&render(line, true, Stream::Stderr));
    }
    shown.push_str("\x1b[J");
    let mut err = io::stderr().lock();
    let _ = err.write_all(shown.as_bytes()).and_then(|()| err.flush());
}

/// Prints `value` as pretty JSON on stdout. serde escapes control
/// characters; the other unsafe ones (bidi controls, C1, invisible
/// characters) are escaped here as `\uXXXX`, which JSON reads back as the
/// same string.
pub fn json(value: &serde_json::Value) -> Result<(), serde_json::Error> {
    let text = serde_json::to_string_pretty(value)?;
    let mut safe = safe_json(&rewind_core::redact::redact(&text));
    safe.push('\n');
    write_stdout(safe.as_bytes());
    Ok(())
}

fn safe_json(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        if text::is_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                safe.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            safe.push(c);
        }
    }
    safe
}

fn render(line: &str, newline: bool, stream: Stream) -> String {
    let colour = match stream {
        Stream::Stdout => stdout_colour(),
        Stream::Stderr => stderr_colour(),
    };
    // Line by line, so that a colour reset added after kept colours stays
    // on its own line.
    let mut out = String::with_capacity(line.len() + 1);
    for (i, part) in line.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // A credential that slipped into a message (an API error echoing
        // a URL with its token) never reaches the terminal.
        let part = rewind_core::redact::redact(part);
        if colour {
            out.push_str(&text::neutralise_keeping_colours(&part));
        } else {
            out.push_str(&text::neutralise(&part));
        }
    }
    if newline {
        out.push('\n');
    }
    out
}

fn write_stdout(bytes: &[u8]) {
    if STDOUT_GONE.load(Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout().lock();
    let Err(error) = out.write_all(bytes).and_then(|()| out.flush()) else {
        return;
    };
    STDOUT_GONE.store(true, Ordering::SeqCst);
    if FINISH.load(Ordering::SeqCst) {
        // Production may be changing: the operation goes on, the journal
        // and `rewind report` keep what could not be printed.
        let what = if error.kind() == io::ErrorKind::BrokenPipe {
            "stdout is closed".to_string()
        } else {
            format!("cannot write to stdout ({error})")
        };
        stderr(
            &format!(
                "note: {what}: rewind carries on to the end; `rewind journal` and `rewind report` show what could not be printed"
            ),
            true,
        );
        return;
    }
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_STDOUT_EXIT);
    }
    stderr(
        &format!(
            "error: cannot write to stdout: {error}\nhint: check where the output goes (a full disk, a closed file)"
        ),
        true,
    );
    std::process::exit(1);
}

/// `outln!(...)`: one line of data on stdout.
macro_rules! outln {
    () => {
        $crate::output::stdout("", true)
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!($($arg)*), true)
    };
}

/// `out!(...)`: data on stdout, no newline added.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!($($arg)*), false)
    };
}

/// `msgln!(...)`: a message on stderr (progress, what happened), hidden by
/// `--quiet`.
macro_rules! msgln {
    () => {
        $crate::output::message("", true)
    };
    ($($arg:tt)*) => {
        $crate::output::message(&format!($($arg)*), true)
    };
}

/// `errln!(...)`: a warning, an error or a prompt on stderr, shown even
/// with `--quiet`.
macro_rules! errln {
    () => {
        $crate::output::stderr("", true)
    };
    ($($arg:tt)*) => {
        $crate::output::stderr(&format!($($arg)*), true)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_neutralised_and_keep_their_newlines() {
        let shown = render("a\u{1b}[2Kb\nc\u{202e}d", true, Stream::Stdout);
        // Tests do not run with a colour stdout unless forced: either way,
        // nothing but plain colours may pass.
        assert!(shown.starts_with("a\\u{1b}[2Kb\nc\\u{202e}d"), "{shown:?}");
        assert!(shown.ends_with('\n'));
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw_and_reads_back_the_same() {
        let value = serde_json::json!({ "subject": "a\u{202e}b\u{85}c\u{e0041}" });
        let safe = safe_json(&serde_json::to_string_pretty(&value).expect("json"));
        assert!(safe.contains("a\\u202eb\\u0085c\\udb40\\udc41"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("valid JSON");
        assert_eq!(back, value);
    }
}
