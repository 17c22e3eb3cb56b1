//! Typed reading of one table of `rewind.toml`, keeping where each value
//! was written, and recording a problem for every key that is unknown,
//! missing or of the wrong type.
//!
//! This works on `toml`'s spanned document rather than serde structs:
//! serde stops at the first error and does not say which key it was in.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::collector::Collector;

/// Keys people use for an API token. They get their own message: the file
/// is meant to be committed, so the token belongs in the environment.
const TOKEN_KEYS: [&str; 4] = ["token", "api_token", "scalingo_api_token", "scalingo_token"];

/// The longest text a key may hold: names, URLs, formats and descriptions
/// are short; a megabyte there is a pasted file or a generated mistake, and
/// would be sent to the platform or printed on every run.
const MAX_TEXT: usize = 4096;

/// A table and its place in the document (`apps[0].database`).
pub(crate) struct Table<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    path: String,
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn root(document: &'a Spanned<DeTable<'i>>) -> Self {
        Table {
            table: document.get_ref(),
            span: document.span(),
            path: String::new(),
        }
    }

    /// The path of `key` in this table, for messages.
    pub fn key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where the table starts: the place to report a missing key.
    pub fn start(&self) -> usize {
        self.span.start
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Where the value of `key` is written, to point at it.
    pub fn value_start(&self, key: &str) -> Option<usize> {
        self.get(key).map(|v| v.span().start)
    }

    fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    /// Reports every key not in `allowed`: a misspelt key would otherwise
    /// silently fall back to its default.
    pub fn check_keys(&self, c: &mut Collector, allowed: &[&str]) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let path = self.key(name);
            if TOKEN_KEYS.contains(&name.to_ascii_lowercase().as_str()) {
                c.at(
                    key.span().start,
                    &path,
                    "API tokens must not be stored in rewind.toml, which is meant to be \
                     committed; remove this key and set SCALINGO_API_TOKEN in the environment",
                );
                continue;
            }
            let guess = closest(name, allowed)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            c.at(
                key.span().start,
                &path,
                format!(
                    "unknown key{guess}; expected one of: {}",
                    allowed.join(", ")
                ),
            );
        }
    }

    fn wrong_type(
        &self,
        c: &mut Collector,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        expected: &str,
    ) {
        c.at(
            value.span().start,
            &self.key(key),
            format!("expected {expected}, found {}", value.get_ref().type_str()),
        );
    }

    fn too_long(&self, c: &mut Collector, key: &str, at: usize, len: usize) {
        c.at(
            at,
            &self.key(key),
            format!("{len} bytes long; expected at most {MAX_TEXT} (check what was pasted here)"),
        );
    }

    /// Records that a required key is absent.
    pub fn missing(&self, c: &mut Collector, key: &str, expected: &str) {
        c.at(
            self.start(),
            &self.key(key),
            format!("missing; expected {expected}"),
        );
    }

    /// A string; `None` when absent or not a string (recorded).
    pub fn string(&self, c: &mut Collector, key: &str, expected: &str) -> Option<Spanned<String>> {
        let value = self.get(key)?;
        match value.get_ref().as_str() {
            Some(s) if s.len() > MAX_TEXT => {
                self.too_long(c, key, value.span().start, s.len());
                None
            }
            Some(s) => Some(Spanned::new(value.span(), s.to_string())),
            None => {
                self.wrong_type(c, key, value, expected);
                None
            }
        }
    }

    /// A string that must be there.
    pub fn required_string(
        &self,
        c: &mut Collector,
        key: &str,
        expected: &str,
    ) -> Option<Spanned<String>> {
        if !self.has(key) {
            self.missing(c, key, expected);
            return None;
        }
        self.string(c, key, expected)
    }

    /// A string, boolean or integer, as text: environment variables are
    /// strings, but `off_value = false` is what people write.
    pub fn scalar_text(
        &self,
        c: &mut Collector,
        key: &str,
        expected: &str,
    ) -> Option<Spanned<String>> {
        let value = self.get(key)?;
        let text = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Boolean(b) => b.to_string(),
            DeValue::Integer(i) => integer(i)?.to_string(),
            _ => {
                self.wrong_type(c, key, value, expected);
                return None;
            }
        };
        Some(Spanned::new(value.span(), text))
    }

    /// A boolean; `None` when absent or not a boolean (recorded).
    pub fn boolean(&self, c: &mut Collector, key: &str, expected: &str) -> Option<Spanned<bool>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(value.span(), *b)),
            _ => {
                self.wrong_type(c, key, value, expected);
                None
            }
        }
    }

    /// An integer; `None` when absent or not an integer (recorded).
    pub fn integer(&self, c: &mut Collector, key: &str, expected: &str) -> Option<Spanned<i64>> {
        let value = self.get(key)?;
        let parsed = value.get_ref().as_integer().and_then(integer);
        match parsed {
            Some(n) => Some(Spanned::new(value.span(), n)),
            None => {
                self.wrong_type(c, key, value, expected);
                None
            }
        }
    }

    /// An array of strings; `None` when absent or mistyped (recorded, each
    /// wrong item at its own line).
    pub fn strings(
        &self,
        c: &mut Collector,
        key: &str,
        expected: &str,
    ) -> Option<Vec<Spanned<String>>> {
        let value = self.get(key)?;
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(c, key, value, expected);
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match item.get_ref().as_str() {
                Some(s) if s.len() > MAX_TEXT => {
                    ok = false;
                    self.too_long(c, &format!("{key}[{i}]"), item.span().start, s.len());
                }
                Some(s) => out.push(Spanned::new(item.span(), s.to_string())),
                None => {
                    ok = false;
                    self.wrong_type(c, &format!("{key}[{i}]"), item, "a string");
                }
            }
        }
        ok.then_some(out)
    }

    /// A sub-table (`[apps.database]`).
    pub fn table(&self, c: &mut Collector, key: &str) -> Option<Table<'a, 'i>> {
        let value = self.get(key)?;
        match value.get_ref().as_table() {
            Some(table) => Some(Table {
                table,
                span: value.span(),
                path: self.key(key),
            }),
            None => {
                self.wrong_type(c, key, value, &format!("a table ([{}])", self.key(key)));
                None
            }
        }
    }

    /// An array of tables (`[[apps]]`), each named `key[i]`.
    pub fn tables(&self, c: &mut Collector, key: &str) -> Option<Vec<Table<'a, 'i>>> {
        let value = self.get(key)?;
        let expected = format!("an array of tables ([[{}]])", self.key(key));
        let Some(items) = value.get_ref().as_array() else {
            self.wrong_type(c, key, value, &expected);
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = self.key(&format!("{key}[{i}]"));
            match item.get_ref().as_table() {
                Some(table) => out.push(Table {
                    table,
                    span: item.span(),
                    path,
                }),
                None => c.at(
                    item.span().start,
                    &path,
                    format!("expected a table, found {}", item.get_ref().type_str()),
                ),
            }
        }
        Some(out)
    }
}

fn integer(value: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(value.as_str(), value.radix()).ok()
}

/// The allowed key nearest to a misspelt one, when it is close enough to
/// be a typo.
fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_key_only_for_near_misses() {
        let allowed = ["region", "remote", "name"];
        assert_eq!(closest("regoin", &allowed), Some("region"));
        assert_eq!(closest("remot", &allowed), Some("remote"));
        assert_eq!(closest("database_url", &allowed), None);
    }
}
