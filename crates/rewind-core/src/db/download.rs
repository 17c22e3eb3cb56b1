//! Downloads a backup archive from its one-time URL (a secret: it is never
//! shown, and errors describe the failure without it), hashing it on the
//! way (SHA-256) and checking its size against the one the API announced.
//! A body that ends short of its `Content-Length` is a failed attempt (the
//! HTTP client reads no further than it, and calls a shorter body an error).
//!
//! The archive is written in a folder beside the destination's (see
//! [`partial_path`]) and moved into place only when complete, so the
//! backups folder never holds half an archive. A failed attempt (HTTP 5xx
//! or 429, a lost connection, a body cut short) is tried again with a
//! fresh URL (they are single-use): resumed with a `Range` request when
//! the server honours it (`206` from the right byte), else started again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::interrupt::Interrupt;
use crate::platform::scalingo::RetryPolicy;
use crate::secret::Secret;

use super::DbError;

/// A downloaded archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Archive {
    pub path: PathBuf,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// The size the API announced, when it differs from the bytes received
    /// and the archive still reads whole to its end: kept, and said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announced_size: Option<u64>,
}

/// Where an archive is written until complete: in a hidden folder beside
/// the destination's folder (`backups/.shop.partial/` for
/// `backups/shop/`), never in the destination's folder itself.
pub fn partial_path(dest: &Path) -> PathBuf {
    let file = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty());
    match dir.and_then(|d| Some((d.parent()?, d.file_name()?))) {
        Some((parent, name)) => parent
            .join(format!(".{}.partial", name.to_string_lossy()))
            .join(file),
        None => dest.with_file_name(format!(".{file}.partial")),
    }
}

/// Downloads to `dest` from the URLs `next_url` hands out (one per
/// attempt: they are single-use). `expected_size`, when the API gave one,
/// must match.
pub fn download(
    next_url: &mut dyn FnMut() -> Result<Secret, DbError>,
    dest: &Path,
    expected_size: Option<u64>,
    interrupt: &Interrupt,
) -> Result<Archive, DbError> {
    download_with(
        next_url,
        dest,
        expected_size,
        interrupt,
        RetryPolicy::default(),
    )
}

/// [`download`] with the retry policy given (tests make it fast).
pub fn download_with(
    next_url: &mut dyn FnMut() -> Result<Secret, DbError>,
    dest: &Path,
    expected_size: Option<u64>,
    interrupt: &Interrupt,
    retry: RetryPolicy,
) -> Result<Archive, DbError> {
    let part = partial_path(dest);
    for dir in [dest.parent(), part.parent()].into_iter().flatten() {
        if dir.as_os_str().is_empty() {
            continue;
        }
        private_dir(dir).map_err(|source| DbError::Io {
            action: "create the folder",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // Nothing in Scalingo's sources says a backup's `size` is its archive's
    // byte count. A difference alone proves nothing: an archive that reads
    // whole (gzip and tar to their ends) is kept and the difference said;
    // one that does not is a cut download, fetched once more.
    let mut announced_size = None;
    let mut attempts_left = 2;
    let (size, sha256) = loop {
        attempts_left -= 1;
        let (size, sha256) = match fetch(next_url, &part, interrupt, retry) {
            Ok(done) => done,
            Err(e) => {
                discard(&part);
                return Err(e);
            }
        };
        match expected_size.filter(|&e| e > 0 && e != size) {
            None => break (size, sha256),
            Some(expected) if super::archive::reads_whole(&part) => {
                announced_size = Some(expected);
                break (size, sha256);
            }
            Some(expected) if attempts_left == 0 => {
                discard(&part);
                return Err(DbError::SizeMismatch {
                    path: dest.to_path_buf(),
                    expected,
                    got: size,
                });
            }
            Some(_) => {}
        }
    };
    std::fs::rename(&part, dest).map_err(|source| DbError::Io {
        action: "write",
        path: dest.to_path_buf(),
        source,
    })?;
    if let Some(dir) = part.parent() {
        // Only when empty: another download may be on its way there.
        let _ = std::fs::remove_dir(dir);
    }
    Ok(Archive {
        path: dest.to_path_buf(),
        size,
        sha256,
        announced_size,
    })
}

/// A dump holds the production's personal data: the folders rewind makes
/// for it are the user's alone (0700), and so are its files (0600, set
/// when the file is created). A folder that exists already keeps its
/// mode: it is the person's choice.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn discard(part: &Path) {
    let _ = std::fs::remove_file(part);
    if let Some(dir) = part.parent() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// What is written so far: its length and hash, kept across attempts so a
/// resumed download does not read the file back.
struct Progress {
    file: File,
    size: u64,
    hasher: Sha256,
}

impl Progress {
    fn restart(&mut self, path: &Path) -> Result<(), DbError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)).map(drop))
            .map_err(|e| io_error("write", path, e))?;
        self.size = 0;
        self.hasher = Sha256::new();
        Ok(())
    }
}

/// One failed attempt: worth another, or not.
enum Failure {
    Transient(String),
    Final(DbError),
}

fn fetch(
    next_url: &mut dyn FnMut() -> Result<Secret, DbError>,
    part: &Path,
    interrupt: &Interrupt,
    retry: RetryPolicy,
) -> Result<(u64, String), DbError> {
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(part)
        .map_err(|e| io_error("create", part, e))?;
    let mut progress = Progress {
        file,
        size: 0,
        hasher: Sha256::new(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        // No limit on the body: an archive of several gigabytes takes its
        // time, and a broken connection ends the read anyway.
        .build()
        .into();
    let attempts = retry.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        let url = next_url()?;
        match attempt_once(&agent, &url, part, &mut progress, interrupt) {
            Ok(()) => break,
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Transient(detail)) if attempt >= attempts => {
                return Err(DbError::Download {
                    detail: format!("{detail} (tried {attempts} times)"),
                });
            }
            Err(Failure::Transient(_)) => {
                if interrupt.sleep(retry.delay(attempt)) {
                    return Err(interrupted());
                }
                attempt += 1;
            }
        }
    }
    progress
        .file
        .sync_all()
        .map_err(|e| io_error("write", part, e))?;
    Ok((progress.size, hex(&progress.hasher.finalize())))
}

fn attempt_once(
    agent: &ureq::Agent,
    url: &Secret,
    part: &Path,
    progress: &mut Progress,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let mut request = agent.get(url.expose());
    if progress.size > 0 {
        request = request.header("Range", format!("bytes={}-", progress.size));
    }
    // The log names the host only: the URL carries the download's token.
    let host = crate::redact::url_host(url.expose());
    let started = std::time::Instant::now();
    let response = request.call().map_err(|e| {
        let error = describe(&e);
        let ms = started.elapsed().as_millis() as u64;
        tracing::debug!(target: "http", method = "GET", host = %host, from_byte = progress.size, ms, %error, "backup download: no answer");
        Failure::Transient(error)
    })?;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    tracing::debug!(target: "http", method = "GET", host = %host, from_byte = progress.size, status, ms, "backup download answered");
    match status {
        206 => {
            let from = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(range_start);
            if from != Some(progress.size) {
                // Not the bytes asked for: take nothing from this answer.
                progress.restart(part).map_err(Failure::Final)?;
                return Err(Failure::Transient(
                    "the download server sent another range than asked".into(),
                ));
            }
        }
        200..=299 => progress.restart(part).map_err(Failure::Final)?,
        408 | 429 | 500..=599 => {
            return Err(Failure::Transient(format!(
                "the download server answered HTTP {status}"
            )));
        }
        _ => {
            return Err(Failure::Final(DbError::Download {
                detail: format!("the download server answered HTTP {status}"),
            }));
        }
    }
    write_hashed(
        response.into_body().into_reader(),
        part,
        progress,
        interrupt,
    )
}

/// `bytes 100-199/200` -> 100.
fn range_start(value: &str) -> Option<u64> {
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

fn write_hashed(
    mut body: impl Read,
    path: &Path,
    progress: &mut Progress,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if interrupt.is_raised() {
            return Err(Failure::Final(interrupted()));
        }
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::Transient(format!(
                    "the connection broke after {} bytes ({})",
                    progress.size,
                    e.kind()
                )));
            }
        };
        progress
            .file
            .write_all(&buf[..n])
            .map_err(|e| Failure::Final(io_error("write", path, e)))?;
        progress.hasher.update(&buf[..n]);
        progress.size += n as u64;
    }
}

fn interrupted() -> DbError {
    DbError::Interrupted {
        what: "downloading the backup archive".into(),
    }
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> DbError {
    DbError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// SHA-256 of a file, as the journal records it.
pub fn sha256_file(path: &Path) -> Result<String, DbError> {
    let mut file = File::open(path).map_err(|source| DbError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|source| DbError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// ureq's error without the URL (which carries the download token).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "the download server did not answer in time".into(),
        ureq::Error::HostNotFound => "the download host was not found".into(),
        ureq::Error::ConnectionFailed => "cannot connect to the download server".into(),
        ureq::Error::Io(io) => format!("network error ({})", io.kind()),
        ureq::Error::Tls(_) => "TLS error with the download server".into(),
        _ => "the request to the download server failed".into(),
    }
}

/// A file name made from a backup's name: letters, digits, `.`, `_` and
/// `-` only, so that nothing from the API can choose another folder.
pub fn archive_file_name(backup_name: Option<&str>, backup_id: &str) -> String {
    let base = backup_name.filter(|n| !n.is_empty()).unwrap_or(backup_id);
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.');
    let clean = if clean.is_empty() { "backup" } else { clean };
    if clean.ends_with(".tar.gz") {
        clean.to_string()
    } else {
        format!("{clean}.tar.gz")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_archives_live_beside_the_backups_folder() {
        assert_eq!(
            partial_path(Path::new("/j/backups/shop/b1.tar.gz")),
            Path::new("/j/backups/.shop.partial/b1.tar.gz")
        );
        assert_eq!(
            partial_path(Path::new("b1.tar.gz")),
            Path::new(".b1.tar.gz.partial")
        );
    }

    #[test]
    fn content_range_gives_the_first_byte() {
        assert_eq!(range_start("bytes 100-199/200"), Some(100));
        assert_eq!(range_start("bytes 0-9/*"), Some(0));
        assert_eq!(range_start("items 1-2"), None);
    }
}
