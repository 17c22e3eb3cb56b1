//! Linked releases: the other apps of rewind.toml that went out with a bad
//! release, so that rolling one back proposes them too, each with the
//! reason.
//!
//! Everything is read from the repository at the bad release's commit
//! (never the working tree, which may be on another branch or ahead): the
//! `release-please-config.json`, its manifest and the workspace's
//! package.json files, through [`Git::show_file`]. Another app was
//! "released with" the bad tag when, at that commit:
//!
//! - it is deployed from the same tag (two apps, one component: an API
//!   and its worker);
//! - its component is in the same `linked-versions` group as the bad
//!   app's: release-please gives the group one version and releases it in
//!   one pull request;
//! - the `node-workspace` plugin is on and its package is joined to the
//!   bad app's by workspace dependencies (in `dependencies`,
//!   `devDependencies`, `peerDependencies` or `optionalDependencies`,
//!   either way, step by step), every package on the way having been
//!   released by the same release, that is its release tag points at the
//!   bad tag's commit: node-workspace releases a package's dependents when
//!   it releases the package, and a dependency released in the same pull
//!   request may be what broke it.
//!
//! And it has a release tag of its own (in its `tag_format`) on that
//! commit, or for a linked-versions group at that version: that tag is the
//! one its rollback goes back from. A component whose app cannot be told
//! (no app of rewind.toml with that `component` or `package`), an app with
//! no release there, an entry of the config of the wrong shape: each is a
//! note, never an error. A config file that is not JSON is an error the
//! caller may show as a warning and go on with the apps asked for.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::config::{AppConfig, Config};
use crate::git::{Git, GitError, TagIndex};

use super::release_please::{
    self, CONFIG_FILE, MANIFEST_FILE, PackageConfig, PackageJson, ReleasePleaseConfig,
};

/// Another app released with the bad tag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkedApp {
    /// The app's name in rewind.toml.
    pub app: String,
    /// Why, for the plan: `linked-versions group "web" in
    /// release-please-config.json`.
    pub reason: String,
    /// Its own release tag from the same release: what its rollback
    /// leaves.
    pub their_bad_tag: String,
}

/// What [`linked_apps`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkedReleases {
    /// The apps to propose, in rewind.toml's order.
    pub apps: Vec<LinkedApp>,
    /// What was seen and not proposed, each with the reason: components
    /// no app deploys, linked apps with no release there, entries of the
    /// config left out.
    pub notes: Vec<String>,
}

/// Why linked releases could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LinkedError {
    /// git could not resolve the tag or read a file at it.
    #[error("cannot read the repository at `{tag}` to find linked releases")]
    Git {
        tag: String,
        #[source]
        source: GitError,
    },
    /// The config is not the JSON release-please reads.
    #[error(
        "{file} at `{tag}` cannot be read ({detail}): linked releases are unknown, only the apps asked for are rolled back"
    )]
    Config {
        file: &'static str,
        tag: String,
        detail: String,
    },
}

/// One package of the config, as found at the bad commit.
struct Package<'c> {
    config: &'c PackageConfig,
    json: Option<PackageJson>,
    component: Option<String>,
    /// Its release tag, when that tag is on the bad commit.
    released_here: Option<String>,
}

impl Package<'_> {
    fn npm_name(&self) -> Option<&str> {
        self.json.as_ref().and_then(|j| j.name.as_deref())
    }

    fn label(&self) -> String {
        self.npm_name()
            .map(str::to_string)
            .or_else(|| self.component.clone())
            .unwrap_or_else(|| format!("`{}`", self.config.path))
    }
}

/// The apps of `config` released with `bad_tag`, the bad release of `app`.
/// Only apps on the same git remote as `app` are considered.
pub fn linked_apps(
    git: &dyn Git,
    config: &Config,
    app: &AppConfig,
    bad_tag: &str,
) -> Result<LinkedReleases, LinkedError> {
    let git_error = |source| LinkedError::Git {
        tag: bad_tag.to_string(),
        source,
    };
    let commit = git.resolve_commit(bad_tag).map_err(git_error)?;
    let index = git.tag_index().map_err(git_error)?;
    let others: Vec<&AppConfig> = config
        .apps
        .iter()
        .filter(|other| other.name != app.name && other.remote == app.remote)
        .collect();
    let mut found = Found::default();

    for other in &others {
        if release_at(other, &index, &commit).as_deref() == Some(bad_tag) {
            found.propose(
                other,
                format!("deployed from the same release tag {bad_tag}"),
                bad_tag.to_string(),
            );
        }
    }

    let Some(text) = git.show_file(&commit, CONFIG_FILE).map_err(git_error)? else {
        return Ok(found.finish(config));
    };
    let rp = release_please::parse_config(&text).map_err(|detail| LinkedError::Config {
        file: CONFIG_FILE,
        tag: bad_tag.to_string(),
        detail,
    })?;
    found.notes.extend(
        rp.ignored
            .iter()
            .map(|why| format!("{CONFIG_FILE}: {why}, left out")),
    );
    let manifest = match git.show_file(&commit, MANIFEST_FILE).map_err(git_error)? {
        None => BTreeMap::new(),
        Some(text) => release_please::parse_manifest(&text).unwrap_or_else(|why| {
            found
                .notes
                .push(format!("{MANIFEST_FILE}: {why}, left out"));
            BTreeMap::new()
        }),
    };
    let packages =
        read_packages(git, &rp, &manifest, &index, &commit, &mut found.notes).map_err(git_error)?;

    let Some(bad) = packages
        .iter()
        .position(|p| deploys(app, p) || p.released_here.as_deref() == Some(bad_tag))
    else {
        found.notes.push(format!(
            "{} is not a package of {CONFIG_FILE} at {bad_tag} (no `component` or `package` of rewind.toml names one): no linked releases",
            app.name
        ));
        return Ok(found.finish(config));
    };
    let bad_component = packages[bad]
        .component
        .clone()
        .or_else(|| app.component.clone());
    let bad_version = app.tag_format.parse_tag(bad_tag).map(|t| t.version);

    if let Some(component) = &bad_component {
        for group in rp
            .linked_groups
            .iter()
            .filter(|g| g.components.contains(component))
        {
            let why = format!("linked-versions group \"{}\" in {CONFIG_FILE}", group.name);
            for linked in group.components.iter().filter(|c| *c != component) {
                let package = packages
                    .iter()
                    .find(|p| p.component.as_deref() == Some(linked.as_str()));
                let apps: Vec<&&AppConfig> = others
                    .iter()
                    .filter(|o| {
                        o.component.as_deref() == Some(linked.as_str())
                            || package.is_some_and(|p| deploys(o, p))
                    })
                    .collect();
                if apps.is_empty() {
                    found.notes.push(format!(
                        "component \"{linked}\" ({why}) is deployed by no app of rewind.toml"
                    ));
                }
                for other in apps {
                    let tag = release_at(other, &index, &commit).or_else(|| {
                        let tag = other
                            .tag_format
                            .format(bad_version.as_ref()?, other.component.as_deref())
                            .ok()?;
                        index.commit_of(&tag).is_some().then_some(tag)
                    });
                    match tag {
                        Some(tag) => found.propose(other, why.clone(), tag),
                        None => found.notes.push(format!(
                            "{} ({why}) has no release at {bad_tag}: not proposed",
                            other.name
                        )),
                    }
                }
            }
        }
    }

    if rp.node_workspace {
        for (i, why) in workspace_links(&packages, bad) {
            let apps: Vec<&&AppConfig> =
                others.iter().filter(|o| deploys(o, &packages[i])).collect();
            if apps.is_empty() {
                found.notes.push(format!(
                    "{} (node-workspace plugin: {why}) is deployed by no app of rewind.toml",
                    packages[i].label()
                ));
            }
            for other in apps {
                match release_at(other, &index, &commit) {
                    Some(tag) => found.propose(other, format!("node-workspace plugin: {why}"), tag),
                    None => found.notes.push(format!(
                        "{} (node-workspace plugin: {why}) has no release of its tag format at {bad_tag}: not proposed",
                        other.name
                    )),
                }
            }
        }
    }
    Ok(found.finish(config))
}

/// Each package with its package.json (for npm packages, or all of them
/// under node-workspace), its component and whether it was released on
/// `commit`.
fn read_packages<'c>(
    git: &dyn Git,
    rp: &'c ReleasePleaseConfig,
    manifest: &BTreeMap<String, String>,
    index: &TagIndex,
    commit: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<Package<'c>>, GitError> {
    let mut packages = Vec::new();
    for config in &rp.packages {
        let json = if !inside_repository(&config.path) {
            notes.push(format!(
                "package path `{}` is not a folder inside the repository, left out",
                config.path
            ));
            continue;
        } else if config.is_node() || rp.node_workspace {
            let path = config.package_json_path();
            match git.show_file(commit, &path) {
                Ok(None) => None,
                Ok(Some(text)) => match release_please::parse_package_json(&text) {
                    Ok(json) => Some(json),
                    Err(why) => {
                        notes.push(format!("{path}: {why}, left out"));
                        None
                    }
                },
                // The commit is known to exist: a file git refuses (not
                // UTF-8, a path it cannot read) is the config's problem,
                // not the repository's.
                Err(
                    e @ (GitError::Unreadable { .. }
                    | GitError::Failed { .. }
                    | GitError::InvalidArgument { .. }),
                ) => {
                    notes.push(format!("{path} cannot be read ({e}), left out"));
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let component = config.component_name(json.as_ref().and_then(|j| j.name.as_deref()));
        let released_here = manifest.get(&config.path).and_then(|version| {
            let tag = config.tag_for(component.as_deref(), version);
            (index.commit_of(&tag) == Some(commit)).then_some(tag)
        });
        packages.push(Package {
            config,
            json,
            component,
            released_here,
        });
    }
    Ok(packages)
}

/// Whether a package path from the config names a folder inside the
/// repository: relative, no `..`, nothing git would read as more than a
/// path.
fn inside_repository(path: &str) -> bool {
    !path.starts_with('/')
        && !path.starts_with(':')
        && !path.chars().any(|c| c.is_control())
        && !path.split('/').any(|segment| segment == "..")
}

/// Whether `app` is deployed from `package`: its `component` is the
/// package's, or (without one) its `package` is the package's name.
fn deploys(app: &AppConfig, package: &Package) -> bool {
    match &app.component {
        Some(component) => package.component.as_ref() == Some(component),
        None => app.package.as_deref().is_some_and(|name| {
            package.config.package_name.as_deref() == Some(name) || package.npm_name() == Some(name)
        }),
    }
}

/// The newest tag in `app`'s format (and component) on `commit`.
fn release_at(app: &AppConfig, index: &TagIndex, commit: &str) -> Option<String> {
    index
        .tags_at(commit)
        .iter()
        .filter_map(|name| app.tag_format.parse_tag(name))
        .filter(|tag| !app.tag_format.has_component() || tag.component == app.component)
        .max_by(|a, b| a.version.cmp(&b.version))
        .map(|tag| tag.name)
}

/// The packages joined to `start` through workspace dependencies, every
/// step through packages released on the same commit, each with the
/// reason in words.
fn workspace_links(packages: &[Package], start: usize) -> Vec<(usize, String)> {
    let depends = |a: &Package, b: &Package| {
        let (Some(json), Some(name)) = (&a.json, b.npm_name()) else {
            return false;
        };
        json.depends_on.contains(name)
    };
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    let mut links = Vec::new();
    while let Some(from) = queue.pop_front() {
        for (to, package) in packages.iter().enumerate() {
            if seen.contains(&to) || package.released_here.is_none() {
                continue;
            }
            let why = if depends(package, &packages[from]) {
                format!("{} depends on {}", package.label(), packages[from].label())
            } else if depends(&packages[from], package) {
                format!("{} depends on {}", packages[from].label(), package.label())
            } else {
                continue;
            };
            let why = format!("{why}, released together");
            seen.insert(to);
            queue.push_back(to);
            links.push((to, why));
        }
    }
    links
}

/// The apps proposed so far (one reason each: the first found) and the
/// notes.
#[derive(Default)]
struct Found {
    apps: BTreeMap<String, LinkedApp>,
    notes: Vec<String>,
}

impl Found {
    fn propose(&mut self, app: &AppConfig, reason: String, their_bad_tag: String) {
        self.apps
            .entry(app.name.clone())
            .or_insert_with(|| LinkedApp {
                app: app.name.clone(),
                reason,
                their_bad_tag,
            });
    }

    fn finish(mut self, config: &Config) -> LinkedReleases {
        let apps = config
            .apps
            .iter()
            .filter_map(|app| self.apps.remove(&app.name))
            .collect();
        let mut seen = BTreeSet::new();
        self.notes.retain(|note| seen.insert(note.clone()));
        LinkedReleases {
            apps,
            notes: self.notes,
        }
    }
}
