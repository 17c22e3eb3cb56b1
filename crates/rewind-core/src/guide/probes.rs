//! The four probes: the evidence gathered before a question, each read
//! from the platform and the team's repository, with the answer it points
//! to. A probe never blocks the walk: whatever it cannot read becomes the
//! reason it failed, and the question is asked without a suggestion.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::DEFAULT_MIGRATIONS;
use crate::db::{DbError, database_addon};
use crate::i18n::Lang;
use crate::identify::{Identified, Resolver, Situation, identify};
use crate::migrations::{Verdict, evidence as migration_evidence};
use crate::status::bad_release_filter;
use crate::tree::Probe;

use super::evidence::{Evidence, ProbeResult};
use super::say::{self, probes as words};
use super::tools::Tools;

/// Deployments read to know what runs now and what ran before.
const HISTORY: usize = 10;
/// Events read for the app's health: one page is enough to cover the time
/// since a bad deploy of the last hours.
const EVENTS: u32 = 100;
/// Event types that say containers went down.
const CRASH_EVENTS: [&str; 3] = ["crash", "repeated_crash", "app_crashed"];

/// What several probes share, read once per walk, and the walk's language.
pub(crate) struct Known {
    lang: Lang,
    situation: Option<Result<Situation, String>>,
}

impl Known {
    pub(crate) fn new(lang: Lang) -> Self {
        Known {
            lang,
            situation: None,
        }
    }

    /// What runs now and what ran before, from the platform's history and
    /// the repository's tags (fetched first, so releases have names).
    pub(crate) fn situation(&mut self, tools: &Tools<'_>) -> Result<&Situation, String> {
        if self.situation.is_none() {
            self.situation = Some(read_situation(tools, self.lang));
        }
        match self.situation.as_ref() {
            Some(Ok(s)) => Ok(s),
            Some(Err(e)) => Err(e.clone()),
            None => Err(words::history_not_read(self.lang)),
        }
    }
}

fn read_situation(tools: &Tools<'_>, lang: Lang) -> Result<Situation, String> {
    let app = tools.app;
    // A stale clone still names most releases; fetching only improves it.
    let _ = tools.git.fetch_tags(&app.remote);
    let tags = tools.git.tag_index().unwrap_or_default();
    let resolver = Resolver::for_app(tools.git, tools.platform, tags, app);
    let is_bad = bad_release_filter(tools.journal, &app.name).map_err(|e| e.to_string())?;
    identify(tools.platform, &app.name, &resolver, HISTORY, &is_bad)
        .map_err(|e| words::cannot_read_deployments(lang, &e))
}

/// Gathers `probe`'s evidence.
pub(crate) fn gather(probe: Probe, tools: &Tools<'_>, known: &mut Known) -> ProbeResult {
    match probe {
        Probe::BadDeploy => bad_deploy(tools, known),
        Probe::AppHealth => app_health(tools, known),
        Probe::Database => database(tools, known),
        Probe::FeatureFlags => feature_flags(tools, known.lang),
    }
}

fn when(d: &Identified) -> Option<DateTime<Utc>> {
    d.deployment.finished_at.or(d.deployment.created_at)
}

fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn release_facts(item: Option<&Identified>) -> serde_json::Value {
    match item {
        Some(i) => json!({
            "label": i.release.label,
            "tag": i.release.tag,
            "commit": i.release.commit,
            "deployment_id": i.deployment.id,
            "deployed_at": when(i),
        }),
        None => serde_json::Value::Null,
    }
}

fn bad_deploy(tools: &Tools<'_>, known: &mut Known) -> ProbeResult {
    let lang = known.lang;
    let mut ev = Evidence::new(Probe::BadDeploy);
    let situation = known.situation(tools)?;
    let now = Utc::now();
    let current = situation
        .current
        .as_ref()
        .ok_or_else(|| words::no_release_runs(lang, &tools.app.name))?;
    ev.line(words::running_now(
        lang,
        &current.release.label,
        &say::source(lang, &current.release.source),
        &current.deployment.id,
    ));
    if let Some(t) = when(current) {
        ev.line(words::deploy_finished(
            lang,
            &date(t),
            &say::ago(lang, t, now),
        ));
    }
    match &situation.last_good {
        Some(prev) => ev.line(words::release_before(
            lang,
            &prev.release.label,
            when(prev).map(date).as_deref(),
        )),
        None => ev.line(words::no_earlier_good_release(lang)),
    }
    let newer_failures = situation
        .recent
        .iter()
        .take_while(|i| i.deployment.id != current.deployment.id)
        .filter(|i| i.deployment.status.is_failure());
    for failed in newer_failures {
        ev.line(words::newer_deployment_failed(
            lang,
            &failed.deployment.id,
            &failed.release.label,
            &failed.deployment.status.to_string(),
        ));
    }
    if let Some(running) = &situation.in_progress {
        ev.line(words::deployment_in_progress(
            lang,
            &running.id,
            &running.status.to_string(),
        ));
    }
    ev.facts = json!({
        "current": release_facts(Some(current)),
        "previous": release_facts(situation.last_good.as_ref()),
    });
    Ok(ev)
}

fn app_health(tools: &Tools<'_>, known: &mut Known) -> ProbeResult {
    let lang = known.lang;
    let mut ev = Evidence::new(Probe::AppHealth);
    let name = &tools.app.name;
    let app = tools
        .platform
        .app(name)
        .map_err(|e| words::cannot_read_app(lang, &e))?;
    ev.line(words::app_status(lang, &app.status));
    let (since, recent) = match known.situation(tools) {
        Ok(s) => (
            s.current.as_ref().and_then(|c| c.deployment.created_at),
            s.recent.clone(),
        ),
        Err(e) => {
            ev.line(words::deployments_unavailable(lang, &e));
            (None, Vec::new())
        }
    };
    let scope = words::scope(lang, since.map(date).as_deref());
    let events = tools
        .platform
        .events(name, 1, EVENTS)
        .map_err(|e| words::cannot_read_events(lang, &e))?;
    let after = |t: Option<DateTime<Utc>>| match (since, t) {
        (Some(since), Some(t)) => t >= since,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let count = |kinds: &[&str]| {
        events
            .items
            .iter()
            .filter(|e| kinds.contains(&e.kind.as_str()) && after(e.created_at))
            .count()
    };
    let crashes = count(&CRASH_EVENTS);
    let restarts = count(&["restart"]);
    ev.line(words::crashes_and_restarts(lang, &scope, crashes, restarts));
    let failing: Vec<String> = recent
        .iter()
        .filter(|i| i.deployment.status.is_failure() && after(i.deployment.created_at))
        .map(|i| format!("{} ({})", i.deployment.id, i.deployment.status))
        .collect();
    ev.line(words::failing_deployments(lang, &scope, &failing));
    if matches!(app.status.as_str(), "crashed" | "stopped") || crashes > 0 {
        ev.suggest(
            "yes",
            words::because_app_is_down(lang, &app.status, crashes),
        );
    }
    ev.facts = json!({
        "status": app.status,
        "crash_events": crashes,
        "restart_events": restarts,
        "failing_deployments": failing,
    });
    Ok(ev)
}

fn database(tools: &Tools<'_>, known: &mut Known) -> ProbeResult {
    let lang = known.lang;
    let mut ev = Evidence::new(Probe::Database);
    let name = &tools.app.name;
    let wanted = tools.app.database.as_ref().map(|d| d.addon.as_str());
    let addon = match database_addon(tools.platform, name, wanted) {
        Ok(addon) => addon,
        Err(DbError::NoDatabaseAddon { .. }) => {
            ev.line(words::no_database_addon(lang));
            ev.suggest("no", words::because_no_database_addon(lang));
            ev.facts = json!({ "addon": null });
            return Ok(ev);
        }
        Err(e) => return Err(words::cannot_tell_database(lang, &e)),
    };
    ev.line(words::database_addon(
        lang,
        &addon.provider_id,
        addon.plan.as_deref(),
    ));
    match tools.platform.database(name, &addon.id) {
        Ok(db) => ev.line(words::database(
            lang,
            db.type_name.as_deref(),
            db.version.as_deref(),
            db.status.as_deref(),
        )),
        Err(e) => ev.line(words::database_details_unavailable(lang, &e)),
    }
    let mut facts = json!({ "addon": addon.id, "provider": addon.provider_id, "plan": addon.plan });
    let paths: Vec<String> = match &tools.app.database {
        Some(db) => db.migrations.clone(),
        None => DEFAULT_MIGRATIONS.iter().map(|s| s.to_string()).collect(),
    };
    let ends = known.situation(tools).ok().and_then(|s| {
        let rev = |i: &Identified| i.release.tag.clone().or_else(|| i.release.commit.clone());
        Some((rev(s.last_good.as_ref()?)?, rev(s.current.as_ref()?)?))
    });
    let Some((from, to)) = ends else {
        ev.line(words::migrations_unknown(lang));
        ev.facts = facts;
        return Ok(ev);
    };
    match migration_evidence(tools.git, &from, &to, &paths) {
        Ok(found) => {
            ev.line(words::migrations_between(lang, &from, &to, &found.verdict));
            for file in found.decisive_files() {
                let why = file
                    .reasons
                    .first()
                    .map(|r| format!(": {}", r.what))
                    .unwrap_or_default();
                ev.line(format!(
                    "  {} {} ({}){why}",
                    file.change, file.path, file.class
                ));
            }
            match found.verdict {
                Verdict::Destructive => ev.suggest("yes", words::because_destructive(lang, &from)),
                Verdict::Unknown => ev.suggest("yes", words::because_unjudged(lang, &from)),
                Verdict::Additive | Verdict::NoMigrations => {
                    ev.suggest("no", words::because_previous_runs(lang))
                }
            }
            facts["migrations"] = json!({
                "from": from,
                "to": to,
                "verdict": found.verdict,
                "files": found.files.iter().map(|f| json!({"path": f.path, "class": f.class})).collect::<Vec<_>>(),
            });
        }
        Err(e) => ev.line(words::migrations_unavailable(lang, &e)),
    }
    ev.facts = facts;
    Ok(ev)
}

fn feature_flags(tools: &Tools<'_>, lang: Lang) -> ProbeResult {
    let mut ev = Evidence::new(Probe::FeatureFlags);
    let flags = &tools.app.feature_flags;
    if flags.is_empty() {
        ev.line(words::no_flag_configured(lang, &tools.app.name));
        ev.suggest("no", words::because_no_flag(lang));
        ev.facts = json!({ "flags": [] });
        return Ok(ev);
    }
    let variables = tools
        .platform
        .variables(&tools.app.name)
        .map_err(|e| words::cannot_read_variables(lang, &e))?;
    let mut on = Vec::new();
    let mut facts = Vec::new();
    for flag in flags {
        // Only the configured flags' values are shown: other variables
        // hold secrets.
        let value = variables
            .iter()
            .find(|v| v.name == flag.name)
            .map(|v| v.value.as_str());
        let is_off = value == Some(flag.off_value.as_str());
        let about = flag
            .description
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let state = words::flag_state(lang, &flag.name, value, &flag.off_value);
        ev.line(format!("{state}{about}"));
        if !is_off {
            on.push(flag.name.clone());
        }
        facts.push(json!({ "name": flag.name, "value": value, "off": is_off }));
    }
    if on.is_empty() {
        ev.suggest("no", words::because_all_flags_off(lang));
    } else {
        ev.suggest("yes", words::because_flags_can_go_off(lang, &on));
    }
    ev.facts = json!({ "flags": facts });
    Ok(ev)
}
