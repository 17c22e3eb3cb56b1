//! The account: the API token is exchanged for a bearer (when it expires,
//! and whether it already has), and the user it belongs to.

use chrono::{DateTime, Utc};

use super::checks::{Checks, first_hint};
use crate::platform::{Platform, PlatformError};

/// `token` and `user`.
pub(crate) fn check(platform: &dyn Platform, now: DateTime<Utc>, out: &mut Checks) {
    let session = platform.session();
    // Compared with the time the bearer arrived, not the start of the run.
    let now = now.max(Utc::now());
    match session {
        Ok(Some(session)) => match session.expires_at {
            Some(exp) if exp <= now => out.fail(
                "token",
                format!(
                    "exchanged, but the bearer expired at {} (before it could be used)",
                    stamp(exp)
                ),
                "the API token is expired or this computer's clock is ahead: check the clock, then create a new token (Scalingo dashboard > User settings > API tokens) and set SCALINGO_API_TOKEN",
            ),
            Some(exp) => out.ok(
                "token",
                format!(
                    "exchanged; the bearer expires at {} (in {}), rewind exchanges it again before then",
                    stamp(exp),
                    minutes(exp - now)
                ),
            ),
            None => out.ok("token", "exchanged; the bearer does not say when it expires"),
        },
        Ok(None) => out.ok("token", "this platform needs no token exchange"),
        Err(e) => {
            out.fail("token", e.to_string(), first_hint(e.hints(), TOKEN_FIX));
            out.skip("user", "not checked: no bearer");
            return;
        }
    }
    if out.blocked("token") {
        out.skip("user", "not checked: no valid bearer");
        return;
    }
    match platform.current_user() {
        Ok(Some(user)) => {
            let email = user.email.map(|e| format!(" <{e}>")).unwrap_or_default();
            out.ok(
                "user",
                format!("the token belongs to {}{email}", user.username),
            );
        }
        Ok(None) => out.warn(
            "user",
            "the platform did not say whose token this is",
            "check in the dashboard which account the token belongs to: a rollback acts with its rights",
        ),
        Err(e) => user_error(e, out),
    }
}

fn user_error(e: PlatformError, out: &mut Checks) {
    out.fail(
        "user",
        format!("cannot read the token's user: {e}"),
        first_hint(e.hints(), TOKEN_FIX),
    );
}

const TOKEN_FIX: &str =
    "set SCALINGO_API_TOKEN to a valid API token (Scalingo dashboard > User settings > API tokens)";

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn minutes(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    if m < 1 {
        format!("{} s", d.num_seconds().max(0))
    } else if m < 120 {
        format!("{m} min")
    } else {
        format!("{} h", d.num_hours())
    }
}
