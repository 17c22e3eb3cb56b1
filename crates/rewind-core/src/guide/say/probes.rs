//! The probes' words: each line of evidence, why a probe could not read
//! what it needed, and why it suggests an answer.

use crate::i18n::Lang;
use crate::migrations::Verdict;

pub fn history_not_read(lang: Lang) -> String {
    match lang {
        Lang::En => "the deployment history was not read".into(),
        Lang::Fr => "l'historique des déploiements n'a pas été lu".into(),
    }
}

pub fn cannot_read_deployments(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot read the deployments: {e}"),
        Lang::Fr => format!("impossible de lire les déploiements : {e}"),
    }
}

pub fn no_release_runs(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => format!("app `{app}` has no successful deployment: no release runs"),
        Lang::Fr => {
            format!("l'app `{app}` n'a aucun déploiement réussi : aucune version ne tourne")
        }
    }
}

pub fn running_now(lang: Lang, label: &str, source: &str, deployment: &str) -> String {
    match lang {
        Lang::En => format!("running now: {label} ({source}), deployment {deployment}"),
        Lang::Fr => format!("en production : {label} ({source}), déploiement {deployment}"),
    }
}

pub fn deploy_finished(lang: Lang, date: &str, ago: &str) -> String {
    match lang {
        Lang::En => format!("its deploy finished {date} ({ago} ago)"),
        Lang::Fr => format!("son déploiement s'est terminé le {date} (il y a {ago})"),
    }
}

pub fn release_before(lang: Lang, label: &str, deployed: Option<&str>) -> String {
    match (lang, deployed) {
        (Lang::En, Some(date)) => format!("the release before it: {label}, deployed {date}"),
        (Lang::En, None) => format!("the release before it: {label}"),
        (Lang::Fr, Some(date)) => format!("la version précédente : {label}, déployée le {date}"),
        (Lang::Fr, None) => format!("la version précédente : {label}"),
    }
}

pub fn no_earlier_good_release(lang: Lang) -> String {
    match lang {
        Lang::En => "no earlier good release found in the deployment history".into(),
        Lang::Fr => "aucune version saine plus ancienne dans l'historique des déploiements".into(),
    }
}

pub fn newer_deployment_failed(lang: Lang, id: &str, label: &str, status: &str) -> String {
    match lang {
        Lang::En => format!(
            "a newer deployment failed: {id} ({label}, {status}): the release above still runs"
        ),
        Lang::Fr => format!(
            "un déploiement plus récent a échoué : {id} ({label}, {status}) : la version ci-dessus tourne toujours"
        ),
    }
}

pub fn deployment_in_progress(lang: Lang, id: &str, status: &str) -> String {
    match lang {
        Lang::En => format!("a deployment is in progress: {id} ({status})"),
        Lang::Fr => format!("un déploiement est en cours : {id} ({status})"),
    }
}

pub fn cannot_read_app(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot read the app: {e}"),
        Lang::Fr => format!("impossible de lire l'app : {e}"),
    }
}

pub fn app_status(lang: Lang, status: &str) -> String {
    match lang {
        Lang::En => format!("app status: {status}"),
        Lang::Fr => format!("état de l'app : {status}"),
    }
}

pub fn deployments_unavailable(lang: Lang, e: &str) -> String {
    match lang {
        Lang::En => format!("deployments unavailable ({e})"),
        Lang::Fr => format!("déploiements indisponibles ({e})"),
    }
}

/// The span the health probe looks at: since the bad deploy, when known.
pub fn scope(lang: Lang, since: Option<&str>) -> String {
    match (lang, since) {
        (Lang::En, Some(date)) => format!("since the bad deploy ({date})"),
        (Lang::En, None) => "in the latest events".into(),
        (Lang::Fr, Some(date)) => format!("depuis le mauvais déploiement ({date})"),
        (Lang::Fr, None) => "dans les derniers événements".into(),
    }
}

pub fn cannot_read_events(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot read the app's events: {e}"),
        Lang::Fr => format!("impossible de lire les événements de l'app : {e}"),
    }
}

pub fn crashes_and_restarts(lang: Lang, scope: &str, crashes: usize, restarts: usize) -> String {
    match lang {
        Lang::En => format!("{scope}: {crashes} crash event(s), {restarts} restart(s)"),
        Lang::Fr => format!("{scope} : {crashes} crash(s), {restarts} redémarrage(s)"),
    }
}

/// `failing` is empty when no deployment failed.
pub fn failing_deployments(lang: Lang, scope: &str, failing: &[String]) -> String {
    match (lang, failing.is_empty()) {
        (Lang::En, true) => format!("failing deployments {scope}: none"),
        (Lang::En, false) => format!("failing deployments {scope}: {}", failing.join(", ")),
        (Lang::Fr, true) => format!("déploiements en échec {scope} : aucun"),
        (Lang::Fr, false) => format!("déploiements en échec {scope} : {}", failing.join(", ")),
    }
}

pub fn because_app_is_down(lang: Lang, status: &str, crashes: usize) -> String {
    match lang {
        Lang::En => format!("the app is {status} with {crashes} crash(es)"),
        Lang::Fr => format!("l'app est {status} avec {crashes} crash(s)"),
    }
}

pub fn no_database_addon(lang: Lang) -> String {
    match lang {
        Lang::En => "no database addon".into(),
        Lang::Fr => "aucun addon de base de données".into(),
    }
}

pub fn because_no_database_addon(lang: Lang) -> String {
    match lang {
        Lang::En => "the app has no database addon".into(),
        Lang::Fr => "l'app n'a pas d'addon de base de données".into(),
    }
}

pub fn cannot_tell_database(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot tell the app's database: {e}"),
        Lang::Fr => format!("impossible de savoir quelle est la base de données de l'app : {e}"),
    }
}

pub fn database_addon(lang: Lang, provider: &str, plan: Option<&str>) -> String {
    match (lang, plan) {
        (Lang::En, Some(plan)) => format!("database addon: {provider} ({plan})"),
        (Lang::En, None) => format!("database addon: {provider} (unknown plan)"),
        (Lang::Fr, Some(plan)) => format!("addon de base de données : {provider} ({plan})"),
        (Lang::Fr, None) => format!("addon de base de données : {provider} (plan inconnu)"),
    }
}

pub fn database(
    lang: Lang,
    type_name: Option<&str>,
    version: Option<&str>,
    status: Option<&str>,
) -> String {
    let version = version.unwrap_or("");
    match lang {
        Lang::En => format!(
            "database: {} {version}, {}",
            type_name.unwrap_or("unknown type"),
            status.unwrap_or("status unknown")
        ),
        Lang::Fr => format!(
            "base de données : {} {version}, {}",
            type_name.unwrap_or("type inconnu"),
            status.unwrap_or("état inconnu")
        ),
    }
}

pub fn database_details_unavailable(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("database details unavailable: {e}"),
        Lang::Fr => format!("détails de la base de données indisponibles : {e}"),
    }
}

pub fn migrations_unknown(lang: Lang) -> String {
    match lang {
        Lang::En => {
            "migrations: unknown (the current or previous release has no tag or commit)".into()
        }
        Lang::Fr => {
            "migrations : inconnues (la version actuelle ou la précédente n'a ni tag ni commit)"
                .into()
        }
    }
}

pub fn migrations_between(lang: Lang, from: &str, to: &str, verdict: &Verdict) -> String {
    match lang {
        Lang::En => format!("migrations from {from} to {to}: {}", verdict.describe()),
        Lang::Fr => format!("migrations de {from} à {to} : {}", verdict_fr(verdict)),
    }
}

fn verdict_fr(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::NoMigrations => "aucune migration n'a changé entre les deux versions",
        Verdict::Additive => {
            "les migrations ne font qu'ajouter au schéma : la version précédente peut tourner sur cette base"
        }
        Verdict::Unknown => {
            "certaines migrations ne peuvent pas être jugées : lisez-les avant de décider de restaurer la base"
        }
        Verdict::Destructive => {
            "les migrations suppriment, renomment ou réécrivent des données : la version précédente risque de ne pas tourner sur cette base sans restauration"
        }
    }
}

pub fn because_destructive(lang: Lang, from: &str) -> String {
    match lang {
        Lang::En => format!("destructive migrations since {from}"),
        Lang::Fr => format!("migrations destructives depuis {from}"),
    }
}

pub fn because_unjudged(lang: Lang, from: &str) -> String {
    match lang {
        Lang::En => format!("migrations since {from} that rewind cannot judge"),
        Lang::Fr => format!("des migrations depuis {from} que rewind ne sait pas juger"),
    }
}

pub fn because_previous_runs(lang: Lang) -> String {
    match lang {
        Lang::En => "the previous release can run on this database".into(),
        Lang::Fr => "la version précédente peut tourner sur cette base".into(),
    }
}

pub fn migrations_unavailable(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("migrations unavailable: {e}"),
        Lang::Fr => format!("migrations indisponibles : {e}"),
    }
}

pub fn no_flag_configured(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => format!("no feature flag is configured for {app} in rewind.toml"),
        Lang::Fr => format!("aucun feature flag n'est configuré pour {app} dans rewind.toml"),
    }
}

pub fn because_no_flag(lang: Lang) -> String {
    match lang {
        Lang::En => "no feature flag is configured".into(),
        Lang::Fr => "aucun feature flag n'est configuré".into(),
    }
}

pub fn cannot_read_variables(lang: Lang, e: &dyn std::fmt::Display) -> String {
    match lang {
        Lang::En => format!("cannot read the app's environment variables: {e}"),
        Lang::Fr => format!("impossible de lire les variables d'environnement de l'app : {e}"),
    }
}

/// A configured flag's state: `value` is `None` when the variable is not set.
pub fn flag_state(lang: Lang, name: &str, value: Option<&str>, off: &str) -> String {
    match (lang, value) {
        (Lang::En, Some(v)) if v == off => format!("{name} = {v}: already off"),
        (Lang::En, Some(v)) => format!("{name} = {v}; off is {off}"),
        (Lang::En, None) => format!("{name} is not set; off is {off}"),
        (Lang::Fr, Some(v)) if v == off => format!("{name} = {v} : déjà désactivé"),
        (Lang::Fr, Some(v)) => format!("{name} = {v} ; valeur qui le désactive : {off}"),
        (Lang::Fr, None) => format!("{name} n'est pas défini ; valeur qui le désactive : {off}"),
    }
}

pub fn because_all_flags_off(lang: Lang) -> String {
    match lang {
        Lang::En => "every configured flag is already off".into(),
        Lang::Fr => "tous les feature flags configurés sont déjà désactivés".into(),
    }
}

pub fn because_flags_can_go_off(lang: Lang, names: &[String]) -> String {
    match lang {
        Lang::En => format!("{} can be switched off", names.join(", ")),
        Lang::Fr if names.len() > 1 => format!("{} peuvent être désactivés", names.join(", ")),
        Lang::Fr => format!("{} peut être désactivé", names.join(", ")),
    }
}
