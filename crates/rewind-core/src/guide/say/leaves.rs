//! The leaves' words: what each action will do (its plan), what it
//! reports while it runs, and what it did.

use std::path::Path;

use crate::i18n::Lang;

// switch_feature_off

pub fn which_flag(lang: Lang) -> String {
    match lang {
        Lang::En => "Which feature flag to switch off?".into(),
        Lang::Fr => "Quel feature flag désactiver ?".into(),
    }
}

/// A flag offered to choose from, with its value now (`None`: not set).
pub fn flag_choice(lang: Lang, name: &str, value: Option<&str>) -> String {
    match (lang, value) {
        (Lang::En, Some(v)) => format!("{name} (now {v})"),
        (Lang::En, None) => format!("{name} (not set)"),
        (Lang::Fr, Some(v)) => format!("{name} (actuellement {v})"),
        (Lang::Fr, None) => format!("{name} (non défini)"),
    }
}

pub fn plan_set_flag(lang: Lang, name: &str, off: &str, now: Option<&str>) -> String {
    match lang {
        Lang::En => format!("set {name} to {off} (now {})", now.unwrap_or("not set")),
        Lang::Fr => format!(
            "passer {name} à {off} (actuellement {})",
            now.unwrap_or("non défini")
        ),
    }
}

pub fn plan_restart(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => format!("restart {app} so the running containers read it"),
        Lang::Fr => format!("redémarrer {app} pour que les conteneurs en cours la lisent"),
    }
}

pub fn plan_check_running(lang: Lang) -> String {
    match lang {
        Lang::En => "check the app is running again".into(),
        Lang::Fr => "vérifier que l'app tourne de nouveau".into(),
    }
}

pub fn plan_check_health(lang: Lang, status: u16, tries: u32) -> String {
    match lang {
        Lang::En => format!("check its health endpoint answers {status} ({tries} tries)"),
        Lang::Fr => format!("vérifier que son health check répond {status} ({tries} essais)"),
    }
}

pub fn flag_set(lang: Lang, name: &str, off: &str, was: Option<&str>) -> String {
    match lang {
        Lang::En => format!("{name} set to {off} (was {})", was.unwrap_or("not set")),
        Lang::Fr => format!(
            "{name} passé à {off} (valait {})",
            was.unwrap_or("non défini")
        ),
    }
}

pub fn restart_started(lang: Lang, operation: &str) -> String {
    match lang {
        Lang::En => format!("restart started (operation {operation})"),
        Lang::Fr => format!("redémarrage lancé (opération {operation})"),
    }
}

pub fn restarted(lang: Lang, app: &str, operation: &str) -> String {
    match lang {
        Lang::En => format!("{app} restarted (operation {operation})"),
        Lang::Fr => format!("{app} redémarrée (opération {operation})"),
    }
}

pub fn running(lang: Lang, app: &str) -> String {
    match lang {
        Lang::En => format!("{app} is running"),
        Lang::Fr => format!("{app} tourne"),
    }
}

pub fn health_passed(lang: Lang, attempts: u32) -> String {
    match lang {
        Lang::En => format!("health check passed ({attempts} tries)"),
        Lang::Fr => format!("health check réussi ({attempts} essais)"),
    }
}

// warn_product_owner

pub fn plan_ticket(lang: Lang, dir: &Path) -> String {
    match lang {
        Lang::En => format!(
            "write a ticket draft for the product owner in {}",
            dir.display()
        ),
        Lang::Fr => format!(
            "écrire un brouillon de ticket pour le PO dans {}",
            dir.display()
        ),
    }
}

pub fn plan_webhook(lang: Lang, configured: bool) -> String {
    match (lang, configured) {
        (Lang::En, true) => "post a message to the team's webhook".into(),
        (Lang::En, false) => {
            "no webhook configured in rewind.toml: the team is not told by chat".into()
        }
        (Lang::Fr, true) => "envoyer un message sur le webhook de l'équipe".into(),
        (Lang::Fr, false) => {
            "aucun webhook configuré dans rewind.toml : l'équipe n'est pas prévenue par chat".into()
        }
    }
}

/// The chat message: the app, the ticket's title and where the draft is.
pub fn warning_message(lang: Lang, app: &str, title: &str, draft: Option<&Path>) -> String {
    match lang {
        Lang::En => format!(
            "rewind: {app} needs the product owner.\n{title}{}",
            draft
                .map(|p| format!("\nTicket draft: {}", p.display()))
                .unwrap_or_default()
        ),
        Lang::Fr => format!(
            "rewind : {app} a besoin du PO.\n{title}{}",
            draft
                .map(|p| format!("\nBrouillon de ticket : {}", p.display()))
                .unwrap_or_default()
        ),
    }
}

pub fn no_webhook(lang: Lang) -> String {
    match lang {
        Lang::En => "no webhook configured (webhook_url in rewind.toml): send the ticket draft to the product owner by hand".into(),
        Lang::Fr => "aucun webhook configuré (webhook_url dans rewind.toml) : envoyez le brouillon de ticket au PO à la main".into(),
    }
}

pub fn webhook_received(lang: Lang) -> String {
    match lang {
        Lang::En => "the team's webhook received the warning".into(),
        Lang::Fr => "le webhook de l'équipe a reçu l'alerte".into(),
    }
}

// restore_database

pub fn plan_pitr(lang: Lang, addon: &str, provider: &str) -> String {
    match lang {
        Lang::En => format!("point-in-time restore of the database {addon} ({provider})"),
        Lang::Fr => {
            format!("restauration à un instant donné de la base de données {addon} ({provider})")
        }
    }
}

pub fn plan_restore_to(
    lang: Lang,
    to: &str,
    margin_secs: u64,
    deployment: &str,
    label: &str,
) -> String {
    match lang {
        Lang::En => format!(
            "restore to {to}: {margin_secs}s before deployment {deployment} ({label}) was created"
        ),
        Lang::Fr => format!(
            "restaurer au {to} : {margin_secs} s avant la création du déploiement {deployment} ({label})"
        ),
    }
}

pub fn plan_data_loss(lang: Lang, since: &str, about: &str) -> String {
    match lang {
        Lang::En => format!("data loss: every write since {since}, {about}, is lost"),
        Lang::Fr => {
            format!("perte de données : toute écriture depuis le {since}, soit {about}, est perdue")
        }
    }
}

pub fn plan_downtime(lang: Lang) -> String {
    match lang {
        Lang::En => "downtime: the database stops during the restore".into(),
        Lang::Fr => "interruption : la base de données s'arrête pendant la restauration".into(),
    }
}

pub fn plan_safety_backup(lang: Lang, dir: &Path) -> String {
    match lang {
        Lang::En => format!("first: a safety backup, downloaded to {}", dir.display()),
        Lang::Fr => format!(
            "d'abord : une sauvegarde de sécurité, téléchargée dans {}",
            dir.display()
        ),
    }
}

pub fn backup_requested(lang: Lang, id: &str) -> String {
    match lang {
        Lang::En => format!("safety backup {id} requested"),
        Lang::Fr => format!("sauvegarde de sécurité {id} demandée"),
    }
}

pub fn backup_status(lang: Lang, status: &str) -> String {
    match lang {
        Lang::En => format!("safety backup: {status}"),
        Lang::Fr => format!("sauvegarde de sécurité : {status}"),
    }
}

pub fn backup_downloading(lang: Lang) -> String {
    match lang {
        Lang::En => "safety backup done: downloading it".into(),
        Lang::Fr => "sauvegarde de sécurité terminée : téléchargement".into(),
    }
}

pub fn backup_saved(lang: Lang, id: &str, path: &Path, sha256: &str) -> String {
    match lang {
        Lang::En => format!(
            "safety backup {id} saved to {} (sha256 {sha256})",
            path.display()
        ),
        Lang::Fr => format!(
            "sauvegarde de sécurité {id} enregistrée dans {} (sha256 {sha256})",
            path.display()
        ),
    }
}

/// The restore was made already for this bad release: not made again.
pub fn already_restored(lang: Lang, to: &str, incident: &str, at: &str) -> String {
    match lang {
        Lang::En => format!(
            "the database was already restored to {to} for this bad release by incident {incident} at {at}: it is not restored again (that would lose every write made since); `--restore-again` restores anyway"
        ),
        Lang::Fr => format!(
            "la base de données a déjà été restaurée au {to} pour cette mise en production par l'incident {incident} à {at} : elle n'est pas restaurée une seconde fois (cela perdrait toutes les écritures faites depuis) ; `--restore-again` la restaure quand même"
        ),
    }
}

/// Restoring again, as the person chose: what is lost on top.
pub fn restoring_again(lang: Lang, incident: &str, at: &str) -> String {
    match lang {
        Lang::En => format!(
            "--restore-again: incident {incident} restored the database already at {at}; every write made since is lost as well"
        ),
        Lang::Fr => format!(
            "--restore-again : l'incident {incident} a déjà restauré la base à {at} ; toutes les écritures faites depuis sont perdues aussi"
        ),
    }
}

pub fn restore_started(lang: Lang, operation: &str) -> String {
    match lang {
        Lang::En => format!("restore started (operation {operation})"),
        Lang::Fr => format!("restauration lancée (opération {operation})"),
    }
}

pub fn restore_status(lang: Lang, status: &str) -> String {
    match lang {
        Lang::En => format!("restore: {status}"),
        Lang::Fr => format!("restauration : {status}"),
    }
}

pub fn restored(lang: Lang, to: &str, operation: &str) -> String {
    match lang {
        Lang::En => format!("database restored to {to} (operation {operation})"),
        Lang::Fr => format!("base de données restaurée au {to} (opération {operation})"),
    }
}

// redeploy_previous

/// `verdict`: the migration summary's code (`destructive`, `unknown`).
pub fn yes_needs_db_choice(lang: Lang, verdict: &str, to: &str, from: &str) -> String {
    let verdict = match (lang, verdict) {
        (Lang::Fr, "destructive") => "destructives",
        (Lang::Fr, _) => "inconnues de rewind",
        (Lang::En, "destructive") => "destructive",
        (Lang::En, _) => "unknown to rewind",
    };
    match lang {
        Lang::En => format!(
            "--yes does not choose for the database: the migrations between {to} and {from} are {verdict}; nothing was changed"
        ),
        Lang::Fr => format!(
            "--yes ne choisit pas pour la base de données : les migrations entre {to} et {from} sont {verdict} ; rien n'a été modifié"
        ),
    }
}

pub fn yes_db_choices(lang: Lang, from: &str) -> String {
    match lang {
        Lang::En => format!(
            "answer the database question `yes` to restore it to just before {from} first, or pass --no-db to redeploy over it knowingly"
        ),
        Lang::Fr => format!(
            "répondez `oui` à la question sur la base pour la restaurer à juste avant {from} d'abord, ou passez --no-db pour redéployer en connaissance de cause"
        ),
    }
}

pub fn plan_redeploy(lang: Lang, to: &str, from: &str, method: &str) -> String {
    match lang {
        Lang::En => format!("redeploy {to} in place of {from} ({method} method)"),
        Lang::Fr => format!("redéployer {to} à la place de {from} (méthode {method})"),
    }
}

pub fn plan_commits_removed(lang: Lang, count: usize) -> String {
    match lang {
        Lang::En => format!("it takes {count} commit(s) off production"),
        Lang::Fr => format!("cela retire {count} commit(s) de la production"),
    }
}

pub fn plan_migration_changed(lang: Lang, since: &str, change: &str, path: &str) -> String {
    match lang {
        Lang::En => format!("migration changed since {since}: {change} {path}"),
        Lang::Fr => format!("migration modifiée depuis {since} : {change} {path}"),
    }
}

pub fn plan_warning(lang: Lang, warning: &str) -> String {
    match lang {
        Lang::En => format!("warning: {warning}"),
        Lang::Fr => format!("attention : {warning}"),
    }
}

pub fn deployment_status(lang: Lang, status: &str) -> String {
    match lang {
        Lang::En => format!("deployment: {status}"),
        Lang::Fr => format!("déploiement : {status}"),
    }
}

pub fn redeployed(lang: Lang, label: &str, deployment: Option<&str>) -> String {
    match (lang, deployment) {
        (Lang::En, Some(d)) => format!("{label} redeployed (deployment {d})"),
        (Lang::En, None) => format!("{label} redeployed"),
        (Lang::Fr, Some(d)) => format!("{label} redéployée (déploiement {d})"),
        (Lang::Fr, None) => format!("{label} redéployée"),
    }
}

pub fn rollback_incident(lang: Lang, id: &str) -> String {
    match lang {
        Lang::En => format!("the rollback is incident {id} in the journal: rewind report {id}"),
        Lang::Fr => format!("le rollback est l'incident {id} du journal : rewind report {id}"),
    }
}
