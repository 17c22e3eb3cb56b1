//! Is the app answering after a redeploy? A plain GET of the health URL,
//! tried a few times with a pause between tries, because a release that
//! just started may need a moment. It never fails as such: it reports what
//! it saw, and the caller decides what a failed check means.

use std::time::{Duration, Instant};

use crate::interrupt::Interrupt;
use crate::redact::display_url;

/// Time allowed for one try, connection included: a health endpoint that
/// takes longer is not healthy.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough for `http` -> `https` and a trailing-slash redirect; more is a
/// loop or a login page.
const MAX_REDIRECTS: u32 = 3;

/// What the checks saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// Tries made.
    pub attempts: u32,
    /// The status of the last try, when it got an answer.
    pub last_status: Option<u16>,
    pub ok: bool,
    /// Why the last try failed, when it did.
    pub last_error: Option<String>,
}

/// GETs `url` up to `retries` times (at least once), `interval` apart,
/// until it answers `expect_status` (any 2xx when that is 200: a health
/// endpoint answering 204 is healthy). Stops early on Ctrl-C.
pub fn check(
    url: &str,
    expect_status: u16,
    retries: u32,
    interval: Duration,
    interrupt: &Interrupt,
) -> HealthReport {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(ATTEMPT_TIMEOUT))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .user_agent(concat!(
            "rewind/",
            env!("CARGO_PKG_VERSION"),
            " health check"
        ))
        .build()
        .into();
    let mut report = HealthReport {
        attempts: 0,
        last_status: None,
        ok: false,
        last_error: None,
    };
    let tries = retries.max(1);
    while report.attempts < tries {
        if report.attempts > 0 && interrupt.sleep(interval) {
            report.last_error = Some("interrupted before the next try".into());
            return report;
        }
        report.attempts += 1;
        let started = Instant::now();
        let answer = agent.get(url).call();
        let (ms, shown) = (started.elapsed().as_millis() as u64, display_url(url));
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(target: "http", method = "GET", url = %shown, status, attempt = report.attempts, ms, "health check answered");
                report.last_status = Some(status);
                if accepts(expect_status, status) {
                    report.ok = true;
                    report.last_error = None;
                    return report;
                }
                report.last_error = Some(format!(
                    "answered HTTP {status}, expected {}",
                    expected(expect_status)
                ));
            }
            Err(e) => {
                let error = describe(&e, url);
                tracing::debug!(target: "http", method = "GET", url = %shown, attempt = report.attempts, ms, %error, "health check: no answer");
                report.last_status = None;
                report.last_error = Some(error);
            }
        }
    }
    report
}

fn accepts(expect: u16, got: u16) -> bool {
    got == expect || (expect == 200 && (200..300).contains(&got))
}

fn expected(expect: u16) -> String {
    if expect == 200 {
        "2xx".to_string()
    } else {
        expect.to_string()
    }
}

/// A transport failure in words, without the URL (a health URL may carry
/// a token in its query string).
fn describe(e: &ureq::Error, url: &str) -> String {
    match e {
        ureq::Error::Io(io) => format!("cannot connect: {io}"),
        ureq::Error::HostNotFound => "cannot connect: host not found".into(),
        ureq::Error::Timeout(_) => "no answer in time".into(),
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects")
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => "the health URL is not valid".into(),
        other => format!(
            "the request failed ({})",
            without_url(&other.to_string(), url)
        ),
    }
}

/// `text` with every copy of `url` (whole, or without its query) replaced.
fn without_url(text: &str, url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or(url);
    let mut out = text.replace(url, "<health URL>");
    if !base.is_empty() {
        out = out.replace(base, "<health URL>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_2xx_passes_when_200_is_expected_else_the_exact_status() {
        assert!(accepts(200, 204));
        assert!(!accepts(200, 301));
        assert!(accepts(401, 401));
        assert!(!accepts(204, 200));
    }

    #[test]
    fn failures_never_quote_the_url() {
        let url = "https://app.example/health?token=s3cret";
        let text = without_url(
            "https required: https://app.example/health?token=s3cret and https://app.example/health",
            url,
        );
        assert!(
            !text.contains("s3cret") && !text.contains("app.example"),
            "{text}"
        );
    }
}
