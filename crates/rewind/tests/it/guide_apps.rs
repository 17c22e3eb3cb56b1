//! `rewind guide APP APP…`: the tree walked once for two apps of one
//! repository (an API with a database and a front), through the real
//! binary against the sandbox: a redeploy rolls both back in one rollback
//! with one confirmation, a dry run changes nothing, a feature switch-off
//! reaches the app that has the flag and says the other has none.

use std::collections::HashSet;

use crate::rollback_apps::{APPS, Hook, World};

/// The default runbook's path to A4 without the database.
const TO_REDEPLOY: &str = "mep=problem,q1=no,q2=yes,q3=high,q4=no,q5=no";

/// The id after `label` in the guide's summary.
fn summary_id(stderr: &str, label: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} line in:\n{stderr}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .expect("id")
        .to_string()
}

#[test]
fn two_apps_answered_to_the_redeploy_go_back_in_one_rollback_with_one_confirmation() {
    let (hook, url) = Hook::start();
    let world = World::with_webhook(&url);
    let run = world.rewind(
        &["guide", "api", "front", "--answer", TO_REDEPLOY, "--no-db"],
        Some("api front\n"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // The evidence of each question, app by app.
    assert!(run.stderr.contains("[api]"), "{}", run.stderr);
    assert!(run.stderr.contains("[front]"), "{}", run.stderr);
    // One plan, one confirmation typing both names.
    assert!(
        run.stderr.contains("one rollback of 2 apps: api, front"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("type the apps' names").count(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
    // One message to the team for the whole rollback.
    let messages = hook.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("rolled back 2 app(s)"), "{messages:?}");
    // Two incidents: the guide's, with a part per app, and the rollback's,
    // which the guide's points at.
    let guide_id = summary_id(&run.stderr, "incident");
    let rollback_id = summary_id(&run.stderr, "rollback ");
    assert_ne!(guide_id, rollback_id);
    let entries = world.entries();
    let ids: HashSet<&str> = entries.iter().map(|e| e.incident.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    for app in APPS {
        assert!(
            entries.iter().any(|e| e.incident.as_str() == guide_id
                && e.app == app
                && e.data["command"] == "guide"),
            "the guide incident has no part for {app}"
        );
        assert!(
            entries.iter().any(|e| e.incident.as_str() == rollback_id
                && e.app == app
                && serde_json::to_value(&e.kind).expect("kind") == "step_done"
                && e.step.as_deref() == Some("deploy")),
            "the rollback did not deploy {app}"
        );
        assert!(
            entries.iter().any(|e| e.incident.as_str() == guide_id
                && e.app == app
                && e.data["rollback_incident"] == rollback_id.as_str()),
            "the guide's part for {app} does not point at the rollback"
        );
    }
    let guide_report = world.rewind(&["report", &guide_id], None);
    assert_eq!(guide_report.code, 0, "{}", guide_report.stderr);
    // The guide's report tells each app's evidence under its question.
    assert!(
        guide_report.stdout.contains("front: no database addon"),
        "{}",
        guide_report.stdout
    );
    let report = world.rewind(&["report", &rollback_id], None);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(
        report.stdout.contains("rollback of 2 apps (api, front)"),
        "{}",
        report.stdout
    );
}

#[test]
fn a_wrong_confirmation_or_a_dry_run_changes_nothing_on_either_app() {
    let world = World::new();
    let dry = world.rewind(
        &[
            "guide",
            "api",
            "front",
            "--answer",
            TO_REDEPLOY,
            "--dry-run",
            "--no-db",
        ],
        None,
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    // Each question's evidence app by app; a suggestion only when the
    // apps agree.
    assert!(
        dry.stderr
            .contains("the apps differ (api suggests yes, front suggests no)"),
        "{}",
        dry.stderr
    );
    assert!(
        dry.stderr.contains("one rollback of 2 apps: api, front"),
        "{}",
        dry.stderr
    );
    assert!(world.writes().is_empty(), "{:?}", world.writes());
    let wrong = world.rewind(
        &["guide", "api", "front", "--answer", TO_REDEPLOY, "--no-db"],
        Some("api\n"),
    );
    assert_eq!(wrong.code, 3, "{}\n{}", wrong.stdout, wrong.stderr);
    assert!(world.writes().is_empty(), "{:?}", world.writes());
    assert_eq!(world.deploys("api") + world.deploys("front"), 0);
}

#[test]
fn a_switch_off_reaches_the_app_with_the_flag_and_says_the_other_has_none() {
    let world = World::new();
    let toml = world.work().join("rewind.toml");
    let text = std::fs::read_to_string(&toml).expect("toml");
    // The flag belongs to the API only.
    let text = text.replace(
        "[[apps]]\nname = \"front\"",
        "[[apps.feature_flags]]\nname = \"FEATURE_CHECKOUT\"\noff_value = \"false\"\n\n[[apps]]\nname = \"front\"",
    );
    assert!(text.contains("FEATURE_CHECKOUT"), "{text}");
    std::fs::write(&toml, text).expect("toml");
    // Named with --flag: only the app that has it is planned.
    let dry = world.rewind(
        &[
            "guide",
            "api",
            "front",
            "--answer",
            "mep=problem,q1=yes",
            "--flag",
            "FEATURE_CHECKOUT",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stderr.contains("api: set FEATURE_CHECKOUT"),
        "{}",
        dry.stderr
    );
    assert!(
        dry.stderr.contains("front: no feature flag configured"),
        "{}",
        dry.stderr
    );
    assert!(world.writes().is_empty(), "{:?}", world.writes());
    let run = world.rewind(
        &[
            "guide",
            "api",
            "front",
            "--answer",
            "mep=problem,q1=yes",
            "--yes",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "front: no feature flag configured in rewind.toml: nothing switched off there"
        ),
        "{}",
        run.stderr
    );
    let writes = world.writes();
    let touched = |app: &str| {
        writes
            .iter()
            .filter(|r| {
                r["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("/v1/apps/{app}/")))
            })
            .count()
    };
    assert!(touched("api") > 0, "{writes:?}");
    assert_eq!(touched("front"), 0, "{writes:?}");
    assert_eq!(world.deploys("api") + world.deploys("front"), 0);
    // One ticket for both apps.
    assert_eq!(
        run.stdout.matches("# [api, front]").count(),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn a_restore_leading_to_the_redeploy_is_one_rollback_with_the_database_restored_first() {
    let world = World::new();
    let run = world.rewind(
        &[
            "guide",
            "api",
            "front",
            "--answer",
            "mep=problem,q1=no,q2=yes,q3=high,q4=no,q5=yes",
        ],
        Some("api front\n"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.matches("type the apps' names").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("carried out with a3, in the same rollback"),
        "{}",
        run.stderr
    );
    assert_eq!(world.deploys("api"), 1);
    assert_eq!(world.deploys("front"), 1);
    // The API's database is back before either app is deployed.
    let entries = world.entries();
    let at = |app: &str, kind: &str, step: &str| {
        entries
            .iter()
            .position(|e| {
                e.app == app
                    && serde_json::to_value(&e.kind).expect("kind") == kind
                    && e.step.as_deref() == Some(step)
            })
            .unwrap_or_else(|| panic!("no {kind} {step} of {app}"))
    };
    let restored = at("api", "step_done", "pitr-restore");
    for app in APPS {
        assert!(restored < at(app, "step_started", "deploy"), "{app}");
    }
}
