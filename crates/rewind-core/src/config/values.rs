//! Checks on single values shared by several tables: durations, webhook
//! URLs, names that end up in URLs or environments.

use std::time::Duration;

use toml::Spanned;

use super::collector::Collector;
use super::duration::{self, parse_duration};
use super::fields::Table;
use crate::secret::Secret;

/// A duration string, `default` when absent. `positive` refuses `0s`
/// where zero would mean "busy loop".
/// The longest duration a key may hold: a margin or a pause of more than
/// a month is a typo, and one of thousands of years overflows dates.
const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

pub(crate) fn duration(
    c: &mut Collector,
    table: &Table<'_, '_>,
    key: &str,
    default: Duration,
    positive: bool,
) -> Duration {
    let expected = format!("{} (a string)", duration::EXPECTED);
    let Some(text) = table.string(c, key, &expected) else {
        return default;
    };
    match parse_duration(text.get_ref()) {
        Some(d) if positive && d.is_zero() => {
            c.at(
                text.span().start,
                &table.key(key),
                format!("must be longer than zero; expected {}", duration::EXPECTED),
            );
            default
        }
        Some(d) if d > MAX_DURATION => {
            c.at(
                text.span().start,
                &table.key(key),
                format!(
                    "\"{}\" is too large: rewind's waits and margins are at most 30 days; expected {}",
                    text.get_ref(),
                    duration::EXPECTED
                ),
            );
            default
        }
        Some(d) => d,
        None => {
            c.at(
                text.span().start,
                &table.key(key),
                format!(
                    "\"{}\" is not a duration; expected {}",
                    text.get_ref(),
                    duration::EXPECTED
                ),
            );
            default
        }
    }
}

/// `webhook_url`, kept as a [`Secret`]: chat webhooks carry their token in
/// the URL, so messages about it never repeat the value.
pub(crate) fn webhook_url(c: &mut Collector, table: &Table<'_, '_>) -> Option<Secret> {
    const EXPECTED: &str = "an https:// URL (a chat webhook)";
    let url = table.string(c, "webhook_url", EXPECTED)?;
    if !is_http_url(url.get_ref()) {
        c.at(
            url.span().start,
            &table.key("webhook_url"),
            format!("not a URL; expected {EXPECTED}"),
        );
        return None;
    }
    Some(Secret::new(url.into_inner()))
}

pub(crate) fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// Lowercase letters, digits and dashes, starting with a letter: what
/// Scalingo accepts for app names, and what region names look like.
pub(crate) fn is_slug(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A POSIX environment variable name.
pub(crate) fn is_env_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A string that must pass `valid`, reported with `expected` otherwise.
pub(crate) fn checked(
    c: &mut Collector,
    table: &Table<'_, '_>,
    key: &str,
    value: Option<Spanned<String>>,
    valid: impl Fn(&str) -> bool,
    expected: &str,
) -> Option<Spanned<String>> {
    let value = value?;
    if valid(value.get_ref()) {
        Some(value)
    } else {
        c.at(
            value.span().start,
            &table.key(key),
            format!("\"{}\" is not valid; expected {expected}", value.get_ref()),
        );
        None
    }
}
