//! The app's history: the last deployments resolved to releases through
//! the identify module (tag, nearest tag, build log), how many could not
//! be and why, and the last good release a rollback would go back to.

use std::collections::BTreeMap;

use super::checks::{Checks, first_hint};
use crate::config::AppConfig;
use crate::git::{Git, TagIndex};
use crate::identify::{ReleaseSource, Resolver, identify};
use crate::journal::Journal;
use crate::platform::Platform;
use crate::status::bad_release_filter;

/// How many deployments are read.
pub const DEPLOYMENTS: usize = 20;

/// `history.identified` and `history.last_good`.
pub(crate) fn check(
    platform: &dyn Platform,
    git: &dyn Git,
    config: &AppConfig,
    journal: &Journal,
    out: &mut Checks,
) {
    let tags = git.tag_index().unwrap_or_else(|_| TagIndex::default());
    let resolver = Resolver::for_app(git, platform, tags, config);
    let situation = bad_release_filter(journal, &config.name)
        .map_err(|e| e.to_string())
        .and_then(|is_bad| {
            identify(platform, &config.name, &resolver, DEPLOYMENTS, &is_bad).map_err(|e| {
                let hint = first_hint(e.hints(), "");
                if hint.is_empty() {
                    e.to_string()
                } else {
                    format!("{e} ({hint})")
                }
            })
        });
    let situation = match situation {
        Ok(s) => s,
        Err(why) => {
            out.fail(
                "history.identified",
                format!("cannot read the deployments: {why}"),
                "run `rewind status` to see the same error with its context",
            );
            out.skip("history.last_good", "not checked: no history");
            return;
        }
    };
    let logs = match resolver.logs_read() {
        0 => String::new(),
        n => format!("; {n} build log(s) read"),
    };
    let total = situation.recent.len();
    if total == 0 {
        out.warn(
            "history.identified",
            "no deployment yet",
            "deploy the app once; a rollback needs an earlier release to go back to",
        );
    } else {
        let mut by_source: BTreeMap<String, usize> = BTreeMap::new();
        let mut why_unknown: BTreeMap<String, usize> = BTreeMap::new();
        for item in &situation.recent {
            *by_source
                .entry(item.release.source.to_string())
                .or_default() += 1;
            if item.release.source == ReleaseSource::Unknown {
                let note = item
                    .release
                    .note
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                *why_unknown.entry(note).or_default() += 1;
            }
        }
        let sources = by_source
            .iter()
            .filter(|(s, _)| s.as_str() != "unknown")
            .map(|(s, n)| format!("{n} by {s}"))
            .collect::<Vec<_>>()
            .join(", ");
        let unknown: usize = why_unknown.values().sum();
        if unknown == 0 {
            out.ok(
                "history.identified",
                format!("the last {total} deployment(s) resolve to releases ({sources}){logs}"),
            );
        } else {
            let reasons = why_unknown
                .iter()
                .map(|(why, n)| format!("{why} ({n})"))
                .collect::<Vec<_>>()
                .join("; ");
            out.warn(
                "history.identified",
                format!("{unknown} of the last {total} deployment(s) could not be identified: {reasons}{logs}"),
                unknown_fix(config, &why_unknown),
            );
        }
    }
    match (&situation.current, &situation.last_good) {
        (_, Some(good)) => out.ok(
            "history.last_good",
            format!(
                "{} ({}), deployed {}; a rollback goes back to it{}",
                good.release.label,
                good.release.source,
                good.deployment
                    .created_at
                    .map(super::account::stamp)
                    .unwrap_or_else(|| "at an unknown time".into()),
                situation
                    .current
                    .as_ref()
                    .map(|c| format!(" (now running {})", c.release.label))
                    .unwrap_or_default()
            ),
        ),
        (Some(current), None) => out.fail(
            "history.last_good",
            format!(
                "no earlier successful deployment of another release than {} (the one running): a rollback would have nothing to go back to",
                current.release.label
            ),
            "`rewind rollback --to VERSION` can still deploy any tagged release; keep the platform's deployment history, and make every deployment identifiable (see history.identified)",
        ),
        (None, None) if total > 0 => out.fail(
            "history.last_good",
            "no successful deployment in the history",
            "a rollback needs a release that ran: fix the deploys first; `rewind status` shows them",
        ),
        (None, None) => out.skip("history.last_good", "not checked: no deployment yet"),
    }
}

/// What to configure, from why deployments could not be identified.
fn unknown_fix(config: &AppConfig, why: &BTreeMap<String, usize>) -> String {
    let mut fixes = Vec::new();
    if config.package.is_none() {
        fixes.push(
            "set `package` in rewind.toml to the name your build logs print (`> name@1.2.3 build`), so rewind can read versions from them".to_string(),
        );
    } else if why.keys().any(|w| w.contains("@version` line")) {
        fixes.push(format!(
            "your build logs print no `{}@version` line (yarn and pnpm print none; npm does when it runs a lifecycle script such as `build`): run the build through npm, or deploy tagged commits only (release-please tags each release) and keep your clone's tags fetched",
            config.package.as_deref().unwrap_or("name")
        ));
    }
    if why
        .keys()
        .any(|w| w.contains("build log unavailable") || w == "no build log")
    {
        fixes.push("build logs could not be read: `rewind status` shows which deployments, and the platform's error".to_string());
    }
    if fixes.is_empty() {
        fixes.push(
            "fetch the remote's tags (`git fetch --tags`) so deployed commits are known locally"
                .to_string(),
        );
    }
    fixes.join("; ")
}
