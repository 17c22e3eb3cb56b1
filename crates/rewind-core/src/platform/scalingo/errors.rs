//! Turning a non-2xx answer into a [`PlatformError`]. Error bodies are read
//! defensively: JSON `{"error"}`, `{"errors":{field:[...]}}`,
//! `{"resource","error"}`, or plain text such as `Retry later`.

use serde_json::Value;

use crate::platform::PlatformError;

/// What the caller was looking for, to name it in a 404.
pub(crate) struct Subject<'a> {
    pub resource: &'a str,
    pub name: &'a str,
    pub region: &'a str,
}

/// Maps a failed answer. `path` is the request's path, for messages.
pub(crate) fn from_status(
    status: u16,
    body: &str,
    path: &str,
    subject: &Subject<'_>,
) -> PlatformError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let message = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| short_text(body));
    let path = path.to_string();
    match status {
        401 if message.contains("OTP") => PlatformError::OtpRequired,
        401 => PlatformError::Unauthorized {
            path,
            detail: message,
        },
        402 => PlatformError::PaymentRequired { path, message },
        403 => PlatformError::Forbidden { path, message },
        404 => PlatformError::NotFound {
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
            path,
            fields: field_errors(json.as_ref(), &message),
        },
        429 => PlatformError::RateLimited { path },
        500..=599 => PlatformError::Server {
            path,
            status,
            message,
        },
        _ => PlatformError::Rejected {
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
            "/v1/apps/my-app",
            &APP,
        );
        assert_eq!(e.to_string(), "app `my-app` was not found (region osc-fr1)");
        let e = from_status(
            422,
            r#"{"errors":{"branch":["is unknown"],"git_ref":["can't start with -"]}}"#,
            "/p",
            &APP,
        );
        assert!(e.to_string().contains("branch is unknown"), "{e}");
        assert!(e.to_string().contains("git_ref can't start with -"), "{e}");
        assert!(matches!(
            from_status(429, "Retry later", "/p", &APP),
            PlatformError::RateLimited { .. }
        ));
        assert!(matches!(
            from_status(401, r#"{"error":"OTP Required"}"#, "/p", &APP),
            PlatformError::OtpRequired
        ));
        let e = from_status(503, "<html>upstream error</html>", "/p", &APP);
        assert!(e.to_string().contains("upstream error"), "{e}");
        let e = from_status(
            402,
            r#"{"error":"payment required","url":"u","name":"n"}"#,
            "/p",
            &APP,
        );
        assert!(matches!(e, PlatformError::PaymentRequired { .. }));
    }
}
