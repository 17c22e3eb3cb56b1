//! `REWIND_LOG`: what rewind did and what it waited for, for a person
//! who wants to see it (docs/debugging.md). Off unless the variable is
//! set; then it is a filter read the way `RUST_LOG` is (`debug`,
//! `git=debug`, `http=debug,git=off`), over the core's `tracing` events:
//! every HTTP request (`http`: method, path, status, attempt, duration,
//! waits and retries), every git command (`git`) and every PostgreSQL
//! client run (`pg`).
//!
//! Each line goes to stderr through [`crate::output`], like every other
//! line rewind writes: neutralised and redacted, shown even with
//! `--quiet` (whoever sets `REWIND_LOG` asked for it), never coloured.

use std::io;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The variable that turns the log on and filters it.
pub const ENV: &str = "REWIND_LOG";

/// Installs the log when `REWIND_LOG` asks for it. A filter that cannot
/// be read is a warning, not an error: a debugging aid never stands in
/// the way of a rollback.
pub fn init() {
    let Some(value) = std::env::var_os(ENV) else {
        return;
    };
    let value = value.to_string_lossy();
    if value.trim().is_empty() {
        return;
    }
    let filter = match EnvFilter::builder().parse(value.as_ref()) {
        Ok(filter) => filter,
        Err(e) => {
            errln!("warning: {ENV}={value} cannot be read ({e}): rewind runs without its log");
            errln!("hint: {ENV}=debug logs every request and command; docs/debugging.md");
            return;
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Lines)
        .with_ansi(false)
        .finish();
    // Only main calls this, once: nothing else can have set one.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Hands each formatted event to the output layer as one line.
struct Lines;

/// One event's text, written out when the formatter is done with it.
struct Line(Vec<u8>);

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::new())
    }
}

impl io::Write for Line {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.trim_end_matches('\n');
        if !text.is_empty() {
            crate::output::stderr(text, true);
        }
    }
}
