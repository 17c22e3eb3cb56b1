//! Downloads a backup archive from its one-time URL (a secret: it is never
//! shown, and errors describe the failure without it), to a `.part` file
//! renamed once complete, hashing it on the way (SHA-256) and checking its
//! size against the one the API announced.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::interrupt::Interrupt;
use crate::secret::Secret;

use super::DbError;

/// A downloaded archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Archive {
    pub path: PathBuf,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// Downloads `url` to `dest`. `expected_size`, when the API gave one,
/// must match.
pub fn download(
    url: &Secret,
    dest: &Path,
    expected_size: Option<u64>,
    interrupt: &Interrupt,
) -> Result<Archive, DbError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .build()
        .into();
    let response = agent
        .get(url.expose())
        .call()
        .map_err(|e| DbError::Download {
            detail: describe(&e),
        })?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(DbError::Download {
            detail: format!("the download server answered HTTP {status}"),
        });
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::Io {
            action: "create the folder",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let part = dest.with_extension("part");
    let result = write_hashed(response.into_body().into_reader(), &part, interrupt);
    let (size, sha256) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    if let Some(expected) = expected_size.filter(|&e| e > 0 && e != size) {
        let _ = std::fs::remove_file(&part);
        return Err(DbError::SizeMismatch {
            path: dest.to_path_buf(),
            expected,
            got: size,
        });
    }
    std::fs::rename(&part, dest).map_err(|source| DbError::Io {
        action: "write",
        path: dest.to_path_buf(),
        source,
    })?;
    Ok(Archive {
        path: dest.to_path_buf(),
        size,
        sha256,
    })
}

fn write_hashed(
    mut body: impl Read,
    path: &Path,
    interrupt: &Interrupt,
) -> Result<(u64, String), DbError> {
    let io = |action, source| DbError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::create(path).map_err(|e| io("create", e))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if interrupt.is_raised() {
            return Err(DbError::Interrupted {
                what: "downloading the backup archive".into(),
            });
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(DbError::Download {
                    detail: format!("the connection broke after {size} bytes ({})", e.kind()),
                });
            }
        };
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(|e| io("write", e))?;
        size += n as u64;
    }
    file.sync_all().map_err(|e| io("write", e))?;
    Ok((size, hex(&hasher.finalize())))
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
