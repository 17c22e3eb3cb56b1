//! The Scalingo client: token exchange and refresh, region endpoints,
//! addon tokens, every endpoint rewind needs, and the rule for writes: sent
//! once, and after an uncertain failure (connection lost, 5xx, unreadable
//! answer) the state is read again to learn whether the write happened.

mod auth;
mod budget;
mod errors;
mod http;
mod jwt;
mod rate_limit;
mod retry;
mod segment;
mod settings;
mod stream;
mod wire;

pub use budget::{BUDGET_FILE, RequestBudget};
pub use rate_limit::{RateLimitPolicy, parse_retry_after};
pub use retry::RetryPolicy;
pub use settings::{DEFAULT_AUTH_URL, DEFAULT_REGION, ScalingoSettings};

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde_json::json;
use ureq::http::Method;

use self::auth::CachedToken;
use self::errors::Subject;
use self::http::{Auth, Call, Http, Reply, path_of};
use self::segment::Seg;
use self::wire::*;
use crate::platform::model::*;
use crate::platform::{Platform, PlatformError, PlatformInfo, Service};
use crate::secret::Secret;

/// Deployments found after an uncertain deploy request count as ours when
/// created this long before the request at most (clock skew).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(120);

/// Where the API and the database API are.
#[derive(Debug, Clone)]
struct Endpoints {
    api: String,
    db: String,
}

/// What errors and hints say about Scalingo.
pub static INFO: PlatformInfo = PlatformInfo {
    name: "Scalingo",
    token_hints: &[
        "create an API token in the Scalingo dashboard (User settings > API tokens) or with `scalingo tokens-create rewind`",
        "then export it: export SCALINGO_API_TOKEN=tk-us-...",
    ],
    invalid_token_hint: "the token in SCALINGO_API_TOKEN is wrong, revoked or expired: create a new one and export it",
    otp_hint: "use an API token (tk-us-...) in SCALINGO_API_TOKEN; tokens are not subject to two-factor prompts",
    unauthorized_hint: "the token may have been revoked while rewind ran: create a new one and export SCALINGO_API_TOKEN",
    endpoint_example: "https://api.osc-fr1.scalingo.com",
    region_setting: "`region` in rewind.toml or SCALINGO_REGION",
    dashboard: "the Scalingo dashboard",
    rate_limit_note: "Scalingo's rate limit (60 requests a minute)",
    rate_limit_hint: "Scalingo allows 60 requests per minute per user: another tool or person may be using your token; wait a minute and run the command again",
    outage_hint: "Scalingo may be having trouble: check https://scalingostatus.com and try again in a minute",
    endpoint_variables: "SCALINGO_API_URL / SCALINGO_AUTH_URL / SCALINGO_DB_URL",
    api_url_variable: "SCALINGO_API_URL",
};

pub struct Scalingo {
    settings: ScalingoSettings,
    api_token: Secret,
    http: Http,
    bearer: Mutex<Option<CachedToken>>,
    endpoints: Mutex<Option<Endpoints>>,
    addon_tokens: Mutex<HashMap<String, CachedToken>>,
    /// Deployments read without a build-log link: id -> (app, read on
    /// its own already).
    unlinked: Mutex<HashMap<String, (String, bool)>>,
}

impl std::fmt::Debug for Scalingo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scalingo")
            .field("region", &self.settings.region)
            .field("auth_url", &self.settings.auth_url)
            .finish_non_exhaustive()
    }
}

impl Scalingo {
    /// A client; fails when no API token is configured.
    pub fn new(settings: ScalingoSettings) -> Result<Self, PlatformError> {
        let api_token = settings
            .api_token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or(PlatformError::MissingToken { platform: &INFO })?;
        let urls = [
            ("SCALINGO_AUTH_URL", Some(&settings.auth_url)),
            ("SCALINGO_API_URL", settings.api_url.as_ref()),
            ("SCALINGO_DB_URL", settings.db_url.as_ref()),
        ];
        for (variable, url) in urls {
            if let Some(url) = url {
                check_url(variable, url)?;
            }
        }
        let http = Http::new(&settings);
        Ok(Scalingo {
            settings,
            api_token,
            http,
            bearer: Mutex::new(None),
            endpoints: Mutex::new(None),
            addon_tokens: Mutex::new(HashMap::new()),
            unlinked: Mutex::new(HashMap::new()),
        })
    }

    pub fn region(&self) -> &str {
        &self.settings.region
    }

    // ---- bearers and endpoints -------------------------------------------

    fn bearer(&self) -> Result<Secret, PlatformError> {
        let mut cached = self.bearer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = cached.as_ref().filter(|t| t.is_fresh(Utc::now())) {
            return Ok(t.token.clone());
        }
        let fresh = self.exchange()?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    fn forget_bearer(&self) {
        *self.bearer.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn exchange(&self) -> Result<CachedToken, PlatformError> {
        let url = format!("{}/v1/tokens/exchange", self.settings.auth_url);
        let mut call = Call::write(
            Method::POST,
            url.clone(),
            Auth::Basic(&self.api_token),
            Some(json!({})),
        );
        // Exchanging twice only makes two bearers: safe to retry.
        call.idempotent = true;
        let reply = self.http.send(&call)?;
        if reply.status == 401 {
            return Err(
                match errors::from_status(401, &reply.body, &url, &self.subject("token", "")) {
                    e @ PlatformError::OtpRequired { .. } => e,
                    PlatformError::Unauthorized { detail, .. } => PlatformError::InvalidToken {
                        platform: &INFO,
                        detail,
                    },
                    other => other,
                },
            );
        }
        let answer: TokenAnswer = self.decode(&reply, &url, "token", "")?;
        Ok(CachedToken::new(Secret::new(answer.token), Utc::now()))
    }

    fn endpoints(&self) -> Result<Endpoints, PlatformError> {
        let mut cached = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = cached.as_ref() {
            return Ok(e.clone());
        }
        let found = match (&self.settings.api_url, &self.settings.db_url) {
            (Some(api), Some(db)) => Endpoints {
                api: api.clone(),
                db: db.clone(),
            },
            _ => {
                let region = self.region_endpoints()?;
                Endpoints {
                    api: self.settings.api_url.clone().unwrap_or(region.api),
                    db: self.settings.db_url.clone().unwrap_or(region.db),
                }
            }
        };
        *cached = Some(found.clone());
        Ok(found)
    }

    fn region_endpoints(&self) -> Result<Endpoints, PlatformError> {
        let url = format!("{}/v1/regions", self.settings.auth_url);
        let reply = self.send_with_bearer(Call::get(url.clone(), Auth::None))?;
        let regions: serde_json::Value = self.decode(&reply, &url, "regions", "")?;
        let list = regions["regions"].as_array().cloned().unwrap_or_default();
        let wanted = &self.settings.region;
        let found = list
            .iter()
            .find(|r| r["name"].as_str() == Some(wanted.as_str()));
        match found {
            Some(r) => Ok(Endpoints {
                api: settings::trim_url(r["api"].as_str().unwrap_or_default()),
                db: settings::trim_url(r["database_api"].as_str().unwrap_or_default()),
            }),
            None => Err(PlatformError::UnknownRegion {
                platform: &INFO,
                region: wanted.clone(),
                available: list
                    .iter()
                    .filter_map(|r| r["name"].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Sends a call with the API bearer; a 401 gets one fresh bearer and
    /// one more try (the request was refused, so nothing was applied).
    fn send_with_bearer(&self, call: Call<'_>) -> Result<Reply, PlatformError> {
        let bearer = self.bearer()?;
        let reply = self.http.send(&with_auth(&call, Auth::Bearer(&bearer)))?;
        if reply.status != 401 || reply.body.contains("OTP") {
            return Ok(reply);
        }
        self.forget_bearer();
        let bearer = self.bearer()?;
        self.http.send(&with_auth(&call, Auth::Bearer(&bearer)))
    }

    /// Who answers this client: Scalingo, or a sandbox on loopback.
    fn service(&self) -> Service {
        match self.endpoints() {
            Ok(e) => Service::of_url(&e.api, &INFO),
            Err(_) => Service::of_url(&self.settings.auth_url, &INFO),
        }
    }

    fn subject<'a>(&'a self, resource: &'a str, name: &'a str) -> Subject<'a> {
        Subject {
            resource,
            name,
            region: &self.settings.region,
        }
    }

    /// Checks the status and reads the JSON answer.
    fn decode<T: DeserializeOwned>(
        &self,
        reply: &Reply,
        url: &str,
        resource: &str,
        name: &str,
    ) -> Result<T, PlatformError> {
        if !(200..300).contains(&reply.status) {
            return Err(errors::from_status(
                reply.status,
                &reply.body,
                url,
                &self.subject(resource, name),
            ));
        }
        serde_json::from_str(&reply.body).map_err(|e| PlatformError::Malformed {
            service: Service::of_url(url, &INFO),
            path: path_of(url),
            detail: e.to_string(),
        })
    }

    /// A read on the main API.
    fn api_get<T: DeserializeOwned>(
        &self,
        path: &str,
        resource: &str,
        name: &str,
    ) -> Result<T, PlatformError> {
        let url = format!("{}{path}", self.endpoints()?.api);
        let reply = self.send_with_bearer(Call::get(url.clone(), Auth::None))?;
        self.decode(&reply, &url, resource, name)
    }

    /// A write on the main API, sent once.
    fn api_write(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(Reply, String), PlatformError> {
        let url = format!("{}{path}", self.endpoints()?.api);
        let reply = self.send_with_bearer(Call::write(method, url.clone(), Auth::None, body))?;
        Ok((reply, url))
    }

    // ---- database API ----------------------------------------------------

    fn addon_token(&self, app: &str, addon_id: &str) -> Result<Secret, PlatformError> {
        {
            let cache = self.addon_tokens.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(t) = cache.get(addon_id).filter(|t| t.is_fresh(Utc::now())) {
                return Ok(t.token.clone());
            }
        }
        let path = format!("/v1/apps/{}/addons/{}/token", Seg(app), Seg(addon_id));
        let url = format!("{}{path}", self.endpoints()?.api);
        // A POST that changes nothing (it hands out a short-lived token):
        // safe to send again after a failure. `{}` as the official client
        // sends it.
        let mut call = Call::write(Method::POST, url.clone(), Auth::None, Some(json!({})));
        call.idempotent = true;
        let reply = self.send_with_bearer(call)?;
        let answer: AddonTokenEnvelope = self.decode(&reply, &url, "addon", addon_id)?;
        let token = answer
            .addon
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| PlatformError::Malformed {
                service: Service::of_url(&url, &INFO),
                path: path_of(&url),
                detail: "no token in the answer".into(),
            })?;
        let cached = CachedToken::new(Secret::new(token), Utc::now());
        let secret = cached.token.clone();
        self.addon_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(addon_id.to_string(), cached);
        Ok(secret)
    }

    /// A call on the database API with the addon's token; a 401 gets a
    /// fresh addon token and one more try.
    fn db_send(&self, app: &str, addon_id: &str, call: Call<'_>) -> Result<Reply, PlatformError> {
        let token = self.addon_token(app, addon_id)?;
        let reply = self.http.send(&with_auth(&call, Auth::Bearer(&token)))?;
        if reply.status != 401 {
            return Ok(reply);
        }
        self.addon_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(addon_id);
        let token = self.addon_token(app, addon_id)?;
        self.http.send(&with_auth(&call, Auth::Bearer(&token)))
    }

    fn db_get<T: DeserializeOwned>(
        &self,
        app: &str,
        addon_id: &str,
        path: &str,
        resource: &str,
        name: &str,
    ) -> Result<T, PlatformError> {
        let url = format!("{}{path}", self.endpoints()?.db);
        let reply = self.db_send(app, addon_id, Call::get(url.clone(), Auth::None))?;
        self.decode(&reply, &url, resource, name)
    }

    // ---- build log links -------------------------------------------------

    /// Remembers the app of deployments that came without `links.output`
    /// (the documented list example has no `links`), and whether they were
    /// read one by one already.
    fn remember_unlinked(&self, app: &str, items: &[Deployment], single: bool) {
        let mut unlinked = self.unlinked.lock().unwrap_or_else(|e| e.into_inner());
        for d in items.iter().filter(|d| d.output_url.is_none()) {
            let seen_single = single || unlinked.get(&d.id).is_some_and(|(_, s)| *s);
            unlinked.insert(d.id.clone(), (app.to_string(), seen_single));
        }
    }

    /// The build log's URL: the deployment's link; else, as the official
    /// CLI does, the link of the deployment read on its own; else the
    /// documented `/deployments/{id}/output` path. `None` when the
    /// deployment's app is not known (it did not come from this client).
    fn output_url_of(&self, deployment: &Deployment) -> Result<Option<String>, PlatformError> {
        if let Some(url) = &deployment.output_url {
            return Ok(Some(url.clone()));
        }
        let known = self
            .unlinked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&deployment.id)
            .cloned();
        let Some((app, single)) = known else {
            return Ok(None);
        };
        if !single && let Some(url) = self.deployment(&app, &deployment.id)?.output_url {
            return Ok(Some(url));
        }
        Ok(Some(format!(
            "{}/v1/apps/{}/deployments/{}/output",
            self.endpoints()?.api,
            Seg(&app),
            Seg(&deployment.id)
        )))
    }

    // ---- uncertain writes ------------------------------------------------

    /// After a write failed in a way that leaves its effect unknown, asks
    /// `check` whether it happened.
    fn settle<T>(
        &self,
        action: &str,
        cause: PlatformError,
        check: impl FnOnce() -> Result<Option<T>, PlatformError>,
    ) -> Result<T, PlatformError> {
        if !cause.is_uncertain() {
            return Err(cause);
        }
        match check() {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(PlatformError::WriteNotApplied {
                action: action.to_string(),
                cause: cause.to_string(),
            }),
            Err(_) => Err(PlatformError::WriteUncertain {
                service: self.service(),
                action: action.to_string(),
                cause: cause.to_string(),
            }),
        }
    }

    /// A deployment created since `since` (less the skew) that `matches`.
    fn find_new_deployment(
        &self,
        app: &str,
        since: DateTime<Utc>,
        matches: impl Fn(&Deployment) -> bool,
    ) -> Result<Option<Deployment>, PlatformError> {
        let page = self.deployments(app, 1, 20)?;
        Ok(page
            .items
            .into_iter()
            .find(|d| d.created_at.is_some_and(|t| t >= since - CLOCK_SKEW) && matches(d)))
    }
}

/// The same call with another authentication.
fn with_auth<'a>(call: &Call<'_>, auth: Auth<'a>) -> Call<'a> {
    Call {
        method: call.method.clone(),
        url: call.url.clone(),
        auth,
        body: call.body.clone(),
        idempotent: call.idempotent,
    }
}

/// The restore time exactly as planned (`db::restore_instant`): whole
/// seconds written as Scalingo's documentation does
/// (`2026-07-18T23:00:00Z`), and the milliseconds when the plan kept them
/// to stay inside the recovery window.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl Platform for Scalingo {
    fn info(&self) -> &'static PlatformInfo {
        &INFO
    }

    /// Scalingo deploys through the SCM link, from an archive, and on a
    /// push that moves `master` or `main` of the app's git remote.
    fn deploy_methods(&self) -> crate::platform::DeployMethods {
        crate::platform::DeployMethods {
            scm_branch: true,
            archive: true,
            push_branches: &["master", "main"],
        }
    }

    /// Each one counted against Scalingo's limit.
    fn requests_sent(&self) -> usize {
        self.http.requests_sent()
    }

    fn session(&self) -> Result<Option<Session>, PlatformError> {
        let bearer = self.bearer()?;
        let claims = jwt::claims(bearer.expose());
        Ok(Some(Session {
            expires_at: claims.expires_at,
            issued_at: claims.issued_at,
        }))
    }

    fn api_endpoints(&self) -> Result<Option<ApiEndpoints>, PlatformError> {
        let found = self.endpoints()?;
        Ok(Some(ApiEndpoints {
            region: self.settings.region.clone(),
            api_url: found.api,
            db_url: found.db,
            from_environment: self.settings.api_url.is_some() && self.settings.db_url.is_some(),
        }))
    }

    fn current_user(&self) -> Result<Option<PlatformUser>, PlatformError> {
        // On the authentication API, as Scalingo's clients read it.
        let url = format!("{}/v1/users/self", self.settings.auth_url);
        let reply = self.send_with_bearer(Call::get(url.clone(), Auth::None))?;
        let body: serde_json::Value = self.decode(&reply, &url, "user", "self")?;
        Ok(serde_json::from_value(body["user"].clone()).ok())
    }

    fn app(&self, app: &str) -> Result<App, PlatformError> {
        let e: AppEnvelope =
            self.api_get(&format!("/v1/apps/{app}", app = Seg(app)), "app", app)?;
        Ok(e.app.into())
    }

    fn deployments(
        &self,
        app: &str,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Deployment>, PlatformError> {
        let path = format!(
            "/v1/apps/{app}/deployments?page={page}&per_page={per_page}",
            app = Seg(app)
        );
        let e: DeploymentsEnvelope = self.api_get(&path, "app", app)?;
        let page = e.into_page(page);
        self.remember_unlinked(app, &page.items, false);
        Ok(page)
    }

    fn deployment(&self, app: &str, id: &str) -> Result<Deployment, PlatformError> {
        let e: DeploymentEnvelope = self.api_get(
            &format!(
                "/v1/apps/{app}/deployments/{id}",
                app = Seg(app),
                id = Seg(id)
            ),
            "deployment",
            id,
        )?;
        let deployment: Deployment = e.deployment.into();
        self.remember_unlinked(app, std::slice::from_ref(&deployment), true);
        Ok(deployment)
    }

    fn build_log(
        &self,
        deployment: &Deployment,
    ) -> Result<Option<Box<dyn Read + Send>>, PlatformError> {
        // The documentation says to follow the link, not to build the path;
        // without one, see `output_url_of`.
        let Some(url) = self.output_url_of(deployment)? else {
            return Ok(None);
        };
        let url = url.as_str();
        let mut bearer = self.bearer()?;
        for attempt in 0..2 {
            let (status, reader) = self.http.open(url, Auth::Bearer(&bearer), "text/plain")?;
            match status {
                200..=299 => return Ok(reader),
                404 => return Ok(None),
                401 if attempt == 0 => {
                    self.forget_bearer();
                    bearer = self.bearer()?;
                }
                _ => {
                    return Err(errors::from_status(
                        status,
                        "",
                        url,
                        &self.subject("build log", &deployment.id),
                    ));
                }
            }
        }
        Err(PlatformError::Unauthorized {
            platform: &INFO,
            path: path_of(url),
            detail: "the bearer was refused twice".into(),
        })
    }

    fn deployment_stream(
        &self,
        app: &str,
    ) -> Result<Option<Box<dyn crate::platform::DeployStream>>, PlatformError> {
        // The stream's WebSocket URL is Scalingo's own: read from its app
        // here, never carried by the neutral model.
        let e: AppEnvelope =
            self.api_get(&format!("/v1/apps/{app}", app = Seg(app)), "app", app)?;
        let stream_url = e.app.links.and_then(|l| l.deployments_stream);
        let Some(url) = stream_url.filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let bearer = self.bearer()?;
        // Opening the stream is one more request against the rate limit.
        self.http.take_slot(&url)?;
        let opened = stream::open(&url, &bearer, &self.subject("deployment stream", app))?;
        Ok(Some(Box::new(opened)))
    }

    fn scm_link(&self, app: &str) -> Result<Option<ScmLink>, PlatformError> {
        match self.api_get::<ScmLinkEnvelope>(
            &format!("/v1/apps/{app}/scm_repo_link", app = Seg(app)),
            "scm_repo_link",
            app,
        ) {
            Ok(e) => Ok(Some(e.scm_repo_link.into())),
            Err(PlatformError::NotFound { resource, .. }) if resource != "app" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set_auto_deploy(&self, app: &str, enabled: bool) -> Result<ScmLink, PlatformError> {
        let body = json!({ "scm_repo_link": { "auto_deploy_enabled": enabled } });
        let result = self
            .api_write(
                Method::PATCH,
                &format!("/v1/apps/{app}/scm_repo_link", app = Seg(app)),
                Some(body),
            )
            .and_then(|(reply, url)| {
                self.decode::<ScmLinkEnvelope>(&reply, &url, "scm_repo_link", app)
            });
        match result {
            Ok(e) => Ok(e.scm_repo_link.into()),
            Err(cause) => self.settle("switching auto-deploy", cause, || {
                Ok(self
                    .scm_link(app)?
                    .filter(|l| l.auto_deploy_enabled == enabled))
            }),
        }
    }

    fn manual_deploy(
        &self,
        app: &str,
        branch: &str,
        expected_commit: Option<&str>,
    ) -> Result<Deployment, PlatformError> {
        let started = Utc::now();
        let body = json!({ "branch": branch });
        let result = self
            .api_write(
                Method::POST,
                &format!("/v1/apps/{app}/scm_repo_link/manual_deploy", app = Seg(app)),
                Some(body),
            )
            .and_then(|(reply, url)| self.decode::<DeploymentEnvelope>(&reply, &url, "app", app));
        match result {
            Ok(e) => Ok(e.deployment.into()),
            Err(cause) => {
                let Some(commit) = expected_commit else {
                    return Err(if cause.is_uncertain() {
                        PlatformError::WriteUncertain {
                            service: self.service(),
                            action: format!("deploying {branch}"),
                            cause: cause.to_string(),
                        }
                    } else {
                        cause
                    });
                };
                self.settle(&format!("deploying {branch}"), cause, || {
                    self.find_new_deployment(app, started, |d| d.git_ref.as_deref() == Some(commit))
                })
            }
        }
    }

    fn archive_deploy(
        &self,
        app: &str,
        git_ref: &str,
        source_url: &Secret,
    ) -> Result<Deployment, PlatformError> {
        let started = Utc::now();
        let body =
            json!({ "deployment": { "git_ref": git_ref, "source_url": source_url.expose() } });
        let result = self
            .api_write(
                Method::POST,
                &format!("/v1/apps/{app}/deployments", app = Seg(app)),
                Some(body),
            )
            .and_then(|(reply, url)| self.decode::<DeploymentEnvelope>(&reply, &url, "app", app));
        match result {
            Ok(e) => Ok(e.deployment.into()),
            Err(cause) => self.settle(
                &format!("deploying the archive of {git_ref}"),
                cause,
                || {
                    self.find_new_deployment(app, started, |d| {
                        d.git_ref.as_deref() == Some(git_ref)
                    })
                },
            ),
        }
    }

    fn restart(&self, app: &str, scope: &[String]) -> Result<String, PlatformError> {
        let started = Utc::now();
        let body = json!({ "scope": scope });
        let result = self
            .api_write(
                Method::POST,
                &format!("/v1/apps/{app}/restart", app = Seg(app)),
                Some(body),
            )
            .and_then(|(reply, url)| {
                if (200..300).contains(&reply.status) {
                    Ok(reply
                        .location
                        .as_deref()
                        .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
                        .unwrap_or_default()
                        .to_string())
                } else {
                    Err(errors::from_status(
                        reply.status,
                        &reply.body,
                        &url,
                        &self.subject("app", app),
                    ))
                }
            });
        match result {
            Ok(id) => Ok(id),
            Err(cause) => self.settle("restarting the app", cause, || {
                let events = self.events(app, 1, 20)?;
                Ok(events
                    .items
                    .into_iter()
                    .find(|e| {
                        e.kind == "restart"
                            && e.created_at.is_some_and(|t| t >= started - CLOCK_SKEW)
                    })
                    .map(|_| String::new()))
            }),
        }
    }

    fn operation(&self, app: &str, id: &str) -> Result<Operation, PlatformError> {
        let e: OperationEnvelope = self.api_get(
            &format!(
                "/v1/apps/{app}/operations/{id}",
                app = Seg(app),
                id = Seg(id)
            ),
            "operation",
            id,
        )?;
        Ok(e.operation.into())
    }

    fn variables(&self, app: &str) -> Result<Vec<Variable>, PlatformError> {
        let e: VariablesEnvelope = self.api_get(
            &format!("/v1/apps/{app}/variables", app = Seg(app)),
            "app",
            app,
        )?;
        Ok(e.variables.into_iter().map(Variable::from).collect())
    }

    fn set_variable(&self, app: &str, name: &str, value: &str) -> Result<Variable, PlatformError> {
        let existing = self.variables(app)?.into_iter().find(|v| v.name == name);
        let result = match &existing {
            Some(v) => self.api_write(
                Method::PATCH,
                &format!("/v1/apps/{app}/variables/{}", Seg(&v.id), app = Seg(app)),
                Some(json!({ "variable": { "value": value } })),
            ),
            None => self.api_write(
                Method::POST,
                &format!("/v1/apps/{app}/variables", app = Seg(app)),
                Some(json!({ "variable": { "name": name, "value": value } })),
            ),
        }
        .and_then(|(reply, url)| self.decode::<VariableEnvelope>(&reply, &url, "variable", name));
        match result {
            Ok(e) => Ok(e.variable.into()),
            Err(cause) => self.settle(&format!("setting {name}"), cause, || {
                Ok(self
                    .variables(app)?
                    .into_iter()
                    .find(|v| v.name == name && v.value == value))
            }),
        }
    }

    fn events(&self, app: &str, page: u32, per_page: u32) -> Result<Page<Event>, PlatformError> {
        let path = format!(
            "/v1/apps/{app}/events?page={page}&per_page={per_page}",
            app = Seg(app)
        );
        let e: EventsEnvelope = self.api_get(&path, "app", app)?;
        Ok(e.into_page(page))
    }

    fn router_metrics(
        &self,
        app: &str,
        since_hours: u32,
        status_class: Option<&str>,
    ) -> Result<Vec<MetricPoint>, PlatformError> {
        let mut path = format!(
            "/v1/apps/{app}/stats/router?since={since_hours}",
            app = Seg(app)
        );
        if let Some(class) = status_class {
            path.push_str(&format!("&status_code={}", Seg(class)));
        }
        let points: Vec<WirePoint> = self.api_get(&path, "app", app)?;
        let mut points: Vec<MetricPoint> = points
            .into_iter()
            .filter_map(WirePoint::into_point)
            .collect();
        points.sort_by_key(|p| p.time);
        Ok(points)
    }

    fn addons(&self, app: &str) -> Result<Vec<Addon>, PlatformError> {
        let e: AddonsEnvelope = self.api_get(
            &format!("/v1/apps/{app}/addons", app = Seg(app)),
            "app",
            app,
        )?;
        Ok(e.addons.into_iter().map(Addon::from).collect())
    }

    fn database(&self, app: &str, addon_id: &str) -> Result<Database, PlatformError> {
        let e: DatabaseEnvelope = self.db_get(
            app,
            addon_id,
            &format!("/api/databases/{addon_id}", addon_id = Seg(addon_id)),
            "database",
            addon_id,
        )?;
        Ok(e.database.into())
    }

    fn backups(&self, app: &str, addon_id: &str) -> Result<Vec<Backup>, PlatformError> {
        let e: BackupsEnvelope = self.db_get(
            app,
            addon_id,
            &format!(
                "/api/databases/{addon_id}/backups",
                addon_id = Seg(addon_id)
            ),
            "database",
            addon_id,
        )?;
        Ok(e.database_backups.into_iter().map(Backup::from).collect())
    }

    fn create_backup(&self, app: &str, addon_id: &str) -> Result<Backup, PlatformError> {
        // The backups there are before asking, so that after an uncertain
        // answer a teammate's manual backup made a minute ago is never
        // taken for ours (best effort: without the list, the time rule
        // alone decides).
        let before: Option<Vec<String>> = self
            .backups(app, addon_id)
            .ok()
            .map(|list| list.into_iter().map(|b| b.id).collect());
        let started = Utc::now();
        let url = format!(
            "{}/api/databases/{addon_id}/backups",
            self.endpoints()?.db,
            addon_id = Seg(addon_id)
        );
        let result = self
            .db_send(
                app,
                addon_id,
                Call::write(Method::POST, url.clone(), Auth::None, Some(json!({}))),
            )
            .and_then(|reply| self.decode::<BackupEnvelope>(&reply, &url, "database", addon_id));
        match result {
            Ok(e) => Ok(e.database_backup.into()),
            Err(cause) => self.settle("starting a backup", cause, || {
                Ok(self.backups(app, addon_id)?.into_iter().find(|b| {
                    b.method.as_deref() == Some("manual")
                        && b.created_at.is_some_and(|t| t >= started - CLOCK_SKEW)
                        && before.as_ref().is_none_or(|ids| !ids.contains(&b.id))
                }))
            }),
        }
    }

    fn backup(&self, app: &str, addon_id: &str, backup_id: &str) -> Result<Backup, PlatformError> {
        let path = format!(
            "/api/databases/{addon_id}/backups/{backup_id}",
            addon_id = Seg(addon_id),
            backup_id = Seg(backup_id)
        );
        let e: BackupEnvelope = self.db_get(app, addon_id, &path, "backup", backup_id)?;
        Ok(e.database_backup.into())
    }

    fn backup_download_url(
        &self,
        app: &str,
        addon_id: &str,
        backup_id: &str,
    ) -> Result<Secret, PlatformError> {
        let path = format!(
            "/api/databases/{addon_id}/backups/{backup_id}/archive",
            addon_id = Seg(addon_id),
            backup_id = Seg(backup_id)
        );
        let e: DownloadUrl = self.db_get(app, addon_id, &path, "backup", backup_id)?;
        Ok(Secret::new(e.download_url))
    }

    fn recovery_window(&self, app: &str, addon_id: &str) -> Result<RecoveryWindow, PlatformError> {
        let path = format!(
            "/api/databases/{addon_id}/pitr/recovery_window",
            addon_id = Seg(addon_id)
        );
        let e: RecoveryWindowEnvelope = self.db_get(app, addon_id, &path, "database", addon_id)?;
        e.window().ok_or(PlatformError::NoRecoveryWindow {
            addon_id: addon_id.to_string(),
        })
    }

    fn pitr_restore(
        &self,
        app: &str,
        addon_id: &str,
        at: DateTime<Utc>,
    ) -> Result<String, PlatformError> {
        let url = format!(
            "{}/api/databases/{addon_id}/pitr/restore",
            self.endpoints()?.db,
            addon_id = Seg(addon_id)
        );
        let body = json!({ "restore_time": rfc3339(at) });
        let result = self
            .db_send(
                app,
                addon_id,
                Call::write(Method::POST, url.clone(), Auth::None, Some(body)),
            )
            .and_then(|reply| self.decode::<PitrRestoreAnswer>(&reply, &url, "database", addon_id))
            .and_then(|answer| {
                answer
                    .operation_id()
                    .ok_or_else(|| PlatformError::Malformed {
                        service: Service::of_url(&url, &INFO),
                        path: path_of(&url),
                        detail: "no operation id in the answer".into(),
                    })
            });
        match result {
            Ok(id) => Ok(id),
            Err(cause) => self.settle("starting the point-in-time restore", cause, || {
                Ok(self.database(app, addon_id)?.current_operation_id)
            }),
        }
    }

    fn database_operation(
        &self,
        app: &str,
        addon_id: &str,
        operation_id: &str,
    ) -> Result<DatabaseOperation, PlatformError> {
        let path = format!(
            "/api/databases/{addon_id}/operations/{operation_id}",
            addon_id = Seg(addon_id),
            operation_id = Seg(operation_id)
        );
        let e: OperationEnvelope = self.db_get(app, addon_id, &path, "operation", operation_id)?;
        Ok(e.operation.into())
    }
}

/// An endpoint must be an http(s) URL with a host: anything else would be
/// tried and retried as if the network were down.
fn check_url(variable: &str, url: &str) -> Result<(), PlatformError> {
    let invalid = |detail: String| PlatformError::InvalidUrl {
        platform: &INFO,
        variable: variable.to_string(),
        detail,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!("scheme `{}`", parsed.scheme())));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_string()));
    }
    Ok(())
}
