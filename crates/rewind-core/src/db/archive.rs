//! Opening a backup archive: a `.tar.gz` holding one dump file. Only that
//! file is written, under a name rewind chooses, so an archive cannot
//! place files anywhere else.

use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::DbError;

/// What kind of dump a file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// `pg_dump -Fc`: starts with `PGDMP`.
    Custom,
    /// `pg_dump -Ft`: a tar file.
    Tar,
    /// Anything else (a plain SQL text dump, a simulated one).
    Other,
}

/// Whether `archive` is a `.tar.gz` that reads to its end: every entry,
/// every byte, and gzip's own check. A download cut short fails here.
pub(crate) fn reads_whole(archive: &Path) -> bool {
    let Ok(file) = std::fs::File::open(archive) else {
        return false;
    };
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let Ok(entries) = tar.entries() else {
        return false;
    };
    let mut files = 0;
    for entry in entries {
        let Ok(mut entry) = entry else {
            return false;
        };
        if std::io::copy(&mut entry, &mut std::io::sink()).is_err() {
            return false;
        }
        files += 1;
    }
    // The rest of the gzip stream (tar's end blocks and the trailer with
    // its checksum) must read too.
    let mut rest = tar.into_inner();
    files > 0 && std::io::copy(&mut rest, &mut std::io::sink()).is_ok()
}

/// Extracts the one dump file of `archive` into `dir`; returns its path.
pub fn extract_dump(archive: &Path, dir: &Path) -> Result<PathBuf, DbError> {
    let bad = |detail: String| DbError::Archive {
        path: archive.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(archive).map_err(|source| DbError::Io {
        action: "read",
        path: archive.to_path_buf(),
        source,
    })?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let entries = tar
        .entries()
        .map_err(|e| bad(format!("not a .tar.gz ({e})")))?;
    let mut found: Option<PathBuf> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("not a .tar.gz ({e})")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        if found.is_some() {
            return Err(bad("it holds more than one file".into()));
        }
        let name = entry
            .path()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "dump".to_string());
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dest = dir.join(name.trim_start_matches('.'));
        let mut out = std::fs::File::create(&dest).map_err(|source| DbError::Io {
            action: "write",
            path: dest.clone(),
            source,
        })?;
        std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("cannot be read ({e})")))?;
        found = Some(dest);
    }
    found.ok_or_else(|| bad("it holds no file".into()))
}

/// The dump's format, from its first bytes.
pub fn dump_format(dump: &Path) -> Result<DumpFormat, DbError> {
    use std::io::Read;
    let mut head = [0u8; 512];
    let mut file = std::fs::File::open(dump).map_err(|source| DbError::Io {
        action: "read",
        path: dump.to_path_buf(),
        source,
    })?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(source) => {
                return Err(DbError::Io {
                    action: "read",
                    path: dump.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(if head[..n].starts_with(b"PGDMP") {
        DumpFormat::Custom
    } else if n >= 262 && &head[257..262] == b"ustar" {
        DumpFormat::Tar
    } else {
        DumpFormat::Other
    })
}
