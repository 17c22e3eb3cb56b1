//! Restoring a dump with `pg_restore --clean --if-exists --no-owner
//! --no-acl` into a database the user names (in real life through a
//! `scalingo db-tunnel`). The password goes through `PGPASSWORD`, never
//! argv; pg_restore's stderr is kept for the error, with the password
//! removed should the server ever echo it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::DbError;
use super::archive::{DumpFormat, dump_format, extract_dump};
use super::pg_url::DatabaseUrl;

/// What a restore did.
#[derive(Debug, Clone)]
pub struct DumpRestored {
    /// The dump file restored (inside a folder removed afterwards).
    pub dump_name: String,
    /// pg_restore's warnings, if any.
    pub warnings: String,
}

/// `name` found in the folders of `path` (the `PATH` variable's value).
pub fn find_program(name: &str, path: Option<&OsString>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Extracts the dump of `archive` into a private temporary folder and
/// restores it into `url`.
pub fn restore_archive(archive: &Path, url: &DatabaseUrl) -> Result<DumpRestored, DbError> {
    let program = find_program("pg_restore", std::env::var_os("PATH").as_ref())
        .ok_or(DbError::PgRestoreMissing)?;
    let work = TempDir::new()?;
    let dump = extract_dump(archive, &work.0)?;
    if dump_format(&dump)? == DumpFormat::Other {
        return Err(DbError::Archive {
            path: archive.to_path_buf(),
            detail: "its dump is not in pg_dump's custom or tar format, which pg_restore needs (a plain SQL dump is restored with psql)".into(),
        });
    }
    run_pg_restore(&program, &dump, url)
}

fn run_pg_restore(program: &Path, dump: &Path, url: &DatabaseUrl) -> Result<DumpRestored, DbError> {
    let mut command = Command::new(program);
    crate::secret::without_secrets(&mut command)
        .arg("--clean")
        .arg("--if-exists")
        .arg("--no-owner")
        .arg("--no-acl")
        .arg("--exit-on-error")
        .arg(format!("--dbname={}", url.without_password))
        .arg(dump)
        .env_remove("PGPASSWORD")
        // Nobody may be asked for a password on a terminal mid-restore.
        .stdin(std::process::Stdio::null());
    if let Some(password) = &url.password {
        command.env("PGPASSWORD", password.expose());
    }
    let started = std::time::Instant::now();
    let output = command.output();
    // Never its arguments: they name the database, its user and host.
    tracing::debug!(
        target: "pg",
        program = %program.display(),
        exit = %output.as_ref().map_or_else(|_| "could not start".to_string(), |o| o.status.to_string()),
        ms = started.elapsed().as_millis() as u64,
        "ran"
    );
    let output = output.map_err(|source| DbError::Io {
        action: "run",
        path: program.to_path_buf(),
        source,
    })?;
    let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if let Some(password) = url.password.as_ref().filter(|p| !p.is_empty()) {
        stderr = stderr.replace(password.expose(), "[redacted]");
    }
    let dump_name = dump
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !output.status.success() {
        return Err(DbError::PgRestoreFailed {
            status: output.status.to_string(),
            target: url.shown.clone(),
            stderr: stderr.trim().to_string(),
        });
    }
    Ok(DumpRestored {
        dump_name,
        warnings: stderr.trim().to_string(),
    })
}

/// A private folder under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, DbError> {
        use std::os::unix::fs::DirBuilderExt;
        let suffix: u64 = rand::random();
        let path = std::env::temp_dir().join(format!("rewind-restore-{suffix:016x}"));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|source| DbError::Io {
                action: "create the folder",
                path: path.clone(),
                source,
            })?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
