//! `rewind.toml`: valid files read with their defaults, every kind of
//! mistake reported at its exact line and key, discovery from a
//! subdirectory of a real git repository, and environment overrides.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_core::config::{Config, ConfigError, PlatformKind, Problem};
use rewind_test_support::{git_command, run_git};
use tempfile::TempDir;

/// Writes `text` as `rewind.toml` in a fresh temp dir.
fn write_config(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rewind.toml");
    std::fs::write(&path, text).expect("write rewind.toml");
    (dir, path)
}

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, "rewind.toml")
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Ok(config) => panic!("expected problems, the file loaded: {config:?}"),
        Err(error) => error.problems().to_vec(),
    }
}

/// The one problem in `text`, as `(line, key, message)`.
fn only_problem(text: &str) -> (usize, String, String) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "expected one problem, got {found:#?}");
    let p = &found[0];
    (p.line, p.key.clone(), p.message.clone())
}

#[test]
fn a_minimal_app_gets_every_default() {
    let config = load("[[apps]]\nname = \"shop-prod\"\n").expect("valid");
    let app = config.app(None).expect("the only app");
    assert_eq!(app.name, "shop-prod");
    assert_eq!(app.platform, PlatformKind::Scalingo);
    assert_eq!(app.region, "osc-fr1");
    assert_eq!(app.remote, "origin");
    assert_eq!(app.tag_format.template(), "v{version}");
    assert_eq!(app.component, None);
    assert_eq!(app.package, None);
    assert!(app.database.is_none());
    assert!(app.health_check.is_none());
    assert!(app.feature_flags.is_empty());
    assert!(config.webhook_url(app).is_none());
    assert!(config.tree.is_none());
}

const EVERY_KEY: &str = r#"tree = "rewind/tree.toml"

[notify]
webhook_url = "https://hooks.example.invalid/T000/B000/shared-secret"

[[apps]]
name = "etl-prod"
platform = "scalingo"
region = "osc-secnum-fr1"
remote = "upstream"
tag_format = "{component}-v{version}"
component = "etl"
package = "@acme/etl"
webhook_url = "https://hooks.example.invalid/T000/B000/etl-secret"

[apps.database]
addon = "ad-0123"
margin = "2m30s"
migrations = ["db/migrate/", "prisma/migrations"]

[apps.health_check]
url = "https://etl.example.invalid/health"
retries = 7
interval = "500ms"
expect_status = 204

[[apps.feature_flags]]
name = "FEATURE_FAST_IMPORT"
off_value = false
description = "the new importer"

[[apps.feature_flags]]
name = "IMPORT_BATCH"
off_value = 0
"#;

#[test]
fn every_key_is_read() {
    let (dir, path) = write_config(EVERY_KEY);
    std::fs::create_dir(dir.path().join("rewind")).unwrap();
    std::fs::write(dir.path().join("rewind/tree.toml"), "").unwrap();
    let config = Config::load(&path).expect("valid");
    assert_eq!(config.path, path);
    assert_eq!(config.tree, Some(dir.path().join("rewind/tree.toml")));
    let app = config.app(Some("etl-prod")).expect("named app");
    assert_eq!(app.region, "osc-secnum-fr1");
    assert_eq!(app.remote, "upstream");
    assert_eq!(app.tag_format.template(), "{component}-v{version}");
    assert_eq!(app.component.as_deref(), Some("etl"));
    assert_eq!(app.package.as_deref(), Some("@acme/etl"));
    let db = app.database.as_ref().expect("database");
    assert_eq!(db.addon, "ad-0123");
    assert_eq!(db.margin, Duration::from_secs(150));
    assert_eq!(db.migrations, ["db/migrate", "prisma/migrations"]);
    let health = app.health_check.as_ref().expect("health check");
    assert_eq!(health.url, "https://etl.example.invalid/health");
    assert_eq!(health.retries, 7);
    assert_eq!(health.interval, Duration::from_millis(500));
    assert_eq!(health.expect_status, 204);
    let flags: Vec<(&str, &str, Option<&str>)> = app
        .feature_flags
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.off_value.as_str(),
                f.description.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("FEATURE_FAST_IMPORT", "false", Some("the new importer")),
            ("IMPORT_BATCH", "0", None)
        ]
    );
    // The app's own webhook wins over the shared one.
    let webhook = config.webhook_url(app).expect("webhook");
    assert!(webhook.expose().ends_with("etl-secret"));
    // Webhooks carry tokens: they never show up when the config is printed.
    let printed = format!("{config:?}");
    assert!(!printed.contains("secret"), "{printed}");
}

#[test]
fn the_database_section_fills_in_its_defaults() {
    let config =
        load("[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"scalingo-postgresql\"\n")
            .expect("valid");
    let db = config.apps[0].database.as_ref().expect("database");
    assert_eq!(db.margin, Duration::from_secs(60));
    assert_eq!(
        db.migrations,
        [
            "migrations",
            "db/migrate",
            "prisma/migrations",
            "database/migrations"
        ]
    );
}

#[test]
fn several_apps_are_picked_by_name() {
    let text = "[notify]\nwebhook_url = \"https://hooks.example.invalid/x\"\n\n\
                [[apps]]\nname = \"web-prod\"\n\n[[apps]]\nname = \"etl-prod\"\n";
    let config = load(text).expect("valid");
    assert_eq!(config.app_names(), ["web-prod", "etl-prod"]);
    let etl = config.app(Some("etl-prod")).expect("etl");
    assert_eq!(etl.name, "etl-prod");
    // Without its own webhook an app uses the shared one.
    assert!(config.webhook_url(etl).is_some());

    let error = config.app(None).expect_err("ambiguous");
    assert!(matches!(error, ConfigError::AppRequired { .. }));
    assert_eq!(
        error.to_string(),
        "rewind.toml declares several apps (web-prod, etl-prod); say which one with --app"
    );
    let error = config.app(Some("api")).expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "no app named `api` in rewind.toml; the apps are: web-prod, etl-prod"
    );
}

#[test]
fn a_bad_tag_format_names_file_line_key_and_what_is_expected() {
    let text = "[[apps]]\nname = \"shop\"\n\n\n\n\ntag_format = \"v{versoin}\"\n";
    let error = load(text).expect_err("invalid");
    assert_eq!(
        error.to_string(),
        "rewind.toml:7: apps[0].tag_format: unknown placeholder {versoin}; expected a format \
         such as \"v{version}\" or \"{component}-v{version}\""
    );
    let (line, key, message) =
        only_problem("[[apps]]\nname = \"shop\"\ntag_format = \"release\"\n");
    assert_eq!((line, key.as_str()), (3, "apps[0].tag_format"));
    assert!(
        message.starts_with("must contain {version} exactly once"),
        "{message}"
    );
}

#[test]
fn an_unknown_key_is_an_error_with_a_suggestion() {
    let (line, key, message) = only_problem("[[apps]]\nname = \"shop\"\nregoin = \"osc-fr1\"\n");
    assert_eq!((line, key.as_str()), (3, "apps[0].regoin"));
    assert!(
        message.starts_with(
            "unknown key (did you mean `region`?); expected one of: name, platform, region"
        ),
        "{message}"
    );

    let (line, key, _) = only_problem("colour = 1\n[[apps]]\nname = \"shop\"\n");
    assert_eq!((line, key.as_str()), (1, "colour"));

    let text = "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"pg\"\nmargn = \"1m\"\n";
    let (line, key, message) = only_problem(text);
    assert_eq!((line, key.as_str()), (5, "apps[0].database.margn"));
    assert!(message.contains("did you mean `margin`?"), "{message}");
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    let text = "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = \"https://shop.example.invalid/up\"\nretries = \"three\"\n";
    let (line, key, message) = only_problem(text);
    assert_eq!((line, key.as_str()), (5, "apps[0].health_check.retries"));
    assert_eq!(message, "expected an integer from 1 to 100, found string");

    let (line, key, message) = only_problem("[[apps]]\nname = \"shop\"\nregion = 1\n");
    assert_eq!((line, key.as_str()), (3, "apps[0].region"));
    assert!(
        message.starts_with("expected a Scalingo region"),
        "{message}"
    );
    assert!(message.ends_with("found integer"), "{message}");

    let (line, key, message) = only_problem("[apps]\nname = \"shop\"\n");
    assert_eq!((line, key.as_str()), (1, "apps"));
    assert_eq!(
        message,
        "expected an array of tables ([[apps]]), found table"
    );

    let text =
        "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"pg\"\nmigrations = [\"db\",\n  3]\n";
    let (line, key, message) = only_problem(text);
    assert_eq!((line, key.as_str()), (6, "apps[0].database.migrations[1]"));
    assert_eq!(message, "expected a string, found integer");
}

#[test]
fn a_bad_duration_is_reported_at_its_line() {
    let text =
        "[[apps]]\nname = \"shop\"\n[apps.database]\naddon = \"pg\"\nmargin = \"1 minute\"\n";
    let (line, key, message) = only_problem(text);
    assert_eq!((line, key.as_str()), (5, "apps[0].database.margin"));
    assert_eq!(
        message,
        "\"1 minute\" is not a duration; expected a duration such as \"30s\", \"1m\" or \"2h\""
    );
    let text = "[[apps]]\nname = \"shop\"\n[apps.health_check]\nurl = \"http://127.0.0.1:1/\"\ninterval = \"0s\"\n";
    let (line, key, _) = only_problem(text);
    assert_eq!((line, key.as_str()), (5, "apps[0].health_check.interval"));
}

#[test]
fn a_token_in_the_file_is_refused_with_the_environment_variable_to_use() {
    let (line, key, message) =
        only_problem("api_token = \"tk-us-123\"\n[[apps]]\nname = \"shop\"\n");
    assert_eq!((line, key.as_str()), (1, "api_token"));
    assert!(
        message.contains("set SCALINGO_API_TOKEN in the environment"),
        "{message}"
    );
    let error = load("[[apps]]\nname = \"shop\"\ntoken = \"tk-us-123\"\n").expect_err("token");
    let shown = error.to_string();
    assert!(
        shown.starts_with("rewind.toml:3: apps[0].token: API tokens must not be stored"),
        "{shown}"
    );
    assert!(
        !shown.contains("tk-us-123"),
        "the token must not be echoed: {shown}"
    );
}

#[test]
fn an_unknown_platform_is_refused() {
    let (line, key, message) = only_problem("[[apps]]\nname = \"shop\"\nplatform = \"heroku\"\n");
    assert_eq!((line, key.as_str()), (3, "apps[0].platform"));
    assert_eq!(
        message,
        "unknown platform \"heroku\"; expected \"scalingo\" (the only platform rewind supports for now)"
    );
}

#[test]
fn duplicate_app_names_point_at_the_first() {
    let text =
        "[[apps]]\nname = \"shop\"\n\n[[apps]]\nname = \"api\"\n\n[[apps]]\nname = \"shop\"\n";
    let (line, key, message) = only_problem(text);
    assert_eq!((line, key.as_str()), (8, "apps[2].name"));
    assert_eq!(
        message,
        "duplicate app name \"shop\" (already used by apps[0], line 2); expected each app once"
    );
}

#[test]
fn a_file_without_apps_is_refused() {
    let (line, key, message) = only_problem("# nothing yet\n");
    assert_eq!((line, key.as_str()), (1, "apps"));
    assert!(
        message.starts_with("missing; expected at least one [[apps]] table"),
        "{message}"
    );
    let (line, key, message) = only_problem("\napps = []\n");
    assert_eq!((line, key.as_str()), (2, "apps"));
    assert!(message.starts_with("no app configured"), "{message}");
}

#[test]
fn app_level_mistakes_each_have_their_line() {
    let text = r#"[[apps]]
name = "Shop Prod"
[[apps]]
name = "shop"
tag_format = "{component}-v{version}"
[[apps]]
name = "api"
component = "api"
webhook_url = "hooks.example.invalid/very-secret"
[apps.health_check]
retries = 0
expect_status = 700
[[apps.feature_flags]]
name = "feature-x"
[[apps.feature_flags]]
name = "FEATURE_Y"
off_value = [1]
"#;
    let found: Vec<(usize, String)> = problems(text)
        .iter()
        .map(|p| (p.line, p.key.clone()))
        .collect();
    let expected: Vec<(usize, String)> = [
        (2, "apps[0].name"),
        (5, "apps[1].component"),
        (8, "apps[2].component"),
        (9, "apps[2].webhook_url"),
        (10, "apps[2].health_check.url"),
        (11, "apps[2].health_check.retries"),
        (12, "apps[2].health_check.expect_status"),
        (13, "apps[2].feature_flags[0].off_value"),
        (14, "apps[2].feature_flags[0].name"),
        (17, "apps[2].feature_flags[1].off_value"),
    ]
    .map(|(l, k)| (l, k.to_string()))
    .to_vec();
    assert_eq!(found, expected);
    let shown = load(text).expect_err("invalid").to_string();
    assert!(
        !shown.contains("very-secret"),
        "a webhook must not be echoed: {shown}"
    );
}

#[test]
fn toml_syntax_errors_have_their_line() {
    let (line, key, message) = only_problem("[[apps]]\nname = \"shop\"\nregion = \n");
    assert_eq!((line, key.as_str()), (3, ""));
    assert!(message.starts_with("invalid TOML"), "{message}");
}

#[test]
fn the_tree_path_is_relative_to_the_file_and_must_exist() {
    let (dir, path) = write_config("tree = \"missing.toml\"\n[[apps]]\nname = \"shop\"\n");
    let error = Config::load(&path).expect_err("missing tree");
    let p = &error.problems()[0];
    assert_eq!((p.line, p.key.as_str()), (1, "tree"));
    assert!(
        p.message
            .contains(&dir.path().join("missing.toml").display().to_string())
    );
    assert_eq!(p.file, path);
}

#[test]
fn an_unreadable_file_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("rewind.toml");
    let error = Config::load(&missing).expect_err("absent");
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains(&missing.display().to_string()));
}

/// A real git repository in a temp dir (discovery stops at its root).
fn git_init(dir: &Path) {
    run_git(
        git_command(dir)
            .args(["init", "--quiet", "--initial-branch=main"])
            .env("HOME", dir),
    );
}

#[test]
fn discovery_walks_up_from_a_subdirectory_to_the_repository_root() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    let deep = repo.join("services/api/src");
    std::fs::create_dir_all(&deep).unwrap();
    git_init(&repo);
    std::fs::write(repo.join("rewind.toml"), "[[apps]]\nname = \"shop\"\n").unwrap();
    let config = Config::discover(&deep).expect("found");
    assert_eq!(config.apps[0].name, "shop");
    assert_eq!(
        config.path,
        std::fs::canonicalize(&repo).unwrap().join("rewind.toml")
    );
    // Mistakes in a discovered file name the full path.
    std::fs::write(
        repo.join("rewind.toml"),
        "[[apps]]\nname = \"shop\"\nremot = \"x\"\n",
    )
    .unwrap();
    let shown = Config::discover(&deep).expect_err("invalid").to_string();
    let full = std::fs::canonicalize(&repo).unwrap().join("rewind.toml");
    assert!(
        shown.starts_with(&format!("{}:3: apps[0].remot:", full.display())),
        "{shown}"
    );
}

#[test]
fn discovery_stops_at_the_repository_root_and_says_where_it_looked() {
    let outer = tempfile::tempdir().unwrap();
    // A file above the repository belongs to something else.
    std::fs::write(
        outer.path().join("rewind.toml"),
        "[[apps]]\nname = \"other\"\n",
    )
    .unwrap();
    let repo = outer.path().join("repo");
    let sub = repo.join("web");
    std::fs::create_dir_all(&sub).unwrap();
    git_init(&repo);
    let error = Config::discover(&sub).expect_err("not found");
    let ConfigError::NotFound { searched } = &error else {
        panic!("expected NotFound, got {error:?}");
    };
    let repo = std::fs::canonicalize(&repo).unwrap();
    assert_eq!(searched, &[repo.join("web"), repo.clone()]);
    let shown = error.to_string();
    assert!(shown.contains(&repo.display().to_string()), "{shown}");
    assert!(shown.contains("run `rewind init`"), "{shown}");
}

#[test]
fn the_environment_overrides_the_file_with_scalingo_names() {
    let config = load("[[apps]]\nname = \"shop\"\nregion = \"osc-secnum-fr1\"\n").expect("valid");
    let app = config.app(None).unwrap();

    let from_file = app.scalingo_settings(|_| None);
    assert_eq!(from_file.region, "osc-secnum-fr1");
    assert!(from_file.api_token.is_none());
    assert!(from_file.api_url.is_none());

    let env = |name: &str| {
        let value = match name {
            "SCALINGO_API_TOKEN" => "tk-us-from-env",
            "SCALINGO_REGION" => "osc-fr1",
            "SCALINGO_API_URL" => "http://127.0.0.1:4100/",
            "SCALINGO_AUTH_URL" => "http://127.0.0.1:4101",
            "SCALINGO_DB_URL" => "http://127.0.0.1:4102",
            _ => return None,
        };
        Some(value.to_string())
    };
    let settings = app.scalingo_settings(env);
    assert_eq!(settings.region, "osc-fr1", "the environment's region wins");
    assert_eq!(
        settings.api_token.as_ref().map(|t| t.expose()),
        Some("tk-us-from-env")
    );
    assert_eq!(settings.api_url.as_deref(), Some("http://127.0.0.1:4100"));
    assert_eq!(settings.auth_url, "http://127.0.0.1:4101");
    assert_eq!(settings.db_url.as_deref(), Some("http://127.0.0.1:4102"));
}

#[test]
fn the_team_section_places_the_lock_and_the_journal() {
    let config = load("[[apps]]\nname = \"shop\"\nremote = \"upstream\"\n").expect("config");
    let place = config.apps[0].team.clone().expect("shared by default");
    assert_eq!(place.remote, "upstream", "the app's remote by default");
    assert_eq!(place.refs.locks, "refs/rewind/locks/");
    assert_eq!(place.refs.journal, "refs/rewind/journal");
    assert_eq!(place.stale_after, Duration::from_secs(600));

    let config = load(
        "[team]\nremote = \"team\"\nstate_branch = \"rewind-state\"\nstale_after = \"3m\"\n\n[[apps]]\nname = \"shop\"\n",
    )
    .expect("config");
    let place = config.team_place().expect("shared");
    assert_eq!(place.remote, "team");
    assert_eq!(place.refs.locks, "refs/heads/rewind-state/locks/");
    assert_eq!(place.refs.journal, "refs/heads/rewind-state/journal");
    assert_eq!(place.stale_after, Duration::from_secs(180));

    let alone = load("[team]\nshared = false\n\n[[apps]]\nname = \"shop\"\n").expect("config");
    assert!(alone.apps[0].team.is_none());
    assert!(alone.team_place().is_none());

    let (line, key, message) =
        only_problem("[team]\nshared = \"no\"\n\n[[apps]]\nname = \"shop\"\n");
    assert_eq!((line, key.as_str()), (2, "team.shared"), "{message}");
    assert!(message.contains("true"), "{message}");
    let (line, key, message) =
        only_problem("[team]\nstate_branch = \"../x y\"\n\n[[apps]]\nname = \"shop\"\n");
    assert_eq!((line, key.as_str()), (2, "team.state_branch"), "{message}");
    assert!(message.contains("rewind-state"), "{message}");
}
