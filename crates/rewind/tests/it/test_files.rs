//! Every crate's integration tests are one binary, `tests/it/main.rs`,
//! with its files as modules: a file left out of its `main.rs` (or, under
//! a folder, out of that folder's module file) compiles nowhere, and its
//! tests never run, silently. And a file straight under `tests/` would be
//! a test binary of its own, one more link on a 2-core machine. This walks
//! every crate of the workspace and names any such file.

use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, at any depth.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read a test folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Whether `parent` (a module file) declares `mod name;`, public or not.
fn declares(parent: &Path, name: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(parent) else {
        return false;
    };
    let wanted = format!("mod {name};");
    text.lines().map(str::trim).any(|line| {
        !line.starts_with("//")
            && (line == wanted
                || (line.starts_with("pub") && line.ends_with(&format!(" {wanted}"))))
    })
}

/// Problems with the test files of the crate at `krate`.
fn problems(krate: &Path) -> Vec<String> {
    let tests = krate.join("tests");
    let it = tests.join("it");
    let mut found = Vec::new();
    if !tests.is_dir() {
        return found;
    }
    for entry in std::fs::read_dir(&tests).expect("tests").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "rs") {
            found.push(format!(
                "{}: a test binary of its own; make it a module of tests/it/main.rs",
                path.display()
            ));
        }
    }
    if !it.is_dir() {
        return found;
    }
    for file in rust_files(&it) {
        let dir = file.parent().expect("a folder");
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if dir == it && stem == "main" {
            continue;
        }
        // `a/mod.rs` is the module `a`, declared one folder up.
        let (dir, stem) = if stem == "mod" {
            let name = dir.file_name().and_then(|s| s.to_str()).unwrap_or_default();
            (dir.parent().expect("a folder"), name)
        } else {
            (dir, stem)
        };
        let parents = if dir == it {
            vec![it.join("main.rs")]
        } else {
            vec![dir.with_extension("rs"), dir.join("mod.rs")]
        };
        if !parents.iter().any(|p| declares(p, stem)) {
            found.push(format!(
                "{}: no `mod {stem};` in {}",
                file.display(),
                parents[0].display()
            ));
        }
    }
    found
}

#[test]
fn every_test_file_is_a_module_of_its_crates_one_test_binary() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/");
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(crates).expect("crates/").flatten() {
        if entry.path().join("tests").join("it").is_dir() {
            checked += 1;
        }
        found.extend(problems(&entry.path()));
    }
    assert!(
        checked >= 3,
        "rewind, rewind-core and rewind-sandbox have tests/it"
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_test_file_left_out_of_main_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let it = dir.path().join("tests").join("it");
    std::fs::create_dir_all(it.join("group")).expect("folders");
    let write = |path: &str, text: &str| std::fs::write(it.join(path), text).expect("write");
    write("main.rs", "mod listed;\nmod group;\n// mod commented;\n");
    write("listed.rs", "");
    write("commented.rs", "");
    write("group.rs", "pub(crate) mod inner;\n");
    write("group/inner.rs", "");
    write("group/forgotten.rs", "");
    std::fs::write(dir.path().join("tests").join("alone.rs"), "").expect("write");
    let root = format!("{}/", dir.path().display());
    let found: Vec<String> = problems(dir.path())
        .iter()
        .map(|p| p.replace(&root, ""))
        .collect();
    assert_eq!(
        found,
        [
            "tests/alone.rs: a test binary of its own; make it a module of tests/it/main.rs",
            "tests/it/commented.rs: no `mod commented;` in tests/it/main.rs",
            "tests/it/group/forgotten.rs: no `mod forgotten;` in tests/it/group.rs",
        ]
    );
}
