//! The ticket draft's words: its headings and its fixed sentences. What it
//! tells (the app, the releases, the evidence, the answers) is data and
//! stays as it was gathered.

use crate::i18n::Lang;

/// The ticket's second-level headings, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heading {
    WhatHappened,
    Releases,
    Evidence,
    Answers,
    Done,
    NextSteps,
}

pub fn heading(lang: Lang, heading: Heading) -> &'static str {
    match (lang, heading) {
        (Lang::En, Heading::WhatHappened) => "What happened",
        (Lang::En, Heading::Releases) => "Releases involved",
        (Lang::En, Heading::Evidence) => "Evidence",
        (Lang::En, Heading::Answers) => "Answers given",
        (Lang::En, Heading::Done) => "Done so far",
        (Lang::En, Heading::NextSteps) => "Next steps",
        (Lang::Fr, Heading::WhatHappened) => "Ce qui s'est passé",
        (Lang::Fr, Heading::Releases) => "Versions concernées",
        (Lang::Fr, Heading::Evidence) => "Constats",
        (Lang::Fr, Heading::Answers) => "Réponses données",
        (Lang::Fr, Heading::Done) => "Déjà fait",
        (Lang::Fr, Heading::NextSteps) => "Prochaines étapes",
    }
}

pub fn incident(lang: Lang, id: &str) -> String {
    match lang {
        Lang::En => format!("rewind incident `{id}`."),
        Lang::Fr => format!("Incident rewind `{id}`."),
    }
}

pub fn what_happened(lang: Lang, app: &str, action: &str) -> String {
    match lang {
        Lang::En => format!(
            "A release of {app} went wrong in production. The on-call engineer walked the team's decision tree with rewind, which led to: {action}."
        ),
        Lang::Fr => format!(
            "Une mise en production de {app} s'est mal passée. L'ingénieur d'astreinte a parcouru l'arbre de décision de l'équipe avec rewind, qui a mené à : {action}."
        ),
    }
}

pub fn releases_unknown(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "not known (the deployment history could not be read)",
        Lang::Fr => "inconnues (l'historique des déploiements n'a pas pu être lu)",
    }
}

pub fn no_evidence(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "none gathered",
        Lang::Fr => "aucun constat recueilli",
    }
}

pub fn not_gathered(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!("could not be gathered: {why}"),
        Lang::Fr => format!("n'a pas pu être recueilli : {why}"),
    }
}

/// After an answer: whether the evidence had suggested it (`None`: no
/// suggestion).
pub fn as_suggested(lang: Lang, suggested: Option<&str>, answer: &str) -> String {
    match (lang, suggested) {
        (_, None) => String::new(),
        (Lang::En, Some(s)) if s == answer => " (as the evidence suggested)".into(),
        (Lang::En, Some(s)) => format!(" (the evidence suggested `{s}`)"),
        (Lang::Fr, Some(s)) if s == answer => " (comme les constats le suggéraient)".into(),
        (Lang::Fr, Some(s)) => format!(" (les constats suggéraient `{s}`)"),
    }
}

pub fn scripted(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", scripted",
        Lang::Fr => ", scriptée",
    }
}

pub fn nothing_yet(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "nothing yet",
        Lang::Fr => "rien pour l'instant",
    }
}

/// The next steps, by the tree's `ticket` param (`to_prioritise`, or a
/// feature switched off).
pub fn next_steps(lang: Lang, to_prioritise: bool) -> [&'static str; 3] {
    match (lang, to_prioritise) {
        (Lang::En, true) => [
            "product owner: weigh the problem against the roadmap and prioritise its fix",
            "team: fix it in a next release, with a test that reproduces it",
            "on-call: close the incident once the fix is in production",
        ],
        (Lang::En, false) => [
            "product owner: decide when the feature may be switched back on",
            "team: fix the feature behind the flag, then switch it back on",
            "on-call: close the incident once the fix is in production",
        ],
        (Lang::Fr, true) => [
            "PO : évaluer le problème au regard de la roadmap et prioriser sa correction",
            "équipe : le corriger dans une prochaine version, avec un test qui le reproduit",
            "astreinte : clore l'incident une fois la correction en production",
        ],
        (Lang::Fr, false) => [
            "PO : décider quand la fonctionnalité pourra être réactivée",
            "équipe : corriger la fonctionnalité derrière le flag, puis la réactiver",
            "astreinte : clore l'incident une fois la correction en production",
        ],
    }
}

pub fn write_failed(lang: Lang, path: &std::path::Path, e: &std::io::Error) -> String {
    match lang {
        Lang::En => format!("cannot write the ticket draft {}: {e}", path.display()),
        Lang::Fr => format!(
            "impossible d'écrire le brouillon de ticket {} : {e}",
            path.display()
        ),
    }
}
