//! The language of `rewind guide` and `rewind drill` through the real
//! binary: with `--lang fr` (or a French locale) rewind's own lines (the
//! evidence, the suggestion, the plans and outcomes, the ticket draft, the
//! summary) are French; `--lang en` keeps the English lines exactly as
//! they were; the drill walks the tree in the language asked for, and a
//! person answering it reads each question once; the line prompter's own
//! words (`réponse [1-2] :`) follow the language of the guide or drill.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rewind_sandbox::{AppSeed, PostgresMode, Sandbox, SandboxConfig, ScmSeed};
use serde_json::json;

use crate::support::{Rewind, Run, admin_get, admin_post, git};

/// A repository with v1.0.0 and v1.1.0, a sandbox where both were deployed
/// (v1.1.0 ten minutes ago), and a feature flag that is on.
struct World {
    dir: tempfile::TempDir,
    sandbox: Sandbox,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(
            root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(root, &["clone", "--quiet", "origin.git", "work"]);
        let work = root.join("work");
        let mut shas = Vec::new();
        for v in ["1.0.0", "1.1.0"] {
            std::fs::write(
                work.join("package.json"),
                format!("{{\"name\":\"shop\",\"version\":\"{v}\"}}\n"),
            )
            .expect("package.json");
            git(&work, &["add", "."]);
            git(&work, &["commit", "--quiet", "-m", &format!("release {v}")]);
            git(&work, &["tag", &format!("v{v}")]);
            shas.push(git(&work, &["rev-parse", "HEAD"]));
        }
        git(&work, &["push", "--quiet", "origin", "main", "--tags"]);
        std::fs::write(
            work.join("rewind.toml"),
            "[[apps]]\nname = \"shop\"\npackage = \"shop\"\n\n\
             [[apps.feature_flags]]\nname = \"FEATURE_CHECKOUT\"\noff_value = \"false\"\n",
        )
        .expect("rewind.toml");
        let sandbox = Sandbox::start(SandboxConfig {
            apps: vec![AppSeed {
                name: "shop".into(),
                repo: Some(root.join("origin.git").display().to_string()),
                scm: Some(ScmSeed {
                    branch: "main".into(),
                    auto_deploy: false,
                }),
                addons: Vec::new(),
            }],
            deploy_duration: Duration::from_millis(100),
            rate_limit_per_minute: 0,
            postgres: PostgresMode::Off,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        let ago = |min: i64| (chrono::Utc::now() - chrono::Duration::minutes(min)).to_rfc3339();
        admin_post(
            &sandbox,
            "/_sandbox/apps/shop/deployments/history",
            json!({"deployments": [
                {"git_ref": shas[0], "created_at": ago(40)},
                {"git_ref": shas[1], "created_at": ago(10)},
            ]}),
        );
        let world = World { dir, sandbox };
        world.put_variable("FEATURE_CHECKOUT", "true");
        world
    }

    /// Sets a variable through the API, as a person would have.
    fn put_variable(&self, name: &str, value: &str) {
        use rewind_core::platform::Platform;
        use rewind_core::platform::scalingo::{Scalingo, ScalingoSettings};
        let env = self.sandbox.env_vars();
        let settings = ScalingoSettings::new("sandbox-local")
            .with_env(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()));
        Scalingo::new(settings)
            .expect("client")
            .set_variable("shop", name, value)
            .expect("set the variable");
    }

    fn variable(&self, name: &str) -> Option<String> {
        admin_get(&self.sandbox, "/_sandbox/apps/shop/state")["variables"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name)
            .and_then(|v| v["value"].as_str().map(str::to_string))
    }

    fn journal_dir(&self) -> PathBuf {
        self.dir.path().join("journal")
    }

    fn guide(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let args: Vec<&str> = ["guide"].into_iter().chain(args.iter().copied()).collect();
        Rewind::new(&args)
            .dir(&self.dir.path().join("work"))
            .journal(&self.journal_dir())
            .sandbox(&self.sandbox)
            .envs(env.iter().copied())
            .run()
    }
}

fn has(text: &str, wanted: &str) {
    assert!(text.contains(wanted), "`{wanted}` missing from:\n{text}");
}

fn lacks(text: &str, unwanted: &str) {
    assert!(
        !text.contains(unwanted),
        "`{unwanted}` should not be in:\n{text}"
    );
}

#[test]
fn guide_in_french_says_its_evidence_plan_ticket_and_summary_in_french() {
    let w = World::new();
    let run = w.guide(
        &["--answer", "mep=problem,q1=yes", "--yes", "--lang", "fr"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(err, "rewind guide pour shop (");
    has(err, "  constats (bad_deploy) :");
    has(err, "    en production : v1.1.0 (tag), déploiement ");
    has(err, "    la version précédente : v1.0.0, déployée le ");
    has(
        err,
        "    FEATURE_CHECKOUT = true ; valeur qui le désactive : false",
    );
    has(
        err,
        "  réponse suggérée : yes (FEATURE_CHECKOUT peut être désactivé)",
    );
    has(err, "  q1 = yes: Oui (donnée à l'avance)");
    has(
        err,
        "  - passer FEATURE_CHECKOUT à false (actuellement true)",
    );
    has(
        err,
        "  - redémarrer shop pour que les conteneurs en cours la lisent",
    );
    has(err, "    FEATURE_CHECKOUT passé à false (valait true)");
    has(err, "  a1 : fait");
    has(err, "\nRésumé\n");
    has(err, "  parcours  mep=problem -> q1=yes -> a1\n");
    has(err, "  a1        switch_feature_off fait\n");
    has(err, "  résultat  ");
    lacks(err, "running now");
    lacks(err, "suggested answer");
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("false"));
    let ticket = &run.stdout;
    has(ticket, "## Ce qui s'est passé\n");
    has(ticket, "Une mise en production de shop s'est mal passée.");
    has(ticket, "## Versions concernées\n");
    has(
        ticket,
        "- en production au début du guide : v1.1.0 (déploiement ",
    );
    has(ticket, "## Réponses données\n");
    has(
        ticket,
        "(`yes`, scriptée) (comme les constats le suggéraient)",
    );
    has(ticket, "## Déjà fait\n");
    has(
        ticket,
        "- [ ] PO : décider quand la fonctionnalité pourra être réactivée",
    );
    lacks(ticket, "## Next steps");
}

#[test]
fn guide_in_english_is_unchanged_even_under_a_french_locale() {
    let w = World::new();
    let run = w.guide(
        &["--answer", "mep=ok", "--lang", "en"],
        &[("LANG", "fr_FR.UTF-8")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(err, "rewind guide for shop (");
    has(err, "  evidence (bad_deploy):\n");
    has(err, "    running now: v1.1.0 (tag), deployment ");
    has(err, "    the release before it: v1.0.0, deployed ");
    has(
        err,
        "  mep = ok: No problem: nothing to do, release again (given in advance)",
    );
    has(err, "\nSummary\n");
    has(err, "  path      mep=ok\n");
    has(
        err,
        "  outcome   no problem: nothing to do until the next release\n",
    );
    lacks(err, "constats");
}

#[test]
fn a_french_locale_picks_french_without_lang() {
    let w = World::new();
    let run = w.guide(&["--answer", "mep=ok"], &[("LANG", "fr_FR.UTF-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(
        err,
        "[mep] La mise en production est faite : y a-t-il un problème ?",
    );
    has(err, "    en production : v1.1.0 (tag), déploiement ");
    has(
        err,
        "  résultat  aucun problème : rien à faire jusqu'à la prochaine mise en production\n",
    );
    lacks(err, "Summary");
}

/// Runs `rewind drill ARGS` at the tests' pace with a simulated database.
fn drill(home: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let args: Vec<&str> = ["drill"].into_iter().chain(args.iter().copied()).collect();
    let rewind = Rewind::new(&args)
        .dir(home)
        .home(home)
        .journal(&home.join("users-journal"))
        .env("REWIND_DRILL_SPEED", "test")
        .env("REWIND_DRILL_POSTGRES", "off")
        .envs(env.iter().copied());
    match stdin {
        Some(text) => rewind.stdin(text).run(),
        None => rewind.run(),
    }
}

#[test]
fn the_drill_walks_the_tree_in_french() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = drill(
        dir.path(),
        &["--auto", "--lang", "fr", "--scenario", "minor"],
        &[],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(
        err,
        "  [mep] La mise en production est faite : y a-t-il un problème ? -> Il y a un problème (scriptée)",
    );
    has(err, "  [q3] Dans quelle proportion ? -> Faible (scriptée)");
    has(
        err,
        "Prévenir le product owner et ouvrir un ticket à prioriser",
    );
    has(err, "    - écrire un brouillon de ticket pour le PO dans ");
    has(err, "    - envoyer un message sur le webhook de l'équipe");
    lacks(err, "Is there a problem");
    lacks(err, "(scripted)");
}

#[test]
fn a_person_answering_the_drill_reads_each_question_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The minor path by number: problem, no, yes, low; then the app's name
    // confirms the warning.
    let run = drill(
        dir.path(),
        &["--lang", "fr", "--scenario", "minor"],
        &[("REWIND_INTERACTIVE", "1")],
        Some("2\n2\n1\n1\nshop\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    for question in [
        "La mise en production est faite : y a-t-il un problème ?",
        "Peut-on désactiver la fonctionnalité en cause ?",
        "Le problème touche-t-il mes utilisateurs ?",
        "Dans quelle proportion ?",
    ] {
        assert_eq!(err.matches(question).count(), 1, "{question} in:\n{err}");
    }
    has(err, "  [q3] -> Faible (votre réponse)");
    // The prompter's own words follow the drill's language too.
    has(err, "réponse [1-2] : ");
    has(
        err,
        "tapez `shop` pour continuer, autre chose pour arrêter : ",
    );
    lacks(err, "answer [1-2]: ");
}

/// Answers q1 at the prompt (a wrong answer first), then types the app's
/// name to confirm switching the flag off.
fn guide_answered_at_the_prompt(w: &World, lang: &str) -> Run {
    let args = ["guide", "--answer", "mep=problem", "--lang", lang];
    Rewind::new(&args)
        .dir(&w.dir.path().join("work"))
        .journal(&w.journal_dir())
        .sandbox(&w.sandbox)
        .env("REWIND_INTERACTIVE", "1")
        .stdin("9\n1\nshop\n")
        .run()
}

#[test]
fn the_prompter_speaks_french_with_lang_fr() {
    let w = World::new();
    let run = guide_answered_at_the_prompt(&w, "fr");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(err, "  1. Oui  (suggérée)\n");
    has(err, "réponse [1-2] : ");
    has(
        err,
        "`9` ne fait pas partie des réponses : tapez un nombre de 1 à 2\n",
    );
    has(
        err,
        "tapez `shop` pour continuer, autre chose pour arrêter : ",
    );
    for english in [
        "answer [",
        "(suggested)",
        "is not one of the answers",
        "to go ahead",
    ] {
        lacks(err, english);
    }
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("false"));
}

#[test]
fn the_prompter_keeps_its_english_words_with_lang_en() {
    let w = World::new();
    let run = guide_answered_at_the_prompt(&w, "en");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = &run.stderr;
    has(err, "  1. Yes  (suggested)\n");
    has(err, "answer [1-2]: ");
    has(
        err,
        "`9` is not one of the answers: type a number from 1 to 2\n",
    );
    has(err, "type `shop` to go ahead, anything else to stop: ");
    for french in ["réponse [", "suggérée", "tapez"] {
        lacks(err, french);
    }
    assert_eq!(w.variable("FEATURE_CHECKOUT").as_deref(), Some("false"));
}
