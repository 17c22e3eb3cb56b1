//! `rewind doctor [APP…]`: the read-only pre-flight. One line per check
//! (`ok`, `warn`, `FAIL`, `skip`) with what was found, a `fix:` line under
//! each warning and failure, then a summary. Exit 0 when nothing failed
//! (warnings allowed), 1 when a check failed, 2 when the configuration
//! does not load or an app is unknown. Checks live in
//! `rewind_core::doctor`; docs/doctor.md lists them.

use chrono::Utc;
use clap::Args;
use rewind_core::config::AppConfig;
use rewind_core::doctor::{self, AppInput, Check, Level, Summary};
use rewind_core::platform::Platform;
use rewind_core::rollback::ARCHIVE_TEMPLATE_ENV;
use rewind_core::secret::Secret;

use crate::cli_error::CliError;
use crate::commands::rollback::print_json;
use crate::context::{Context, Global};
use crate::ui::Style;

/// How long one git command of doctor may take, unless REWIND_GIT_TIMEOUT
/// says otherwise: a remote that needs longer to list its refs is not
/// ready for the bad night either.
const GIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// The version of the `--json` document (docs/doctor.md).
const SCHEMA: u32 = 1;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The apps to check (as named in rewind.toml). Default: every app.
    apps: Vec<String>,

    /// Print the results as JSON on stdout (schema in docs/doctor.md).
    #[arg(long)]
    json: bool,

    /// Post a test message to the team's webhook: the one thing doctor
    /// sends anywhere.
    #[arg(long)]
    ping: bool,
}

impl DoctorArgs {
    /// Whether this run sends anything (the webhook's test message).
    pub fn writes(&self) -> bool {
        self.ping
    }
}

pub fn run(args: DoctorArgs, global: &Global) -> Result<(), CliError> {
    let ctx = Context::load(global)?;
    let mut apps: Vec<&AppConfig> = if args.apps.is_empty() {
        ctx.config.apps.iter().collect()
    } else {
        args.apps
            .iter()
            .map(|name| ctx.app(Some(name)))
            .collect::<Result<_, _>>()?
    };
    // `rewind doctor shop shop` checks shop once.
    let mut seen = std::collections::HashSet::new();
    apps.retain(|a| seen.insert(a.name.as_str()));
    let now = Utc::now();
    let mut checks = doctor::setup(&ctx.config);
    let platforms: Vec<Result<Box<dyn Platform>, CliError>> =
        apps.iter().map(|a| ctx.platform(a)).collect();
    // The token is the same for every app: the account is checked once,
    // with the first app's client.
    let account = match platforms.first() {
        Some(Ok(p)) => doctor::account(p, now),
        Some(Err(e)) => {
            doctor::account_unavailable(&e.error.to_string(), e.hints.first().map(String::as_str))
        }
        None => Vec::new(),
    };
    let account_ok = !account.is_empty() && !doctor::any_failed(&account);
    checks.extend(account);
    let actor = ctx.actor();
    let archive_template = std::env::var(ARCHIVE_TEMPLATE_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(Secret::new);
    let git = {
        let git = ctx.git().interactive(false);
        if std::env::var_os("REWIND_GIT_TIMEOUT").is_some() {
            git
        } else {
            git.timeout(GIT_DEADLINE)
        }
    };
    for (app, platform) in apps.iter().zip(&platforms) {
        let ping = format!(
            "rewind doctor: a test message for {}, sent by {actor}. Nothing else happened.",
            app.name
        );
        let platform: Option<&dyn Platform> = match platform {
            Ok(p) if account_ok => Some(p),
            _ => None,
        };
        checks.extend(doctor::app(&AppInput {
            platform,
            git: &git,
            config: app,
            webhook: ctx.config.webhook_url(app),
            journal: &ctx.journal,
            ping: args.ping.then_some(ping.as_str()),
            archive_template: archive_template.as_ref(),
            path: std::env::var_os("PATH"),
            interrupt: &ctx.interrupt,
            now,
        }));
    }
    let requests: usize = platforms
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .map(|p| p.requests_sent())
        .sum();
    let summary = Summary::of(&checks);
    if args.json {
        print_json(&serde_json::json!({
            "schema": SCHEMA,
            "ok": summary.fail == 0,
            "summary": summary,
            "requests": requests,
            "checks": checks,
        }))?;
    } else {
        print_text(&checks, &summary, requests);
    }
    if summary.fail > 0 {
        return Err(CliError::failed(format!(
            "{} check(s) failed: a rollback would not go as planned",
            summary.fail
        ))
        .hint("fix what the FAIL lines say, then run `rewind doctor` again"));
    }
    Ok(())
}

fn print_text(checks: &[Check], summary: &Summary, requests: usize) {
    // The checks are the data asked for: painted for stdout's terminal.
    let style = Style::stdout();
    let width = checks.iter().map(|c| name(c).len()).max().unwrap_or(0);
    for check in checks {
        let label = format!("{:<4}", check.level.label());
        let label = match check.level {
            Level::Ok => style.ok(&label),
            Level::Warn => style.warn(&label),
            Level::Fail => style.bad(&label),
            Level::Skip => style.dim(&label),
        };
        outln!("{label}  {:<width$}  {}", name(check), check.detail);
        if let Some(fix) = &check.fix {
            outln!("      {:<width$}  fix: {fix}", "");
        }
    }
    outln!(
        "summary: {} ok, {} warn, {} FAIL, {} skipped; {requests} request(s) to the platform",
        summary.ok,
        summary.warn,
        summary.fail,
        summary.skip
    );
}

/// `shop/git.tags`, or `token` for checks of no app.
fn name(check: &Check) -> String {
    match &check.app {
        Some(app) => format!("{app}/{}", check.id),
        None => check.id.to_string(),
    }
}
