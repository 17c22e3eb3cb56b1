//! Bearers: the API token is exchanged for a JWT, kept until less than five
//! minutes of it remain (or half its life, for short-lived tokens), then
//! exchanged again. Addon (database API) tokens are cached the same way.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::jwt;
use crate::secret::Secret;

/// Scalingo's bearers live an hour; exchange again when less than this is
/// left.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A bearer and when to stop using it.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub token: Secret,
    pub refresh_after: DateTime<Utc>,
}

impl CachedToken {
    /// Reads the token's claims to decide when it must be refreshed.
    pub fn new(token: Secret, now: DateTime<Utc>) -> Self {
        let claims = jwt::claims(token.expose());
        let refresh_after = match claims.expires_at {
            Some(exp) => {
                // A token that lives less than ten minutes (a test sandbox,
                // say) is refreshed at half its life rather than at once.
                let life = claims
                    .issued_at
                    .map(|iat| exp - iat)
                    .unwrap_or_else(|| exp - now);
                let margin = chrono::Duration::from_std(REFRESH_MARGIN)
                    .unwrap_or_else(|_| chrono::Duration::minutes(5))
                    .min(life / 2);
                exp - margin
            }
            // No readable expiry: assume Scalingo's hour.
            None => now + chrono::Duration::minutes(55),
        };
        CachedToken {
            token,
            refresh_after,
        }
    }

    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.refresh_after
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn jwt(iat: i64, exp: i64) -> Secret {
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"iat":{iat},"exp":{exp}}}"#));
        Secret::new(format!("e30.{payload}.sig"))
    }

    #[test]
    fn an_hour_long_token_is_refreshed_five_minutes_before_it_expires() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let t = CachedToken::new(jwt(1_700_000_000, 1_700_003_600), now);
        assert_eq!(t.refresh_after.timestamp(), 1_700_003_300);
        assert!(t.is_fresh(now + chrono::Duration::minutes(54)));
        assert!(!t.is_fresh(now + chrono::Duration::minutes(56)));
    }

    #[test]
    fn a_short_token_is_refreshed_at_half_life() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let t = CachedToken::new(jwt(1_700_000_000, 1_700_000_004), now);
        assert_eq!(t.refresh_after.timestamp(), 1_700_000_002);
    }
}
