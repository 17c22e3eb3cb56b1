//! `rewind report ID`: an incident told for a ticket or a postmortem, from
//! the journal alone: who, when, from which release to which and why, what
//! the rollback removed, each step with its duration, the deployments, and
//! how it ended. As Markdown for people, or as JSON.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::journal::{EntryKind, Incident, IncidentState, StepState};

use super::database::DatabaseChoice;
use super::facts::Facts;
use super::plan::{Plan, Removed};

#[derive(Debug, Clone, Serialize)]
pub struct ReportStep {
    pub id: String,
    pub title: Option<String>,
    pub state: StepState,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub detail: Option<String>,
    pub error: Option<String>,
}

/// What a rollback did to the database, from its plan and its facts.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    /// undecided, with-db or no-db.
    pub choice: DatabaseChoice,
    /// The migration evidence's verdict, when known.
    pub migrations: Option<String>,
    /// What `--no-db` left in place.
    pub statement: Option<String>,
    pub addon_id: Option<String>,
    /// The time the plan restores to.
    pub restore_to: Option<DateTime<Utc>>,
    pub backup_id: Option<String>,
    pub backup_archive: Option<String>,
    pub backup_size: Option<u64>,
    pub backup_sha256: Option<String>,
    pub restore_operation_id: Option<String>,
    /// Set once the restore finished well.
    pub restored_to: Option<DateTime<Utc>>,
}

fn database_report(plan: Option<&Plan>, incident: &Incident) -> Option<DatabaseReport> {
    let database = plan?.database.as_ref()?;
    let facts = Facts::of(incident);
    let restore = database.restore.as_ref();
    Some(DatabaseReport {
        choice: database.choice,
        migrations: database.migrations.as_ref().map(|m| m.verdict.clone()),
        statement: database.statement.clone(),
        addon_id: restore.map(|r| r.addon_id.clone()),
        restore_to: restore.map(|r| r.restore_to),
        backup_id: facts.backup_id,
        backup_archive: facts.backup_archive,
        backup_size: facts.backup_size,
        backup_sha256: facts.backup_sha256,
        restore_operation_id: facts.restore_operation_id,
        restored_to: facts.restored_to,
    })
}

/// What a restore did to the data, from the journal's restore record:
/// the restore point, the writes it lost (those of the good release inside
/// the margin included), the safety backup, and how to get rows back.
#[derive(Debug, Clone, Serialize)]
pub struct DataReport {
    pub restore_to: DateTime<Utc>,
    pub bad_label: Option<String>,
    pub bad_deployment_id: String,
    pub bad_created_at: Option<DateTime<Utc>>,
    /// When the restore was asked for: the writes lost end about then.
    pub requested_at: DateTime<Utc>,
    pub backup: Option<String>,
    pub backup_sha256: Option<String>,
}

impl DataReport {
    fn lines(&self, app: &str) -> Vec<String> {
        let bad = self.bad_label.as_deref().unwrap_or("the bad release");
        let mut out = vec![format!(
            "**Restore point**: {}, just before {bad} (deployment {})",
            time(&self.restore_to),
            self.bad_deployment_id
        )];
        out.push(format!(
            "**Writes lost**: every write made between {} and the restore, asked for at {} ({})",
            time(&self.restore_to),
            time(&self.requested_at),
            crate::db::about(self.requested_at - self.restore_to)
        ));
        if let Some(created) = self.bad_created_at.filter(|c| *c > self.restore_to) {
            out.push(format!(
                "**Good writes lost too**: those between {} and {} were made under the release before {bad} (the restore margin), and are gone as well",
                time(&self.restore_to),
                time(&created)
            ));
        }
        match (&self.backup, &self.backup_sha256) {
            (Some(path), sha) => {
                let mut text = format!("**Safety backup**: `{path}`");
                if let Some(sha) = sha {
                    text.push_str(&format!(", sha256 `{sha}`"));
                }
                out.push(text);
                out.push(format!(
                    "**Getting lost rows back**: load the safety backup into a scratch database (never production), then copy the rows you need: `REWIND_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/scratch rewind db restore {app} --from-file {path}` (see docs/database.md, \"Getting lost writes back\")"
                ));
            }
            (None, _) => out.push(
                "**Safety backup**: none recorded: the lost writes can only come back from the addon's own backups".into(),
            ),
        }
        out
    }
}

/// A question of the decision tree and its answer, as the journal has it.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    pub question: String,
    pub text: Option<String>,
    pub answer: String,
    pub label: Option<String>,
    /// Where the answer came from: prompt, --answer, --yes...
    pub source: Option<String>,
    pub suggested: Option<String>,
    /// The evidence shown with the question, in words.
    pub evidence: Vec<String>,
}

fn decisions(incident: &Incident) -> Vec<DecisionReport> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Answer)
        .map(|e| {
            let d = &e.data;
            let items = match &d["evidence"] {
                Value::Array(items) => items.clone(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            };
            let evidence = items.iter().flat_map(evidence_lines).collect();
            DecisionReport {
                question: text(&d["question"]).unwrap_or_default(),
                text: text(&d["text"]),
                answer: text(&d["answer"]).unwrap_or_default(),
                label: text(&d["label"]),
                source: text(&d["source"]),
                suggested: match &d["suggested"] {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(plain(other)),
                },
                evidence,
            }
        })
        .collect()
}

/// A probe's evidence as the person saw it: its lines, when it has them.
fn evidence_lines(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(map) => match map.get("lines") {
            Some(Value::Array(lines)) => lines
                .iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                .collect(),
            _ => vec![plain(v)],
        },
        other => vec![plain(other)],
    }
}

/// One dated line of the timeline (notes, interruptions, resumptions).
#[derive(Debug, Clone, Serialize)]
pub struct TimelineNote {
    pub at: DateTime<Utc>,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub incident: String,
    pub app: String,
    pub command: String,
    pub user: Option<String>,
    /// The platform account the token belonged to, when it said.
    pub platform_user: Option<String>,
    pub reason: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// succeeded, failed, interrupted, open...
    pub outcome: String,
    pub method: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub removed: Option<Removed>,
    pub database: Option<DatabaseReport>,
    pub warnings: Vec<String>,
    pub steps: Vec<ReportStep>,
    pub deployments: Vec<String>,
    pub marked_bad: Vec<String>,
    pub notes: Vec<TimelineNote>,
    /// What a restore did to the data, when the incident made one.
    pub data: Option<DataReport>,
    /// The decision tree's questions and answers (a guide incident).
    pub decisions: Vec<DecisionReport>,
}

/// The report of one incident.
pub fn report(incident: &Incident) -> Report {
    let opening = &incident.opening;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let plan: Option<Plan> = serde_json::from_value(opening["plan"].clone()).ok();
    let titles = |id: &str| {
        plan.as_ref()
            .and_then(|p| p.steps.iter().find(|s| s.id.as_str() == id))
            .map(|s| s.title.clone())
    };
    let steps: Vec<ReportStep> = incident
        .steps
        .iter()
        .map(|s| ReportStep {
            id: s.id.clone(),
            title: titles(&s.id),
            state: s.state,
            started_at: s.started_at,
            ended_at: s.ended_at,
            duration_ms: s
                .started_at
                .zip(s.ended_at)
                .map(|(a, b)| (b - a).num_milliseconds()),
            detail: text(&s.data["detail"]),
            error: text(&s.data["error"]),
        })
        .collect();
    let mut deployments: Vec<String> = Vec::new();
    let mut marked_bad = Vec::new();
    let mut notes = Vec::new();
    for entry in &incident.entries {
        if let Some(id) = entry.data["facts"]["deployment_id"].as_str()
            && !deployments.iter().any(|d| d == id)
        {
            deployments.push(id.to_string());
        }
        let note = match entry.kind {
            EntryKind::ReleaseMarkedBad => {
                let label = text(&entry.data["label"]).unwrap_or_default();
                marked_bad.push(label.clone());
                Some(format!("{label} marked bad"))
            }
            EntryKind::ReleaseUnmarked => Some(format!(
                "{} no longer marked bad, by {}: {}",
                text(&entry.data["label"]).unwrap_or_default(),
                text(&entry.data["by"]).unwrap_or_default(),
                text(&entry.data["reason"]).unwrap_or_default()
            )),
            EntryKind::Interrupted => Some(format!(
                "interrupted: {}",
                text(&entry.data["message"]).unwrap_or_default()
            )),
            EntryKind::Note => Some(note_text(&entry.data)),
            EntryKind::DryRun => Some("dry run: the plan was shown, nothing was done".into()),
            _ => None,
        };
        if let Some(text) = note {
            notes.push(TimelineNote { at: entry.at, text });
        }
    }
    let outcome = match &incident.state {
        IncidentState::Closed(outcome) => outcome.clone(),
        IncidentState::Interrupted => "interrupted".to_string(),
        IncidentState::Open => "open (never closed: running, or cut short)".to_string(),
    };
    Report {
        incident: incident.id.to_string(),
        app: incident.app.clone(),
        command: text(&opening["command"]).unwrap_or_else(|| "unknown".into()),
        user: text(&opening["user"]),
        platform_user: text(&opening["platform_user"]),
        reason: text(&opening["reason"]),
        opened_at: incident.opened_at,
        closed_at: incident.closed_at,
        outcome,
        method: text(&opening["method"]),
        from: text(&opening["from"]),
        to: text(&opening["to"]),
        removed: plan.as_ref().map(|p| p.removed.clone()),
        database: database_report(plan.as_ref(), incident),
        warnings: plan
            .as_ref()
            .map(|p| p.warnings.clone())
            .unwrap_or_default(),
        steps,
        deployments,
        marked_bad,
        notes,
        data: crate::db::restore_of(incident).map(|r| DataReport {
            restore_to: r.record.restore_to,
            bad_label: r.record.bad_label,
            bad_deployment_id: r.record.bad_deployment_id,
            bad_created_at: r.record.bad_created_at,
            requested_at: r.at,
            backup: r.record.backup,
            backup_sha256: r.record.backup_sha256,
        }),
        decisions: decisions(incident),
    }
}

fn note_text(data: &Value) -> String {
    if let Some(o) = data["override"].as_str() {
        return format!("safety check overridden: {o}");
    }
    if let Some(by) = data["resumed_by"].as_str() {
        return format!("resumed by {by}");
    }
    if let Some(id) = data["rollback_incident"].as_str() {
        return format!("the redeploy is rollback incident {id} (`rewind report {id}`)");
    }
    if data["confirmed"] == Value::Bool(true) {
        return "confirmed by typing the app name".to_string();
    }
    match data["text"].as_str() {
        Some(t) => t.to_string(),
        None => plain(data),
    }
}

/// Facts as a person reads them (`key: value; key: value`), not JSON.
fn plain(data: &Value) -> String {
    match data {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                Value::String(s) => format!("{}: {s}", k.replace('_', " ")),
                other => format!("{}: {other}", k.replace('_', " ")),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn state_word(state: StepState) -> &'static str {
    match state {
        StepState::Started => "started, end unknown",
        StepState::Done => "done",
        StepState::Failed => "failed",
        StepState::Skipped => "skipped",
    }
}

impl DatabaseReport {
    /// The database's part of the story, one fact a line.
    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(verdict) = &self.migrations {
            out.push(format!("**Migrations**: {verdict}"));
        }
        match self.choice {
            DatabaseChoice::Undecided => {
                out.push("**Choice**: no database step was chosen".into());
            }
            DatabaseChoice::NoDb | DatabaseChoice::RestoredAlready => out.push(format!(
                "**Choice**: {}",
                self.statement.as_deref().unwrap_or("--no-db")
            )),
            DatabaseChoice::WithDb => {
                let addon = self.addon_id.as_deref().unwrap_or("?");
                let to = self.restore_to.as_ref().map(time).unwrap_or_default();
                out.push(format!(
                    "**Choice**: --with-db, restore of {addon} to {to} (just before the bad release)"
                ));
            }
        }
        if let Some(id) = &self.backup_id {
            let mut text = format!("**Safety backup**: {id}");
            if let Some(path) = &self.backup_archive {
                text.push_str(&format!(", `{path}`"));
            }
            if let Some(size) = self.backup_size {
                text.push_str(&format!(", {size} bytes"));
            }
            if let Some(sha) = &self.backup_sha256 {
                text.push_str(&format!(", sha256 `{sha}`"));
            }
            out.push(text);
        }
        if let Some(op) = &self.restore_operation_id {
            let state = match &self.restored_to {
                Some(t) => format!("restored to {}", time(t)),
                None => "not known to have finished".into(),
            };
            out.push(format!("**Restore**: operation {op}, {state}"));
        }
        out
    }
}

impl Report {
    /// The report as Markdown, ready to paste in a ticket.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        let what = match (&self.from, &self.to) {
            (Some(from), Some(to)) => format!("{} {}: {from} -> {to}", self.command, self.app),
            _ => format!("{} {}", self.command, self.app),
        };
        line(format!("# Incident {}: {what}", self.incident));
        line(String::new());
        let who = self.user.as_deref().unwrap_or("unknown");
        line(match &self.platform_user {
            Some(account) => format!("- **Who**: {who} (platform account {account})"),
            None => format!("- **Who**: {who}"),
        });
        line(format!("- **Opened**: {}", time(&self.opened_at)));
        if let Some(closed) = &self.closed_at {
            line(format!("- **Closed**: {}", time(closed)));
        }
        line(format!("- **Outcome**: {}", self.outcome));
        if let Some(method) = &self.method {
            line(format!("- **Method**: {method}"));
        }
        let reason = match (&self.reason, self.decisions.is_empty()) {
            (Some(reason), _) => reason.clone(),
            // A guide walk's reason is its answers.
            (None, false) => "the answers to the decision tree, below".to_string(),
            (None, true) => "not given".to_string(),
        };
        line(format!("- **Reason**: {reason}"));
        if !self.deployments.is_empty() {
            line(format!(
                "- **Deployments**: {}",
                self.deployments.join(", ")
            ));
        }
        if !self.marked_bad.is_empty() {
            line(format!("- **Marked bad**: {}", self.marked_bad.join(", ")));
        }
        for warning in &self.warnings {
            line(format!("- **Warning**: {warning}"));
        }
        if let Some(removed) = &self.removed {
            line(String::new());
            line("## What the rollback removed".into());
            line(String::new());
            if removed.commits.is_empty() {
                line("No commit listed.".into());
            }
            for c in &removed.commits {
                line(format!("- `{}` {}", c.short_sha, c.subject));
            }
            for section in &removed.changelog {
                line(String::new());
                let date = section
                    .date
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                line(format!("### {}{date}", section.version));
                for l in &section.body {
                    line(l.clone());
                }
            }
            if !removed.migrations.is_empty() {
                line(String::new());
                line("Migrations changed since the target:".into());
                for m in &removed.migrations {
                    line(format!("- {} `{}`", m.change, m.path));
                }
            }
            for note in &removed.notes {
                line(format!("- note: {note}"));
            }
        }
        if !self.decisions.is_empty() {
            line(String::new());
            line("## Decision".into());
            line(String::new());
            for d in &self.decisions {
                let question = d.text.as_deref().unwrap_or(&d.question);
                let answer = d.label.as_deref().unwrap_or(&d.answer);
                let mut text = format!("- **{}** {question}: **{answer}**", d.question);
                if let Some(source) = &d.source {
                    text.push_str(&format!(" ({source})"));
                }
                if let Some(suggested) = &d.suggested {
                    text.push_str(&format!("; rewind suggested {suggested}"));
                }
                line(text);
                for e in &d.evidence {
                    line(format!("  - evidence: {e}"));
                }
            }
        }
        if let Some(data) = &self.data {
            line(String::new());
            line("## Data".into());
            line(String::new());
            for l in data.lines(&self.app) {
                line(format!("- {l}"));
            }
        }
        if let Some(db) = &self.database {
            line(String::new());
            line("## Database".into());
            line(String::new());
            for l in db.lines() {
                line(format!("- {l}"));
            }
        }
        line(String::new());
        line("## Steps".into());
        line(String::new());
        line("| Step | Outcome | Started | Duration | Details |".into());
        line("|---|---|---|---|---|".into());
        for s in &self.steps {
            let duration = s
                .duration_ms
                .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
                .unwrap_or_else(|| "-".into());
            let started = s
                .started_at
                .as_ref()
                .map(time)
                .unwrap_or_else(|| "-".into());
            let detail = s
                .error
                .as_deref()
                .or(s.detail.as_deref())
                .or(s.title.as_deref())
                .unwrap_or("")
                .replace('|', "\\|");
            line(format!(
                "| {} | {} | {started} | {duration} | {detail} |",
                s.id,
                state_word(s.state)
            ));
        }
        if !self.notes.is_empty() {
            line(String::new());
            line("## Timeline notes".into());
            line(String::new());
            for n in &self.notes {
                line(format!("- {}: {}", time(&n.at), n.text));
            }
        }
        // Commit subjects, changelog lines, migration names and the reason
        // come from outside: shown, never acted on, wherever the report is
        // pasted or printed.
        crate::text::neutralise(&out).into_owned()
    }
}
