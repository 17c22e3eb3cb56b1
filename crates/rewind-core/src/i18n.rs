//! The two languages rewind speaks (French, the runbook's, and English)
//! and how the one to use is chosen: `--lang` when given, otherwise the
//! locale, read once here for every command that talks.

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

    /// The language the environment's locale asks for (`LC_ALL`,
    /// `LC_MESSAGES`, `LANG`, in that order of precedence).
    pub fn from_env() -> Lang {
        let vars = ["LC_ALL", "LC_MESSAGES", "LANG"].map(|name| std::env::var(name).ok());
        Lang::from_locale_vars(vars.iter().map(|v| v.as_deref()))
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
