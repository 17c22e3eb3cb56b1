//! Semantic versions as release-please writes them, ordered by semver
//! precedence: a release tag list must put `v10.0.0` after `v9.0.0` and
//! `1.0.0-rc.1` before `1.0.0`, which string order gets wrong.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Why a string is not a semantic version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a semantic version (MAJOR.MINOR.PATCH): {reason}")]
pub struct VersionError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// Only digits: compared as a number (`rc.2 < rc.10`).
    Numeric(u64),
    /// Anything else: compared as ASCII text, always after numeric ones.
    Alphanumeric(String),
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(a), Identifier::Numeric(b)) => a.cmp(b),
            (Identifier::Numeric(_), Identifier::Alphanumeric(_)) => Ordering::Less,
            (Identifier::Alphanumeric(_), Identifier::Numeric(_)) => Ordering::Greater,
            (Identifier::Alphanumeric(a), Identifier::Alphanumeric(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(n) => write!(f, "{n}"),
            Identifier::Alphanumeric(s) => f.write_str(s),
        }
    }
}

/// A semantic version: `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
///
/// Equality and ordering follow semver precedence: build metadata is kept
/// (and displayed) but ignored, so `1.0.0+a == 1.0.0+b`.
#[derive(Debug, Clone)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Pre-release identifiers; empty for a release.
    pub pre: Vec<Identifier>,
    /// Build metadata identifiers, as written.
    pub build: Vec<String>,
}

impl Version {
    /// A release version with no pre-release or build part.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
            build: Vec::new(),
        }
    }

    /// Parses strict semver 2.0.0 (no `v` prefix, no leading zeros).
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let fail = |reason: &str| VersionError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (rest, build) = match input.split_once('+') {
            Some((rest, build)) => (rest, parse_build(build).map_err(|r| fail(&r))?),
            None => (input, Vec::new()),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, parse_pre(pre).map_err(|r| fail(&r))?),
            None => (rest, Vec::new()),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        let [major, minor, patch] = numbers.as_slice() else {
            return Err(fail("expected three numbers separated by dots"));
        };
        Ok(Version {
            major: parse_number(major).map_err(|r| fail(&r))?,
            minor: parse_number(minor).map_err(|r| fail(&r))?,
            patch: parse_number(patch).map_err(|r| fail(&r))?,
            pre,
            build,
        })
    }

    /// True for `1.0.0-rc.1`, false for `1.0.0`.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

fn parse_number(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a number"));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(format!("`{text}` has a leading zero"));
    }
    text.parse().map_err(|_| format!("`{text}` is too large"))
}

fn check_identifier(text: &str, part: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err(format!("empty {part} identifier"));
    }
    if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!(
            "{part} identifier `{text}` may only hold letters, digits and `-`"
        ));
    }
    Ok(())
}

fn parse_pre(text: &str) -> Result<Vec<Identifier>, String> {
    text.split('.')
        .map(|id| {
            check_identifier(id, "pre-release")?;
            if id.bytes().all(|b| b.is_ascii_digit()) {
                parse_number(id).map(Identifier::Numeric)
            } else {
                Ok(Identifier::Alphanumeric(id.to_string()))
            }
        })
        .collect()
}

fn parse_build(text: &str) -> Result<Vec<String>, String> {
    text.split('.')
        .map(|id| check_identifier(id, "build").map(|()| id.to_string()))
        .collect()
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            write!(f, "{id}")?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

/// A release sorts after its pre-releases; otherwise identifiers compare
/// left to right and a shorter list wins a tie (`alpha < alpha.1`).
fn compare_pre(a: &[Identifier], b: &[Identifier]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.major, self.minor, self.patch, &self.pre).hash(state);
    }
}
