//! Turning a non-2xx answer into a [`PlatformError`]. Error bodies are read
//! defensively: JSON `{"error"}`, `{"errors":{field:[...]}}`,
//! `{"resource","error"}`, or plain text such as `Retry later`.

use serde_json::Value;

use super::INFO;
use super::http::path_of;
use crate::platform::{PlatformError, Service};

/// What the caller was looking for, to name it in a 404.
pub(crate) struct Subject<'a> {
    pub resource: &'a str,
    pub name: &'a str,
    pub region: &'a str,
}

/// Maps a failed answer to a request to `url` (only its path is kept for
/// messages; its host says whether Scalingo or a sandbox answered).
pub(crate) fn from_status(
    status: u16,
    body: &str,
    url: &str,
    subject: &Subject<'_>,
) -> PlatformError {
    let service = Service::of_url(url, &INFO);
    let path = path_of(url);
    let json: Option<Value> = serde_json::from_str(body).ok();
    let message = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| short_text(body));
    match status {
        401 if message.contains("OTP") => PlatformError::OtpRequired { platform: &INFO },
        401 => PlatformError::Unauthorized {
            platform: &INFO,
            path,
            detail: message,
        },
        402 => PlatformError::PaymentRequired {
            platform: &INFO,
            path,
            message,
        },
        403 => PlatformError::Forbidden { path, message },
        404 => PlatformError::NotFound {
            platform: &INFO,
            resource: json
                .as_ref()
                .and_then(|j| j.get("resource"))
                .and_then(Value::as_str)
                .unwrap_or(subject.resource)
                .to_string(),
            name: subject.name.to_string(),
            region: subject.region.to_string(),
        },
        422 => PlatformError::Unprocessable {
            service,
            path,
            fields: field_errors(json.as_ref(), &message),
        },
        429 => PlatformError::RateLimited {
            service,
            path,
            waited_secs: 0,
        },
        500..=599 => PlatformError::Server {
            service,
            path,
            status,
            message,
        },
        _ => PlatformError::Rejected {
            service,
            path,
            status,
            message,
        },
    }
}

fn field_errors(json: Option<&Value>, fallback: &str) -> Vec<(String, Vec<String>)> {
    let Some(Value::Object(errors)) = json.and_then(|j| j.get("errors")) else {
        return vec![("request".to_string(), vec![fallback.to_string()])];
    };
    errors
        .iter()
        .map(|(field, messages)| {
            let list = match messages {
                Value::Array(items) => items
                    .iter()
                    .map(|m| {
                        m.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| m.to_string())
                    })
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            (field.clone(), list)
        })
        .collect()
}

/// The start of a non-JSON body, on one line, for a message.
fn short_text(body: &str) -> String {
    let line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "no details given".to_string();
    }
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: Subject<'static> = Subject {
        resource: "app",
        name: "my-app",
        region: "osc-fr1",
    };

    #[test]
    fn maps_documented_error_bodies() {
        let e = from_status(
            404,
            r#"{"resource":"app","error":"not found"}"#,
            "https://api.example/v1/apps/my-app",
            &APP,
        );
        assert_eq!(e.to_string(), "app `my-app` was not found (region osc-fr1)");
        let e = from_status(
            422,
            r#"{"errors":{"branch":["is unknown"],"git_ref":["can't start with -"]}}"#,
            "https://api.example/p",
            &APP,
        );
        assert!(e.to_string().contains("branch is unknown"), "{e}");
        assert!(e.to_string().contains("git_ref can't start with -"), "{e}");
        assert!(matches!(
            from_status(429, "Retry later", "https://api.example/p", &APP),
            PlatformError::RateLimited { .. }
        ));
        assert!(matches!(
            from_status(
                401,
                r#"{"error":"OTP Required"}"#,
                "https://api.example/p",
                &APP
            ),
            PlatformError::OtpRequired { .. }
        ));
        let e = from_status(
            503,
            "<html>upstream error</html>",
            "https://api.example/p",
            &APP,
        );
        assert!(e.to_string().contains("upstream error"), "{e}");
        assert!(
            e.hints()[0].contains("scalingostatus.com"),
            "{:?}",
            e.hints()
        );
        let e = from_status(
            402,
            r#"{"error":"payment required","url":"u","name":"n"}"#,
            "https://api.example/p",
            &APP,
        );
        assert!(matches!(e, PlatformError::PaymentRequired { .. }));
    }

    #[test]
    fn a_sandbox_is_never_blamed_on_scalingo() {
        for url in [
            "http://127.0.0.1:4123/v1/apps/shop",
            "http://localhost:4123/v1/apps/shop",
            "http://[::1]:4123/v1/apps/shop",
        ] {
            let e = from_status(500, r#"{"error":"injected fault"}"#, url, &APP);
            assert!(e.to_string().starts_with("the sandbox failed"), "{e}");
            let hints = e.hints().join("\n");
            assert!(!hints.contains("scalingostatus"), "{hints}");
            assert!(hints.contains("/_sandbox/faults"), "{hints}");
            let e = from_status(429, "Retry later", url, &APP);
            assert!(
                !e.hints().join("\n").contains("Scalingo"),
                "{:?}",
                e.hints()
            );
        }
        let e = from_status(
            500,
            "{}",
            "https://api.osc-fr1.scalingo.com/v1/apps/shop",
            &APP,
        );
        assert!(e.to_string().starts_with("Scalingo failed"), "{e}");
    }
}
