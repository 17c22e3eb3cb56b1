//! Archive deploys' code: fetching the `.tar.gz` at `source_url` and reading
//! the build's files from its single top-level folder. The sandbox never
//! leaves the machine: it fetches `file://` URLs and `http://` URLs on
//! 127.0.0.1 / localhost only.

use std::io::Read;
use std::time::Duration;

use flate2::read::GzDecoder;

use crate::deploy::source::{OUTCOME_FILE, Outcome, Package, Source};

/// Archives larger than this are refused: a sandbox app is small.
const MAX_ARCHIVE: u64 = 64 * 1024 * 1024;

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Where an archive can be fetched from.
#[derive(Debug, Clone)]
pub enum ArchiveUrl {
    File(std::path::PathBuf),
    Loopback(String),
}

/// Checks that `url` is one the sandbox may fetch.
pub fn check_url(url: &str) -> Result<ArchiveUrl, String> {
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err("is a file:// URL without a path".to_string());
        }
        return Ok(ArchiveUrl::File(path.into()));
    }
    let refused = || {
        format!(
            "must be a file:// URL or an http:// URL on 127.0.0.1 or localhost: \
             the sandbox does not reach other hosts (got `{url}`)"
        )
    };
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(refused());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(refused());
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if matches!(host, "127.0.0.1" | "localhost" | "::1") {
        Ok(ArchiveUrl::Loopback(url.to_string()))
    } else {
        Err(refused())
    }
}

/// Fetches the archive's bytes. Blocking: call through `spawn_blocking`.
pub fn fetch(url: &ArchiveUrl) -> Result<Vec<u8>, String> {
    match url {
        ArchiveUrl::File(path) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if meta.len() > MAX_ARCHIVE {
                return Err(format!(
                    "{} is larger than {MAX_ARCHIVE} bytes",
                    path.display()
                ));
            }
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        ArchiveUrl::Loopback(url) => fetch_http(url),
    }
}

fn fetch_http(url: &str) -> Result<Vec<u8>, String> {
    // No redirects: a redirect could lead off the machine.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .timeout_global(Some(FETCH_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("fetching {url} answered HTTP {}", status.as_u16()));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_ARCHIVE)
        .read_to_vec()
        .map_err(|e| format!("cannot read the body of {url}: {e}"))
}

/// Reads the build's files from a `.tar.gz` holding one top-level folder.
pub fn read_source(bytes: &[u8], app: &str) -> Result<Source, String> {
    let mut archive = tar::Archive::new(GzDecoder::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| format!("is not a .tar.gz archive: {e}"))?;
    let mut top: Option<String> = None;
    let mut package_json: Option<String> = None;
    let mut outcome: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("is not a readable .tar.gz archive: {e}"))?;
        let kind = entry.header().entry_type();
        // `git archive` writes a global pax header first; it is metadata.
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| format!("has an unreadable path: {e}"))?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if path.is_empty() {
            continue;
        }
        let (first, inner) = match path.split_once('/') {
            Some((first, inner)) => (first.to_string(), inner.trim_end_matches('/')),
            None if kind.is_dir() => (path.clone(), ""),
            None => {
                return Err(format!(
                    "must hold one top-level folder, but `{path}` is a file at the top"
                ));
            }
        };
        match &top {
            Some(existing) if *existing != first => {
                return Err(format!(
                    "must hold one top-level folder, but has `{existing}` and `{first}`"
                ));
            }
            Some(_) => {}
            None => top = Some(first),
        }
        let wanted = match inner {
            "package.json" => &mut package_json,
            OUTCOME_FILE => &mut outcome,
            _ => continue,
        };
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .map_err(|e| format!("has an unreadable {inner}: {e}"))?;
        *wanted = Some(text);
    }
    if top.is_none() {
        return Err("is an empty archive".to_string());
    }
    Ok(Source {
        package: package_json.and_then(|text| Package::parse(&text, app)),
        outcome: outcome.map(|t| Outcome::parse(&t)).unwrap_or_default(),
    })
}
