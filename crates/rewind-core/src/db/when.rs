//! Reading the time a restore goes back to: RFC 3339 with its offset, or
//! `YYYY-MM-DD HH:MM[:SS]` in the local time zone (what a person reads on
//! a dashboard or a chat message during an incident).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};

use super::DbError;

/// Parses `text` as RFC 3339, or as a wall-clock time in `zone`.
pub fn parse_time<Tz: TimeZone>(text: &str, zone: &Tz) -> Result<DateTime<Utc>, DbError> {
    let trimmed = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = |problem: &str| DbError::BadTime {
        text: text.to_string(),
        problem: problem.to_string(),
    };
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(trimmed, f).ok())
    .ok_or_else(|| bad("expected RFC 3339 or YYYY-MM-DD HH:MM[:SS]"))?;
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(_, _) => Err(bad(
            "this local time happens twice (clocks went back): add the offset, e.g. 2026-10-25T02:30:00+01:00",
        )),
        LocalResult::None => Err(bad(
            "this local time does not exist (clocks went forward): add the offset",
        )),
    }
}
