//! The team's repository: the remote answers (`git ls-remote`, under the
//! git layer's deadline, never prompting), release tags matching
//! `tag_format` exist (the newest named), and a `release/` branch push
//! would be accepted (`git push --dry-run`). Nothing is fetched, created
//! or pushed.

use super::checks::Checks;
use crate::config::AppConfig;
use crate::git::{Git, redact_credentials};
use crate::release::ReleaseTag;

/// `team.state`: what the team shares on the remote (see docs/team.md): a
/// lock held on the app right now, the team's journal (`git ls-remote`
/// of those two refs). Whether the host accepts these refs can only be
/// known by writing one, which doctor never does.
fn team(git: &dyn Git, config: &AppConfig, answered: bool, out: &mut Checks) {
    let Some(place) = &config.team else {
        out.ok(
            "team.state",
            "this machine only ([team] shared = false): no team lock, no team journal",
        );
        return;
    };
    if place.remote != config.remote {
        out.skip(
            "team.state",
            format!(
                "not checked: the team's state is on `{}`, not on `{}`",
                place.remote, config.remote
            ),
        );
        return;
    }
    if !answered {
        out.skip("team.state", "not checked: the remote did not answer");
        return;
    }
    let lock = crate::team::lock::lock_ref(&place.refs.locks, &config.name);
    let (held, journal) = match (
        git.remote_ref(&place.remote, &lock),
        git.remote_ref(&place.remote, &place.refs.journal),
    ) {
        (Ok(held), Ok(journal)) => (held.is_some(), journal.is_some()),
        (Err(e), _) | (_, Err(e)) => {
            out.warn(
                "team.state",
                format!("cannot read the team's refs on `{}`: {e}", place.remote),
                format!("run `git ls-remote {} 'refs/rewind/*'`", place.remote),
            );
            return;
        }
    };
    let journal = if journal {
        format!("the team's journal is at {}", place.refs.journal)
    } else {
        format!(
            "no team journal yet ({}): the first rewind that records an incident publishes it",
            place.refs.journal
        )
    };
    if held {
        out.warn(
            "team.state",
            format!("{} is locked right now by a teammate's rewind ({lock} on `{}`); {journal}", config.name, place.remote),
            format!(
                "`git fetch {remote} {lock} && git log -1 FETCH_HEAD` shows who; if nobody is changing the app any more, `rewind unlock {app}`",
                remote = place.remote,
                app = config.name
            ),
        );
    } else {
        out.ok(
            "team.state",
            format!(
                "no team lock on {}; {journal} (a host that refuses refs outside branches shows as a `working alone` warning at the first rollback: then set [team] state_branch)",
                config.name
            ),
        );
    }
}

/// The newest release tag and its commit, when the local repository has
/// it.
pub(crate) struct Newest {
    pub tag: ReleaseTag,
    pub commit: Option<String>,
}

/// `git.remote`, `git.tags` and `git.push`; the newest release tag.
pub(crate) fn check(git: &dyn Git, config: &AppConfig, out: &mut Checks) -> Option<Newest> {
    let remote = &config.remote;
    let shown_url = git
        .remote_url(remote)
        .map(|u| redact_credentials(&u))
        .unwrap_or_else(|_| "no URL".to_string());
    let remote_tags = match git.remote_refs(remote) {
        Ok(refs) => {
            let tags: Vec<(String, String)> = tag_refs(&refs);
            out.ok(
                "git.remote",
                format!(
                    "`{remote}` ({shown_url}) answers: {} branch(es), {} tag(s)",
                    refs.iter()
                        .filter(|(_, r)| r.starts_with("refs/heads/"))
                        .count(),
                    tags.len()
                ),
            );
            Some(tags)
        }
        Err(e) => {
            out.fail(
                "git.remote",
                format!("`{remote}` ({shown_url}) does not answer: {e}"),
                format!(
                    "run `git ls-remote {remote}` in the repository: check the URL, the network and your credentials (doctor never prompts: load ssh keys in an agent, store https credentials in a helper)"
                ),
            );
            None
        }
    };
    team(git, config, remote_tags.is_some(), out);
    let Some(newest) = tags(git, config, remote_tags.as_deref(), out) else {
        out.skip("git.push", "not checked: no release tag to push");
        return None;
    };
    let found = Newest {
        commit: git.resolve_commit(&newest.name).ok(),
        tag: newest,
    };
    if remote_tags.is_none() {
        out.skip(
            "git.push",
            format!("not checked: `{remote}` does not answer"),
        );
        return Some(found);
    }
    let branch = format!("release/{}", found.tag.name);
    let Some(commit) = found.commit.clone() else {
        out.skip(
            "git.push",
            format!(
                "not checked: {} is not in the local repository yet (a rollback fetches tags first)",
                found.tag.name
            ),
        );
        return Some(found);
    };
    match git.push_dry_run(remote, &commit, &branch) {
        Ok(()) => out.ok(
            "git.push",
            format!("pushing {branch} to `{remote}` would be accepted (dry run, nothing sent)"),
        ),
        Err(e) => out.fail(
            "git.push",
            format!("a dry-run push of {branch} to `{remote}` was refused: {e}"),
            "a rollback pushes release/<tag> branches: give this account push rights to release/* (check branch protection rules), or plan to roll back with `--method archive`",
        ),
    }
    Some(found)
}

/// `(tag, commit)` of every tag among `ls-remote` lines, peeled (`^{}`)
/// commits preferred.
fn tag_refs(refs: &[(String, String)]) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for (sha, name) in refs {
        let Some(tag) = name.strip_prefix("refs/tags/") else {
            continue;
        };
        let (tag, peeled) = match tag.strip_suffix("^{}") {
            Some(t) => (t, true),
            None => (tag, false),
        };
        match tags.iter_mut().find(|(t, _)| t == tag) {
            Some(entry) if peeled => entry.1 = sha.clone(),
            Some(_) => {}
            None => tags.push((tag.to_string(), sha.clone())),
        }
    }
    tags
}

/// `git.tags`: the newest release tag, from the remote when it answered,
/// else from the local repository.
fn tags(
    git: &dyn Git,
    config: &AppConfig,
    remote_tags: Option<&[(String, String)]>,
    out: &mut Checks,
) -> Option<ReleaseTag> {
    let (names, whence): (Vec<String>, String) = match remote_tags {
        Some(tags) => (
            tags.iter().map(|(t, _)| t.clone()).collect(),
            format!("on `{}`", config.remote),
        ),
        None => match git.tag_index() {
            Ok(index) => (
                index.tag_names().map(str::to_string).collect(),
                "in the local repository (the remote did not answer)".to_string(),
            ),
            Err(e) => {
                out.fail(
                    "git.tags",
                    format!("cannot read the local tags: {e}"),
                    "run rewind from the app's repository",
                );
                return None;
            }
        },
    };
    let format = &config.tag_format;
    let releases: Vec<ReleaseTag> = format
        .releases(names.iter().map(String::as_str))
        .into_iter()
        .filter(|t| config.component.is_none() || t.component == config.component)
        .collect();
    match releases.last() {
        Some(newest) => {
            out.ok(
                "git.tags",
                format!(
                    "{} release tag(s) {whence} match `{format}`; the newest is {}",
                    releases.len(),
                    newest.name
                ),
            );
            Some(newest.clone())
        }
        None => {
            let mut examples: Vec<&str> = names.iter().map(String::as_str).collect();
            examples.sort();
            examples.truncate(5);
            let seen = if examples.is_empty() {
                "there are no tags at all".to_string()
            } else {
                format!("{} tag(s), such as {}", names.len(), examples.join(", "))
            };
            out.fail(
                "git.tags",
                format!("no tag {whence} matches `{format}`{}: {seen}", component(config)),
                "set `tag_format` (and `component`) in rewind.toml to the form of your release tags (docs/configuration.md), or check that your release tool pushes its tags",
            );
            None
        }
    }
}

fn component(config: &AppConfig) -> String {
    config
        .component
        .as_deref()
        .map(|c| format!(" with component `{c}`"))
        .unwrap_or_default()
}
