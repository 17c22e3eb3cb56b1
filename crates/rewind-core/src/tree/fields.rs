//! Reading typed fields out of a spanned TOML table, recording a problem (at
//! the right line) for every key that is missing, mistyped or unknown.
//!
//! The loader works on `toml`'s spanned document rather than on serde
//! structs because serde stops at the first error and forgets where the
//! others were.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problem::{Collector, list};
use super::text::Text;

/// A table of the tree file, named for messages ("question `q1`").
pub(crate) struct Fields<'a, 'i> {
    pub table: &'a DeTable<'i>,
    pub span: Range<usize>,
    pub what: String,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(value: &'a Spanned<DeValue<'i>>, what: String) -> Option<Self> {
        value.get_ref().as_table().map(|table| Fields {
            table,
            span: value.span(),
            what,
        })
    }

    pub fn get(
        &self,
        key: &str,
    ) -> Option<(
        &'a Spanned<toml::de::DeString<'i>>,
        &'a Spanned<DeValue<'i>>,
    )> {
        self.table.iter().find(|(k, _)| k.get_ref() == key)
    }

    /// Reports every key not in `allowed`: a misspelt `next` would otherwise
    /// silently mean "no next".
    pub fn reject_unknown_keys(&self, c: &mut Collector<'_>, allowed: &[&str]) {
        for (key, _) in self.table.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                c.at(
                    key.span().start,
                    format!(
                        "{}: unknown key `{}`; expected one of: {}",
                        self.what,
                        key.get_ref(),
                        list(allowed)
                    ),
                );
            }
        }
    }

    /// A string value with the offset where it was written.
    pub fn string(
        &self,
        c: &mut Collector<'_>,
        key: &str,
        required: Option<&str>,
    ) -> Option<Spanned<String>> {
        match self.get(key) {
            None => {
                if let Some(expected) = required {
                    c.at(
                        self.span.start,
                        format!("{}: missing `{key}`; expected {expected}", self.what),
                    );
                }
                None
            }
            Some((_, value)) => match value.get_ref().as_str() {
                Some(s) => Some(Spanned::new(value.span(), s.to_owned())),
                None => {
                    c.at(
                        value.span().start,
                        format!(
                            "{}: `{key}` must be a string, found {}",
                            self.what,
                            value.get_ref().type_str()
                        ),
                    );
                    None
                }
            },
        }
    }

    pub fn bool(&self, c: &mut Collector<'_>, key: &str) -> Option<bool> {
        let (_, value) = self.get(key)?;
        match value.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                c.at(
                    value.span().start,
                    format!(
                        "{}: `{key}` must be true or false, found {}",
                        self.what,
                        value.get_ref().type_str()
                    ),
                );
                None
            }
        }
    }

    /// A `{ fr = "...", en = "..." }` table; `None` (with problems recorded)
    /// unless both languages are there.
    pub fn text(&self, c: &mut Collector<'_>, key: &str, required: bool) -> Option<Text> {
        let Some((key_span, value)) = self.get(key) else {
            if required {
                c.at(
                    self.span.start,
                    format!(
                        "{}: missing `{key}`; expected {key} = {{ fr = \"...\", en = \"...\" }}",
                        self.what
                    ),
                );
            }
            return None;
        };
        let Some(table) = value.get_ref().as_table() else {
            c.at(
                value.span().start,
                format!(
                    "{}: `{key}` must be a table with the French and English text, \
                     {key} = {{ fr = \"...\", en = \"...\" }}; found {}",
                    self.what,
                    value.get_ref().type_str()
                ),
            );
            return None;
        };
        let inner = Fields {
            table,
            // Dotted keys (`text.fr = ...`) give the table no span of its
            // own: the key is where a person looks.
            span: key_span.span(),
            what: format!("{}: `{key}`", self.what),
        };
        inner.reject_unknown_keys(c, &["fr", "en"]);
        let fr = self.language(c, &inner, key, "fr", "French");
        let en = self.language(c, &inner, key, "en", "English");
        Some(Text { fr: fr?, en: en? })
    }

    fn language(
        &self,
        c: &mut Collector<'_>,
        inner: &Fields<'_, '_>,
        key: &str,
        code: &str,
        name: &str,
    ) -> Option<String> {
        let Some((_, value)) = inner.get(code) else {
            c.at(
                inner.span.start,
                format!(
                    "{}: `{key}` has no `{code}`; expected the {name} text as {key}.{code} = \"...\"",
                    self.what
                ),
            );
            return None;
        };
        match value.get_ref().as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_owned()),
            Some(_) => {
                c.at(
                    value.span().start,
                    format!(
                        "{}: `{key}.{code}` is empty; expected the {name} text",
                        self.what
                    ),
                );
                None
            }
            None => {
                c.at(
                    value.span().start,
                    format!(
                        "{}: `{key}.{code}` must be a string, found {}",
                        self.what,
                        value.get_ref().type_str()
                    ),
                );
                None
            }
        }
    }
}
