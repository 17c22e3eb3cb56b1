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

    #[error("Scalingo rejected the request to {path}: {}", format_fields(.fields))]
    Unprocessable {
        path: String,
        fields: Vec<(String, Vec<String>)>,
    },

    #[error("Scalingo requires payment or billing details for {path}: {message}")]
    PaymentRequired { path: String, message: String },

    #[error("not allowed: {path}: {message}")]
    Forbidden { path: String, message: String },

    #[error("Scalingo refused {path}: {message}")]
    Rejected {
        path: String,
        status: u16,
        message: String,
    },

    #[error("Scalingo kept answering `too many requests` for {path}")]
    RateLimited { path: String },

    #[error("Scalingo failed to answer {path} (HTTP {status}: {message})")]
    Server {
        path: String,
        status: u16,
        message: String,
    },

    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },

    #[error("Scalingo's answer to {path} could not be read: {detail}")]
    Malformed { path: String, detail: String },

    #[error(
        "{action}: the request failed ({cause}); rewind checked afterwards and it did not happen"
    )]
    WriteNotApplied { action: String, cause: String },

    #[error(
        "{action}: the request failed ({cause}) and rewind could not check whether it happened"
    )]
    WriteUncertain { action: String, cause: String },
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
            PlatformError::RateLimited { .. } => vec![
                "Scalingo allows 60 requests per minute: wait a minute and run the command again".into(),
            ],
            PlatformError::Server { .. } => vec![
                "Scalingo may be having trouble: check https://scalingostatus.com and try again in a minute".into(),
            ],
            PlatformError::Unreachable { .. } => vec![
                "check your network, and SCALINGO_API_URL / SCALINGO_AUTH_URL / SCALINGO_DB_URL if you set them".into(),
            ],
            PlatformError::Malformed { .. } => vec![
                "this may be a temporary problem on Scalingo's side: try again; if it persists, report it with the command you ran".into(),
            ],
            PlatformError::WriteNotApplied { .. } => vec![
                "nothing changed on the platform: it is safe to run the command again".into(),
            ],
            PlatformError::WriteUncertain { .. } => vec![
                "check the app in the Scalingo dashboard before trying again, so the action is not done twice".into(),
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
