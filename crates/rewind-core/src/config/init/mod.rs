//! `rewind init`: writes a first `rewind.toml` at the repository root from
//! what the repository shows (git remote, release-please files, package
//! name, tags, migration folders), checks that it loads, and says what it
//! found. It never overwrites a file unless asked to.

mod detect;
mod release_please;
mod render;
mod repo;

use std::io;
use std::path::{Path, PathBuf};

pub use detect::{DetectedApp, Detection, FormatCheck, NameSource};
pub use render::render;

use super::{Config, ConfigError, FILE_NAME};
use crate::git::GitError;

/// Why `rewind init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} is not inside a git repository: rewind finds releases through git tags", dir.display())]
    NotARepository {
        dir: PathBuf,
        #[source]
        source: GitError,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot understand {}: {detail}", path.display())]
    ReleasePlease { path: PathBuf, detail: String },
    #[error(
        "`{0}` is not a Scalingo app name: expected lowercase letters, digits and dashes, starting with a letter"
    )]
    BadAppName(String),
    #[error(
        "--app {name} names one app, but this repository releases {} packages ({})",
        components.len(),
        components.join(", ")
    )]
    SeveralApps {
        name: String,
        components: Vec<String>,
    },
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The generated file does not load: a bug in `rewind init` itself,
    /// caught before anything is written.
    #[error("the generated rewind.toml does not load, nothing was written: {0}")]
    Generated(#[source] ConfigError),
}

/// What `rewind init` was asked.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// A directory inside the repository.
    pub dir: PathBuf,
    /// The Scalingo app name, when known.
    pub app: Option<String>,
    /// Replace an existing `rewind.toml`.
    pub force: bool,
}

/// What `rewind init` did.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    pub path: PathBuf,
    pub detection: Detection,
    /// Whether an existing file was replaced.
    pub replaced: bool,
}

impl Detection {
    /// What a person should look at before trusting the file.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.remote_found {
            warnings.push(format!(
                "no git remote found; `remote = \"{}\"` assumes one will be added",
                self.remote
            ));
        }
        for app in &self.apps {
            if let FormatCheck::NoMatch(tags) = &app.format_check {
                let component = app
                    .component
                    .as_deref()
                    .map(|c| format!(" with component \"{c}\""))
                    .unwrap_or_default();
                warnings.push(format!(
                    "app {}: no existing tag matches tag_format \"{}\"{component} (newest tags: {}); edit tag_format",
                    app.name,
                    app.tag_format,
                    tags.join(", ")
                ));
            }
        }
        warnings
    }
}

/// Detects, renders, checks and writes `rewind.toml`.
pub fn init(options: &InitOptions) -> Result<InitOutcome, InitError> {
    let detection = detect::detect(&options.dir, options.app.as_deref())?;
    let path = detection.root.join(FILE_NAME);
    let replaced = path.exists();
    if replaced && !options.force {
        return Err(InitError::Exists { path });
    }
    let text = render(&detection);
    Config::parse(&text, &path).map_err(InitError::Generated)?;
    write(&path, &text, options.force)?;
    Ok(InitOutcome {
        path,
        detection,
        replaced,
    })
}

/// Without `force`, the file is created only if still absent, so a file
/// that appeared since the check is not lost either.
fn write(path: &Path, text: &str, force: bool) -> Result<(), InitError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let result = options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(InitError::Exists {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(InitError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}
