//! How rewind writes for a person: one line per step with its outcome and
//! duration, colour only on a terminal (and never with `NO_COLOR`), and
//! untrusted text (build logs) neutralised before it reaches the terminal.

use std::io::IsTerminal;
use std::time::Duration;

/// Colours or not, decided once from stderr.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn stderr() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stderr().is_terminal(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn ok(&self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn warn(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn bad(&self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
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

/// Makes a line of untrusted text (a build log) safe to print: escape
/// sequences other than plain SGR colours are removed, other control
/// characters dropped, and colours too unless `keep_colors`.
pub fn sanitize(line: &str, keep_colors: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    let mut params = String::new();
                    let mut fin = None;
                    for n in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&n) {
                            fin = Some(n);
                            break;
                        }
                        params.push(n);
                    }
                    let plain_sgr =
                        fin == Some('m') && params.chars().all(|p| p.is_ascii_digit() || p == ';');
                    if plain_sgr && keep_colors {
                        out.push_str("\x1b[");
                        out.push_str(&params);
                        out.push('m');
                    }
                }
                Some(']') => {
                    // OSC (titles, hyperlinks): up to BEL or ESC \.
                    chars.next();
                    while let Some(n) = chars.next() {
                        if n == '\x07' {
                            break;
                        }
                        if n == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
            continue;
        }
        if c.is_control() && c != '\t' {
            continue;
        }
        out.push(c);
    }
    if keep_colors && out.contains("\x1b[") {
        out.push_str("\x1b[0m");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_keep_only_plain_colours() {
        let hostile =
            "\x1b[31mred\x1b[0m \x1b]0;pwned\x07title \x1b[2Jclear \x1b[1;1Hmove\r\x07bell";
        assert_eq!(sanitize(hostile, false), "red title clear movebell");
        assert_eq!(
            sanitize(hostile, true),
            "\x1b[31mred\x1b[0m title clear movebell\x1b[0m"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(duration(Duration::from_secs(185)), "3m05s");
    }
}
