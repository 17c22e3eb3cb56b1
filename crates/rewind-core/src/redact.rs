//! The one scrubber for credentials in text rewind shows or keeps: the
//! `user:password@` of every URL, the value of every query parameter whose
//! name says it is a secret (`?token=`, `?private_token=`, signatures...),
//! Scalingo API tokens (`tk-us-...`) and bearer tokens. Git's messages, the
//! journal and every line the binary prints go through it, as a last line
//! of defence: secrets live in [`crate::secret::Secret`] and are never put
//! in text on purpose.

use std::borrow::Cow;

const REDACTED: &str = "[redacted]";

/// Query parameter names that carry a secret (compared without case, and
/// also as a suffix: `private_token`, `X-Amz-Signature`).
const SECRET_PARAMS: [&str; 9] = [
    "token",
    "password",
    "passwd",
    "secret",
    "signature",
    "sig",
    "key",
    "auth",
    "credential",
];

/// `text` with every credential replaced by `[redacted]`; borrowed when
/// there was none.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !might_hold_secret(text) {
        return Cow::Borrowed(text);
    }
    let mut out = url_userinfo(text);
    out = query_values(&out);
    out = prefixed(&out, "tk-us-");
    out = prefixed(&out, "Bearer ");
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// A URL fit for a message or a log line: no query string (download URLs
/// carry their token there), no fragment, no user info.
pub fn display_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_string(),
    }
}

/// Only the host of a URL, for a log line about a URL whose path may be
/// a secret too (a chat webhook, a signed download); `-` when none.
pub fn url_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "-".to_string())
}

fn might_hold_secret(text: &str) -> bool {
    text.contains("://")
        || text.contains('=')
        || text.contains("tk-us-")
        || text.contains("Bearer ")
}

/// `scheme://user:password@host` -> `scheme://[redacted]@host`, for every
/// URL in the text (scp-like `git@host:repo` carries no password).
fn url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '\'' || c == '"'
            })
            .unwrap_or(after.len());
        let authority = &after[..authority_len];
        match authority.rfind('@') {
            Some(user_end) => {
                out.push_str(REDACTED);
                out.push_str(&authority[user_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_len..];
    }
    out.push_str(rest);
    out
}

/// `name=value` where `name` says secret: the value goes, up to the next
/// `&`, `#`, quote or whitespace.
fn query_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let before = &rest[..eq];
        // Trimmed rather than found by index: the character before the name
        // may take several bytes (`clé=`).
        let name_start = before
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            .len();
        let name = before[name_start..].to_ascii_lowercase();
        out.push_str(&rest[..=eq]);
        let after = &rest[eq + 1..];
        let value_len = after
            .find(|c: char| {
                c == '&'
                    || c == '#'
                    || c == '"'
                    || c == '\''
                    || c.is_whitespace()
                    || c == ';'
                    || c == ','
            })
            .unwrap_or(after.len());
        let secret = !name.is_empty()
            && SECRET_PARAMS.iter().any(|p| {
                name == *p || name.ends_with(&format!("_{p}")) || name.ends_with(&format!("-{p}"))
            });
        if secret && value_len > 0 {
            out.push_str(REDACTED);
            rest = &after[value_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `prefix` followed by a token: the token goes, the prefix stays.
fn prefixed(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at + prefix.len()]);
        let after = &rest[at + prefix.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(after.len());
        if len > 0 && !after.starts_with(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&after[..len]);
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_credential_goes_and_the_rest_stays() {
        for (given, wanted) in [
            (
                "https://user:pw@host/app.git",
                "https://[redacted]@host/app.git",
            ),
            ("git@github.com:org/app.git", "git@github.com:org/app.git"),
            (
                "fetch https://a:b@x/y failed; then https://c:d@z/w",
                "fetch https://[redacted]@x/y failed; then https://[redacted]@z/w",
            ),
            (
                "source_url https://gitlab.example/api/v4/archive.tar.gz?sha=abc&private_token=s3cret rejected",
                "source_url https://gitlab.example/api/v4/archive.tar.gz?sha=abc&private_token=[redacted] rejected",
            ),
            (
                "https://db/x/download?token=abc#frag",
                "https://db/x/download?token=[redacted]#frag",
            ),
            (
                "https://s3/x?X-Amz-Signature=f00&X-Amz-Credential=k&a=1",
                "https://s3/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&a=1",
            ),
            ("token tk-us-AbC_123.x used", "token tk-us-[redacted] used"),
            (
                "Authorization: Bearer eyJhbGci.x.y",
                "Authorization: Bearer [redacted]",
            ),
            ("release/v1.2.0 at abc1234", "release/v1.2.0 at abc1234"),
            (
                "margin=200ms tag_format=v{version}",
                "margin=200ms tag_format=v{version}",
            ),
        ] {
            assert_eq!(redact(given), wanted, "{given}");
        }
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
        // A multi-byte character just before a `name=` once panicked.
        assert_eq!(redact("clé=valeur \u{202e}="), "clé=valeur \u{202e}=");
        assert_eq!(redact("é_token=abc"), "é_token=[redacted]");
        // Idempotent.
        let once = redact("https://u:p@h/?token=t tk-us-x").into_owned();
        assert_eq!(redact(&once), once);
    }
}
