//! What a rollback reaches at its end: the health check URL answers with
//! the expected status, and the team's webhook URL is well-formed (with
//! `--ping`, a test message is posted: the one write doctor makes).

use super::checks::Checks;
use crate::config::AppConfig;
use crate::health::check as health_check;
use crate::interrupt::Interrupt;
use crate::notify::post_webhook;
use crate::secret::Secret;

/// `health`.
pub(crate) fn health(config: &AppConfig, interrupt: &Interrupt, out: &mut Checks) {
    let Some(h) = &config.health_check else {
        out.warn(
            "health",
            "no health check: a rollback cannot verify that the release it put back answers",
            "add [apps.health_check] with the URL your monitoring checks (docs/configuration.md)",
        );
        return;
    };
    // One try: doctor reports what production answers now.
    let report = health_check(&h.url, h.expect_status, 1, h.interval, interrupt);
    if report.ok {
        out.ok(
            "health",
            format!(
                "{} answers {} (expected {})",
                h.url,
                report
                    .last_status
                    .map_or("?".to_string(), |s| s.to_string()),
                h.expect_status
            ),
        );
        return;
    }
    let seen = match (report.last_status, &report.last_error) {
        (Some(status), _) => format!("answers {status}"),
        (None, Some(e)) => format!("does not answer ({e})"),
        (None, None) => "does not answer".to_string(),
    };
    out.fail(
        "health",
        format!("{} {seen}, expected {}", h.url, h.expect_status),
        "if production is down, this is the night: `rewind guide`; otherwise fix `url` or `expect_status` in [apps.health_check], or the endpoint, so a rollback can verify its release",
    );
}

/// `webhook`: checked for form, and posted to with `ping` (the text).
pub(crate) fn webhook(url: Option<&Secret>, ping: Option<&str>, out: &mut Checks) {
    let Some(url) = url else {
        out.warn(
            "webhook",
            "no webhook: nobody is told when a rollback runs",
            "set `webhook_url` under [notify] (a Slack or Mattermost incoming webhook)",
        );
        return;
    };
    // The URL is a password: only its scheme and host are shown.
    let parsed = url::Url::parse(url.expose()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let Some(parsed) = parsed else {
        out.fail(
            "webhook",
            "the webhook URL is not an http(s) URL with a host",
            "check `webhook_url` in rewind.toml: copy the incoming webhook's URL from the chat's settings",
        );
        return;
    };
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let shown = format!(
        "{}://{}{port}/…",
        parsed.scheme(),
        parsed.host_str().unwrap_or("")
    );
    let Some(text) = ping else {
        out.ok(
            "webhook",
            format!("{shown} is well-formed (not contacted; `--ping` posts a test message)"),
        );
        return;
    };
    match post_webhook(url, text) {
        Ok(()) => out.ok("webhook", format!("{shown} took a test message")),
        Err(e) => out.fail(
            "webhook",
            format!("{shown}: {e}"),
            e.hints()
                .into_iter()
                .next()
                .unwrap_or_else(|| "check `webhook_url` in rewind.toml".to_string()),
        ),
    }
}
