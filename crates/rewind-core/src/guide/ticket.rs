//! The ticket draft for the product owner: a Markdown page with what
//! happened, the releases involved, the evidence gathered, the answers
//! given and the next steps, written to a file and shown to the person, so
//! that it can be pasted into the team's tracker as it is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::evidence::ProbeResult;

/// A question answered on the way, as the ticket and the journal tell it.
#[derive(Debug, Clone)]
pub(crate) struct AnswerRecord {
    pub question: String,
    pub text: String,
    pub answer: String,
    pub label: String,
    pub suggested: Option<String>,
    pub source: &'static str,
}

/// A ticket draft, once written.
#[derive(Debug, Clone)]
pub struct TicketDraft {
    pub title: String,
    pub markdown: String,
    /// Where it was written; `None` in a dry run.
    pub path: Option<PathBuf>,
}

/// Everything the ticket tells.
pub(crate) struct TicketInput<'a> {
    pub app: &'a str,
    pub incident: &'a str,
    /// The action's text in the walk's language.
    pub action_text: &'a str,
    /// The tree's `ticket` param: `product_owner`, `to_prioritise`...
    pub kind: Option<&'a str>,
    pub answers: &'a [AnswerRecord],
    pub evidence: &'a [(&'static str, ProbeResult)],
    /// `running now: ...`, `before it: ...`.
    pub releases: &'a [String],
    /// What rewind did during this incident, line by line.
    pub done: &'a [String],
}

pub(crate) fn draft(input: &TicketInput<'_>) -> TicketDraft {
    let title = format!("[{}] {}", input.app, input.action_text);
    let mut md = String::new();
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(md, "rewind incident `{}`.\n", input.incident);
    let _ = writeln!(md, "## What happened\n");
    let _ = writeln!(
        md,
        "A release of {} went wrong in production. The on-call engineer walked the team's decision tree with rewind, which led to: {}.\n",
        input.app, input.action_text
    );
    let _ = writeln!(md, "## Releases involved\n");
    if input.releases.is_empty() {
        let _ = writeln!(md, "- not known (the deployment history could not be read)");
    }
    for line in input.releases {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## Evidence\n");
    if input.evidence.is_empty() {
        let _ = writeln!(md, "- none gathered");
    }
    for (probe, result) in input.evidence {
        let _ = writeln!(md, "### {probe}\n");
        match result {
            Ok(ev) => {
                for line in &ev.lines {
                    let _ = writeln!(md, "- {}", line.trim_start());
                }
            }
            Err(why) => {
                let _ = writeln!(md, "- could not be gathered: {why}");
            }
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Answers given\n");
    for a in input.answers {
        let suggested = match &a.suggested {
            Some(s) if *s == a.answer => " (as the evidence suggested)".to_string(),
            Some(s) => format!(" (the evidence suggested `{s}`)"),
            None => String::new(),
        };
        let how = if a.source == "preset" {
            ", scripted"
        } else {
            ""
        };
        let _ = writeln!(
            md,
            "- {} {} -> **{}** (`{}`{how}){suggested}",
            a.question, a.text, a.label, a.answer
        );
    }
    let _ = writeln!(md, "\n## Done so far\n");
    if input.done.is_empty() {
        let _ = writeln!(md, "- nothing yet");
    }
    for line in input.done {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## Next steps\n");
    for step in next_steps(input.kind) {
        let _ = writeln!(md, "- [ ] {step}");
    }
    TicketDraft {
        title,
        markdown: md,
        path: None,
    }
}

fn next_steps(kind: Option<&str>) -> Vec<&'static str> {
    let mut steps = match kind {
        Some("to_prioritise") => vec![
            "product owner: weigh the problem against the roadmap and prioritise its fix",
            "team: fix it in a next release, with a test that reproduces it",
        ],
        _ => vec![
            "product owner: decide when the feature may be switched back on",
            "team: fix the feature behind the flag, then switch it back on",
        ],
    };
    steps.push("on-call: close the incident once the fix is in production");
    steps
}

/// Writes the draft to `dir` as `ticket-<incident>-<node>.md`.
pub(crate) fn write(
    mut draft: TicketDraft,
    dir: &Path,
    incident: &str,
    node: &str,
) -> Result<TicketDraft, String> {
    let path = dir.join(format!("ticket-{incident}-{node}.md"));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, &draft.markdown))
        .map_err(|e| format!("cannot write the ticket draft {}: {e}", path.display()))?;
    draft.path = Some(path);
    Ok(draft)
}
