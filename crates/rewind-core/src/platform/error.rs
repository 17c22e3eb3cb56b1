//! How talking to the platform fails, in terms of what the user must do
//! next. Every variant carries what is needed to say it, and
//! [`PlatformError::hints`] says what to do. No variant ever carries a
//! token, a bearer or a URL with a token in it.

/// A failure talking to the platform.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("no {} API token: rewind needs one to talk to {}", .platform.name, .platform.name)]
    MissingToken { platform: &'static PlatformInfo },

    #[error("{} refused the API token ({detail})", .platform.name)]
    InvalidToken {
        platform: &'static PlatformInfo,
        detail: String,
    },

    /// An endpoint from the environment that is not an http(s) URL. The
    /// value is not repeated: it may hold credentials.
    #[error("{variable} is not an http or https URL ({detail})")]
    InvalidUrl {
        platform: &'static PlatformInfo,
        variable: String,
        detail: String,
    },

    #[error(
        "{} asks for a two-factor code (OTP Required): an API token is needed, not an account password",
        .platform.name
    )]
    OtpRequired { platform: &'static PlatformInfo },

    #[error("{} refused the request to {path}: not authorised ({detail})", .platform.name)]
    Unauthorized {
        platform: &'static PlatformInfo,
        path: String,
        detail: String,
    },

    #[error("{resource} `{name}` was not found (region {region})")]
    NotFound {
        platform: &'static PlatformInfo,
        resource: String,
        name: String,
        region: String,
    },

    #[error("unknown region `{region}`; available regions: {available}")]
    UnknownRegion {
        platform: &'static PlatformInfo,
        region: String,
        available: String,
    },

    #[error("{service} rejected the request to {path}: {}", format_fields(.fields))]
    Unprocessable {
        service: Service,
        path: String,
        fields: Vec<(String, Vec<String>)>,
    },

    #[error("{} requires payment or billing details for {path}: {message}", .platform.name)]
    PaymentRequired {
        platform: &'static PlatformInfo,
        path: String,
        message: String,
    },

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
    Unreachable {
        platform: &'static PlatformInfo,
        url: String,
        detail: String,
    },

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

/// What errors and hints say about one platform: its name, and where its
/// user goes to fix what went wrong (its dashboard, its status page, its
/// environment variables). Each implementation provides one
/// ([`crate::platform::Platform::info`]); the neutral errors only assemble
/// its words.
#[derive(Debug, PartialEq, Eq)]
pub struct PlatformInfo {
    /// How a sentence names it: `Scalingo`.
    pub name: &'static str,
    /// Where an API token is made and how it is given to rewind.
    pub token_hints: &'static [&'static str],
    /// What to do when the token is refused.
    pub invalid_token_hint: &'static str,
    /// What to do when a two-factor code is asked for.
    pub otp_hint: &'static str,
    /// What to do when the token stops being accepted mid-run.
    pub unauthorized_hint: &'static str,
    /// An example of an endpoint's URL.
    pub endpoint_example: &'static str,
    /// Where the region is set, as a sentence ends it.
    pub region_setting: &'static str,
    /// Its dashboard, as a sentence names it.
    pub dashboard: &'static str,
    /// Its rate limit, for a wait's note: `Scalingo's rate limit (60 requests a minute)`.
    pub rate_limit_note: &'static str,
    /// What to do when its rate limit answered.
    pub rate_limit_hint: &'static str,
    /// What to do when it fails to answer (where its status is published).
    pub outage_hint: &'static str,
    /// The variables naming its endpoints, as a sentence lists them.
    pub endpoint_variables: &'static str,
    /// The variable naming its API's endpoint.
    pub api_url_variable: &'static str,
}

/// Who answered: the platform, or a local sandbox standing in for it (an
/// API on a loopback address). Errors name it, and hints never send
/// someone to the platform's status page for a fault of their own sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    Platform(&'static PlatformInfo),
    /// `base` is the sandbox's `scheme://host:port` (no credential).
    Sandbox {
        base: String,
    },
}

impl Service {
    /// The service behind `url`: a sandbox when its host is loopback
    /// (`127.0.0.1`, `localhost`, `::1`), else `platform`.
    pub fn of_url(url: &str, platform: &'static PlatformInfo) -> Service {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Service::Platform(platform);
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
            Service::Platform(platform)
        }
    }

    /// How a sentence names it.
    pub fn name(&self) -> &'static str {
        match self {
            Service::Platform(p) => p.name,
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
            PlatformError::MissingToken { platform } => {
                platform.token_hints.iter().map(|h| h.to_string()).collect()
            }
            PlatformError::InvalidToken { platform, .. } => {
                vec![platform.invalid_token_hint.into()]
            }
            PlatformError::InvalidUrl {
                platform, variable, ..
            } => vec![format!(
                "set {variable} to the endpoint's URL, such as {}, or unset it to use the region's",
                platform.endpoint_example
            )],
            PlatformError::OtpRequired { platform } => vec![platform.otp_hint.into()],
            PlatformError::Unauthorized { platform, .. } => {
                vec![platform.unauthorized_hint.into()]
            }
            PlatformError::NotFound {
                platform,
                resource,
                region,
                ..
            } if resource == "app" => vec![
                format!(
                    "check the app name and the region (now {region}): set {}",
                    platform.region_setting
                ),
                "and check that your token's account is a collaborator of the app".into(),
            ],
            PlatformError::NotFound { .. } => {
                vec!["check the name or id; it may have been deleted".into()]
            }
            PlatformError::UnknownRegion { platform, .. } => vec![format!(
                "set {} to one of the available regions",
                platform.region_setting
            )],
            PlatformError::Unprocessable { .. } => {
                vec!["fix the fields named above and run the command again".into()]
            }
            PlatformError::PaymentRequired { platform, .. } => vec![format!(
                "check the account's billing in {}",
                platform.dashboard
            )],
            PlatformError::Forbidden { .. } => vec![
                "ask an owner of the app for the permission, or use a token of an account that has it".into(),
            ],
            PlatformError::Rejected { .. } => vec![],
            PlatformError::RateLimited {
                service: Service::Platform(p),
                ..
            } => vec![p.rate_limit_hint.into()],
            PlatformError::RateLimited { service: Service::Sandbox { base }, .. } => vec![
                format!("the sandbox's rate limit is in force: see it with `curl {base}/_sandbox/rate_limit`, reset it with `curl -X POST {base}/_sandbox/rate_limit/reset`"),
            ],
            PlatformError::Server {
                service: Service::Platform(p),
                ..
            } => vec![p.outage_hint.into()],
            PlatformError::Server { service: Service::Sandbox { base }, status, .. } => vec![
                format!("the sandbox answered HTTP {status}: see the sandbox's output, and its fault rules with `curl {base}/_sandbox/faults`"),
            ],
            PlatformError::Unreachable { platform, url, .. }
                if matches!(Service::of_url(url, platform), Service::Sandbox { .. }) =>
            {
                vec![
                    "is the sandbox still running? Start it with `rewind sandbox serve` and export the variables it prints".into(),
                ]
            }
            PlatformError::Unreachable { platform, .. } => vec![format!(
                "check your network, and {} if you set them",
                platform.endpoint_variables
            )],
            PlatformError::Malformed { service: Service::Platform(p), detail, .. }
                if detail.starts_with(TOO_LARGE) =>
            {
                vec![format!("this is not an answer of {}'s API: check {} (a proxy or another server may answer there); try again later, and if it persists, report it with the command you ran", p.name, p.api_url_variable)]
            }
            PlatformError::Malformed { service: Service::Platform(p), .. } => vec![format!(
                "rewind asked again and the answer stayed unreadable: this may be a temporary problem on {}'s side; try again, and if it persists, report it with the command you ran",
                p.name
            )],
            PlatformError::Malformed { service: Service::Sandbox { base }, .. } => vec![
                format!("the sandbox sent an answer rewind cannot read: see the sandbox's output, and its fault rules with `curl {base}/_sandbox/faults`"),
            ],
            PlatformError::WriteNotApplied { .. } => vec![
                // Only this request is known to have changed nothing: the
                // command's earlier steps (a restore, a deploy) stand, and
                // only the command can say whether running it again is safe.
                "this request changed nothing on the platform (rewind checked); what earlier steps did stands: see `rewind journal` before running the command again".into(),
            ],
            PlatformError::WriteUncertain { service: Service::Platform(p), .. } => vec![format!(
                "check the app in {} before trying again, so the action is not done twice",
                p.dashboard
            )],
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
    use crate::platform::scalingo::INFO as SCALINGO;

    #[test]
    fn loopback_urls_are_the_sandbox_and_everything_else_scalingo() {
        for url in [
            "http://127.0.0.1:4000/v1/apps",
            "http://localhost:4000",
            "http://[::1]:4000/x",
            "http://127.0.0.2/x",
        ] {
            assert!(
                matches!(Service::of_url(url, &SCALINGO), Service::Sandbox { .. }),
                "{url}"
            );
        }
        assert_eq!(
            Service::of_url("http://user:pw@127.0.0.1:4000/v1?token=x", &SCALINGO),
            Service::Sandbox {
                base: "http://127.0.0.1:4000".into()
            }
        );
        for url in [
            "https://api.osc-fr1.scalingo.com/v1",
            "https://localhost.example.com/",
            "not a url",
        ] {
            assert_eq!(
                Service::of_url(url, &SCALINGO),
                Service::Platform(&SCALINGO),
                "{url}"
            );
        }
        let down = PlatformError::Unreachable {
            platform: &SCALINGO,
            url: "http://127.0.0.1:9/v1/tokens/exchange".into(),
            detail: "connection refused".into(),
        };
        assert!(down.hints()[0].contains("rewind sandbox serve"));
    }

    static OTHER: PlatformInfo = PlatformInfo {
        name: "Otherhost",
        token_hints: &[
            "make a token in the Otherhost console",
            "export OTHERHOST_TOKEN=...",
        ],
        invalid_token_hint: "the token in OTHERHOST_TOKEN is refused by Otherhost",
        otp_hint: "use an Otherhost token",
        unauthorized_hint: "make a new Otherhost token",
        endpoint_example: "https://api.otherhost.example",
        region_setting: "OTHERHOST_REGION",
        dashboard: "the Otherhost console",
        rate_limit_note: "Otherhost's rate limit",
        rate_limit_hint: "Otherhost limits requests: wait",
        outage_hint: "Otherhost may be down: see its status page",
        endpoint_variables: "OTHERHOST_API",
        api_url_variable: "OTHERHOST_API",
    };

    /// A second platform's errors say its name and its places, never
    /// Scalingo's: the neutral error only assembles what the platform says.
    #[test]
    fn errors_name_the_platform_that_answered() {
        let service = || Service::of_url("https://api.otherhost.example/v1", &OTHER);
        assert_eq!(service(), Service::Platform(&OTHER));
        let errors = [
            PlatformError::MissingToken { platform: &OTHER },
            PlatformError::InvalidToken {
                platform: &OTHER,
                detail: "401".into(),
            },
            PlatformError::OtpRequired { platform: &OTHER },
            PlatformError::Unauthorized {
                platform: &OTHER,
                path: "/v1/apps".into(),
                detail: "no".into(),
            },
            PlatformError::NotFound {
                platform: &OTHER,
                resource: "app".into(),
                name: "shop".into(),
                region: "eu".into(),
            },
            PlatformError::PaymentRequired {
                platform: &OTHER,
                path: "/v1/apps".into(),
                message: "pay".into(),
            },
            PlatformError::RateLimited {
                service: service(),
                path: "/v1/apps".into(),
                waited_secs: 3,
            },
            PlatformError::Server {
                service: service(),
                path: "/v1/apps".into(),
                status: 503,
                message: "down".into(),
            },
            PlatformError::Unreachable {
                platform: &OTHER,
                url: "https://api.otherhost.example/v1".into(),
                detail: "timeout".into(),
            },
            PlatformError::Malformed {
                service: service(),
                path: "/v1/apps".into(),
                detail: "not JSON".into(),
            },
            PlatformError::WriteUncertain {
                service: service(),
                action: "deploy".into(),
                cause: "timeout".into(),
            },
        ];
        for e in errors {
            let said = format!("{e}\n{}", e.hints().join("\n"));
            assert!(said.to_lowercase().contains("otherhost"), "{said}");
            assert!(!said.to_lowercase().contains("scalingo"), "{said}");
        }
    }
}
