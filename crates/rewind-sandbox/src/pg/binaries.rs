//! Finding PostgreSQL's programs: the server ones (`initdb`, `pg_ctl`,
//! `postgres`) on `PATH`, then in `/usr/lib/postgresql/<version>/bin`
//! (Debian's layout, which keeps them off `PATH`), newest version first; the
//! client ones (`pg_dump`, `pg_basebackup`, `psql`) next to the server's
//! first, so that `pg_dump` is never older than the server it dumps.

use std::path::{Path, PathBuf};

const SERVER: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Where each program the cluster needs is.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
    pub pg_dump: PathBuf,
    pub pg_basebackup: PathBuf,
    pub psql: PathBuf,
    /// The server's version as `pg_ctl --version` says it (`15.18`), when
    /// it says it in the usual form.
    pub version: Option<String>,
}

impl Binaries {
    /// `Ok(None)` when the server programs are nowhere to be found; `Err`
    /// when the server is there but a client program it needs is not.
    pub fn find() -> Result<Option<Binaries>, String> {
        let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let server_dir = path_dirs
            .iter()
            .find(|dir| has_all(dir, &SERVER))
            .cloned()
            .or_else(|| debian_dirs().into_iter().find(|dir| has_all(dir, &SERVER)));
        let Some(server_dir) = server_dir else {
            return Ok(None);
        };
        // `/usr/local/bin/initdb` is often a link into the versioned
        // directory, which also holds the matching client programs.
        let real_dir = std::fs::canonicalize(server_dir.join("initdb"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| server_dir.clone());
        let mut search = vec![real_dir, server_dir.clone()];
        search.extend(path_dirs);
        let client = |name: &str| {
            search
                .iter()
                .map(|dir| dir.join(name))
                .find(|p| is_program(p))
                .ok_or_else(|| {
                    format!(
                        "the PostgreSQL server is in {} but `{name}` cannot be found next to it nor on PATH",
                        server_dir.display()
                    )
                })
        };
        let version = server_version(&server_dir.join("pg_ctl"));
        Ok(Some(Binaries {
            version,
            initdb: server_dir.join("initdb"),
            pg_ctl: server_dir.join("pg_ctl"),
            pg_dump: client("pg_dump")?,
            pg_basebackup: client("pg_basebackup")?,
            psql: client("psql")?,
        }))
    }
}

/// `/usr/lib/postgresql/*/bin`, highest version first.
fn debian_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version: Option<Vec<u32>> = name.split('.').map(|n| n.parse().ok()).collect();
            Some((version?, e.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn has_all(dir: &Path, names: &[&str]) -> bool {
    names.iter().all(|n| is_program(&dir.join(n)))
}

fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `15.18` from `pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
fn server_version(pg_ctl: &Path) -> Option<String> {
    let out = std::process::Command::new(pg_ctl)
        .arg("--version")
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    parse_version(&String::from_utf8_lossy(&out.stdout))
}

fn parse_version(text: &str) -> Option<String> {
    let word = text.split_whitespace().nth(2)?;
    let ok = !word.is_empty()
        && word
            .split('.')
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| word.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn the_version_is_read_from_pg_ctl() {
        assert_eq!(
            parse_version("pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
            Some("15.18")
        );
        assert_eq!(
            parse_version("pg_ctl (PostgreSQL) 17beta1").as_deref(),
            None
        );
        assert_eq!(parse_version("").as_deref(), None);
    }
}
