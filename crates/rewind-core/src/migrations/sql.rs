//! Classifies SQL statements by their leading keywords (PostgreSQL first,
//! with MySQL's `MODIFY`/`CHANGE`): `CREATE ...` is additive, `DROP`,
//! `RENAME`, a column type change, `SET NOT NULL`, a `NOT NULL` column
//! without a default, `UPDATE`, `DELETE`, `TRUNCATE` are destructive;
//! procedural blocks and anything unrecognised are unknown. Transaction
//! control, `SET`, `COMMENT`, `GRANT`... change no data and do not count.

use super::class::{Class, Reason, shorten};
use super::tokenizer::{Statement, Token, statements};

/// What one statement does; `None` class means it changes nothing that
/// matters (transaction control, settings, comments, grants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Option<Class>,
    pub what: String,
}

fn verdict(class: Class, what: impl Into<String>) -> Verdict {
    Verdict {
        class: Some(class),
        what: what.into(),
    }
}

fn harmless() -> Verdict {
    Verdict {
        class: None,
        what: String::new(),
    }
}

/// The class of a SQL file and the statements that made it so (those of
/// the worst class). A file whose statements change nothing is additive.
pub fn classify_sql(sql: &str) -> (Class, Vec<Reason>) {
    let mut judged: Vec<(Class, Reason)> = Vec::new();
    for statement in statements(sql) {
        let v = classify_statement(&statement);
        if let Some(class) = v.class {
            judged.push((
                class,
                Reason {
                    line: statement.line,
                    what: v.what,
                    source: shorten(&statement.text),
                },
            ));
        }
    }
    worst(judged)
}

/// The worst class among `judged` with the reasons of that class; additive
/// with no reason when empty.
pub(crate) fn worst(judged: Vec<(Class, Reason)>) -> (Class, Vec<Reason>) {
    let class = judged
        .iter()
        .map(|(c, _)| *c)
        .max()
        .unwrap_or(Class::Additive);
    let reasons = judged
        .into_iter()
        .filter(|(c, _)| *c == class)
        .map(|(_, r)| r)
        .collect();
    (class, reasons)
}

/// Classifies one statement.
pub fn classify_statement(statement: &Statement) -> Verdict {
    let t = &statement.tokens;
    let Some(first) = t.first() else {
        return harmless();
    };
    let Token::Word(word) = first else {
        return verdict(
            Class::Unknown,
            format!("statement rewind does not know (starts with {first:?})"),
        );
    };
    match word.to_ascii_uppercase().as_str() {
        "CREATE" => create(t),
        "DROP" => {
            let (kind, rest) = object_kind(&t[1..]);
            verdict(
                Class::Destructive,
                format!("drops {kind} {}", name_after_if_exists(rest)),
            )
        }
        "ALTER" => alter(t),
        "TRUNCATE" => verdict(
            Class::Destructive,
            format!("empties table {}", name_after(&t[1..], &["TABLE", "ONLY"])),
        ),
        "DELETE" => verdict(
            Class::Destructive,
            format!(
                "deletes rows from {}",
                name_after(&t[1..], &["FROM", "ONLY"])
            ),
        ),
        "UPDATE" => verdict(
            Class::Destructive,
            format!("rewrites rows of {}", name_after(&t[1..], &["ONLY"])),
        ),
        "MERGE" => verdict(
            Class::Destructive,
            format!("merges rows into {}", name_after(&t[1..], &["INTO"])),
        ),
        "INSERT" => verdict(
            Class::Additive,
            format!("inserts rows into {}", name_after(&t[1..], &["INTO"])),
        ),
        "COPY" if top_level(t).any(|w| w.is("FROM")) => verdict(
            Class::Additive,
            format!("loads rows into {}", name_after(&t[1..], &[])),
        ),
        "WITH" => with_query(t),
        "DO" => verdict(
            Class::Unknown,
            "runs a procedural block (DO): rewind cannot tell what it changes",
        ),
        "CALL" => verdict(
            Class::Unknown,
            format!(
                "calls procedure {}: rewind cannot tell what it changes",
                name_after(&t[1..], &[])
            ),
        ),
        "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "SET"
        | "RESET" | "COMMENT" | "GRANT" | "REVOKE" | "ANALYZE" | "ANALYSE" | "VACUUM"
        | "REINDEX" | "REFRESH" | "LOCK" | "NOTIFY" | "LISTEN" | "SHOW" | "SELECT" | "VALUES"
        | "EXPLAIN" | "USE" => harmless(),
        other => verdict(
            Class::Unknown,
            format!("statement rewind does not know ({other})"),
        ),
    }
}

/// Tokens outside parentheses.
fn top_level(tokens: &[Token]) -> impl Iterator<Item = &Token> {
    let mut depth = 0i32;
    tokens.iter().filter(move |t| match t {
        Token::Punct('(') => {
            depth += 1;
            false
        }
        Token::Punct(')') => {
            depth -= 1;
            false
        }
        _ => depth == 0,
    })
}

/// A possibly qualified name (`schema.table`) at the start of `tokens`,
/// and how many tokens it took.
fn qualified_name(tokens: &[Token]) -> (String, usize) {
    let mut parts = Vec::new();
    let mut i = 0;
    while let Some(name) = tokens.get(i).and_then(Token::name) {
        parts.push(name.to_string());
        i += 1;
        if tokens.get(i) == Some(&Token::Punct('.')) {
            i += 1;
        } else {
            break;
        }
    }
    if parts.is_empty() {
        ("?".to_string(), 0)
    } else {
        (parts.join("."), i)
    }
}

/// The name after optional leading keywords.
fn name_after(tokens: &[Token], skip: &[&str]) -> String {
    let start = tokens
        .iter()
        .take_while(|t| skip.iter().any(|k| t.is(k)))
        .count();
    qualified_name(&tokens[start..]).0
}

fn name_after_if_exists(tokens: &[Token]) -> String {
    name_after(tokens, &["IF", "EXISTS", "CONCURRENTLY", "NOT"])
}

/// The object kind after CREATE/DROP/ALTER (`table`, `materialized view`,
/// `index`...) and the tokens after it.
fn object_kind(tokens: &[Token]) -> (String, &[Token]) {
    const MODIFIERS: [&str; 12] = [
        "OR",
        "REPLACE",
        "GLOBAL",
        "LOCAL",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "UNIQUE",
        "RECURSIVE",
        "TRUSTED",
        "PROCEDURAL",
        "CONSTRAINT",
    ];
    let start = tokens
        .iter()
        .take_while(|t| MODIFIERS.iter().any(|m| t.is(m)))
        .count();
    let rest = &tokens[start..];
    match rest {
        [a, b, tail @ ..] if a.is("MATERIALIZED") && b.is("VIEW") => {
            ("materialized view".to_string(), tail)
        }
        [a, b, tail @ ..] if a.is("FOREIGN") && b.is("TABLE") => {
            ("foreign table".to_string(), tail)
        }
        [Token::Word(kind), tail @ ..] => (kind.to_ascii_lowercase(), tail),
        _ => ("object".to_string(), rest),
    }
}

fn create(t: &[Token]) -> Verdict {
    let (kind, rest) = object_kind(&t[1..]);
    let rest = if kind == "index" {
        // CREATE INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table
        let skip = rest
            .iter()
            .take_while(|t| t.is("CONCURRENTLY") || t.is("IF") || t.is("NOT") || t.is("EXISTS"))
            .count();
        &rest[skip..]
    } else {
        rest
    };
    let name = name_after(rest, &["IF", "NOT", "EXISTS"]);
    verdict(Class::Additive, format!("creates {kind} {name}"))
}

fn alter(t: &[Token]) -> Verdict {
    let (kind, rest) = object_kind(&t[1..]);
    if kind != "table" {
        let name = name_after_if_exists(rest);
        if top_level(rest).any(|w| w.is("RENAME")) {
            return verdict(Class::Destructive, format!("renames in {kind} {name}"));
        }
        if kind == "type" && top_level(rest).any(|w| w.is("ADD")) {
            return verdict(Class::Additive, format!("adds to type {name}"));
        }
        if top_level(rest).any(|w| w.is("OWNER")) {
            return harmless();
        }
        return verdict(
            Class::Unknown,
            format!("alters {kind} {name}: rewind cannot tell what it changes"),
        );
    }
    let skip = rest
        .iter()
        .take_while(|t| t.is("IF") || t.is("EXISTS") || t.is("ONLY"))
        .count();
    let (table, used) = qualified_name(&rest[skip..]);
    let mut actions = &rest[skip + used..];
    if actions.first() == Some(&Token::Punct('*')) {
        actions = &actions[1..];
    }
    let judged: Vec<Verdict> = split_actions(actions)
        .into_iter()
        .map(|a| table_action(&table, a))
        .collect();
    judged
        .into_iter()
        .filter(|v| v.class.is_some())
        .max_by_key(|v| v.class)
        .unwrap_or_else(harmless)
}

/// ALTER TABLE actions are separated by commas outside parentheses.
fn split_actions(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&tokens[start..]);
    out.into_iter().filter(|a| !a.is_empty()).collect()
}

fn table_action(table: &str, action: &[Token]) -> Verdict {
    let Some(first) = action.first() else {
        return harmless();
    };
    let rest = &action[1..];
    if first.is("ADD") {
        return add_to_table(table, rest);
    }
    if first.is("DROP") {
        let (what, tail) = match rest.first() {
            Some(t) if t.is("COLUMN") => ("column", &rest[1..]),
            Some(t) if t.is("CONSTRAINT") => ("constraint", &rest[1..]),
            Some(t) if t.is("INDEX") || t.is("KEY") => ("index", &rest[1..]),
            _ => ("column", rest),
        };
        let name = name_after_if_exists(tail);
        return verdict(Class::Destructive, format!("drops {what} {table}.{name}"));
    }
    if first.is("RENAME") {
        return verdict(Class::Destructive, format!("renames in table {table}"));
    }
    if first.is("MODIFY") || first.is("CHANGE") {
        let name = name_after(rest, &["COLUMN"]);
        return verdict(
            Class::Destructive,
            format!("redefines column {table}.{name}"),
        );
    }
    if first.is("ALTER") {
        return alter_column(table, rest);
    }
    if first.is("OWNER") {
        return harmless();
    }
    verdict(
        Class::Unknown,
        format!(
            "alters table {table} ({}): rewind cannot tell what it changes",
            first.name().unwrap_or("?").to_ascii_uppercase()
        ),
    )
}

fn add_to_table(table: &str, rest: &[Token]) -> Verdict {
    const CONSTRAINTS: [&str; 6] = [
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "FOREIGN",
        "CHECK",
        "EXCLUDE",
    ];
    if rest.first().is_some_and(|t| t.is("INDEX") || t.is("KEY")) {
        return verdict(Class::Additive, format!("adds an index to {table}"));
    }
    if rest
        .first()
        .is_some_and(|t| CONSTRAINTS.iter().any(|c| t.is(c)))
    {
        return verdict(
            Class::Unknown,
            format!("adds a constraint to {table}, which the previous release may not respect"),
        );
    }
    let column = name_after(rest, &["COLUMN", "IF", "NOT", "EXISTS"]);
    let words: Vec<&Token> = top_level(rest).collect();
    let not_null = words.windows(2).any(|w| w[0].is("NOT") && w[1].is("NULL"));
    let has_default = words.iter().any(|w| w.is("DEFAULT") || w.is("GENERATED"));
    if not_null && !has_default {
        verdict(
            Class::Destructive,
            format!(
                "adds column {table}.{column} NOT NULL without a default: the previous release does not fill it"
            ),
        )
    } else {
        verdict(Class::Additive, format!("adds column {table}.{column}"))
    }
}

fn alter_column(table: &str, rest: &[Token]) -> Verdict {
    let skip = usize::from(rest.first().is_some_and(|t| t.is("COLUMN")));
    let (column, used) = qualified_name(&rest[skip..]);
    let tail = &rest[skip + used..];
    let has = |a: &str, b: &str| tail.windows(2).any(|w| w[0].is(a) && w[1].is(b));
    if tail.first().is_some_and(|t| t.is("TYPE")) || has("DATA", "TYPE") {
        return verdict(
            Class::Destructive,
            format!("changes the type of {table}.{column} (rewrites it)"),
        );
    }
    if has("SET", "NOT") {
        return verdict(
            Class::Destructive,
            format!("makes {table}.{column} NOT NULL"),
        );
    }
    if has("DROP", "NOT") || has("SET", "DEFAULT") || has("DROP", "DEFAULT") {
        return verdict(Class::Additive, format!("loosens {table}.{column}"));
    }
    if has("SET", "STATISTICS") || has("SET", "STORAGE") {
        return harmless();
    }
    verdict(
        Class::Unknown,
        format!("alters column {table}.{column}: rewind cannot tell what it changes"),
    )
}

/// `WITH ... DELETE/UPDATE/INSERT`: judged by the data-changing verbs at
/// the top level and inside the common table expressions.
fn with_query(t: &[Token]) -> Verdict {
    if t.iter().any(|w| w.is("DELETE") || w.is("UPDATE")) {
        verdict(
            Class::Destructive,
            "rewrites or deletes rows (WITH ... UPDATE/DELETE)",
        )
    } else if t.iter().any(|w| w.is("INSERT")) {
        verdict(Class::Additive, "inserts rows (WITH ... INSERT)")
    } else {
        harmless()
    }
}
