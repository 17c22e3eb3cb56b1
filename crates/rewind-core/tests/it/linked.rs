//! rewind-core tests: linked releases. release-please monorepos in real git
//! repositories, read at the bad tag: linked-versions groups, the
//! node-workspace plugin, apps sharing a tag, and configs that are missing,
//! broken or name components no app deploys.

use rewind_core::config::Config;
use rewind_core::release::{LinkedApp, LinkedError, linked_apps};

use crate::repo::TestRepo;

const APPS: &str = r#"
[[apps]]
name = "shop-front"
tag_format = "{component}-v{version}"
component = "front"

[[apps]]
name = "shop-api"
tag_format = "{component}-v{version}"
component = "api"

[[apps]]
name = "shop-worker"
tag_format = "{component}-v{version}"
component = "api"

[[apps]]
name = "billing"
tag_format = "{component}-v{version}"
component = "billing"
"#;

fn config(text: &str) -> Config {
    Config::parse(text, "/repo/rewind.toml").expect("rewind.toml")
}

fn app<'c>(config: &'c Config, name: &str) -> &'c rewind_core::config::AppConfig {
    config.apps.iter().find(|a| a.name == name).expect("app")
}

fn package_json(name: &str, version: &str, deps: &[&str]) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("\"{d}\": \"*\"")).collect();
    format!(
        "{{\"name\": \"{name}\", \"version\": \"{version}\", \"dependencies\": {{{}}}}}\n",
        deps.join(", ")
    )
}

/// A monorepo releasing front and api in one linked-versions group "web"
/// (with a `docs` component no app deploys), and billing on its own:
/// 1.3.0 before the group existed, 1.4.0 released by one pull request.
fn linked_monorepo() -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write(
        "release-please-config.json",
        r#"{"packages": {"apps/front": {"component": "front"}, "apps/api": {"component": "api"},
             "apps/billing": {"component": "billing"}}}"#,
    );
    repo.write(
        ".release-please-manifest.json",
        r#"{"apps/front": "1.3.0", "apps/api": "1.3.0", "apps/billing": "0.9.0"}"#,
    );
    repo.commit("chore: release main");
    repo.tag("front-v1.3.0");
    repo.tag("api-v1.3.0");
    repo.tag("billing-v0.9.0");
    repo.write(
        "release-please-config.json",
        r#"{
          "separate-pull-requests": false,
          "packages": {
            "apps/front": {"component": "front", "release-type": "node"},
            "apps/api": {"component": "api", "release-type": "node"},
            "apps/billing": {"component": "billing"},
            "docs": {"component": "docs", "release-type": "simple"}
          },
          "plugins": [
            {"type": "linked-versions", "groupName": "web", "components": ["front", "api", "docs"]}
          ]
        }"#,
    );
    repo.commit("chore: link front and api");
    repo.write(
        ".release-please-manifest.json",
        r#"{"apps/front": "1.4.0", "apps/api": "1.4.0", "apps/billing": "0.9.0", "docs": "1.4.0"}"#,
    );
    repo.commit("chore: release main");
    for tag in ["front-v1.4.0", "api-v1.4.0", "docs-v1.4.0"] {
        repo.annotated_tag(tag);
    }
    repo
}

#[test]
fn a_linked_versions_group_proposes_the_other_apps_with_their_tags() {
    let repo = linked_monorepo();
    let config = config(APPS);
    let found = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v1.4.0",
    )
    .unwrap();
    let why = "linked-versions group \"web\" in release-please-config.json";
    assert_eq!(
        found.apps,
        [
            LinkedApp {
                app: "shop-api".into(),
                reason: why.into(),
                their_bad_tag: "api-v1.4.0".into(),
            },
            LinkedApp {
                app: "shop-worker".into(),
                reason: why.into(),
                their_bad_tag: "api-v1.4.0".into(),
            },
        ]
    );
    assert_eq!(
        found.notes,
        [format!(
            "component \"docs\" ({why}) is deployed by no app of rewind.toml"
        )]
    );
}

#[test]
fn apps_deployed_from_the_same_tag_come_first_and_once() {
    let repo = linked_monorepo();
    let config = config(APPS);
    let found = linked_apps(&repo.cli(), &config, app(&config, "shop-api"), "api-v1.4.0").unwrap();
    let names: Vec<(&str, &str, &str)> = found
        .apps
        .iter()
        .map(|a| (a.app.as_str(), a.reason.as_str(), a.their_bad_tag.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "shop-front",
                "linked-versions group \"web\" in release-please-config.json",
                "front-v1.4.0"
            ),
            (
                "shop-worker",
                "deployed from the same release tag api-v1.4.0",
                "api-v1.4.0"
            ),
        ]
    );
}

#[test]
fn the_config_is_read_at_the_tag_not_in_the_working_tree() {
    let mut repo = linked_monorepo();
    // The working tree drops the group after the release: 1.4.0 was still
    // released linked.
    repo.write(
        "release-please-config.json",
        r#"{"packages": {"apps/front": {"component": "front"}}}"#,
    );
    repo.commit("chore: unlink");
    let config = config(APPS);
    let front = app(&config, "shop-front");
    let found = linked_apps(&repo.cli(), &config, front, "front-v1.4.0").unwrap();
    assert_eq!(found.apps.len(), 2, "{found:?}");
    // Before the group existed, 1.3.0 linked nothing, though front and
    // api were tagged on one commit.
    let found = linked_apps(&repo.cli(), &config, front, "front-v1.3.0").unwrap();
    assert_eq!(found.apps, []);
    assert_eq!(found.notes, Vec::<String>::new());
    // An app of a package outside any group has no links.
    let found = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "billing"),
        "billing-v0.9.0",
    )
    .unwrap();
    assert_eq!(found.apps, []);
}

#[test]
fn a_linked_app_with_no_release_at_that_version_is_a_note() {
    let mut repo = TestRepo::new();
    repo.write(
        "release-please-config.json",
        r#"{"packages": {"front": {}, "api": {}},
            "plugins": [{"type": "linked-versions", "groupName": "web", "components": ["front", "api"]}]}"#,
    );
    repo.commit("chore: release main");
    repo.tag("front-v2.0.0");
    let config = config(APPS);
    let found = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v2.0.0",
    )
    .unwrap();
    assert_eq!(found.apps, []);
    assert_eq!(
        found.notes,
        [
            "shop-api (linked-versions group \"web\" in release-please-config.json) has no release at front-v2.0.0: not proposed",
            "shop-worker (linked-versions group \"web\" in release-please-config.json) has no release at front-v2.0.0: not proposed",
        ]
    );
}

/// An npm workspace: @acme/front depends on @acme/api, which depends on
/// @acme/ui (no app); @acme/admin depends on @acme/api but was not in the
/// release; the apps are known by their package names.
fn workspace() -> TestRepo {
    let mut repo = TestRepo::new();
    repo.write(
        "release-please-config.json",
        r#"{"release-type": "node",
            "packages": {"packages/front": {}, "packages/api": {}, "packages/ui": {}, "packages/admin": {}},
            "plugins": ["node-workspace"]}"#,
    );
    repo.write(
        "packages/front/package.json",
        &package_json("@acme/front", "3.0.0", &["@acme/api", "react"]),
    );
    repo.write(
        "packages/api/package.json",
        &package_json("@acme/api", "2.0.0", &["@acme/ui"]),
    );
    repo.write(
        "packages/ui/package.json",
        &package_json("@acme/ui", "1.0.0", &[]),
    );
    repo.write(
        "packages/admin/package.json",
        &package_json("@acme/admin", "0.5.0", &["@acme/api"]),
    );
    repo.write(
        ".release-please-manifest.json",
        r#"{"packages/front": "3.0.0", "packages/api": "2.0.0", "packages/ui": "1.0.0", "packages/admin": "0.5.0"}"#,
    );
    repo.commit("chore: release main");
    for tag in ["front-v3.0.0", "api-v2.0.0", "ui-v1.0.0"] {
        repo.tag(tag);
    }
    repo
}

const WORKSPACE_APPS: &str = r#"
[[apps]]
name = "web"
tag_format = "front-v{version}"
package = "@acme/front"

[[apps]]
name = "api"
tag_format = "api-v{version}"
package = "@acme/api"

[[apps]]
name = "admin"
tag_format = "admin-v{version}"
package = "@acme/admin"
"#;

#[test]
fn node_workspace_proposes_packages_joined_by_dependencies_released_together() {
    let repo = workspace();
    let config = config(WORKSPACE_APPS);
    let found = linked_apps(&repo.cli(), &config, app(&config, "api"), "api-v2.0.0").unwrap();
    assert_eq!(
        found.apps,
        [LinkedApp {
            app: "web".into(),
            reason: "node-workspace plugin: @acme/front depends on @acme/api, released together"
                .into(),
            their_bad_tag: "front-v3.0.0".into(),
        }]
    );
    assert_eq!(
        found.notes,
        [
            "@acme/ui (node-workspace plugin: @acme/api depends on @acme/ui, released together) is deployed by no app of rewind.toml"
        ]
    );
    // From the front, the api is joined directly.
    let found = linked_apps(&repo.cli(), &config, app(&config, "web"), "front-v3.0.0").unwrap();
    assert_eq!(found.apps.len(), 1);
    assert_eq!(found.apps[0].app, "api");
    assert_eq!(
        found.apps[0].reason,
        "node-workspace plugin: @acme/front depends on @acme/api, released together"
    );
}

#[test]
fn without_the_node_workspace_plugin_dependencies_link_nothing() {
    let mut repo = workspace();
    repo.write(
        "release-please-config.json",
        r#"{"release-type": "node", "packages": {"packages/front": {}, "packages/api": {}}}"#,
    );
    repo.commit("chore: release main");
    repo.tag("api-v2.0.1");
    let config = config(WORKSPACE_APPS);
    let found = linked_apps(&repo.cli(), &config, app(&config, "api"), "api-v2.0.1").unwrap();
    assert_eq!(found.apps, []);
}

#[test]
fn no_release_please_config_means_no_links() {
    let mut repo = TestRepo::new();
    repo.release("shop", "1.0.0");
    repo.tag("front-v1.0.0");
    let config = config(APPS);
    let found = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v1.0.0",
    )
    .unwrap();
    assert_eq!(found.apps, []);
    assert_eq!(found.notes, Vec::<String>::new());
}

#[test]
fn a_broken_config_is_an_error_that_names_the_file_and_the_tag() {
    let mut repo = TestRepo::new();
    repo.write(
        "release-please-config.json",
        "{\"packages\": {\"front\": {\"component\": \"front\"},}",
    );
    repo.commit("chore: release main");
    repo.tag("front-v1.0.0");
    let config = config(APPS);
    let error = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v1.0.0",
    )
    .unwrap_err();
    assert!(matches!(error, LinkedError::Config { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "release-please-config.json at `front-v1.0.0` cannot be read (trailing comma at line 1 column 47): linked releases are unknown, only the apps asked for are rolled back"
    );
}

#[test]
fn hostile_entries_are_left_out_with_a_reason() {
    let mut repo = TestRepo::new();
    repo.write(
        "release-please-config.json",
        r#"{"packages": {"../../etc": {"component": "front"}, "front": {"component": "front"},
                         "api": {"component": "api"}, "x": "y"},
            "plugins": [{"type": "linked-versions", "groupName": "web", "components": ["front", "api"]},
                        "node-workspace", 12]}"#,
    );
    repo.write("front/package.json", "\u{0}\u{1} not json");
    repo.write(".release-please-manifest.json", "[]");
    repo.commit("chore: release main");
    repo.tag("front-v1.0.0");
    repo.tag("api-v1.0.0");
    let config = config(APPS);
    let found = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v1.0.0",
    )
    .unwrap();
    assert_eq!(
        found
            .apps
            .iter()
            .map(|a| a.app.as_str())
            .collect::<Vec<_>>(),
        ["shop-api", "shop-worker"]
    );
    assert_eq!(
        found.notes,
        [
            "release-please-config.json: package `x` is not a JSON object, left out",
            "release-please-config.json: plugin 3 is neither a name nor a JSON object, left out",
            ".release-please-manifest.json: the file is not a JSON object, left out",
            "package path `../../etc` is not a folder inside the repository, left out",
            "front/package.json: expected value at line 1 column 1, left out",
        ]
    );
}

#[test]
fn an_unknown_tag_is_a_git_error() {
    let repo = linked_monorepo();
    let config = config(APPS);
    let error = linked_apps(
        &repo.cli(),
        &config,
        app(&config, "shop-front"),
        "front-v9.9.9",
    )
    .unwrap_err();
    assert!(matches!(error, LinkedError::Git { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "cannot read the repository at `front-v9.9.9` to find linked releases"
    );
}
