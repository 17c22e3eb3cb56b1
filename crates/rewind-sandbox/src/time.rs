//! Timestamps as the API writes them: ISO-8601 with an offset and
//! milliseconds (`2026-07-18T23:00:00.000+00:00`).

use chrono::{DateTime, SecondsFormat, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn now() -> Timestamp {
    Utc::now()
}

/// Formats a timestamp the way the API does.
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// A fresh identifier shaped like the API's (24 hex digits, as Mongo ids).
pub fn new_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}
