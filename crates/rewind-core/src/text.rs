//! Text from outside (commit subjects, changelog lines, tag names, file
//! names, build logs, API bodies) made safe to show to a person.
//!
//! Such text can carry terminal escape sequences (a title set with
//! `ESC ] 0 ; … BEL`, the line above erased with `ESC [ 1 A ESC [ 2 K`, an
//! OSC 8 link), carriage returns that overwrite a line, and invisible
//! Unicode (bidi overrides such as U+202E, zero-width spaces) that make a
//! line read differently from what it holds. rewind never lets them act:
//! [`neutralise`] shows each such character as a visible escape, `\u{1b}`,
//! `\u{7}`, `\u{202e}` (Rust's notation: ASCII, unambiguous, and a person
//! sees that something was there instead of it vanishing).
//!
//! One scanner ([`pieces`]) recognises escape sequences for every user:
//! [`neutralise`] for what is shown, [`neutralise_keeping_colours`] for build
//! logs on a colour terminal (plain SGR colours pass, nothing else), and
//! [`strip_escapes`] for matching text (a version in a build log, git's
//! messages).

use std::borrow::Cow;
use std::fmt::Write as _;

/// One piece of a text, as the scanner cuts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Characters that are safe to show as they are (tab and newline
    /// included).
    Text(&'a str),
    /// A whole escape sequence: `ESC` or a C1 introducer and what belongs
    /// to it (CSI parameters and final byte, an OSC/DCS string up to its
    /// terminator, or `ESC` and one character).
    Escape(Escape<'a>),
    /// One character that must not reach a terminal as it is: a control
    /// character, a bidi control, an invisible format character.
    Control(char),
}

/// An escape sequence and its raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escape<'a> {
    pub kind: EscapeKind,
    pub raw: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeKind {
    /// Control Sequence Introducer: `ESC [` (or C1 `\u{9b}`), parameters,
    /// one final byte; cursor moves, erasures, colours.
    Csi,
    /// A string sequence: OSC (titles, links), DCS, SOS, PM, APC, up to
    /// BEL or ST (or the end of the text when unterminated).
    String,
    /// Anything else: `ESC x`, `ESC ( B`, a lone `ESC`.
    Other,
}

impl Escape<'_> {
    /// A colour or weight change (`ESC [ 1 ; 31 m`) that hides nothing:
    /// digits and `;` only, and never 8 (concealed text).
    pub fn is_plain_sgr(&self) -> bool {
        let Some(params) = self
            .raw
            .strip_prefix("\u{1b}[")
            .and_then(|r| r.strip_suffix('m'))
        else {
            return false;
        };
        params.bytes().all(|b| b.is_ascii_digit() || b == b';')
            && !params.split(';').any(|p| p.trim_start_matches('0') == "8")
    }
}

/// True for a character that must not reach a terminal as it is: C0
/// controls other than tab and newline, DEL, C1 controls, bidi embeddings,
/// overrides, isolates and marks, and invisible format characters (zero
/// width space, word joiner, BOM, line and paragraph separators, tag
/// characters). The zero width joiner and non-joiner stay: emoji and
/// several scripts need them, and they move nothing.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}' | '\u{61c}' | '\u{180e}'
        | '\u{200b}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
        | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Cuts `text` into [`Piece`]s.
pub fn pieces(text: &str) -> Pieces<'_> {
    Pieces { text, at: 0 }
}

/// The iterator [`pieces`] returns.
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = &self.text[self.at..];
        let first = rest.chars().next()?;
        let (piece, len) = match first {
            '\u{1b}' => {
                let (kind, len) = escape_after_esc(rest);
                (
                    Piece::Escape(Escape {
                        kind,
                        raw: &rest[..len],
                    }),
                    len,
                )
            }
            '\u{9b}' => {
                let len = 2 + csi_body(&rest[2..]);
                let raw = &rest[..len];
                (
                    Piece::Escape(Escape {
                        kind: EscapeKind::Csi,
                        raw,
                    }),
                    len,
                )
            }
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => {
                let len = 2 + string_body(&rest[2..]);
                (
                    Piece::Escape(Escape {
                        kind: EscapeKind::String,
                        raw: &rest[..len],
                    }),
                    len,
                )
            }
            c if is_unsafe(c) => (Piece::Control(c), c.len_utf8()),
            _ => {
                let len = rest
                    .char_indices()
                    .find(|&(_, c)| is_unsafe(c))
                    .map_or(rest.len(), |(i, _)| i);
                (Piece::Text(&rest[..len]), len)
            }
        };
        self.at += len;
        Some(piece)
    }
}

/// The kind and length of the sequence at the start of `rest`, which
/// starts with ESC.
fn escape_after_esc(rest: &str) -> (EscapeKind, usize) {
    let after = &rest[1..];
    match after.chars().next() {
        Some('[') => (EscapeKind::Csi, 2 + csi_body(&after[1..])),
        Some(']' | 'P' | 'X' | '^' | '_') => (EscapeKind::String, 2 + string_body(&after[1..])),
        Some(' '..='/') => {
            // `ESC ( B` and friends: intermediate bytes, then one final byte.
            let n = after
                .bytes()
                .take_while(|b| (b' '..=b'/').contains(b))
                .count();
            let fin = after[n..]
                .chars()
                .next()
                .filter(|c| ('0'..='~').contains(c))
                .map_or(0, char::len_utf8);
            (EscapeKind::Other, 1 + n + fin)
        }
        Some(c @ '0'..='~') => (EscapeKind::Other, 1 + c.len_utf8()),
        _ => (EscapeKind::Other, 1),
    }
}

/// CSI parameters and intermediates (`0x20..=0x3f`), then one final byte
/// in `@..=~`. A malformed sequence ends before the offending character, so
/// a stray `ESC [` cannot swallow the rest of the text.
fn csi_body(body: &str) -> usize {
    let n = body
        .bytes()
        .take_while(|b| (b' '..=b'?').contains(b))
        .count();
    match body.as_bytes().get(n) {
        Some(b) if (b'@'..=b'~').contains(b) => n + 1,
        _ => n,
    }
}

/// A string sequence's body up to and including its terminator: BEL, ST
/// (`ESC \`) or the C1 ST; the whole rest when it is unterminated.
fn string_body(body: &str) -> usize {
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return i + c.len_utf8(),
            '\u{1b}' if chars.peek().map(|&(_, n)| n) == Some('\\') => return i + 2,
            _ => {}
        }
    }
    body.len()
}

/// `text` with every escape sequence and unsafe character shown as a
/// visible escape (`\u{1b}]0;title\u{7}`); tab and newline stay, and so
/// does nothing else that could act. `\r\n` line endings become `\n`: a
/// carriage return before a newline overwrites nothing.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    render(text, false, true)
}

/// As [`neutralise`], newlines shown as `\u{a}` too: for text that must
/// stay on one line (a table cell, a status row).
pub fn neutralise_line(text: &str) -> Cow<'_, str> {
    render(text, false, false)
}

/// A build log line for a colour terminal: plain SGR colours pass (then a
/// reset at the end, so they cannot leak into rewind's next line), every
/// other sequence and unsafe character is shown as with [`neutralise`].
pub fn neutralise_keeping_colours(text: &str) -> Cow<'_, str> {
    render(text, true, true)
}

fn render(text: &str, keep_colours: bool, keep_newlines: bool) -> Cow<'_, str> {
    let safe = |c: char| !is_unsafe(c) && (keep_newlines || c != '\n');
    if text.chars().all(safe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut coloured = false;
    let mut pieces = pieces(text).peekable();
    while let Some(piece) = pieces.next() {
        match piece {
            Piece::Text(t) if keep_newlines => out.push_str(t),
            Piece::Text(t) => {
                for c in t.chars() {
                    push_char(&mut out, c, false);
                }
            }
            Piece::Escape(e) if keep_colours && e.is_plain_sgr() => {
                out.push_str(e.raw);
                coloured = true;
            }
            Piece::Escape(e) => {
                for c in e.raw.chars() {
                    push_char(&mut out, c, keep_newlines);
                }
            }
            Piece::Control('\r')
                if keep_newlines
                    && matches!(pieces.peek(), Some(Piece::Text(t)) if t.starts_with('\n')) => {}
            Piece::Control(c) => visible(&mut out, c),
        }
    }
    if coloured {
        out.push_str("\u{1b}[0m");
    }
    Cow::Owned(out)
}

fn push_char(out: &mut String, c: char, keep_newlines: bool) {
    if is_unsafe(c) || (c == '\n' && !keep_newlines) {
        visible(out, c);
    } else {
        out.push(c);
    }
}

/// `\u{1b}`: the notation a Rust string uses, so it reads the same in
/// rewind's docs, its tests and its output.
fn visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// `text` with escape sequences and unsafe characters removed (tab and
/// newline kept): for matching, never for showing (what was removed would
/// go unseen).
pub fn strip_escapes(text: &str) -> String {
    pieces(text)
        .filter_map(|p| match p {
            Piece::Text(t) => Some(t),
            Piece::Escape(_) | Piece::Control(_) => None,
        })
        .collect()
}

/// The first `n` characters of `text` (all of it when shorter), cut on a
/// character boundary: slicing text from outside by bytes could split a
/// character and panic.
pub fn prefix(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "005_\u{1b}]0;title\u{7}\u{1b}[1A\u{1b}[2Kevil.sql";

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(
            neutralise(HOSTILE),
            "005_\\u{1b}]0;title\\u{7}\\u{1b}[1A\\u{1b}[2Kevil.sql"
        );
    }

    #[test]
    fn bidi_invisible_and_carriage_returns_become_visible() {
        assert_eq!(
            neutralise("a\u{202e}b\u{2066}c\u{200b}d\re\r\nf\u{85}g\u{7f}"),
            "a\\u{202e}b\\u{2066}c\\u{200b}d\\u{d}e\nf\\u{85}g\\u{7f}"
        );
        assert_eq!(neutralise_line("one\ntwo\tthree"), "one\\u{a}two\tthree");
    }

    #[test]
    fn safe_text_is_borrowed_untouched() {
        let text = "feat: ajoute l'export 👨\u{200d}👩 (#12)\n\tdone";
        assert!(matches!(neutralise(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn colours_pass_only_where_asked_and_never_concealed() {
        let line = "\u{1b}[1;32mok\u{1b}[0m \u{1b}[8mhidden\u{1b}]0;t\u{7}";
        assert_eq!(
            neutralise_keeping_colours(line),
            "\u{1b}[1;32mok\u{1b}[0m \\u{1b}[8mhidden\\u{1b}]0;t\\u{7}\u{1b}[0m"
        );
        assert_eq!(
            neutralise(line),
            "\\u{1b}[1;32mok\\u{1b}[0m \\u{1b}[8mhidden\\u{1b}]0;t\\u{7}"
        );
    }

    #[test]
    fn the_scanner_cuts_whole_sequences() {
        let cut: Vec<Piece<'_>> =
            pieces("a\u{1b}[2Jb\u{1b}]8;;https://x\u{1b}\\c\u{9b}1Ad\u{202e}").collect();
        let raw: Vec<&str> = cut
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t,
                Piece::Escape(e) => e.raw,
                Piece::Control(_) => "<c>",
            })
            .collect();
        assert_eq!(
            raw,
            [
                "a",
                "\u{1b}[2J",
                "b",
                "\u{1b}]8;;https://x\u{1b}\\",
                "c",
                "\u{9b}1A",
                "d",
                "<c>"
            ]
        );
    }

    #[test]
    fn stripping_leaves_only_text() {
        assert_eq!(strip_escapes(HOSTILE), "005_evil.sql");
        assert_eq!(strip_escapes("\u{1b}[1;\u{7}x"), "x");
        assert_eq!(strip_escapes("end\u{1b}"), "end");
    }

    #[test]
    fn a_prefix_is_cut_on_characters_never_inside_one() {
        assert_eq!(prefix("0123456789abcdef", 7), "0123456");
        assert_eq!(prefix("abc", 7), "abc");
        assert_eq!(prefix("", 7), "");
        // Bytes 0..7 would end inside the fourth `é`: a byte slice panics.
        assert_eq!(prefix("éééééééé", 7), "ééééééé");
        assert_eq!(crate::git::short_sha("é1234567890"), "é123456");
    }
}
