//! Reads a whole `rewind.toml`: TOML syntax first, then the top-level keys,
//! `[notify]` and every `[[apps]]` (see [`super::app`]), then what only the
//! whole file can tell (duplicate app names, no app at all).

use std::path::Path;

use toml::de::DeTable;

use super::app::read_app;
use super::collector::Collector;
use super::error::ConfigError;
use super::fields::Table;
use super::model::{AppConfig, Config, Notify, Team, TeamPlace, TeamRefs};
use super::values::{duration, webhook_url};

const TOP_KEYS: [&str; 4] = ["apps", "tree", "notify", "team"];
const NOTIFY_KEYS: [&str; 1] = ["webhook_url"];
const TEAM_KEYS: [&str; 4] = ["shared", "remote", "stale_after", "state_branch"];

/// Reads `text`, the content of `path`; relative paths in the file are
/// resolved against `path`'s directory.
pub(crate) fn read(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut c = Collector::new(text, path);
    let (document, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for error in errors {
            let offset = error.span().map_or(0, |s| s.start);
            c.at(
                offset,
                "",
                format!("invalid TOML: {}", error.message().trim_end()),
            );
        }
        return c.finish(None);
    }
    let root = Table::root(&document);
    root.check_keys(&mut c, &TOP_KEYS);
    let tree = read_tree(&mut c, &root, path);
    let notify = read_notify(&mut c, &root);
    let team = read_team(&mut c, &root);
    let mut apps = read_apps(&mut c, &root);
    for app in &mut apps {
        app.team = team.shared.then(|| TeamPlace {
            remote: team.remote.clone().unwrap_or_else(|| app.remote.clone()),
            refs: TeamRefs::new(team.state_branch.as_deref()),
            stale_after: team.stale_after,
        });
    }
    c.finish(Some(Config {
        path: path.to_path_buf(),
        tree,
        notify,
        team,
        apps,
    }))
}

fn read_tree(c: &mut Collector, root: &Table<'_, '_>, path: &Path) -> Option<std::path::PathBuf> {
    const EXPECTED: &str = "a path to a tree file, relative to rewind.toml";
    let tree = root.string(c, "tree", &format!("a string: {EXPECTED}"))?;
    if tree.get_ref().trim().is_empty() {
        c.at(
            tree.span().start,
            "tree",
            format!("empty; expected {EXPECTED}"),
        );
        return None;
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let resolved = base.join(tree.get_ref());
    if !resolved.is_file() {
        c.at(
            tree.span().start,
            "tree",
            format!("no file at {}; expected {EXPECTED}", resolved.display()),
        );
        return None;
    }
    Some(resolved)
}

fn read_notify(c: &mut Collector, root: &Table<'_, '_>) -> Notify {
    let Some(notify) = root.table(c, "notify") else {
        return Notify::default();
    };
    notify.check_keys(c, &NOTIFY_KEYS);
    Notify {
        webhook_url: webhook_url(c, &notify),
    }
}

fn read_team(c: &mut Collector, root: &Table<'_, '_>) -> Team {
    let Some(team) = root.table(c, "team") else {
        return Team::default();
    };
    team.check_keys(c, &TEAM_KEYS);
    let shared = team
        .boolean(
            c,
            "shared",
            "true (the lock and the journal on the git remote) or false (this machine only)",
        )
        .is_none_or(|b| *b.get_ref());
    let remote = team
        .string(c, "remote", "the name of a git remote, such as \"origin\"")
        .and_then(|r| {
            let name = r.get_ref().trim().to_string();
            if name.is_empty() || name.starts_with('-') {
                c.at(
                    r.span().start,
                    "team.remote",
                    "not a remote name; expected the name of a git remote, such as \"origin\"",
                );
                None
            } else {
                Some(name)
            }
        });
    let stale_after = duration(c, &team, "stale_after", Team::STALE_AFTER, true);
    let state_branch = team
        .string(c, "state_branch", "a branch name prefix, such as \"rewind-state\"")
        .and_then(|b| {
            let name = b.get_ref().trim().trim_matches('/').to_string();
            let valid = !name.is_empty()
                && !name.starts_with('-')
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '/' | '.'))
                && !name.contains("..");
            if valid {
                Some(name)
            } else {
                c.at(
                    b.span().start,
                    "team.state_branch",
                    "not a usable branch name; expected letters, digits, `-`, `_`, `.` or `/`, such as \"rewind-state\"",
                );
                None
            }
        });
    Team {
        shared,
        remote,
        stale_after,
        state_branch,
    }
}

fn read_apps(c: &mut Collector, root: &Table<'_, '_>) -> Vec<AppConfig> {
    const NO_APP: &str =
        "no app configured; expected at least one [[apps]] table with the app's name";
    if !root.has("apps") {
        root.missing(c, "apps", "at least one [[apps]] table with the app's name");
        return Vec::new();
    }
    let Some(tables) = root.tables(c, "apps") else {
        return Vec::new();
    };
    if tables.is_empty() {
        let at = root.value_start("apps").unwrap_or(root.start());
        c.at(at, "apps", NO_APP);
        return Vec::new();
    }
    let mut apps = Vec::new();
    // (name, path, line) of each app seen, to point a duplicate at the first.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for table in &tables {
        let Some((app, name_offset)) = read_app(c, table) else {
            continue;
        };
        let line = c.line(name_offset);
        if let Some((_, first, first_line)) = seen.iter().find(|(n, _, _)| *n == app.name) {
            let message = format!(
                "duplicate app name \"{}\" (already used by {first}, line {first_line}); \
                 expected each app once",
                app.name
            );
            c.at(name_offset, &table.key("name"), message);
            continue;
        }
        seen.push((app.name.clone(), table.path().to_string(), line));
        apps.push(app);
    }
    apps
}
