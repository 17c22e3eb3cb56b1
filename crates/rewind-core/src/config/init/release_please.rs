//! What release-please's files say about tags: `release-please-config.json`
//! (packages, their component, whether tags carry it, the separator, the
//! `v`) and `.release-please-manifest.json` (package paths and their
//! current versions). The defaults are release-please's own: a component
//! in tags unless `include-component-in-tag` is false, `v` before the
//! version, `-` between them.

use std::path::Path;

use super::InitError;
use crate::release::release_please::{
    PackageConfig, ReleasePleaseConfig, parse_config, parse_manifest, parse_package_json,
};

pub use crate::release::release_please::{CONFIG_FILE, MANIFEST_FILE};

/// One package release-please releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its folder relative to the repository root; `.` for the root.
    pub path: String,
    /// The component release-please derives for it; empty when none.
    pub component: String,
    /// `package-name` from the config, or the package.json name.
    pub package_name: Option<String>,
    pub include_component_in_tag: bool,
    pub include_v_in_tag: bool,
    pub tag_separator: String,
    /// The version in the manifest.
    pub version: Option<String>,
}

impl Package {
    /// The tag format this package's tags follow.
    pub fn tag_format(&self) -> String {
        let v = if self.include_v_in_tag { "v" } else { "" };
        if self.include_component_in_tag && !self.component.is_empty() {
            format!("{{component}}{}{v}{{version}}", self.tag_separator)
        } else {
            format!("{v}{{version}}")
        }
    }

    /// The component to put in `rewind.toml`, when the format uses one.
    pub fn tag_component(&self) -> Option<&str> {
        (self.include_component_in_tag && !self.component.is_empty())
            .then_some(self.component.as_str())
    }
}

/// The packages, or `None` when the repository does not use release-please
/// manifests. The files are read by the same parser the linked releases
/// use (`release::release_please`), so `rewind init` and `rewind rollback`
/// agree on components and tags.
pub fn read(root: &Path) -> Result<Option<Vec<Package>>, InitError> {
    let config_path = root.join(CONFIG_FILE);
    let manifest_path = root.join(MANIFEST_FILE);
    let config = read_text(&config_path)?;
    let manifest = read_text(&manifest_path)?;
    if config.is_none() && manifest.is_none() {
        return Ok(None);
    }
    let config = match config {
        Some(text) => parse_config(&text).map_err(|detail| InitError::ReleasePlease {
            path: config_path,
            detail,
        })?,
        None => ReleasePleaseConfig::default(),
    };
    let versions = match manifest {
        Some(text) => parse_manifest(&text).map_err(|detail| InitError::ReleasePlease {
            path: manifest_path,
            detail,
        })?,
        None => Default::default(),
    };
    // Packages come from the config, else from the manifest alone (with
    // the config's top-level settings).
    let mut configured = config.packages.clone();
    if configured.is_empty() {
        configured = versions
            .keys()
            .map(|path| PackageConfig {
                path: path.clone(),
                ..config.defaults.clone()
            })
            .collect();
    }
    let mut packages = Vec::new();
    for entry in configured {
        let npm_name = package_json_name(&root.join(&entry.path))?;
        let package_name = entry.package_name.clone().or(npm_name);
        packages.push(Package {
            component: entry
                .component_name(package_name.as_deref())
                .unwrap_or_default(),
            package_name,
            include_component_in_tag: entry.include_component_in_tag,
            include_v_in_tag: entry.include_v_in_tag,
            tag_separator: entry.tag_separator.clone(),
            version: versions.get(&entry.path).cloned(),
            path: entry.path,
        });
    }
    Ok(Some(packages))
}

/// The `name` in `dir/package.json`, if there is one.
pub fn package_json_name(dir: &Path) -> Result<Option<String>, InitError> {
    let path = dir.join("package.json");
    let Some(text) = read_text(&path)? else {
        return Ok(None);
    };
    let package =
        parse_package_json(&text).map_err(|detail| InitError::ReleasePlease { path, detail })?;
    Ok(package.name)
}

/// A file's text; `None` when absent, an error when unreadable: a guess
/// made from a broken file would be wrong without saying so.
fn read_text(path: &Path) -> Result<Option<String>, InitError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InitError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(component: &str, include: bool) -> Package {
        Package {
            path: ".".into(),
            component: component.into(),
            package_name: None,
            include_component_in_tag: include,
            include_v_in_tag: true,
            tag_separator: "-".into(),
            version: None,
        }
    }

    #[test]
    fn tag_format_follows_release_please_settings() {
        assert_eq!(package("etl", true).tag_format(), "{component}-v{version}");
        assert_eq!(package("etl", false).tag_format(), "v{version}");
        assert_eq!(package("", true).tag_format(), "v{version}");
        let mut bare = package("api", true);
        bare.include_v_in_tag = false;
        bare.tag_separator = "@".into();
        assert_eq!(bare.tag_format(), "{component}@{version}");
    }

    #[test]
    fn reads_packages_from_the_files_with_release_pleases_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join(CONFIG_FILE),
            r#"{"include-v-in-tag": false, "packages": {"./packages/etl/": {}, "apps/front": {"component": " front "}}}"#,
        )
        .unwrap();
        std::fs::write(
            root.join(MANIFEST_FILE),
            r#"{"packages/etl": "1.2.0", "apps/front": "3.0.0"}"#,
        )
        .unwrap();
        std::fs::create_dir_all(root.join("packages/etl")).unwrap();
        std::fs::write(
            root.join("packages/etl/package.json"),
            r#"{"name": "@acme/etl-jobs"}"#,
        )
        .unwrap();
        let packages = read(root).unwrap().unwrap();
        let [etl, front] = packages.as_slice() else {
            panic!("{packages:?}")
        };
        // Paths normalised, scopes dropped, names trimmed, the top level's
        // settings applied.
        assert_eq!(etl.path, "packages/etl");
        assert_eq!(etl.component, "etl-jobs");
        assert_eq!(etl.version.as_deref(), Some("1.2.0"));
        assert_eq!(etl.tag_format(), "{component}-{version}");
        assert_eq!(front.component, "front");
        assert_eq!(front.version.as_deref(), Some("3.0.0"));

        // A manifest alone: its packages, with the defaults.
        std::fs::remove_file(root.join(CONFIG_FILE)).unwrap();
        let packages = read(root).unwrap().unwrap();
        assert_eq!(packages.len(), 2);
        assert!(
            packages
                .iter()
                .all(|p| p.tag_format() == "{component}-v{version}")
        );

        // A broken file is an error naming it, not a guess.
        std::fs::write(root.join(MANIFEST_FILE), "[1]").unwrap();
        let err = read(root).unwrap_err();
        assert!(
            matches!(err, InitError::ReleasePlease { ref path, .. } if path.ends_with(MANIFEST_FILE)),
            "{err:?}"
        );
        std::fs::remove_file(root.join(MANIFEST_FILE)).unwrap();
        assert!(read(root).unwrap().is_none());
    }
}
