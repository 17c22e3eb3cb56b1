//! How rewind writes for a person: one line per step with its outcome and
//! duration, colour only where the stream it goes to takes colour (see
//! [`crate::output`]), and untrusted text (build logs, commit subjects)
//! neutralised before it reaches the terminal.

use std::time::Duration;

use anstyle::{AnsiColor, Effects};

/// Colours or not, decided for one stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// For lines written on stderr (messages).
    pub fn stderr() -> Self {
        Style {
            color: crate::output::stderr_colour(),
        }
    }

    /// For lines written on stdout (data).
    pub fn stdout() -> Self {
        Style {
            color: crate::output::stdout_colour(),
        }
    }

    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub fn ok(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }

    pub fn warn(&self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub fn bad(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::BOLD), text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::DIMMED), text)
    }
}

/// `1.2s`, `3m05s`: durations as a person reads them.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Makes untrusted text (a build log line, a commit subject) safe to
/// print: escape sequences and invisible characters are shown as visible
/// escapes (`\u{1b}`); with `keep_colors` (a colour stream), plain SGR
/// colours pass.
pub fn sanitize(line: &str, keep_colors: bool) -> String {
    if keep_colors {
        rewind_core::text::neutralise_keeping_colours(line).into_owned()
    } else {
        rewind_core::text::neutralise(line).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_keep_only_plain_colours() {
        let hostile = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07title \x1b[2Jclear\r\x07bell";
        assert_eq!(
            sanitize(hostile, false),
            "\\u{1b}[31mred\\u{1b}[0m \\u{1b}]0;pwned\\u{7}title \\u{1b}[2Jclear\\u{d}\\u{7}bell"
        );
        assert_eq!(
            sanitize(hostile, true),
            "\x1b[31mred\x1b[0m \\u{1b}]0;pwned\\u{7}title \\u{1b}[2Jclear\\u{d}\\u{7}bell\x1b[0m"
        );
    }

    #[test]
    fn paints_only_when_the_stream_takes_colour() {
        assert_eq!(Style { color: false }.ok("ok"), "ok");
        assert_eq!(Style { color: true }.ok("ok"), "\x1b[32mok\x1b[0m");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(duration(Duration::from_secs(185)), "3m05s");
    }
}
