//! Telling the team: one message posted to a Mattermost or Slack incoming
//! webhook (`{"text": ...}`, both accept it). The webhook's URL is its
//! password, so no error says it, not even in part.

use std::time::Duration;

use crate::secret::Secret;

/// A chat server that takes longer than this is down for our purposes; the
/// incident must not wait on it.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the team could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("the team's webhook answered {status}{}", detail_suffix(.detail))]
    Refused { status: u16, detail: Option<String> },
    #[error("cannot reach the team's webhook: {detail}")]
    Unreachable { detail: String },
    #[error("the team's webhook URL is not a valid http(s) URL")]
    InvalidUrl,
}

impl NotifyError {
    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            NotifyError::Refused { status: 404, .. } | NotifyError::InvalidUrl => vec![
                "check `webhook_url` in rewind.toml: the webhook may have been deleted or mistyped"
                    .into(),
            ],
            NotifyError::Refused { .. } => {
                vec!["tell the team by hand; the chat server refused the message".into()]
            }
            NotifyError::Unreachable { .. } => vec![
                "tell the team by hand, and check the network or the chat server's status".into(),
            ],
        }
    }
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!(": {d}"),
        None => String::new(),
    }
}

/// Posts `text` to the webhook; any 2xx is success.
pub fn post_webhook(url: &Secret, text: &str) -> Result<(), NotifyError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT))
        // A webhook that redirects is misconfigured; following it would
        // post the message somewhere nobody chose.
        .max_redirects(0)
        .user_agent(concat!("rewind/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    // Chat clients honour bidi controls and invisible characters: what
    // the team reads is what the message holds.
    let body = serde_json::json!({ "text": crate::text::neutralise(text) });
    // The log names the host only: a webhook's path is its secret.
    let host = crate::redact::url_host(url.expose());
    let started = std::time::Instant::now();
    let sent = agent.post(url.expose()).send_json(&body);
    let ms = started.elapsed().as_millis() as u64;
    let mut response = sent.map_err(|e| {
        let error = failure(&e, url);
        tracing::debug!(target: "http", method = "POST", host = %host, ms, %error, "webhook: no answer");
        error
    })?;
    let status = response.status().as_u16();
    tracing::debug!(target: "http", method = "POST", host = %host, status, ms, "webhook answered");
    if (200..300).contains(&status) {
        return Ok(());
    }
    // Mattermost and Slack explain a refusal in a short body
    // (`invalid_payload`, `no_text`): worth showing, once cleaned.
    let detail = response
        .body_mut()
        .with_config()
        .limit(4096)
        .read_to_string()
        .ok()
        .map(|b| without_url(b.trim(), url))
        .map(|b| b.chars().take(200).collect::<String>())
        .filter(|b| !b.is_empty() && !b.starts_with('<'));
    Err(NotifyError::Refused { status, detail })
}

fn failure(e: &ureq::Error, url: &Secret) -> NotifyError {
    let detail = match e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => return NotifyError::InvalidUrl,
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Timeout(_) => format!("no answer within {}s", TIMEOUT.as_secs()),
        other => other.to_string(),
    };
    NotifyError::Unreachable {
        detail: without_url(&detail, url),
    }
}

/// `text` with the URL, or any part of it after the host, replaced: the
/// path and query are where webhook tokens live.
fn without_url(text: &str, url: &Secret) -> String {
    let url = url.expose();
    let mut out = text.replace(url, "[webhook URL]");
    if let Some((_, rest)) = url.split_once("://")
        && let Some(i) = rest.find('/')
    {
        let path = &rest[i..];
        if path.len() > 1 {
            out = out.replace(path, "[webhook path]");
        }
        for part in path.split(['/', '?', '&', '=']).filter(|p| p.len() >= 8) {
            out = out.replace(part, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_part_of_the_webhook_url_survives_in_a_message() {
        let url = Secret::new("https://chat.example/hooks/xk3j9sd8f7g6h5");
        let text = without_url(
            "bad: https://chat.example/hooks/xk3j9sd8f7g6h5, /hooks/xk3j9sd8f7g6h5, token xk3j9sd8f7g6h5",
            &url,
        );
        assert!(!text.contains("xk3j9sd8f7g6h5"), "{text}");
    }
}
