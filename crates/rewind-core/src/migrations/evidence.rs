//! The migration evidence between two releases: which migration files
//! changed from one tag to the other, each classified, and the verdict for
//! the whole release. `rollback`'s plan, `db restore`'s plan and the
//! decision tree's database question all read it.

use serde::Serialize;

use super::class::{Class, Reason};
use super::code::{Language, classify_code};
use super::sql::classify_sql;
use crate::git::{ChangeStatus, Git, GitError};

/// What the release changed in the database, as far as its migration files
/// tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No migration file changed.
    NoMigrations,
    /// Every change only adds: going back to the previous release leaves
    /// its data usable; no restore needed for the schema's sake.
    Additive,
    /// Some change cannot be judged: look at it before deciding.
    Unknown,
    /// Something was dropped, renamed, retyped or rewritten: the previous
    /// release may not run on this database; restoring it is likely needed.
    Destructive,
}

impl Verdict {
    fn of(class: Option<Class>) -> Verdict {
        match class {
            None => Verdict::NoMigrations,
            Some(Class::Additive) => Verdict::Additive,
            Some(Class::Unknown) => Verdict::Unknown,
            Some(Class::Destructive) => Verdict::Destructive,
        }
    }

    /// One sentence for a person.
    pub fn describe(&self) -> &'static str {
        match self {
            Verdict::NoMigrations => "no migration changed between the two releases",
            Verdict::Additive => {
                "migrations only add to the schema: the previous release can run on this database"
            }
            Verdict::Unknown => {
                "some migrations cannot be judged: read them before deciding whether to restore the database"
            }
            Verdict::Destructive => {
                "migrations drop, rename or rewrite data: the previous release may not run on this database without a restore"
            }
        }
    }
}

/// One migration file that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationFile {
    pub path: String,
    /// added, modified or deleted.
    pub change: &'static str,
    pub class: Class,
    /// The statements or calls that gave the class.
    pub reasons: Vec<Reason>,
}

/// A changed file in a migration folder that is not a migration rewind
/// reads (a lock file, a README, a `down` script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub why: &'static str,
}

/// Everything [`evidence`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationEvidence {
    pub from: String,
    pub to: String,
    /// The folders searched.
    pub paths: Vec<String>,
    pub files: Vec<MigrationFile>,
    pub skipped: Vec<SkippedFile>,
    pub verdict: Verdict,
}

impl MigrationEvidence {
    /// The files of the verdict's class (what to show first).
    pub fn decisive_files(&self) -> impl Iterator<Item = &MigrationFile> {
        let worst = self.files.iter().map(|f| f.class).max();
        self.files.iter().filter(move |f| Some(f.class) == worst)
    }
}

/// The migration files changed from `from_tag` to `to_tag` under `paths`,
/// classified from their content at `to_tag`.
pub fn evidence(
    git: &dyn Git,
    from_tag: &str,
    to_tag: &str,
    paths: &[String],
) -> Result<MigrationEvidence, GitError> {
    let pathspecs: Vec<&str> = paths.iter().map(String::as_str).collect();
    // Without folders there is nothing to search: an empty pathspec list
    // would mean the whole repository.
    let changed = if pathspecs.is_empty() {
        Vec::new()
    } else {
        git.changed_files(from_tag, to_tag, &pathspecs)?
    };
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for file in changed {
        let path = file.path.clone();
        let kind = kind_of(&path);
        let change = match file.status {
            ChangeStatus::Added => "added",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Deleted => "deleted",
        };
        let (class, reasons) = match kind {
            Kind::Skip(why) => {
                skipped.push(SkippedFile { path, why });
                continue;
            }
            _ if file.status == ChangeStatus::Deleted => (
                Class::Unknown,
                vec![Reason {
                    line: 1,
                    what:
                        "the migration file was deleted: the schema it made may be relied on or not"
                            .to_string(),
                    source: String::new(),
                }],
            ),
            Kind::Sql => classify_sql(&content(git, to_tag, &path)?),
            Kind::Code(language) => classify_code(&content(git, to_tag, &path)?, language),
            Kind::Other => (
                Class::Unknown,
                vec![Reason {
                    line: 1,
                    what: "a migration in a language rewind does not read".to_string(),
                    source: String::new(),
                }],
            ),
        };
        files.push(MigrationFile {
            path,
            change,
            class,
            reasons,
        });
    }
    let verdict = Verdict::of(files.iter().map(|f| f.class).max());
    Ok(MigrationEvidence {
        from: from_tag.to_string(),
        to: to_tag.to_string(),
        paths: paths.to_vec(),
        files,
        skipped,
        verdict,
    })
}

fn content(git: &dyn Git, rev: &str, path: &str) -> Result<String, GitError> {
    Ok(git.show_file(rev, path)?.unwrap_or_default())
}

enum Kind {
    Sql,
    Code(Language),
    Other,
    Skip(&'static str),
}

fn kind_of(path: &str) -> Kind {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.ends_with(".down.sql") || name == "down.sql" || name.ends_with("_down.sql") {
        return Kind::Skip("a down script: it undoes a migration and is not run on deploy");
    }
    if name.ends_with(".sql") {
        return Kind::Sql;
    }
    if let Some(language) = Language::of_path(&name) {
        return Kind::Code(language);
    }
    const NOT_MIGRATIONS: [&str; 9] = [
        ".md", ".txt", ".toml", ".json", ".yml", ".yaml", ".lock", ".keep", ".gitkeep",
    ];
    if NOT_MIGRATIONS.iter().any(|ext| name.ends_with(ext)) || name.starts_with('.') {
        return Kind::Skip("not a migration file");
    }
    if name.ends_with(".py") || name.ends_with(".go") || name.ends_with(".php") {
        return Kind::Other;
    }
    Kind::Skip("not a migration file")
}
