//! One check's result (its id, level, what was found and what to do), and
//! the list a doctor run fills, which knows what failed before so that
//! checks depending on it are skipped instead of failing again.

use serde::Serialize;

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Ready for the bad night.
    Ok,
    /// Works, with a gap worth closing.
    Warn,
    /// A rollback would fail or lose something here.
    Fail,
    /// Not checked: a check it depends on failed, or it does not apply.
    Skip,
}

impl Level {
    /// The word a person reads at the start of the line.
    pub fn label(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
            Level::Skip => "skip",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier (`git.tags`, `db.backup`), documented in
    /// docs/doctor.md.
    pub id: &'static str,
    /// The app it is about; `None` for the configuration and the account.
    pub app: Option<String>,
    pub level: Level,
    /// What was found.
    pub detail: String,
    /// What to do, for a warning or a failure.
    pub fix: Option<String>,
}

/// The checks of one part of a run, in order.
#[derive(Debug, Default)]
pub struct Checks {
    app: Option<String>,
    pub(crate) list: Vec<Check>,
}

impl Checks {
    pub(crate) fn for_app(app: Option<&str>) -> Checks {
        Checks {
            app: app.map(str::to_string),
            list: Vec::new(),
        }
    }

    fn push(&mut self, id: &'static str, level: Level, detail: String, fix: Option<String>) {
        self.list.push(Check {
            id,
            app: self.app.clone(),
            level,
            detail,
            fix,
        });
    }

    pub(crate) fn ok(&mut self, id: &'static str, detail: impl Into<String>) {
        self.push(id, Level::Ok, detail.into(), None);
    }

    pub(crate) fn warn(
        &mut self,
        id: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(id, Level::Warn, detail.into(), Some(fix.into()));
    }

    pub(crate) fn fail(
        &mut self,
        id: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(id, Level::Fail, detail.into(), Some(fix.into()));
    }

    pub(crate) fn skip(&mut self, id: &'static str, why: impl Into<String>) {
        self.push(id, Level::Skip, why.into(), None);
    }

    /// Whether check `id` ran and failed (skipped counts as not passed).
    pub(crate) fn blocked(&self, id: &str) -> bool {
        self.list
            .iter()
            .any(|c| c.id == id && matches!(c.level, Level::Fail | Level::Skip))
    }

    pub fn into_vec(self) -> Vec<Check> {
        self.list
    }
}

/// The first hint of an error, or `fallback`.
pub(crate) fn first_hint(hints: Vec<String>, fallback: &str) -> String {
    hints
        .into_iter()
        .next()
        .unwrap_or_else(|| fallback.to_string())
}
