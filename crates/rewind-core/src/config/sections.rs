//! Reads an app's sub-tables: `[apps.database]`, `[apps.health_check]`,
//! `[[apps.feature_flags]]` and `[apps.watch]`, filling in the defaults.

use super::collector::Collector;
use super::fields::Table;
use super::model::{
    AutoAction, DEFAULT_HEALTH_INTERVAL, DEFAULT_HEALTH_RETRIES, DEFAULT_HEALTH_STATUS,
    DEFAULT_MARGIN, DEFAULT_MIGRATIONS, DatabaseConfig, FeatureFlag, HealthCheck, RollbackOrder,
    WatchConfig,
};
use super::values::{checked, duration, is_env_name, is_http_url};

const DATABASE_KEYS: [&str; 4] = ["addon", "margin", "migrations", "rollback_order"];
const HEALTH_KEYS: [&str; 4] = ["url", "retries", "interval", "expect_status"];
const FLAG_KEYS: [&str; 3] = ["name", "off_value", "description"];
const WATCH_KEYS: [&str; 9] = [
    "auto",
    "baseline",
    "error_factor",
    "error_floor_percent",
    "error_min_requests",
    "error_sustained",
    "health_failures",
    "crash_events",
    "healthy_message",
];

/// `[apps.watch]`, every key optional; the defaults when the table is
/// absent.
pub(crate) fn read_watch(c: &mut Collector, app: &Table<'_, '_>) -> WatchConfig {
    let defaults = WatchConfig::default();
    let Some(t) = app.table(c, "watch") else {
        return defaults;
    };
    t.check_keys(c, &WATCH_KEYS);
    let int = |c: &mut Collector, key: &str, min: i64, max: i64, default: u32| {
        u32::try_from(bounded(c, &t, key, min, max, i64::from(default))).unwrap_or(default)
    };
    let error_factor = int(c, "error_factor", 1, 1000, defaults.error_factor);
    let error_floor_percent = int(
        c,
        "error_floor_percent",
        1,
        100,
        defaults.error_floor_percent,
    );
    let error_min_requests = int(
        c,
        "error_min_requests",
        1,
        1_000_000,
        defaults.error_min_requests,
    );
    let health_failures = int(c, "health_failures", 1, 100, defaults.health_failures);
    let crash_events = t
        .boolean(c, "crash_events", "true or false")
        .map_or(defaults.crash_events, |b| b.into_inner());
    let healthy_message = t
        .boolean(c, "healthy_message", "true or false")
        .map_or(defaults.healthy_message, |b| b.into_inner());
    let auto = read_auto(c, &t);
    WatchConfig {
        baseline: duration(c, &t, "baseline", defaults.baseline, true),
        error_factor,
        error_floor_percent,
        error_min_requests,
        error_sustained: duration(c, &t, "error_sustained", defaults.error_sustained, false),
        health_failures,
        crash_events,
        healthy_message,
        auto,
    }
}

/// `auto = ["feature-flag-off", "redeploy"]`: what `--policy auto` may do.
fn read_auto(c: &mut Collector, t: &Table<'_, '_>) -> Vec<AutoAction> {
    let expected = format!(
        "a list of actions among \"{}\" (a database restore is never automatic)",
        AutoAction::ALL.map(AutoAction::name).join("\", \"")
    );
    let mut out = Vec::new();
    for (i, name) in t
        .strings(c, "auto", &expected)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        match AutoAction::from_name(name.get_ref().trim()) {
            Some(action) if !out.contains(&action) => out.push(action),
            Some(_) => {}
            None => c.at(
                name.span().start,
                &t.key(&format!("auto[{i}]")),
                format!("unknown action \"{}\"; expected {expected}", name.get_ref()),
            ),
        }
    }
    out
}

pub(crate) fn read_database(c: &mut Collector, app: &Table<'_, '_>) -> Option<DatabaseConfig> {
    let t = app.table(c, "database")?;
    t.check_keys(c, &DATABASE_KEYS);
    const ADDON: &str = "the addon id, or its provider such as \"scalingo-postgresql\"";
    let addon = t.required_string(c, "addon", ADDON);
    let addon = checked(c, &t, "addon", addon, |a| !a.trim().is_empty(), ADDON);
    let margin = duration(c, &t, "margin", DEFAULT_MARGIN, false);
    const MIGRATIONS: &str = "a list of folders relative to the repository root";
    let migrations = match t.strings(c, "migrations", MIGRATIONS) {
        None => DEFAULT_MIGRATIONS.iter().map(|m| m.to_string()).collect(),
        Some(paths) => {
            let mut out = Vec::new();
            for (i, path) in paths.into_iter().enumerate() {
                let text = path.get_ref().trim();
                if text.is_empty() || text.starts_with('/') || text.split('/').any(|p| p == "..") {
                    c.at(
                        path.span().start,
                        &t.key(&format!("migrations[{i}]")),
                        format!(
                            "\"{}\" is not usable; expected {MIGRATIONS}",
                            path.get_ref()
                        ),
                    );
                } else {
                    out.push(text.trim_end_matches('/').to_string());
                }
            }
            out
        }
    };
    let rollback_order = read_rollback_order(c, &t);
    Some(DatabaseConfig {
        addon: addon?.into_inner(),
        margin,
        migrations,
        rollback_order,
    })
}

/// `rollback_order`, the runbook's order (before the deploy) when absent.
fn read_rollback_order(c: &mut Collector, t: &Table<'_, '_>) -> RollbackOrder {
    let expected = format!("\"{}\"", RollbackOrder::NAMES.join("\" or \""));
    let Some(text) = t.string(c, "rollback_order", &expected) else {
        return RollbackOrder::default();
    };
    RollbackOrder::parse(text.get_ref()).unwrap_or_else(|| {
        c.at(
            text.span().start,
            &t.key("rollback_order"),
            format!("unknown order \"{}\"; expected {expected}", text.get_ref()),
        );
        RollbackOrder::default()
    })
}

pub(crate) fn read_health_check(c: &mut Collector, app: &Table<'_, '_>) -> Option<HealthCheck> {
    let t = app.table(c, "health_check")?;
    t.check_keys(c, &HEALTH_KEYS);
    const URL: &str = "an http:// or https:// URL the app answers once up";
    let url = t.required_string(c, "url", URL);
    let url = checked(c, &t, "url", url, is_http_url, URL);
    let retries = bounded(c, &t, "retries", 1, 100, i64::from(DEFAULT_HEALTH_RETRIES));
    let interval = duration(c, &t, "interval", DEFAULT_HEALTH_INTERVAL, true);
    let status = bounded(
        c,
        &t,
        "expect_status",
        100,
        599,
        i64::from(DEFAULT_HEALTH_STATUS),
    );
    Some(HealthCheck {
        url: url?.into_inner(),
        retries: u32::try_from(retries).ok()?,
        interval,
        expect_status: u16::try_from(status).ok()?,
    })
}

/// An integer within `min..=max`, `default` when absent.
fn bounded(
    c: &mut Collector,
    t: &Table<'_, '_>,
    key: &str,
    min: i64,
    max: i64,
    default: i64,
) -> i64 {
    let expected = format!("an integer from {min} to {max}");
    let Some(value) = t.integer(c, key, &expected) else {
        return default;
    };
    let n = *value.get_ref();
    if (min..=max).contains(&n) {
        n
    } else {
        c.at(
            value.span().start,
            &t.key(key),
            format!("{n} is out of range; expected {expected}"),
        );
        default
    }
}

pub(crate) fn read_feature_flags(c: &mut Collector, app: &Table<'_, '_>) -> Vec<FeatureFlag> {
    let Some(tables) = app.tables(c, "feature_flags") else {
        return Vec::new();
    };
    let mut flags: Vec<FeatureFlag> = Vec::new();
    for t in &tables {
        t.check_keys(c, &FLAG_KEYS);
        const NAME: &str = "the environment variable that switches the feature, e.g. \"FEATURE_X\"";
        let name = t.required_string(c, "name", NAME);
        let name = checked(c, t, "name", name, is_env_name, NAME);
        const OFF: &str = "the value that turns the feature off (a string, true/false or a number)";
        let off_value = t.scalar_text(c, "off_value", OFF);
        if !t.has("off_value") {
            t.missing(c, "off_value", OFF);
        }
        let description = t
            .string(c, "description", "a string")
            .map(|d| d.into_inner());
        let Some(name) = name else { continue };
        if flags.iter().any(|f| f.name == *name.get_ref()) {
            c.at(
                name.span().start,
                &t.key("name"),
                format!(
                    "duplicate feature flag \"{}\"; expected each flag once",
                    name.get_ref()
                ),
            );
            continue;
        }
        if let Some(off_value) = off_value {
            flags.push(FeatureFlag {
                name: name.into_inner(),
                off_value: off_value.into_inner(),
                description,
            });
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, RollbackOrder};

    fn order(extra: &str) -> Result<RollbackOrder, (usize, String, String)> {
        let text = format!("[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"pg\"\n{extra}");
        match Config::parse(&text, "/repo/rewind.toml") {
            Ok(config) => Ok(config.apps[0]
                .database
                .as_ref()
                .expect("database")
                .rollback_order),
            Err(e) => {
                let p = &e.problems()[0];
                Err((p.line, p.key.clone(), p.message.clone()))
            }
        }
    }

    fn watch(extra: &str) -> Result<crate::config::WatchConfig, (usize, String, String)> {
        let text = format!("[[apps]]\nname = \"shop\"\n[apps.watch]\n{extra}");
        match Config::parse(&text, "/repo/rewind.toml") {
            Ok(config) => Ok(config.apps[0].watch.clone()),
            Err(e) => {
                let p = &e.problems()[0];
                Err((p.line, p.key.clone(), p.message.clone()))
            }
        }
    }

    #[test]
    fn watch_thresholds_default_and_are_read() {
        assert_eq!(watch(""), Ok(crate::config::WatchConfig::default()));
        let read = watch(
            "error_factor = 5\nerror_floor_percent = 10\nhealth_failures = 2\n\
             error_sustained = \"30s\"\ncrash_events = false\n",
        )
        .expect("read");
        assert_eq!(
            (
                read.error_factor,
                read.error_floor_percent,
                read.health_failures
            ),
            (5, 10, 2)
        );
        assert_eq!(read.error_sustained, std::time::Duration::from_secs(30));
        assert!(!read.crash_events);
    }

    #[test]
    fn a_bad_watch_threshold_is_reported_at_its_line() {
        let (line, key, message) = watch("health_failures = 0\n").expect_err("refused");
        assert_eq!((line, key.as_str()), (4, "apps[0].watch.health_failures"));
        assert_eq!(
            message,
            "0 is out of range; expected an integer from 1 to 100"
        );
        let (line, key, _) = watch("\nerror_ratio = 3\n").expect_err("refused");
        assert_eq!((line, key.as_str()), (5, "apps[0].watch.error_ratio"));
    }

    #[test]
    fn auto_allows_nothing_by_default_and_names_its_actions() {
        use crate::config::AutoAction;
        assert!(watch("").expect("read").auto.is_empty());
        let read = watch("auto = [\"feature-flag-off\", \"redeploy\"]\n").expect("read");
        assert_eq!(
            read.auto,
            [AutoAction::FeatureFlagOff, AutoAction::Redeploy]
        );
        let (line, key, message) =
            watch("auto = [\n  \"redeploy\",\n  \"restore-database\",\n]\n").expect_err("refused");
        assert_eq!((line, key.as_str()), (6, "apps[0].watch.auto[1]"));
        assert!(
            message.starts_with("unknown action \"restore-database\""),
            "{message}"
        );
        assert!(message.contains("never automatic"), "{message}");
    }

    #[test]
    fn the_rollback_order_defaults_to_before_the_deploy() {
        assert_eq!(order(""), Ok(RollbackOrder::BeforeDeploy));
        assert_eq!(
            order("rollback_order = \"after-deploy\"\n"),
            Ok(RollbackOrder::AfterDeploy)
        );
        assert_eq!(
            order("rollback_order = \"before-deploy\"\n"),
            Ok(RollbackOrder::BeforeDeploy)
        );
    }

    #[test]
    fn an_unknown_rollback_order_is_reported_at_its_line() {
        let (line, key, message) = order("rollback_order = \"first\"\n").expect_err("refused");
        assert_eq!((line, key.as_str()), (5, "apps[0].database.rollback_order"));
        assert_eq!(
            message,
            "unknown order \"first\"; expected \"before-deploy\" or \"after-deploy\""
        );
        let (line, _, message) = order("rollback_order = 1\n").expect_err("refused");
        assert_eq!(line, 5);
        assert!(message.contains("found integer"), "{message}");
    }
}
