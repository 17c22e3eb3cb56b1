//! The walk's words: the question after an action, the releases as the
//! ticket tells them, and what a caller shows around the tree's texts
//! (evidence headers, how an answer was given, how an action ended, the
//! closing summary).

use crate::guide::ActionOutcome;
use crate::i18n::Lang;

pub fn went_well(lang: Lang) -> String {
    match lang {
        Lang::En => "Did it go well?".into(),
        Lang::Fr => "Est-ce que ça s'est bien passé ?".into(),
    }
}

pub fn go_on(lang: Lang) -> String {
    match lang {
        Lang::En => "yes, go on".into(),
        Lang::Fr => "oui, on continue".into(),
    }
}

pub fn stop_here(lang: Lang) -> String {
    match lang {
        Lang::En => "no, stop here".into(),
        Lang::Fr => "non, on s'arrête là".into(),
    }
}

/// What the typed confirmation asks about: the action, the app, production.
pub fn confirm(lang: Lang, what: &str, app: &str) -> String {
    match lang {
        Lang::En => format!("{what} ({app}, production)"),
        Lang::Fr => format!("{what} ({app}, en production)"),
    }
}

/// `running now: v1.1.0 (deployment ...)` in the ticket; `current` tells
/// which of the two releases it is.
pub fn release_line(
    lang: Lang,
    current: bool,
    label: &str,
    deployment: &str,
    deployed: Option<&str>,
) -> String {
    match lang {
        Lang::En => {
            let what = if current {
                "running when the guide started"
            } else {
                "the release before it"
            };
            let at = deployed
                .map(|d| format!(", deployed {d}"))
                .unwrap_or_default();
            format!("{what}: {label} (deployment {deployment}{at})")
        }
        Lang::Fr => {
            let what = if current {
                "en production au début du guide"
            } else {
                "la version précédente"
            };
            let at = deployed
                .map(|d| format!(", déployée le {d}"))
                .unwrap_or_default();
            format!("{what} : {label} (déploiement {deployment}{at})")
        }
    }
}

pub fn evidence_header(lang: Lang, probe: &str) -> String {
    match lang {
        Lang::En => format!("evidence ({probe}):"),
        Lang::Fr => format!("constats ({probe}) :"),
    }
}

pub fn evidence_unavailable(lang: Lang, probe: &str, why: &str) -> String {
    match lang {
        Lang::En => format!("evidence ({probe}) unavailable: {why}"),
        Lang::Fr => format!("constats ({probe}) indisponibles : {why}"),
    }
}

pub fn suggested_answer(lang: Lang, answer: &str, because: &str) -> String {
    match lang {
        Lang::En => format!("suggested answer: {answer} ({because})"),
        Lang::Fr => format!("réponse suggérée : {answer} ({because})"),
    }
}

/// A scripted walk's one line for a probe: what it suggests, and why.
pub fn evidence_suggests(lang: Lang, probe: &str, answer: &str, because: &str) -> String {
    match lang {
        Lang::En => format!("evidence ({probe}) suggests {answer}: {because}"),
        Lang::Fr => format!("les constats ({probe}) suggèrent {answer} : {because}"),
    }
}

pub fn given_in_advance(lang: Lang) -> String {
    match lang {
        Lang::En => " (given in advance)".into(),
        Lang::Fr => " (donnée à l'avance)".into(),
    }
}

pub fn scripted(lang: Lang) -> String {
    match lang {
        Lang::En => "scripted".into(),
        Lang::Fr => "scriptée".into(),
    }
}

pub fn your_answer(lang: Lang) -> String {
    match lang {
        Lang::En => "your answer".into(),
        Lang::Fr => "votre réponse".into(),
    }
}

/// How an action ended, in a word or two: `done`, `dry run`, `failed`.
pub fn ended(lang: Lang, outcome: Ended) -> String {
    match (lang, outcome) {
        (Lang::En, Ended::Done) => "done".into(),
        (Lang::En, Ended::DryRun) => "dry run".into(),
        (Lang::En, Ended::Failed) => "failed".into(),
        (Lang::Fr, Ended::Done) => "fait".into(),
        (Lang::Fr, Ended::DryRun) => "simulation".into(),
        (Lang::Fr, Ended::Failed) => "échec".into(),
    }
}

/// The three ways an action ends, as words for [`ended`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Done,
    DryRun,
    Failed,
}

impl From<&ActionOutcome> for Ended {
    fn from(outcome: &ActionOutcome) -> Self {
        match outcome {
            ActionOutcome::Done => Ended::Done,
            ActionOutcome::DryRun => Ended::DryRun,
            ActionOutcome::Failed { .. } => Ended::Failed,
        }
    }
}

pub fn dry_run_nothing_done(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("{node}: dry run, nothing was done"),
        Lang::Fr => format!("{node} : simulation, rien n'a été fait"),
    }
}

pub fn action_done(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("{node}: done"),
        Lang::Fr => format!("{node} : fait"),
    }
}

pub fn action_failed(lang: Lang, node: &str, error: &str) -> String {
    match lang {
        Lang::En => format!("{node}: failed: {error}"),
        Lang::Fr => format!("{node} : échec : {error}"),
    }
}

pub fn ticket_written(lang: Lang, path: &std::path::Path) -> String {
    match lang {
        Lang::En => format!("ticket draft written to {}", path.display()),
        Lang::Fr => format!("brouillon de ticket écrit dans {}", path.display()),
    }
}

pub fn ticket_not_written(lang: Lang) -> String {
    match lang {
        Lang::En => "ticket draft (not written in a dry run):".into(),
        Lang::Fr => "brouillon de ticket (non écrit lors d'une simulation) :".into(),
    }
}

pub fn guide_title(lang: Lang, app: &str, tree: &str, dry_run: bool) -> String {
    match lang {
        Lang::En => format!(
            "rewind guide for {app} ({tree}){}",
            if dry_run { ", dry run" } else { "" }
        ),
        Lang::Fr => format!(
            "rewind guide pour {app} ({tree}){}",
            if dry_run { ", simulation" } else { "" }
        ),
    }
}

/// The closing summary's heading and the labels of its rows, padded so
/// that the values line up.
pub fn summary_heading(lang: Lang) -> String {
    match lang {
        Lang::En => "Summary".into(),
        Lang::Fr => "Résumé".into(),
    }
}

/// A row label of the summary; `{:<9}` keeps the columns aligned.
pub fn summary_label(lang: Lang, row: SummaryRow) -> String {
    let word = match (lang, row) {
        (Lang::En, SummaryRow::Path) => "path",
        (Lang::En, SummaryRow::Incident) => "incident",
        (Lang::En, SummaryRow::Rollback) => "rollback",
        (Lang::En, SummaryRow::Outcome) => "outcome",
        (Lang::Fr, SummaryRow::Path) => "parcours",
        (Lang::Fr, SummaryRow::Incident) => "incident",
        (Lang::Fr, SummaryRow::Rollback) => "rollback",
        (Lang::Fr, SummaryRow::Outcome) => "résultat",
    };
    format!("{word:<9}")
}

/// The rows of the closing summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryRow {
    Path,
    Incident,
    Rollback,
    Outcome,
}

pub fn nothing_to_do(lang: Lang) -> String {
    match lang {
        Lang::En => "no problem: nothing to do until the next release".into(),
        Lang::Fr => "aucun problème : rien à faire jusqu'à la prochaine mise en production".into(),
    }
}

pub fn procedure_over(lang: Lang) -> String {
    match lang {
        Lang::En => "the procedure is over".into(),
        Lang::Fr => "la procédure est terminée".into(),
    }
}
