//! The `switch_feature_off` leaf: set the feature flag's environment
//! variable to its off value, restart the app (a variable change alone
//! does not reach running containers), follow the restart to its end, and
//! check the app came back: running, and healthy when a health check is
//! configured.

use crate::config::FeatureFlag;
use crate::db::{DbError, Poll};
use crate::health;
use crate::prompt::{Choice, PromptError, Prompter};

use super::actions::{Failure, Stop};
use super::error::GuideError;
use super::say::leaves as words;
use super::tools::{GuideOptions, Tools};

/// The flag chosen and what it holds now.
pub(crate) struct Prepared {
    pub flag: FeatureFlag,
    pub current: Option<String>,
    pub lines: Vec<String>,
}

/// Picks the flag (`--flag`, the tree's `flag` param, the only one, or
/// the person's choice) and says what will be done.
pub(crate) fn prepare(
    tools: &Tools<'_>,
    options: &GuideOptions,
    params: &toml::Table,
    prompter: &dyn Prompter,
) -> Result<Prepared, Stop> {
    let lang = options.lang;
    let flags = &tools.app.feature_flags;
    if flags.is_empty() {
        return Err(Stop::Failed(
            Failure::new(format!(
                "no feature flag is configured for {} in rewind.toml",
                tools.app.name
            ))
            .hint("declare the flag under [[apps.feature_flags]] (name, off_value), or answer the tree's question `no`"),
        ));
    }
    let variables = tools.platform.variables(&tools.app.name)?;
    let value_of = |flag: &FeatureFlag| {
        variables
            .iter()
            .find(|v| v.name == flag.name)
            .map(|v| v.value.clone())
    };
    let named = options
        .flag
        .as_deref()
        .or_else(|| params.get("flag").and_then(|v| v.as_str()));
    let flag = match (named, flags.as_slice()) {
        (Some(name), _) => flags.iter().find(|f| f.name == name).ok_or_else(|| {
            Stop::Failed(
                Failure::new(format!(
                    "`{name}` is not a feature flag of {}",
                    tools.app.name
                ))
                .hint(format!(
                    "the flags in rewind.toml are: {}",
                    names(flags).join(", ")
                )),
            )
        })?,
        (None, [only]) => only,
        (None, _) => {
            let choices: Vec<Choice> = flags
                .iter()
                .map(|f| Choice {
                    id: f.name.clone(),
                    label: words::flag_choice(lang, &f.name, value_of(f).as_deref()),
                })
                .collect();
            let suggested = flags
                .iter()
                .position(|f| value_of(f).as_deref() != Some(f.off_value.as_str()));
            match prompter.choose(&words::which_flag(lang), &choices, suggested) {
                Ok(i) => &flags[i],
                Err(PromptError::NobodyToAsk { .. }) => {
                    return Err(Stop::Guide(GuideError::FlagNotChosen {
                        flags: names(flags),
                    }));
                }
                Err(e) => return Err(Stop::Guide(e.into())),
            }
        }
    };
    let current = value_of(flag);
    let mut lines = vec![
        words::plan_set_flag(lang, &flag.name, &flag.off_value, current.as_deref()),
        words::plan_restart(lang, &tools.app.name),
        words::plan_check_running(lang),
    ];
    if let Some(check) = &tools.app.health_check {
        lines.push(words::plan_check_health(
            lang,
            check.expect_status,
            check.retries,
        ));
    }
    Ok(Prepared {
        flag: flag.clone(),
        current,
        lines,
    })
}

fn names(flags: &[FeatureFlag]) -> Vec<String> {
    flags.iter().map(|f| f.name.clone()).collect()
}

/// Sets the variable, restarts, follows the restart and checks the app.
pub(crate) fn run(
    tools: &Tools<'_>,
    options: &GuideOptions,
    prepared: &Prepared,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Failure> {
    let lang = options.lang;
    let app = &tools.app.name;
    let flag = &prepared.flag;
    let mut done = Vec::new();
    tools
        .platform
        .set_variable(app, &flag.name, &flag.off_value)?;
    let line = words::flag_set(
        lang,
        &flag.name,
        &flag.off_value,
        prepared.current.as_deref(),
    );
    progress(&line);
    done.push(line);
    let operation_id = tools.platform.restart(app, &[])?;
    progress(&words::restart_started(lang, &operation_id));
    let poll = Poll {
        first: options.poll_first,
        max: options.poll_max,
        ..Poll::new(options.restart_deadline, tools.interrupt.clone())
    };
    let operation = poll
        .until("restart", || {
            let op = tools.platform.operation(app, &operation_id)?;
            Ok(op.is_finished().then_some(op))
        })
        .map_err(|e| restart_failure(e, &flag.name))?;
    if operation.status != "done" {
        return Err(Failure::new(format!(
            "the restart ended in `{}`{}",
            operation.status,
            operation
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))
        .hint(format!(
            "{} is already set to {}: restart the app from the dashboard or with `scalingo --app {app} restart`",
            flag.name, flag.off_value
        )));
    }
    let line = words::restarted(lang, app, &operation_id);
    progress(&line);
    done.push(line);
    let status = poll
        .until("app to run again", || {
            let now = tools.platform.app(app)?;
            Ok(matches!(now.status.as_str(), "running" | "crashed" | "stopped").then_some(now))
        })
        .map_err(|e| restart_failure(e, &flag.name))?
        .status;
    if status != "running" {
        return Err(Failure::new(format!("{app} is {status} after the restart"))
            .hint("read the app's logs: switching the feature off did not bring it back"));
    }
    done.push(words::running(lang, app));
    if let Some(check) = &tools.app.health_check {
        let report = health::check(
            &check.url,
            check.expect_status,
            check.retries,
            check.interval,
            tools.interrupt,
        );
        if !report.ok {
            return Err(Failure::new(format!(
                "the health check failed after {} tries: {}",
                report.attempts,
                report.last_error.as_deref().unwrap_or("no answer")
            ))
            .hint("the feature is off and the app restarted, but it does not answer well: look at its logs"));
        }
        let line = words::health_passed(lang, report.attempts);
        progress(&line);
        done.push(line);
    }
    Ok(done)
}

fn restart_failure(e: DbError, flag: &str) -> Failure {
    let mut failure = Failure::from(e);
    failure.hints.push(format!(
        "{flag} is set already; check the restart in the Scalingo dashboard"
    ));
    failure
}
