//! Puts together what `rewind init` can tell about a repository: the
//! remote, one app per released package with its tag format checked
//! against the existing tags, the package name build logs print, and the
//! migration folders that exist.

use std::path::{Path, PathBuf};

use super::InitError;
use super::release_please::{self, Package};
use super::repo::{RepoFacts, inspect};
use crate::config::model::{DEFAULT_MIGRATIONS, DEFAULT_REMOTE, DEFAULT_TAG_FORMAT};
use crate::config::values::is_slug;
use crate::release::TagFormat;

/// How many matching tags are shown to confirm a format.
const NEWEST_SHOWN: usize = 3;

/// Everything `rewind init` found.
#[derive(Debug, Clone)]
pub struct Detection {
    pub root: PathBuf,
    /// The remote to use, and whether it was found (else the default).
    pub remote: String,
    pub remote_found: bool,
    /// The repository's remotes, for the comment in the file.
    pub remotes: Vec<String>,
    /// Whether release-please's config or manifest was there.
    pub release_please: bool,
    pub tag_count: usize,
    pub apps: Vec<DetectedApp>,
}

/// Where an app's name came from; anything but `Flag` is a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    Flag,
    Package,
    Component,
    Directory,
}

/// Whether the chosen format matches the repository's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatCheck {
    NoTags,
    /// The newest matching tags, newest first.
    Matches(Vec<String>),
    /// No tag matches; a few of the tags there are.
    NoMatch(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct DetectedApp {
    pub name: String,
    pub name_source: NameSource,
    /// The package folder, `.` for the root.
    pub path: String,
    pub tag_format: String,
    pub component: Option<String>,
    pub package: Option<String>,
    /// The manifest's version.
    pub version: Option<String>,
    pub format_check: FormatCheck,
    /// Why `tag_format` is not the one release-please's settings give:
    /// no tag matched that one, and the existing tags follow this one.
    pub format_note: Option<String>,
    pub migrations: Vec<String>,
}

/// Inspects the repository holding `dir`; `app` is the Scalingo name the
/// user gave, which only makes sense for a single app.
pub fn detect(dir: &Path, app: Option<&str>) -> Result<Detection, InitError> {
    if let Some(name) = app.filter(|n| !is_slug(n)) {
        return Err(InitError::BadAppName(name.to_string()));
    }
    let facts = inspect(dir)?;
    let packages = release_please::read(&facts.root)?;
    let release_please = packages.is_some();
    let packages = match packages {
        Some(packages) if !packages.is_empty() => packages,
        _ => vec![plain_package(&facts)?],
    };
    if let Some(name) = app.filter(|_| packages.len() > 1) {
        return Err(InitError::SeveralApps {
            name: name.to_string(),
            components: packages.iter().map(|p| p.component.clone()).collect(),
        });
    }
    let several = packages.len() > 1;
    let apps = packages
        .iter()
        .map(|package| detect_app(&facts, package, app, several))
        .collect();
    let (remote, remote_found) = pick_remote(&facts.remotes);
    Ok(Detection {
        root: facts.root.clone(),
        remote,
        remote_found,
        remotes: facts.remotes.clone(),
        release_please,
        tag_count: facts.tags.len(),
        apps,
    })
}

/// No release-please: the root package, tagged `v1.2.3` unless the tags
/// say `1.2.3`.
fn plain_package(facts: &RepoFacts) -> Result<Package, InitError> {
    let count = |template: &str| {
        TagFormat::parse(template)
            .map(|f| f.releases(facts.tags.iter().map(String::as_str)).len())
            .unwrap_or(0)
    };
    let bare = count("{version}") > count(DEFAULT_TAG_FORMAT);
    Ok(Package {
        path: ".".into(),
        component: String::new(),
        package_name: release_please::package_json_name(&facts.root)?,
        include_component_in_tag: false,
        include_v_in_tag: !bare,
        tag_separator: "-".into(),
        version: None,
    })
}

fn detect_app(
    facts: &RepoFacts,
    package: &Package,
    app: Option<&str>,
    several: bool,
) -> DetectedApp {
    let (name, name_source) = match (app, several) {
        (Some(name), _) => (name.to_string(), NameSource::Flag),
        (None, true) if !package.component.is_empty() => {
            (slug(&package.component), NameSource::Component)
        }
        (None, _) => match &package.package_name {
            Some(p) => (slug(p), NameSource::Package),
            None => (
                slug(&directory_name(&facts.root, &package.path)),
                NameSource::Directory,
            ),
        },
    };
    let mut tag_format = package.tag_format();
    let mut component = package.tag_component().map(str::to_string);
    let mut format_check = check_format(&facts.tags, &tag_format, component.as_deref());
    let mut format_note = None;
    if let FormatCheck::NoMatch(_) = format_check
        && let Some(found) = format_the_tags_follow(&facts.tags, package, &tag_format)
    {
        let newest = match &found.check {
            FormatCheck::Matches(tags) => tags.join(", "),
            _ => String::new(),
        };
        format_note = Some(format!(
            "release-please's settings give tag_format \"{tag_format}\", which no tag matches; the existing tags follow \"{}\" ({} of them, newest {newest}), so that one is written",
            found.template, found.count
        ));
        tag_format = found.template;
        component = found.component;
        format_check = found.check;
    }
    DetectedApp {
        name,
        name_source,
        format_check,
        format_note,
        tag_format,
        component,
        package: package.package_name.clone(),
        version: package.version.clone(),
        migrations: migrations(&facts.root, &package.path),
        path: package.path.clone(),
    }
}

/// A tag format the existing tags follow, found when the one the settings
/// give matches none.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    template: String,
    component: Option<String>,
    /// How many tags it matches.
    count: usize,
    check: FormatCheck,
}

/// Among the formats release-please writes (`v{version}`, `{version}`,
/// and with the package's component `{component}-v{version}` and
/// `{component}-{version}`, with its separator), other than `tried`, the
/// one matching the most existing tags (the first listed on a tie); `None`
/// when none matches any.
fn format_the_tags_follow(tags: &[String], package: &Package, tried: &str) -> Option<Found> {
    let sep = &package.tag_separator;
    let mut candidates = vec![
        (DEFAULT_TAG_FORMAT.to_string(), None),
        ("{version}".to_string(), None),
    ];
    if !package.component.is_empty() {
        for v in ["v", ""] {
            candidates.push((
                format!("{{component}}{sep}{v}{{version}}"),
                Some(package.component.clone()),
            ));
        }
    }
    let mut best: Option<Found> = None;
    for (template, component) in candidates {
        if template == tried {
            continue;
        }
        let Ok(format) = TagFormat::parse(&template) else {
            continue;
        };
        let count = format
            .releases(tags.iter().map(String::as_str))
            .into_iter()
            .filter(|t| component.is_none() || t.component == component)
            .count();
        if count > 0 && best.as_ref().is_none_or(|b| count > b.count) {
            best = Some(Found {
                check: check_format(tags, &template, component.as_deref()),
                template,
                component,
                count,
            });
        }
    }
    best
}

fn check_format(tags: &[String], template: &str, component: Option<&str>) -> FormatCheck {
    if tags.is_empty() {
        return FormatCheck::NoTags;
    }
    let Ok(format) = TagFormat::parse(template) else {
        return FormatCheck::NoMatch(sample(tags));
    };
    let matching: Vec<String> = format
        .releases(tags.iter().map(String::as_str))
        .into_iter()
        .filter(|t| component.is_none() || t.component.as_deref() == component)
        .rev()
        .take(NEWEST_SHOWN)
        .map(|t| t.name)
        .collect();
    if matching.is_empty() {
        FormatCheck::NoMatch(sample(tags))
    } else {
        FormatCheck::Matches(matching)
    }
}

fn sample(tags: &[String]) -> Vec<String> {
    let mut sorted = tags.to_vec();
    sorted.sort();
    sorted.into_iter().rev().take(NEWEST_SHOWN).collect()
}

/// `origin` when there is one, else the first remote, else `origin` (to
/// be added).
fn pick_remote(remotes: &[String]) -> (String, bool) {
    if remotes.iter().any(|r| r == DEFAULT_REMOTE) {
        return (DEFAULT_REMOTE.to_string(), true);
    }
    match remotes.first() {
        Some(first) => (first.clone(), true),
        None => (DEFAULT_REMOTE.to_string(), false),
    }
}

/// The migration folders that exist for a package, relative to the root.
fn migrations(root: &Path, package_path: &str) -> Vec<String> {
    DEFAULT_MIGRATIONS
        .iter()
        .map(|m| match package_path {
            "." => m.to_string(),
            p => format!("{p}/{m}"),
        })
        .filter(|m| root.join(m).is_dir())
        .collect()
}

fn directory_name(root: &Path, package_path: &str) -> String {
    let dir = if package_path == "." {
        root.to_path_buf()
    } else {
        root.join(package_path)
    };
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A Scalingo-acceptable guess from a package or folder name:
/// `@Acme/Web_App` -> `web-app`.
pub(crate) fn slug(name: &str) -> String {
    let bare = name.rsplit('/').next().unwrap_or(name);
    let mut out = String::new();
    for c in bare.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out
    } else if out.is_empty() {
        "my-app".to_string()
    } else {
        format!("app-{out}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_app_names() {
        assert_eq!(slug("@Acme/Web_App"), "web-app");
        assert_eq!(slug("etl"), "etl");
        assert_eq!(slug("2048"), "app-2048");
        assert_eq!(slug("___"), "my-app");
        for s in ["@Acme/Web_App", "2048", "___", "a b--c"] {
            assert!(is_slug(&slug(s)), "{s}");
        }
    }

    #[test]
    fn format_check_confirms_against_the_newest_tags() {
        let tags: Vec<String> = ["v1.0.0", "v1.2.3", "v1.10.0", "etl-v2.0.0"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            check_format(&tags, "v{version}", None),
            FormatCheck::Matches(vec!["v1.10.0".into(), "v1.2.3".into(), "v1.0.0".into()])
        );
        assert_eq!(
            check_format(&tags, "{component}-v{version}", Some("etl")),
            FormatCheck::Matches(vec!["etl-v2.0.0".into()])
        );
        assert!(matches!(
            check_format(&tags, "{component}-v{version}", Some("api")),
            FormatCheck::NoMatch(_)
        ));
        assert_eq!(check_format(&[], "v{version}", None), FormatCheck::NoTags);
    }

    fn package(component: &str) -> Package {
        Package {
            path: ".".into(),
            component: component.into(),
            package_name: None,
            include_component_in_tag: true,
            include_v_in_tag: true,
            tag_separator: "-".into(),
            version: None,
        }
    }

    #[test]
    fn the_format_most_tags_follow_is_found_when_the_settings_match_none() {
        let tags: Vec<String> = ["v1.0.0", "v1.1.0", "shop-v0.9.0", "2.0.0"]
            .map(String::from)
            .to_vec();
        let found = format_the_tags_follow(&tags, &package("shop"), "{component}-v{version}")
            .expect("found");
        assert_eq!(found.template, "v{version}");
        assert_eq!(found.component, None);
        assert_eq!(found.count, 2);
        assert_eq!(
            found.check,
            FormatCheck::Matches(vec!["v1.1.0".into(), "v1.0.0".into()])
        );
        // The component's own tags, when they are the ones there.
        let tags: Vec<String> = ["web-v1.0.0", "shop-1.0.0", "shop-1.1.0"]
            .map(String::from)
            .to_vec();
        let found = format_the_tags_follow(&tags, &package("shop"), "v{version}").expect("found");
        assert_eq!(found.template, "{component}-{version}");
        assert_eq!(found.component.as_deref(), Some("shop"));
        // Nothing known: nothing found.
        let tags = vec!["release-3.0.0".to_string()];
        assert_eq!(
            format_the_tags_follow(&tags, &package(""), "v{version}"),
            None
        );
    }
}
