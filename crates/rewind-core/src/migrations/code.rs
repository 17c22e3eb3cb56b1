//! Migrations written in code (Knex, TypeORM, Sequelize in JavaScript or
//! TypeScript; Rails in Ruby). rewind does not run them, so it cannot know
//! everything they do: such a file is at least *unknown*, and *destructive*
//! when its `up` (or `change`) part obviously calls `dropTable`,
//! `dropColumn`, `renameColumn`, `remove_column`... or passes destructive
//! SQL to `query`/`raw`/`execute`. The `down` part is left out: it undoes
//! the migration, and dropping what `up` created is its job.

use super::class::{Class, Reason, shorten};
use super::sql::{classify_sql, worst};

/// The languages read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    JavaScript,
    Ruby,
}

impl Language {
    /// From a file's extension.
    pub fn of_path(path: &str) -> Option<Language> {
        let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => Some(Language::JavaScript),
            "rb" => Some(Language::Ruby),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Language::JavaScript => "JavaScript/TypeScript",
            Language::Ruby => "Ruby",
        }
    }

    fn destructive_calls(self) -> &'static [&'static str] {
        match self {
            Language::JavaScript => &[
                "dropTable",
                "dropTableIfExists",
                "dropColumn",
                "dropColumns",
                "renameColumn",
                "renameTable",
                "removeColumn",
                "changeColumn",
                "dropIndex",
                "removeIndex",
                "dropForeign",
                "dropForeignKey",
                "dropPrimary",
                "dropPrimaryKey",
                "dropUnique",
                "dropSchema",
                "dropView",
                "bulkDelete",
                "bulkUpdate",
                "truncate",
                "del",
            ],
            Language::Ruby => &[
                "remove_column",
                "remove_columns",
                "drop_table",
                "drop_join_table",
                "rename_column",
                "rename_table",
                "change_column",
                "change_column_null",
                "remove_index",
                "remove_reference",
                "remove_belongs_to",
                "remove_timestamps",
                "remove_foreign_key",
                "update_all",
                "delete_all",
                "destroy_all",
            ],
        }
    }
}

/// A string literal of the source and the line it starts on.
struct Literal {
    line: usize,
    offset: usize,
    text: String,
}

/// The source with comments removed and string contents blanked (so that
/// searching for calls sees code only), and the string literals apart.
struct Scanned {
    code: String,
    literals: Vec<Literal>,
}

/// The class of a code migration and why.
pub fn classify_code(source: &str, language: Language) -> (Class, Vec<Reason>) {
    let scanned = scan(source, language);
    let (from, to) = up_region(&scanned.code, language);
    let region = &scanned.code[from..to];
    let mut judged: Vec<(Class, Reason)> = Vec::new();
    for &call in language.destructive_calls() {
        for at in calls(region, call, language) {
            let offset = from + at;
            let line = line_of(&scanned.code, offset);
            judged.push((
                Class::Destructive,
                Reason {
                    line,
                    what: format!("calls {call}"),
                    source: shorten(source.lines().nth(line - 1).unwrap_or_default().trim()),
                },
            ));
        }
    }
    for literal in scanned
        .literals
        .iter()
        .filter(|l| (from..to).contains(&l.offset))
    {
        if !looks_like_sql(&literal.text) {
            continue;
        }
        let (class, reasons) = classify_sql(&literal.text);
        if class == Class::Destructive {
            judged.extend(reasons.into_iter().map(|r| {
                (
                    Class::Destructive,
                    Reason {
                        line: literal.line + r.line - 1,
                        ..r
                    },
                )
            }));
        }
    }
    if judged.is_empty() {
        return (
            Class::Unknown,
            vec![Reason {
                line: 1,
                what: format!(
                    "{} migration: rewind sees no obvious drop, rename or rewrite, but cannot tell what it does",
                    language.name()
                ),
                source: String::new(),
            }],
        );
    }
    judged.sort_by_key(|(_, r)| r.line);
    worst(judged)
}

fn looks_like_sql(text: &str) -> bool {
    const VERBS: [&str; 8] = [
        "CREATE", "ALTER", "DROP", "UPDATE", "DELETE", "INSERT", "TRUNCATE", "WITH",
    ];
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    VERBS.contains(&first.as_str())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Offsets in `code` where `name` is called: the whole identifier, then
/// `(` (JavaScript), or `(` or a space (Ruby calls need no parentheses).
fn calls(code: &str, name: &str, language: Language) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = code[..at].chars().next_back().is_none_or(|c| !is_ident(c));
        let after = &code[at + name.len()..];
        let after_ok = match after.chars().next() {
            Some(c) if is_ident(c) => false,
            _ => match language {
                Language::JavaScript => after.trim_start().starts_with('('),
                Language::Ruby => after.starts_with('(') || after.starts_with([' ', '\t']),
            },
        };
        if before_ok && after_ok {
            out.push(at);
        }
    }
    out
}

/// The part of the file that runs on deploy: from the `up`/`change`
/// definition to the `down` one (or the end); the whole file when it
/// defines neither.
fn up_region(code: &str, language: Language) -> (usize, usize) {
    let find = |names: &[&str]| -> Option<usize> {
        names
            .iter()
            .filter_map(|name| definition(code, name, language))
            .min()
    };
    let up = find(&["up", "change"]);
    let down = find(&["down"]);
    match (up, down) {
        (Some(u), Some(d)) if d > u => (u, d),
        (Some(u), _) => (u, code.len()),
        (None, Some(d)) => (0, d),
        (None, None) => (0, code.len()),
    }
}

/// Where `name` is defined: `def up` in Ruby; `up(`, `up:`, `up =` or
/// `.up =` in JavaScript.
fn definition(code: &str, name: &str, language: Language) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = code[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before = code[..at].chars().next_back();
        if before.is_some_and(is_ident) {
            continue;
        }
        let after = &code[at + name.len()..];
        if after.chars().next().is_some_and(is_ident) {
            continue;
        }
        let defined = match language {
            Language::Ruby => code[..at].trim_end().ends_with("def"),
            Language::JavaScript => {
                let next = after.trim_start();
                next.starts_with('(')
                    || next.starts_with(':')
                    || (next.starts_with('=') && !next.starts_with("=="))
            }
        };
        if defined {
            return Some(at);
        }
    }
    None
}

/// Removes comments and blanks string contents (keeping line breaks, so
/// offsets and lines stay true), collecting the literals.
fn scan(source: &str, language: Language) -> Scanned {
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let mut literals = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let line_comment = match language {
            Language::JavaScript => c == '/' && next == Some('/'),
            Language::Ruby => c == '#',
        };
        if line_comment {
            while i < chars.len() && chars[i] != '\n' {
                code.push(' ');
                i += 1;
            }
            continue;
        }
        if language == Language::JavaScript && c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                code.push(blank(chars[i]));
                i += 1;
            }
            code.push_str("  ");
            i += 2;
            continue;
        }
        if language == Language::Ruby
            && c == '<'
            && next == Some('<')
            && let Some((tag, tag_len)) = heredoc_tag(&chars[i + 2..])
        {
            // The body starts on the next line and ends at a line holding
            // only the tag.
            for _ in 0..tag_len + 2 {
                code.push(' ');
            }
            i += tag_len + 2;
            while i < chars.len() && chars[i] != '\n' {
                code.push(chars[i]);
                i += 1;
            }
            let start_line = line + 1;
            let offset = code.len();
            let mut body = String::new();
            while i < chars.len() {
                code.push('\n');
                line += 1;
                i += 1;
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |p| i + p);
                let text: String = chars[i..end].iter().collect();
                if text.trim() == tag {
                    code.push_str(&" ".repeat(text.len()));
                    i = end;
                    break;
                }
                body.push_str(&text);
                body.push('\n');
                code.push_str(&" ".repeat(text.len()));
                i = end;
            }
            literals.push(Literal {
                line: start_line,
                offset,
                text: body,
            });
            continue;
        }
        if c == '\'' || c == '"' || c == '`' {
            let start_line = line;
            let offset = code.len();
            let mut text = String::new();
            code.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    text.push(chars[i + 1]);
                    code.push(' ');
                    code.push(blank(chars[i + 1]));
                    i += 2;
                    continue;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                text.push(chars[i]);
                code.push(blank(chars[i]));
                i += 1;
            }
            code.push(' ');
            i += 1;
            literals.push(Literal {
                line: start_line,
                offset,
                text,
            });
            continue;
        }
        if c == '\n' {
            line += 1;
        }
        code.push(c);
        i += 1;
    }
    Scanned { code, literals }
}

/// `~SQL`, `-SQL`, `SQL` or `'SQL'` after `<<`: the tag and how many
/// characters it took.
fn heredoc_tag(rest: &[char]) -> Option<(String, usize)> {
    let mut i = 0;
    if matches!(rest.first(), Some('~' | '-')) {
        i += 1;
    }
    let quoted = matches!(rest.get(i), Some('\'' | '"'));
    if quoted {
        i += 1;
    }
    let start = i;
    while rest
        .get(i)
        .is_some_and(|c| c.is_ascii_uppercase() || *c == '_' || c.is_ascii_digit())
    {
        i += 1;
    }
    if i == start {
        return None;
    }
    let tag: String = rest[start..i].iter().collect();
    if quoted {
        i += 1;
    }
    Some((tag, i))
}
