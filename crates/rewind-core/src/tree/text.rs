//! The two languages of the runbook and a piece of text written in both.
//!
//! The team's runbook is French and some on-call engineers read English, so
//! every question, answer and action carries both; nothing falls back from one
//! to the other, which is why the loader insists on both.

use std::fmt;
use std::str::FromStr;

/// A language the tree can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// The language a locale string such as `fr_FR.UTF-8` asks for: French
    /// when it starts with `fr`, English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The language from the POSIX locale variables, given in their order of
    /// precedence (`LC_ALL`, `LC_MESSAGES`, `LANG`): the first one set and
    /// not empty decides, as it does for any other program.
    pub fn from_locale_vars<'a>(vars: impl IntoIterator<Item = Option<&'a str>>) -> Lang {
        vars.into_iter()
            .flatten()
            .find(|value| !value.is_empty())
            .map_or(Lang::En, Lang::from_locale)
    }

    /// The code used on the command line and in tree files.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is neither `fr` nor `en`.
#[derive(Debug, thiserror::Error)]
#[error("unknown language `{0}`; expected `fr` or `en`")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            other => Err(UnknownLang(other.to_owned())),
        }
    }
}

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
