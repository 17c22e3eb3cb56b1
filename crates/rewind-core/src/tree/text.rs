//! A piece of the runbook's text written in both of its languages.
//!
//! The team's runbook is French and some on-call engineers read English, so
//! every question, answer and action carries both; nothing falls back from one
//! to the other, which is why the loader insists on both. The languages
//! themselves live in [`crate::i18n`]: they serve the prompter, the guide and
//! the drill as much as the tree.

pub use crate::i18n::{Lang, UnknownLang};

/// The same text in French and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}
