//! Which release each deployment was, what runs now and the last good
//! release, against the sandbox and real repositories.

use std::collections::HashMap;

use rewind_core::git::Git;
use rewind_core::identify::{ReleaseSource, Resolver, identify};
use rewind_core::platform::PlatformError;
use rewind_core::release::TagFormat;
use serde_json::json;

use crate::platform_env::PlatformEnv;
use crate::repo::TestRepo;

/// v1.0.0, v1.1.0, v1.2.0 released and tagged, then one untagged commit.
fn released_repo() -> (TestRepo, HashMap<&'static str, String>) {
    let mut repo = TestRepo::new();
    let mut shas = HashMap::new();
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        let sha = repo.release("shop", v);
        repo.tag(&format!("v{v}"));
        shas.insert(v, sha);
    }
    repo.write("src/fix.js", "fixed");
    shas.insert("fix", repo.commit("fix: after 1.2.0"));
    repo.push_all();
    (repo, shas)
}

fn resolver<'a>(
    git: &'a dyn Git,
    platform: &'a dyn rewind_core::platform::Platform,
) -> Resolver<'a> {
    Resolver::new(
        git,
        platform,
        git.tag_index().expect("tags"),
        TagFormat::parse("v{version}").expect("format"),
        Some("shop".to_string()),
        None,
    )
}

fn history(env: &PlatformEnv, entries: serde_json::Value) {
    env.admin(
        "/_sandbox/apps/shop/deployments/history",
        json!({ "deployments": entries }),
    );
}

#[test]
fn releases_come_from_tags_without_reading_any_build_log() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(
        &env,
        json!([
            {"git_ref": shas["1.0.0"], "created_at": "2026-11-20T10:00:00Z"},
            {"git_ref": shas["1.1.0"], "created_at": "2026-11-21T10:00:00Z"},
            {"git_ref": shas["1.2.0"], "created_at": "2026-11-22T10:00:00Z", "status": "build-error"},
            {"git_ref": shas["1.2.0"], "created_at": "2026-11-22T11:00:00Z"},
        ]),
    );
    let platform = env.client();
    let git = repo.cli();
    let r = resolver(&git, &platform);
    let s = identify(&platform, "shop", &r, 10, &|_| false).expect("identify");
    let current = s.current.expect("current");
    assert_eq!(current.release.label, "v1.2.0");
    assert_eq!(current.release.source, ReleaseSource::Tag);
    let good = s.last_good.expect("last good");
    assert_eq!(good.release.label, "v1.1.0");
    assert_eq!(s.recent.len(), 4);
    assert!(s.recent[1].deployment.status.is_failure());
    assert_eq!(r.logs_read(), 0, "no build log when git knows every commit");
    assert!(env.received("/output").is_empty());
}

#[test]
fn a_failed_deploy_leaves_the_previous_release_as_the_current_one() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(
        &env,
        json!([
            {"git_ref": shas["1.1.0"], "created_at": "2026-11-21T10:00:00Z"},
            {"git_ref": shas["1.2.0"], "created_at": "2026-11-22T10:00:00Z"},
            {"git_ref": shas["fix"], "created_at": "2026-11-23T10:00:00Z", "status": "crashed-error"},
        ]),
    );
    let platform = env.client();
    let git = repo.cli();
    let s = identify(&platform, "shop", &resolver(&git, &platform), 10, &|_| {
        false
    })
    .expect("identify");
    assert_eq!(s.current.expect("current").release.label, "v1.2.0");
    assert_eq!(s.last_good.expect("good").release.label, "v1.1.0");
    let failed = &s.recent[0].release;
    assert_eq!(failed.source, ReleaseSource::NearestTag);
    assert!(failed.label.starts_with("v1.2.0+1 ("), "{}", failed.label);
}

#[test]
fn releases_marked_bad_are_skipped_for_last_good() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(
        &env,
        json!([
            {"git_ref": shas["1.0.0"], "created_at": "2026-11-20T10:00:00Z"},
            {"git_ref": shas["1.1.0"], "created_at": "2026-11-21T10:00:00Z"},
            {"git_ref": shas["1.2.0"], "created_at": "2026-11-22T10:00:00Z"},
        ]),
    );
    let platform = env.client();
    let git = repo.cli();
    let bad = |r: &rewind_core::identify::Release| r.tag.as_deref() == Some("v1.1.0");
    let s = identify(&platform, "shop", &resolver(&git, &platform), 10, &bad).expect("identify");
    assert_eq!(s.last_good.expect("good").release.label, "v1.0.0");
}

#[test]
fn unknown_commits_and_archive_labels_are_read_from_the_build_log() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(
        &env,
        json!([
            {"git_ref": "0123456789abcdef0123456789abcdef01234567", "package": "shop", "version": "0.9.0",
             "created_at": "2026-11-19T10:00:00Z"},
            {"git_ref": "v1.0.0-archive", "type": "archive", "package": "shop", "version": "1.0.0",
             "created_at": "2026-11-20T10:00:00Z"},
            {"git_ref": shas["1.1.0"], "created_at": "2026-11-21T10:00:00Z"},
        ]),
    );
    let platform = env.client();
    // A clone that knows none of these commits: everything comes from logs.
    let empty = TestRepo::new();
    let git = empty.cli();
    let r = resolver(&git, &platform);
    let s = identify(&platform, "shop", &r, 10, &|_| false).expect("identify");
    let labels: Vec<(String, ReleaseSource)> = s
        .recent
        .iter()
        .map(|i| (i.release.label.clone(), i.release.source))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("v1.1.0".to_string(), ReleaseSource::BuildLog),
            ("v1.0.0".to_string(), ReleaseSource::BuildLog),
            ("v0.9.0".to_string(), ReleaseSource::BuildLog),
        ]
    );
    assert_eq!(r.logs_read(), 3);
}

#[test]
fn a_log_without_the_version_line_gives_an_unknown_release_that_says_why() {
    let (repo, _) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(
        &env,
        json!([{"git_ref": "some-label", "type": "archive", "package": "other-package", "version": "3.0.0"}]),
    );
    let platform = env.client();
    let git = repo.cli();
    let s = identify(&platform, "shop", &resolver(&git, &platform), 10, &|_| {
        false
    })
    .expect("identify");
    let release = &s.recent[0].release;
    assert_eq!(release.source, ReleaseSource::Unknown);
    assert!(
        release
            .note
            .as_deref()
            .unwrap_or("")
            .contains("shop@version"),
        "{release:?}"
    );
    assert!(s.last_good.is_none());
}

#[test]
fn the_history_is_read_only_as_deep_as_needed() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    // 1.0.0 long ago, then 300 deploys of 1.1.0, then 1.2.0.
    let mut entries = vec![json!({"git_ref": shas["1.0.0"], "created_at": "2026-01-01T00:00:00Z"})];
    for i in 0..300 {
        entries.push(json!({"git_ref": shas["1.1.0"], "created_at": format!("2026-02-01T{:02}:{:02}:00Z", i / 60, i % 60)}));
    }
    entries.push(json!({"git_ref": shas["1.2.0"], "created_at": "2026-03-01T00:00:00Z"}));
    history(&env, serde_json::Value::Array(entries));
    let platform = env.client();
    let git = repo.cli();
    let s =
        identify(&platform, "shop", &resolver(&git, &platform), 5, &|_| false).expect("identify");
    assert_eq!(s.recent.len(), 5);
    assert_eq!(s.last_good.expect("good").release.label, "v1.1.0");
    assert!(
        s.deployments_read <= 10,
        "read {} deployments",
        s.deployments_read
    );
    let lists = env.received("/deployments?");
    assert_eq!(lists.len(), 1, "one page was enough: {lists:?}");
}

#[test]
fn an_empty_history_has_no_current_release() {
    let (repo, _) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    let platform = env.client();
    let git = repo.cli();
    let s = identify(&platform, "shop", &resolver(&git, &platform), 10, &|_| {
        false
    })
    .expect("identify");
    assert!(s.current.is_none() && s.last_good.is_none() && s.recent.is_empty());
}

#[test]
fn a_500_on_the_deployments_list_is_retried_then_reported() {
    let (repo, _) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop/deployments", "status": 500, "times": 10}),
    );
    let platform = env.client();
    let git = repo.cli();
    let err = identify(&platform, "shop", &resolver(&git, &platform), 10, &|_| {
        false
    })
    .expect_err("fails");
    assert!(
        matches!(err, PlatformError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(
        env.received("/deployments").len(),
        3,
        "three attempts, then give up"
    );
}

#[test]
fn a_500_once_is_absorbed_by_the_retry() {
    let (repo, shas) = released_repo();
    let env = PlatformEnv::start("shop", &repo.work());
    history(&env, json!([{"git_ref": shas["1.2.0"]}]));
    env.admin(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/v1/apps/shop/deployments", "status": 503, "times": 1}),
    );
    let platform = env.client();
    let git = repo.cli();
    let s = identify(&platform, "shop", &resolver(&git, &platform), 10, &|_| {
        false
    })
    .expect("retried");
    assert_eq!(s.current.expect("current").release.label, "v1.2.0");
}
