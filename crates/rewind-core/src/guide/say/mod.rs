//! rewind's own words in the guide, in French and in English: the probes'
//! evidence, the leaves' plans and outcomes, the prompts, the ticket draft
//! and the closing summary. The decision tree's texts come from the tree
//! file; everything rewind says around them comes from here.
//!
//! One function per message, each a `match` on [`Lang`]: a message that
//! lacks a language does not compile, so no line can silently fall back.
//! The English texts are the ones rewind always printed; data (release
//! labels, statuses, ids, errors from the platform) stays as it is.

pub mod leaves;
pub mod probes;
pub mod ticket;
pub mod walk;

use chrono::{DateTime, Utc};

use crate::i18n::Lang;
use crate::identify::ReleaseSource;

/// `3 min`, `2h05`, `4 days`: how long ago, as a person says it.
pub fn ago(lang: Lang, since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match (secs, lang) {
        (0..60, Lang::En) => format!("{secs}s"),
        (0..60, Lang::Fr) => format!("{secs} s"),
        (60..3600, _) => format!("{} min", secs / 60),
        (3600..86_400, _) => format!("{}h{:02}", secs / 3600, secs % 3600 / 60),
        (_, Lang::En) => format!("{} days", secs / 86_400),
        (_, Lang::Fr) => format!("{} jours", secs / 86_400),
    }
}

/// A duration rounded to what matters for a data loss: `about 37 minutes`.
pub fn about(lang: Lang, d: chrono::Duration) -> String {
    match lang {
        Lang::En => crate::db::about(d),
        Lang::Fr => environ(d),
    }
}

fn environ(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 60 {
        return "moins d'une minute".to_string();
    }
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let minutes = (secs + 30) / 60;
    if minutes < 60 {
        return format!("environ {}", plural(minutes, "minute"));
    }
    let hours = minutes / 60;
    if hours >= 48 {
        return format!("environ {}", plural((hours + 12) / 24, "jour"));
    }
    match minutes % 60 {
        0 => format!("environ {}", plural(hours, "heure")),
        m => format!("environ {} {}", plural(hours, "heure"), plural(m, "minute")),
    }
}

/// Where rewind learnt which release a deployment was.
pub fn source(lang: Lang, source: &ReleaseSource) -> String {
    match lang {
        Lang::En => source.to_string(),
        Lang::Fr => match source {
            ReleaseSource::Tag => "tag",
            ReleaseSource::NearestTag => "tag le plus proche",
            ReleaseSource::BuildLog => "log de build",
            ReleaseSource::Unknown => "inconnue",
        }
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_durations_read_as_a_person_says_them() {
        let now = Utc::now();
        assert_eq!(
            ago(Lang::Fr, now - chrono::Duration::seconds(5), now),
            "5 s"
        );
        assert_eq!(
            ago(Lang::Fr, now - chrono::Duration::days(3), now),
            "3 jours"
        );
        assert_eq!(
            ago(Lang::En, now - chrono::Duration::days(3), now),
            "3 days"
        );
        assert_eq!(
            about(Lang::Fr, chrono::Duration::seconds(20)),
            "moins d'une minute"
        );
        assert_eq!(
            about(Lang::Fr, chrono::Duration::minutes(37)),
            "environ 37 minutes"
        );
        assert_eq!(
            about(Lang::Fr, chrono::Duration::minutes(125)),
            "environ 2 heures 5 minutes"
        );
        assert_eq!(
            about(Lang::Fr, chrono::Duration::hours(72)),
            "environ 3 jours"
        );
    }
}
