//! Reading a bearer's `exp` (and `iat`) claims, without checking the
//! signature: rewind only needs to know when to exchange the token again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// The time claims of a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub expires_at: Option<DateTime<Utc>>,
    pub issued_at: Option<DateTime<Utc>>,
}

/// Reads the claims; a token that is not a JWT has none.
pub fn claims(token: &str) -> Claims {
    let none = Claims {
        expires_at: None,
        issued_at: None,
    };
    let Some(payload) = token.split('.').nth(1) else {
        return none;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return none;
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return none;
    };
    let time = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
    };
    Claims {
        expires_at: time("exp"),
        issued_at: time("iat"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn reads_exp_and_iat() {
        let c = claims(&jwt(r#"{"exp":1700003600,"iat":1700000000}"#));
        assert_eq!(c.expires_at.map(|t| t.timestamp()), Some(1_700_003_600));
        assert_eq!(c.issued_at.map(|t| t.timestamp()), Some(1_700_000_000));
    }

    #[test]
    fn tolerates_non_jwts() {
        assert_eq!(claims("your-bearer-token").expires_at, None);
        assert_eq!(claims("a.!!!.c").expires_at, None);
        assert_eq!(claims(&jwt("not json")).expires_at, None);
    }
}
