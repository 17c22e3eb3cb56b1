//! How talking to the platform fails, in terms of what the user must do
//! next. Every variant carries what is needed to say it, and
//! [`PlatformError::hints`] says what to do. No variant ever carries a
//! token, a bearer or a URL with a token in it.

/// A failure talking to the platform.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("no Scalingo API token: rewind needs one to talk to Scalingo")]
    MissingToken,

    #[error("Scalingo refused the API token ({detail})")]
    InvalidToken { detail: String },

    /// An endpoint from the environment that is not an http(s) URL. The
    /// value is not repeated: it may hold credentials.
    #[error("{variable} is not an http or https URL ({detail})")]
    InvalidUrl { variable: String, detail: String },

    #[error(
        "Scalingo asks for a two-factor code (OTP Required): an API token is needed, not an account password"
    )]
    OtpRequired,

    #[error("Scalingo refused the request to {path}: not authorised ({detail})")]
    Unauthorized { path: String, detail: String },

    #[error("{resource} `{name}` was not found (region {region})")]
    NotFound {
        resource: String,
        name: String,
        region: String,
    },

    #[error("unknown region `{region}`; available regions: {available}")]
    UnknownRegion { region: String, available: String },

    #[error("{service} rejected the request to {path}: {}", format_fields(.fields))]
    Unprocessable {
        service: Service,
        path: String,
        fields: Vec<(String, Vec<String>)>,
    },

    #[error("Scalingo requires payment or billing details for {path}: {message}")]
    PaymentRequired { path: String, message: String },

    #[error("not allowed: {path}: {message}")]
    Forbidden { path: String, message: String },

    #[error("{service} refused {path}: {message}")]
    Rejected {
        service: Service,
        path: String,
        status: u16,
        message: String,
    },

    #[error(
        "{service} kept answering `too many requests` for {path}{}",
        waited_words(*.waited_secs)
    )]
    RateLimited {
        service: Service,
        path: String,
        /// Seconds rewind waited for the limit before giving up.
        waited_secs: u64,
    },

    #[error("{service} failed to answer {path} (HTTP {status}: {message})")]
    Server {
        service: Service,
        path: String,
        status: u16,
        message: String,
    },

    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },

    #[error("{}'s answer to {path} could not be read: {detail}", .service.name())]
    Malformed {
        service: Service,
        path: String,
        detail: String,
    },

    #[error(
        "{action}: the request failed ({cause}); rewind checked afterwards and it did not happen"
    )]
    WriteNotApplied { action: String, cause: String },

    #[error(
        "{action}: the request failed ({cause}) and rewind could not check whether it happened"
    )]
    WriteUncertain {
        service: Service,
        action: String,
        cause: String,
    },

    /// The database answered, with no point-in-time window: not a failed
    /// read, a fact (no base backup yet, or a plan without it).
    #[error(
        "addon {addon_id} has no point-in-time recovery window yet (no point-in-time base backup)"
    )]
    NoRecoveryWindow { addon_id: String },

    /// Ctrl-C while rewind waited (a retry, the rate limit, the budget).
    #[error("interrupted while {what}")]
    Interrupted { what: String },
}

/// Who answered: Scalingo, or a local sandbox standing in for it (an API
/// on a loopback address). Errors name it, and hints never send someone
/// to Scalingo's status page for a fault of their own sandbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Service {
    Scalingo,
    /// `base` is the sandbox's `scheme://host:port` (no credential).
    Sandbox {
        base: String,
    },
}

impl Service {
    /// The service behind `url`: a sandbox when its host is loopback
    /// (`127.0.0.1`, `localhost`, `::1`).
    pub fn of_url(url: &str) -> Service {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Service::Scalingo;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            host_port.split(':').next().unwrap_or_default()
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            Service::Sandbox {
                base: format!("{scheme}://{host_port}"),
            }
        } else {
            Service::Scalingo
        }
    }

    /// How a sentence names it.
    pub fn name(&self) -> &'static str {
        match self {
            Service::Scalingo => "Scalingo",
            Service::Sandbox { .. } => "the sandbox",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn waited_words(secs: u64) -> String {
    if secs == 0 {
        String::new()
    } else {
        format!(" (rewind waited {secs} s for it)")
    }
}

fn format_fields(fields: &[(String, Vec<String>)]) -> String {
    if fields.is_empty() {
        return "invalid request".to_string();
    }
    fields
        .iter()
        .map(|(field, messages)| format!("{field} {}", messages.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How the detail of an answer too large to read begins.
pub(crate) const TOO_LARGE: &str = "the answer is larger than";

impl PlatformError {
    /// What the user should do next.
    pub fn hints(&self) -> Vec<String> {
        match self {
            PlatformError::MissingToken => vec![
                "create an API token in the Scalingo dashboard (User settings > API tokens) or with `scalingo tokens-create rewind`".into(),
                "then export it: export SCALINGO_API_TOKEN=tk-us-...".into(),
            ],
            PlatformError::InvalidToken { .. } => vec![
                "the token in SCALINGO_API_TOKEN is wrong, revoked or expired: create a new one and export it".into(),
            ],
            PlatformError::InvalidUrl { variable, .. } => vec![format!(
                "set {variable} to the endpoint's URL, such as https://api.osc-fr1.scalingo.com, or unset it to use the region's"
            )],
            PlatformError::OtpRequired => vec![
                "use an API token (tk-us-...) in SCALINGO_API_TOKEN; tokens are not subject to two-factor prompts".into(),
            ],
            PlatformError::Unauthorized { .. } => vec![
                "the token may have been revoked while rewind ran: create a new one and export SCALINGO_API_TOKEN".into(),
            ],
            PlatformError::NotFound { resource, region, .. } if resource == "app" => vec![
                format!("check the app name and the region (now {region}): set `region` in rewind.toml or SCALINGO_REGION"),
                "and check that your token's account is a collaborator of the app".into(),
            ],
            PlatformError::NotFound { .. } => vec![
                "check the name or id; it may have been deleted".into(),
            ],
            PlatformError::UnknownRegion { .. } => vec![
                "set `region` in rewind.toml or SCALINGO_REGION to one of the available regions".into(),
            ],
            PlatformError::Unprocessable { .. } => vec![
                "fix the fields named above and run the command again".into(),
            ],
            PlatformError::PaymentRequired { .. } => vec![
                "check the account's billing in the Scalingo dashboard".into(),
            ],
            PlatformError::Forbidden { .. } => vec![
                "ask an owner of the app for the permission, or use a token of an account that has it".into(),
            ],
            PlatformError::Rejected { .. } => vec![],
            PlatformError::RateLimited { service: Service::Scalingo, .. } => vec![
                "Scalingo allows 60 requests per minute per user: another tool or person may be using your token; wait a minute and run the command again".into(),
            ],
            PlatformError::RateLimited { service: Service::Sandbox { base }, .. } => vec![
                format!("the sandbox's rate limit is in force: see it with `curl {base}/_sandbox/rate_limit`, reset it with `curl -X POST {base}/_sandbox/rate_limit/reset`"),
            ],
            PlatformError::Server { service: Service::Scalingo, .. } => vec![
                "Scalingo may be having trouble: check https://scalingostatus.com and try again in a minute".into(),
            ],
            PlatformError::Server { service: Service::Sandbox { base }, status, .. } => vec![
                format!("the sandbox answered HTTP {status}: see the sandbox's output, and its fault rules with `curl {base}/_sandbox/faults`"),
            ],
            PlatformError::Unreachable { url, .. }
                if matches!(Service::of_url(url), Service::Sandbox { .. }) =>
            {
                vec![
                    "is the sandbox still running? Start it with `rewind sandbox serve` and export the variables it prints".into(),
                ]
            }
            PlatformError::Unreachable { .. } => vec![
                "check your network, and SCALINGO_API_URL / SCALINGO_AUTH_URL / SCALINGO_DB_URL if you set them".into(),
            ],
            PlatformError::Malformed { service: Service::Scalingo, detail, .. }
                if detail.starts_with(TOO_LARGE) =>
            {
                vec!["this is not an answer of Scalingo's API: check SCALINGO_API_URL (a proxy or another server may answer there); try again later, and if it persists, report it with the command you ran".into()]
            }
            PlatformError::Malformed { service: Service::Scalingo, .. } => vec![
                "rewind asked again and the answer stayed unreadable: this may be a temporary problem on Scalingo's side; try again, and if it persists, report it with the command you ran".into(),
            ],
            PlatformError::Malformed { service: Service::Sandbox { base }, .. } => vec![
                format!("the sandbox sent an answer rewind cannot read: see the sandbox's output, and its fault rules with `curl {base}/_sandbox/faults`"),
            ],
            PlatformError::WriteNotApplied { .. } => vec![
                // Only this request is known to have changed nothing: the
                // command's earlier steps (a restore, a deploy) stand, and
                // only the command can say whether running it again is safe.
                "this request changed nothing on the platform (rewind checked); what earlier steps did stands: see `rewind journal` before running the command again".into(),
            ],
            PlatformError::WriteUncertain { service: Service::Scalingo, .. } => vec![
                "check the app in the Scalingo dashboard before trying again, so the action is not done twice".into(),
            ],
            PlatformError::WriteUncertain { service: Service::Sandbox { base }, .. } => vec![
                format!("check the app in the sandbox (`curl {base}/_sandbox/apps/<app>/state`) before trying again, so the action is not done twice"),
            ],
            PlatformError::NoRecoveryWindow { .. } => vec![
                "a point-in-time restore needs a window: check that the addon's plan offers point-in-time recovery, then run `rewind db status` again later".into(),
                "meanwhile a backup can still be restored: `rewind db restore --from-backup BACKUP_ID --database-url URL`".into(),
            ],
            PlatformError::Interrupted { .. } => vec![
                "nothing was sent while rewind waited: run the command again when you are ready".into(),
            ],
        }
    }

    /// A transport-level or server failure after which a write may or may
    /// not have been applied.
    pub fn is_uncertain(&self) -> bool {
        matches!(
            self,
            PlatformError::Unreachable { .. }
                | PlatformError::Server { .. }
                | PlatformError::Malformed { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_the_sandbox_and_everything_else_scalingo() {
        for url in [
            "http://127.0.0.1:4000/v1/apps",
            "http://localhost:4000",
            "http://[::1]:4000/x",
            "http://127.0.0.2/x",
        ] {
            assert!(
                matches!(Service::of_url(url), Service::Sandbox { .. }),
                "{url}"
            );
        }
        assert_eq!(
            Service::of_url("http://user:pw@127.0.0.1:4000/v1?token=x"),
            Service::Sandbox {
                base: "http://127.0.0.1:4000".into()
            }
        );
        for url in [
            "https://api.osc-fr1.scalingo.com/v1",
            "https://localhost.example.com/",
            "not a url",
        ] {
            assert_eq!(Service::of_url(url), Service::Scalingo, "{url}");
        }
        let down = PlatformError::Unreachable {
            url: "http://127.0.0.1:9/v1/tokens/exchange".into(),
            detail: "connection refused".into(),
        };
        assert!(down.hints()[0].contains("rewind sandbox serve"));
    }
}
