//! What release-please's files say about tags: `release-please-config.json`
//! (packages, their component, whether tags carry it, the separator, the
//! `v`) and `.release-please-manifest.json` (package paths and their
//! current versions). The defaults are release-please's own: a component
//! in tags unless `include-component-in-tag` is false, `v` before the
//! version, `-` between them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::InitError;

pub const CONFIG_FILE: &str = "release-please-config.json";
pub const MANIFEST_FILE: &str = ".release-please-manifest.json";

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
/// manifests.
pub fn read(root: &Path) -> Result<Option<Vec<Package>>, InitError> {
    let config = read_json(&root.join(CONFIG_FILE))?;
    let manifest = read_json(&root.join(MANIFEST_FILE))?;
    if config.is_none() && manifest.is_none() {
        return Ok(None);
    }
    let empty = Map::new();
    let config = config.as_ref().unwrap_or(&empty);
    let versions: BTreeMap<String, String> = manifest
        .iter()
        .flat_map(|m| m.iter())
        .filter_map(|(path, v)| Some((normalize(path), v.as_str()?.to_string())))
        .collect();
    let configured = match config.get("packages") {
        Some(Value::Object(packages)) => packages.clone(),
        Some(_) => {
            return Err(InitError::ReleasePlease {
                path: root.join(CONFIG_FILE),
                detail: "`packages` is not an object".into(),
            });
        }
        None => Map::new(),
    };
    // Packages come from the config, else from the manifest alone.
    let mut paths: Vec<String> = configured.keys().map(|p| normalize(p)).collect();
    if paths.is_empty() {
        paths = versions.keys().cloned().collect();
    }
    let mut packages = Vec::new();
    for path in paths {
        let own = configured
            .iter()
            .find(|(p, _)| normalize(p) == path)
            .and_then(|(_, v)| v.as_object())
            .unwrap_or(&empty);
        let setting = |key: &str| own.get(key).or_else(|| config.get(key));
        let package_json_name = package_json_name(&root.join(&path))?;
        let package_name = text(own.get("package-name")).or(package_json_name);
        let component = text(own.get("component"))
            .or_else(|| package_name.as_deref().map(strip_scope))
            .or_else(|| (path != ".").then(|| last_segment(&path)))
            .unwrap_or_default();
        packages.push(Package {
            component,
            package_name,
            include_component_in_tag: setting("include-component-in-tag")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            include_v_in_tag: setting("include-v-in-tag")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            tag_separator: text(setting("tag-separator")).unwrap_or_else(|| "-".into()),
            version: versions.get(&path).cloned(),
            path,
        });
    }
    Ok(Some(packages))
}

/// The `name` in `dir/package.json`, if there is one.
pub fn package_json_name(dir: &Path) -> Result<Option<String>, InitError> {
    let Some(json) = read_json(&dir.join("package.json"))? else {
        return Ok(None);
    };
    Ok(text(json.get("name")))
}

/// A JSON object file; `None` when absent, an error when unreadable: a
/// guess made from a broken file would be wrong without saying so.
fn read_json(path: &Path) -> Result<Option<Map<String, Value>>, InitError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(InitError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(InitError::ReleasePlease {
            path: path.to_path_buf(),
            detail: "expected a JSON object".into(),
        }),
        Err(e) => Err(InitError::ReleasePlease {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }),
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `./packages/etl/` and `packages/etl` are the same package.
fn normalize(path: &str) -> String {
    let trimmed = path.trim().trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() {
        ".".to_string()
    } else {
        trimmed.to_string()
    }
}

/// release-please drops the npm scope from components: `@acme/etl` -> `etl`.
fn strip_scope(name: &str) -> String {
    match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((_, bare)) => bare.to_string(),
        None => name.to_string(),
    }
}

fn last_segment(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
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
    fn paths_and_scopes_are_normalised() {
        assert_eq!(normalize("./packages/etl/"), "packages/etl");
        assert_eq!(normalize("."), ".");
        assert_eq!(strip_scope("@acme/etl"), "etl");
        assert_eq!(strip_scope("etl"), "etl");
    }
}
