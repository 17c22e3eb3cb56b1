//! `rewind-test-support` (hermetic git, `InterruptAfter`, `shown`) is for
//! tests: a crate that listed it among its own dependencies would ship the
//! test helpers in rewind. This reads every manifest of the workspace and
//! names any section other than `[dev-dependencies]` that lists it.

use std::path::Path;

const SUPPORT: &str = "rewind-test-support";

/// Where `manifest` (a Cargo.toml's text) lists the support crate outside
/// `[dev-dependencies]`, as `line N: [section]`.
fn misplaced(manifest: &str) -> Vec<String> {
    let mut table = String::new();
    let mut found = Vec::new();
    for (n, line) in manifest.lines().enumerate() {
        let line = line.trim();
        let names_it = if let Some(header) = line.strip_prefix('[') {
            table = header.trim_end_matches(']').to_string();
            table.ends_with(&format!(".{SUPPORT}"))
        } else {
            line.starts_with(SUPPORT)
        };
        // The table the dependency sits in, without its own name.
        let within = table.trim_end_matches(SUPPORT).trim_end_matches('.');
        let allowed = within.ends_with("dev-dependencies") || within == "workspace.dependencies";
        if names_it && !allowed {
            found.push(format!("line {}: [{table}]", n + 1));
        }
    }
    found
}

#[test]
fn no_crate_of_the_workspace_depends_on_the_test_support_but_for_its_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the workspace root");
    let mut checked = 0;
    let mut found = Vec::new();
    let crates = std::fs::read_dir(root.join("crates")).expect("crates/");
    for manifest in crates.flatten().map(|e| e.path().join("Cargo.toml")) {
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        checked += 1;
        found.extend(
            misplaced(&text)
                .into_iter()
                .map(|m| format!("{}: {m}", manifest.display())),
        );
    }
    assert!(checked >= 5, "every crate's manifest read ({checked})");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_test_support_as_a_normal_dependency_is_named() {
    let manifest = "[package]\nname = \"rewind-test-support\"\n\n\
        [dependencies]\nrewind-core.workspace = true\nrewind-test-support.workspace = true\n\n\
        [dev-dependencies]\nrewind-test-support = { workspace = true }\n\n\
        [target.'cfg(unix)'.dependencies]\nrewind-test-support = \"0.1\"\n\n\
        [build-dependencies.rewind-test-support]\npath = \"../rewind-test-support\"\n\n\
        [target.'cfg(unix)'.dev-dependencies.rewind-test-support]\nworkspace = true\n";
    assert_eq!(
        misplaced(manifest),
        [
            "line 6: [dependencies]",
            "line 12: [target.'cfg(unix)'.dependencies]",
            "line 14: [build-dependencies.rewind-test-support]",
        ]
    );
}
