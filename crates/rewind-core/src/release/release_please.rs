//! release-please's own files, read as it reads them: the
//! `release-please-config.json` (packages, their components, tag naming,
//! the `linked-versions` and `node-workspace` plugins), the
//! `.release-please-manifest.json` (each package's version) and a
//! workspace package's `package.json` (its name and what it depends on).
//!
//! These files come from the repository, so anyone who can push may have
//! written them: nothing here panics on what it reads, a file that is not
//! the expected JSON is an error saying so, and an entry of the wrong shape
//! is left out with a note saying which and why.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// The config file, at the repository root.
pub const CONFIG_FILE: &str = "release-please-config.json";
/// The manifest file, at the repository root.
pub const MANIFEST_FILE: &str = ".release-please-manifest.json";
/// Larger than any real config or package.json by far: a bigger file is
/// refused rather than parsed.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// What rewind uses of `release-please-config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasePleaseConfig {
    /// The `packages` map, in the order of their paths.
    pub packages: Vec<PackageConfig>,
    /// Every `linked-versions` plugin entry.
    pub linked_groups: Vec<LinkedGroup>,
    /// Whether the `node-workspace` plugin is on.
    pub node_workspace: bool,
    /// `separate-pull-requests` at the top level.
    pub separate_pull_requests: bool,
    /// The top level's settings, which a package without its own entry
    /// (one the manifest alone names) follows.
    pub defaults: PackageConfig,
    /// Entries left out, each with the reason.
    pub ignored: Vec<String>,
}

/// One entry of `packages`, with the top-level defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageConfig {
    /// The package's folder, relative to the root (`.` for the root).
    pub path: String,
    /// `component`, when written.
    pub component: Option<String>,
    /// `package-name`, when written.
    pub package_name: Option<String>,
    /// `release-type` (the package's own, else the top level's).
    pub release_type: Option<String>,
    /// `include-component-in-tag` (release-please's default: true).
    pub include_component_in_tag: bool,
    /// `include-v-in-tag` (default: true).
    pub include_v_in_tag: bool,
    /// `tag-separator` (default: `-`).
    pub tag_separator: String,
}

impl Default for PackageConfig {
    /// release-please's own defaults: a component in tags, `v` before the
    /// version, `-` between them.
    fn default() -> Self {
        PackageConfig {
            path: ".".to_string(),
            component: None,
            package_name: None,
            release_type: None,
            include_component_in_tag: true,
            include_v_in_tag: true,
            tag_separator: "-".to_string(),
        }
    }
}

impl PackageConfig {
    /// Whether release-please treats it as an npm package (its name and
    /// dependencies are in `package.json`).
    pub fn is_node(&self) -> bool {
        self.release_type.as_deref().is_none_or(|t| t == "node")
    }

    /// Where its `package.json` is, from the root.
    pub fn package_json_path(&self) -> String {
        match self.path.as_str() {
            "." => "package.json".to_string(),
            folder => format!("{folder}/package.json"),
        }
    }

    /// The component release-please gives it, by the rules `rewind init`
    /// follows too: `component` when written, else its package name
    /// (`package-name`, else `npm_name` read from its package.json)
    /// without an npm scope (`@acme/front` is `front`), else the last
    /// folder of its path; the root package may have none.
    pub fn component_name(&self, npm_name: Option<&str>) -> Option<String> {
        if let Some(component) = &self.component {
            return Some(component.clone());
        }
        let name = match self.package_name.as_deref().or(npm_name) {
            Some(name) => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((_scope, bare)) => bare,
                None => name,
            },
            None if self.path != "." => self.path.rsplit('/').next().unwrap_or(&self.path),
            None => return None,
        };
        (!name.is_empty()).then(|| name.to_string())
    }

    /// The tag release-please writes for `version` of this package:
    /// `{component}{separator}v{version}`, or `v{version}` without a
    /// component.
    pub fn tag_for(&self, component: Option<&str>, version: &str) -> String {
        let v = if self.include_v_in_tag { "v" } else { "" };
        match component {
            Some(component) if self.include_component_in_tag => {
                format!("{component}{}{v}{version}", self.tag_separator)
            }
            _ => format!("{v}{version}"),
        }
    }
}

/// A `linked-versions` plugin entry: components always released together,
/// at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedGroup {
    /// `groupName`.
    pub name: String,
    /// `components`.
    pub components: Vec<String>,
}

/// Reads `release-please-config.json`; an error names what is wrong.
pub fn parse_config(text: &str) -> Result<ReleasePleaseConfig, String> {
    let root: Value = parse_json(text)?;
    let Value::Object(root) = root else {
        return Err("the file is not a JSON object".into());
    };
    let defaults = PackageConfig {
        path: ".".to_string(),
        component: None,
        package_name: None,
        release_type: string(&root, "release-type"),
        include_component_in_tag: flag(&root, "include-component-in-tag").unwrap_or(true),
        include_v_in_tag: flag(&root, "include-v-in-tag").unwrap_or(true),
        tag_separator: string(&root, "tag-separator").unwrap_or_else(|| "-".into()),
    };
    let mut config = ReleasePleaseConfig {
        separate_pull_requests: flag(&root, "separate-pull-requests").unwrap_or(false),
        defaults: defaults.clone(),
        ..ReleasePleaseConfig::default()
    };
    match root.get("packages") {
        None => {}
        Some(Value::Object(packages)) => {
            for (path, entry) in packages {
                let Value::Object(entry) = entry else {
                    config
                        .ignored
                        .push(format!("package `{path}` is not a JSON object"));
                    continue;
                };
                config.packages.push(PackageConfig {
                    path: normalize(path),
                    component: string(entry, "component"),
                    package_name: string(entry, "package-name"),
                    release_type: string(entry, "release-type")
                        .or_else(|| defaults.release_type.clone()),
                    include_component_in_tag: flag(entry, "include-component-in-tag")
                        .unwrap_or(defaults.include_component_in_tag),
                    include_v_in_tag: flag(entry, "include-v-in-tag")
                        .unwrap_or(defaults.include_v_in_tag),
                    tag_separator: string(entry, "tag-separator")
                        .unwrap_or_else(|| defaults.tag_separator.clone()),
                });
            }
        }
        Some(_) => return Err("`packages` is not a JSON object".into()),
    }
    match root.get("plugins") {
        None => {}
        Some(Value::Array(plugins)) => {
            for (i, plugin) in plugins.iter().enumerate() {
                read_plugin(&mut config, i, plugin);
            }
        }
        Some(_) => return Err("`plugins` is not a JSON array".into()),
    }
    Ok(config)
}

/// One entry of `plugins`: a name (`"node-workspace"`) or an object with
/// a `type`.
fn read_plugin(config: &mut ReleasePleaseConfig, i: usize, plugin: &Value) {
    let (kind, entry) = match plugin {
        Value::String(kind) => (kind.as_str(), None),
        Value::Object(entry) => match entry.get("type") {
            Some(Value::String(kind)) => (kind.as_str(), Some(entry)),
            _ => {
                config
                    .ignored
                    .push(format!("plugin {} has no `type` string", i + 1));
                return;
            }
        },
        _ => {
            config.ignored.push(format!(
                "plugin {} is neither a name nor a JSON object",
                i + 1
            ));
            return;
        }
    };
    match kind {
        "node-workspace" => config.node_workspace = true,
        "linked-versions" => {
            let Some(entry) = entry else {
                config.ignored.push(format!(
                    "plugin {} (linked-versions) has no `groupName` and `components`",
                    i + 1
                ));
                return;
            };
            let name = string(entry, "groupName").unwrap_or_else(|| format!("#{}", i + 1));
            let components = match entry.get("components") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            if components.is_empty() {
                config.ignored.push(format!(
                    "linked-versions group \"{name}\" lists no component names"
                ));
                return;
            }
            config.linked_groups.push(LinkedGroup { name, components });
        }
        // Other plugins (cargo-workspace, sentence-case, ...) link nothing
        // rewind deploys, or not in a way it reads.
        _ => {}
    }
}

/// Reads `.release-please-manifest.json`: package path to version.
/// Entries whose version is not a string are left out.
pub fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let Value::Object(root) = parse_json(text)? else {
        return Err("the file is not a JSON object".into());
    };
    Ok(root
        .into_iter()
        .filter_map(|(path, version)| Some((normalize(&path), version.as_str()?.to_string())))
        .collect())
}

/// What rewind uses of a package.json.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageJson {
    /// `name`.
    pub name: Option<String>,
    /// The names in `dependencies`, `devDependencies`,
    /// `peerDependencies` and `optionalDependencies`: what node-workspace
    /// follows.
    pub depends_on: BTreeSet<String>,
}

/// Reads a package.json.
pub fn parse_package_json(text: &str) -> Result<PackageJson, String> {
    let Value::Object(root) = parse_json(text)? else {
        return Err("the file is not a JSON object".into());
    };
    let mut depends_on = BTreeSet::new();
    for key in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        if let Some(Value::Object(deps)) = root.get(key) {
            depends_on.extend(deps.keys().cloned());
        }
    }
    Ok(PackageJson {
        name: string(&root, "name"),
        depends_on,
    })
}

fn parse_json(text: &str) -> Result<Value, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than the {MAX_FILE_BYTES} rewind reads",
            text.len()
        ));
    }
    // serde_json stops at 128 levels of nesting: a hostile file cannot
    // exhaust the stack.
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())
}

/// `./packages/etl/` and `packages/etl` are the same package; the root
/// is `.`.
pub(crate) fn normalize(path: &str) -> String {
    let trimmed = path.trim().trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() {
        ".".to_string()
    } else {
        trimmed.to_string()
    }
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn flag(map: &Map<String, Value>, key: &str) -> Option<bool> {
    map.get(key).and_then(Value::as_bool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_packages_with_the_top_level_defaults() {
        let config = parse_config(
            r#"{
              "release-type": "node",
              "tag-separator": "@",
              "include-v-in-tag": false,
              "separate-pull-requests": true,
              "packages": {
                "apps/front": {"component": "front"},
                "./apps/api/": {"package-name": "@acme/api", "include-component-in-tag": true, "tag-separator": "-"},
                "tools/etl": {"release-type": "python"}
              }
            }"#,
        )
        .unwrap();
        assert!(config.separate_pull_requests);
        let [api, front, etl] = config.packages.as_slice() else {
            panic!("{config:?}")
        };
        assert_eq!(front.path, "apps/front");
        assert_eq!(front.component_name(None).as_deref(), Some("front"));
        assert_eq!(front.tag_for(Some("front"), "1.4.0"), "front@1.4.0");
        assert_eq!(api.component_name(None).as_deref(), Some("api"));
        assert_eq!(api.tag_for(Some("api"), "2.1.0"), "api-2.1.0");
        assert_eq!(api.package_json_path(), "apps/api/package.json");
        // Without a name, the last folder of its path.
        assert_eq!(etl.component_name(None).as_deref(), Some("etl"));
        assert!(!etl.is_node());
    }

    #[test]
    fn a_node_package_takes_its_component_from_package_json() {
        let config = parse_config(r#"{"packages": {"./": {}}}"#).unwrap();
        let root = &config.packages[0];
        assert_eq!(root.package_json_path(), "package.json");
        assert_eq!(
            root.component_name(Some("@shop/web")).as_deref(),
            Some("web")
        );
        assert_eq!(root.component_name(None), None);
        assert_eq!(root.tag_for(None, "1.0.0"), "v1.0.0");
    }

    #[test]
    fn reads_linked_versions_and_node_workspace_in_both_shapes() {
        let config = parse_config(
            r#"{"plugins": [
                "node-workspace",
                {"type": "linked-versions", "groupName": "web", "components": ["front", "api", 7]},
                {"type": "sentence-case"}
            ]}"#,
        )
        .unwrap();
        assert!(config.node_workspace);
        assert_eq!(
            config.linked_groups,
            [LinkedGroup {
                name: "web".into(),
                components: vec!["front".into(), "api".into()]
            }]
        );
        assert!(config.ignored.is_empty());
        let config =
            parse_config(r#"{"plugins": [{"type": "node-workspace", "merge": false}]}"#).unwrap();
        assert!(config.node_workspace);
    }

    #[test]
    fn entries_of_the_wrong_shape_are_left_out_with_a_reason() {
        let config = parse_config(
            r#"{"packages": {"a": 3, "b": {}},
                "plugins": [4, {"groupName": "x"}, "linked-versions",
                            {"type": "linked-versions", "groupName": "empty", "components": []}]}"#,
        )
        .unwrap();
        assert_eq!(config.packages.len(), 1);
        assert_eq!(
            config.ignored,
            [
                "package `a` is not a JSON object",
                "plugin 1 is neither a name nor a JSON object",
                "plugin 2 has no `type` string",
                "plugin 3 (linked-versions) has no `groupName` and `components`",
                "linked-versions group \"empty\" lists no component names",
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_the_expected_json_is_an_error() {
        assert!(
            parse_config("{ \"packages\": ")
                .unwrap_err()
                .contains("EOF")
        );
        assert_eq!(
            parse_config("[1, 2]").unwrap_err(),
            "the file is not a JSON object"
        );
        assert_eq!(
            parse_config(r#"{"packages": []}"#).unwrap_err(),
            "`packages` is not a JSON object"
        );
        assert_eq!(
            parse_config(r#"{"plugins": {}}"#).unwrap_err(),
            "`plugins` is not a JSON array"
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_config(&deep).unwrap_err().contains("recursion"));
        let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(MAX_FILE_BYTES));
        assert!(parse_config(&huge).unwrap_err().contains("more than"));
    }

    #[test]
    fn reads_the_manifest_and_package_json() {
        let manifest =
            parse_manifest(r#"{"apps/front": "1.4.0", "./apps/api": "2.1.0", "x": 3}"#).unwrap();
        assert_eq!(manifest.len(), 2);
        assert_eq!(manifest["apps/api"], "2.1.0");
        let package = parse_package_json(
            "\u{feff}{\"name\": \"@acme/front\", \"dependencies\": {\"@acme/ui\": \"workspace:*\"},
              \"devDependencies\": {\"vitest\": \"1\"}, \"peerDependencies\": 5}",
        )
        .unwrap();
        assert_eq!(package.name.as_deref(), Some("@acme/front"));
        assert_eq!(
            package.depends_on.iter().collect::<Vec<_>>(),
            ["@acme/ui", "vitest"]
        );
    }
}
