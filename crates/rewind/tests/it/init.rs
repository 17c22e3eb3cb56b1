//! `rewind init` through the real binary, in real git repositories made in
//! temp dirs: what it detects, what it prints, that it never overwrites
//! without --force, and that the file it writes loads.

use std::path::PathBuf;

use rewind_core::config::Config;
use tempfile::TempDir;

use crate::support::{Rewind, Run, git};

/// A temp dir holding `home`, a bare `origin.git` and the `work` clone.
struct Repo {
    dir: TempDir,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let repo = Repo { dir };
        let top = repo.dir.path().to_path_buf();
        git(&top, &["init", "--quiet", "--bare", "origin.git"]);
        git(&top, &["init", "--quiet", "--initial-branch=main", "work"]);
        repo.git(&["remote", "add", "origin", "../origin.git"]);
        repo
    }

    /// The working tree, as git reports it (symlinks resolved).
    fn work(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.path().join("work")).unwrap()
    }

    fn git(&self, args: &[&str]) {
        git(&self.work(), args);
    }

    fn write(&self, path: &str, contents: &str) {
        let full = self.work().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, contents).unwrap();
    }

    /// Commits everything and tags the commit with each of `tags`.
    fn commit_and_tag(&self, message: &str, tags: &[&str]) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
        for tag in tags {
            self.git(&["tag", tag]);
        }
    }

    /// Runs `rewind` in `dir` (relative to the working tree) with a clean
    /// environment: PATH, a temp HOME and no git configuration.
    fn rewind_in(&self, dir: &str, args: &[&str]) -> Run {
        let mut run = Rewind::new(args)
            .dir(&self.work().join(dir))
            .home(&self.dir.path().join("home"))
            .run();
        run.stderr = run
            .stderr
            .replace(&self.work().display().to_string(), "<repo>");
        run
    }

    fn rewind(&self, args: &[&str]) -> Run {
        self.rewind_in(".", args)
    }

    fn config_text(&self) -> String {
        std::fs::read_to_string(self.work().join("rewind.toml")).expect("rewind.toml written")
    }

    fn load(&self) -> Config {
        Config::load(self.work().join("rewind.toml")).expect("the written file loads")
    }
}

/// A single-package repository: package.json, `v` tags, Rails-style
/// migrations.
fn plain_repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        "package.json",
        "{\n  \"name\": \"shop-web\",\n  \"version\": \"1.2.3\"\n}\n",
    );
    repo.write("db/migrate/001_init.rb", "# first migration\n");
    repo.commit_and_tag("chore(main): release 1.2.2", &["v1.2.2"]);
    repo.commit_and_tag("chore(main): release 1.2.3", &["v1.2.3", "nightly"]);
    repo
}

#[test]
fn a_plain_repository_gets_its_package_tags_and_migrations() {
    let repo = plain_repo();
    let out = repo.rewind(&["init"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "",
            "repository: <repo>\n\
             git remote: origin\n\
             app shop-web: tag_format v{version}, package shop-web, newest tags v1.2.3, v1.2.2, migrations db/migrate\n\
             wrote <repo>/rewind.toml\n\
             check the app names and the comments in it, then commit it\n"
        )
    );
    let config = repo.load();
    let app = config.app(None).unwrap();
    assert_eq!(app.name, "shop-web");
    assert_eq!(app.remote, "origin");
    assert_eq!(app.region, "osc-fr1");
    assert_eq!(app.tag_format.template(), "v{version}");
    assert_eq!(app.component, None);
    assert_eq!(app.package.as_deref(), Some("shop-web"));
    let db = app.database.as_ref().expect("a database section");
    assert_eq!(db.addon, "scalingo-postgresql");
    assert_eq!(db.migrations, ["db/migrate"]);
    let text = repo.config_text();
    assert!(text.contains("# Guessed from package.json's name: check it is the app's name on Scalingo.\nname = \"shop-web\"\n"), "{text}");
    assert!(
        text.contains(
            "# Matches the newest release tags: v1.2.3, v1.2.2.\ntag_format = \"v{version}\"\n"
        ),
        "{text}"
    );
    assert!(!text.contains("api_token ="), "{text}");
}

#[test]
fn app_and_dir_put_the_file_at_the_repository_root() {
    let repo = plain_repo();
    repo.write("src/lib/index.js", "");
    let root = repo.work().display().to_string();
    let out = repo.rewind_in("src/lib", &["init", "--app", "shop-prod"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(repo.work().join("rewind.toml").is_file());
    assert!(!repo.work().join("src/lib/rewind.toml").exists());
    let text = repo.config_text();
    assert!(
        text.contains("[[apps]]\nname = \"shop-prod\"\n"),
        "no guess comment for a given name: {text}"
    );
    assert_eq!(repo.load().apps[0].name, "shop-prod");

    // --dir works from anywhere, here from the parent of the repository.
    std::fs::remove_file(repo.work().join("rewind.toml")).unwrap();
    let out = repo.rewind_in("..", &["init", "--dir", &format!("{root}/src")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("wrote <repo>/rewind.toml\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_release_please_monorepo_gets_one_app_per_component() {
    let repo = Repo::new();
    repo.write(
        "release-please-config.json",
        r#"{
  "packages": {
    "packages/etl": { "release-type": "node", "component": "etl" },
    "packages/api": { "release-type": "node", "package-name": "@acme/api" }
  }
}"#,
    );
    repo.write(
        ".release-please-manifest.json",
        r#"{ "packages/etl": "1.1.0", "packages/api": "2.0.0" }"#,
    );
    repo.write("packages/etl/package.json", r#"{ "name": "@acme/etl" }"#);
    repo.write(
        "packages/api/migrations/001.sql",
        "create table t (id int);\n",
    );
    repo.commit_and_tag("chore: release main", &["etl-v1.0.0", "api-v2.0.0"]);
    repo.commit_and_tag("chore: release main", &["etl-v1.1.0"]);

    let out = repo.rewind(&["init"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            0,
            "repository: <repo>\n\
             git remote: origin\n\
             release-please: 2 packages\n\
             app api: tag_format {component}-v{version}, component api, package @acme/api, newest tags api-v2.0.0, migrations packages/api/migrations\n\
             app etl: tag_format {component}-v{version}, component etl, package @acme/etl, newest tags etl-v1.1.0, etl-v1.0.0\n\
             wrote <repo>/rewind.toml\n\
             check the app names and the comments in it, then commit it\n"
        )
    );
    let config = repo.load();
    let summary: Vec<String> = config
        .apps
        .iter()
        .map(|a| {
            format!(
                "{} {} {:?} {:?} database={}",
                a.name,
                a.tag_format,
                a.component,
                a.package,
                a.database.is_some()
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "api {component}-v{version} Some(\"api\") Some(\"@acme/api\") database=true",
            "etl {component}-v{version} Some(\"etl\") Some(\"@acme/etl\") database=false",
        ]
    );
    let text = repo.config_text();
    assert!(
        text.contains(
            "# From release-please's settings (package \"packages/etl\", version 1.1.0).\n"
        ),
        "{text}"
    );

    // One --app name cannot fit two apps.
    let out = repo.rewind(&["init", "--force", "--app", "etl-prod"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: --app etl-prod names one app, but this repository releases 2 packages (api, etl)\n"), "{}", out.stderr);
}

#[test]
fn a_format_that_matches_no_tag_is_flagged_in_the_file_and_on_stderr() {
    let repo = Repo::new();
    // Components are left out of tags, yet the tags are bare versions.
    repo.write(
        "release-please-config.json",
        r#"{ "include-component-in-tag": false, "packages": { ".": { "release-type": "simple" } } }"#,
    );
    repo.commit_and_tag("chore: release 3.0.0", &["release-3.0.0"]);
    let out = repo.rewind(&["init", "--app", "billing"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: app billing: no existing tag matches tag_format \"v{version}\" (newest tags: release-3.0.0); edit tag_format\n"),
        "{}",
        out.stderr
    );
    let text = repo.config_text();
    assert!(text.contains("# WARNING: no tag in the repository matches this format (newest tags: release-3.0.0);\n"), "{text}");
    assert_eq!(repo.load().apps[0].tag_format.template(), "v{version}");
}

#[test]
fn an_existing_file_is_kept_unless_forced() {
    let repo = plain_repo();
    repo.write("rewind.toml", "# ours\n");
    let out = repo.rewind(&["init"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "error: <repo>/rewind.toml already exists\n\
             hint: pass --force to replace it, or edit it by hand\n"
        )
    );
    assert_eq!(repo.config_text(), "# ours\n");

    let out = repo.rewind(&["init", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("replaced <repo>/rewind.toml\n"),
        "{}",
        out.stderr
    );
    assert_eq!(repo.load().apps[0].name, "shop-web");
}

#[test]
fn outside_a_repository_nothing_is_written() {
    let repo = Repo::new();
    let outside = repo.dir.path().join("home");
    let out = repo.rewind(&["init", "--dir", outside.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("is not inside a git repository"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: run `rewind init` inside the app's git repository, or pass --dir"),
        "{}",
        out.stderr
    );
    assert!(!outside.join("rewind.toml").exists());

    let out = repo.rewind(&["init", "--app", "Not A Name"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: `Not A Name` is not a Scalingo app name"),
        "{}",
        out.stderr
    );
}

/// release-please puts the component in tags by default, but a
/// repository whose tags are all `vX.Y.Z` follows `v{version}`: that one
/// is written, and the reason said, instead of a format no tag matches.
#[test]
fn the_format_the_existing_tags_follow_wins_over_a_setting_none_matches() {
    let repo = Repo::new();
    repo.write(
        "release-please-config.json",
        r#"{ "packages": { ".": { "release-type": "node" } } }"#,
    );
    repo.write(".release-please-manifest.json", r#"{ ".": "1.1.0" }"#);
    repo.write(
        "package.json",
        "{\n  \"name\": \"shop\",\n  \"version\": \"1.1.0\"\n}\n",
    );
    repo.commit_and_tag("chore(main): release 1.0.0", &["v1.0.0"]);
    repo.commit_and_tag("chore(main): release 1.1.0", &["v1.1.0"]);
    let out = repo.rewind(&["init", "--app", "shop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let note = "note: app shop: release-please's settings give tag_format \"{component}-v{version}\", which no tag matches; the existing tags follow \"v{version}\" (2 of them, newest v1.1.0, v1.0.0), so that one is written\n";
    assert!(out.stderr.contains(note), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("app shop: tag_format v{version}, package shop, newest tags v1.1.0, v1.0.0"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning:"), "{}", out.stderr);
    let text = repo.config_text();
    assert!(
        text.contains("# release-please's settings give tag_format \"{component}-v{version}\", which no tag matches;"),
        "{text}"
    );
    assert!(text.contains("tag_format = \"v{version}\"\n"), "{text}");
    assert!(!text.contains("component = "), "{text}");
    let config = repo.load();
    assert_eq!(config.apps[0].tag_format.template(), "v{version}");
    assert_eq!(config.apps[0].component, None);

    // Tags of the component's own, without the `v`: that format, with it.
    let repo = Repo::new();
    repo.write(
        "release-please-config.json",
        r#"{ "packages": { ".": { "release-type": "node", "include-v-in-tag": true } } }"#,
    );
    repo.write(
        "package.json",
        "{\n  \"name\": \"shop\",\n  \"version\": \"2.0.0\"\n}\n",
    );
    repo.commit_and_tag("chore(main): release 2.0.0", &["shop-2.0.0", "nightly"]);
    let out = repo.rewind(&["init", "--app", "shop"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "the existing tags follow \"{component}-{version}\" (1 of them, newest shop-2.0.0)"
        ),
        "{}",
        out.stderr
    );
    let config = repo.load();
    assert_eq!(
        config.apps[0].tag_format.template(),
        "{component}-{version}"
    );
    assert_eq!(config.apps[0].component.as_deref(), Some("shop"));
}
