//! Ids placed in URL paths (app names, deployment, addon, backup,
//! operation and variable ids) are percent-encoded, so that an id holding
//! `/`, `?`, `#` or `..` cannot reach another endpoint than the one meant.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, encoded when shown (`format!("/v1/apps/{}", Seg(app))`).
pub(crate) struct Seg<'a>(pub &'a str);

impl fmt::Display for Seg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `.` and `..` alone would be resolved as path steps by servers
        // and proxies: encode their dots too.
        if self.0 == "." || self.0 == ".." {
            return f.write_str(&self.0.replace('.', "%2E"));
        }
        write!(f, "{}", utf8_percent_encode(self.0, SEGMENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_inside_their_segment() {
        assert_eq!(Seg("my-app_1.x~").to_string(), "my-app_1.x~");
        assert_eq!(Seg("a/b?c#d").to_string(), "a%2Fb%3Fc%23d");
        assert_eq!(Seg("..").to_string(), "%2E%2E");
        assert_eq!(Seg("é t").to_string(), "%C3%A9%20t");
    }
}
