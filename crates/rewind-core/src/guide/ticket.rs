//! The ticket draft for the product owner: a Markdown page with what
//! happened, the releases involved, the evidence gathered, the answers
//! given and the next steps, written to a file and shown to the person, so
//! that it can be pasted into the team's tracker as it is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::i18n::Lang;

use super::evidence::ProbeResult;
use super::say::ticket::{self as words, Heading};

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
    pub lang: Lang,
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
    let lang = input.lang;
    let heading = |h| words::heading(lang, h);
    let title = format!("[{}] {}", input.app, input.action_text);
    let mut md = String::new();
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(md, "{}\n", words::incident(lang, input.incident));
    let _ = writeln!(md, "## {}\n", heading(Heading::WhatHappened));
    let _ = writeln!(
        md,
        "{}\n",
        words::what_happened(lang, input.app, input.action_text)
    );
    let _ = writeln!(md, "## {}\n", heading(Heading::Releases));
    if input.releases.is_empty() {
        let _ = writeln!(md, "- {}", words::releases_unknown(lang));
    }
    for line in input.releases {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## {}\n", heading(Heading::Evidence));
    if input.evidence.is_empty() {
        let _ = writeln!(md, "- {}", words::no_evidence(lang));
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
                let _ = writeln!(md, "- {}", words::not_gathered(lang, why));
            }
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## {}\n", heading(Heading::Answers));
    for a in input.answers {
        let suggested = words::as_suggested(lang, a.suggested.as_deref(), &a.answer);
        let how = if a.source == "preset" {
            words::scripted(lang)
        } else {
            ""
        };
        let _ = writeln!(
            md,
            "- {} {} -> **{}** (`{}`{how}){suggested}",
            a.question, a.text, a.label, a.answer
        );
    }
    let _ = writeln!(md, "\n## {}\n", heading(Heading::Done));
    if input.done.is_empty() {
        let _ = writeln!(md, "- {}", words::nothing_yet(lang));
    }
    for line in input.done {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## {}\n", heading(Heading::NextSteps));
    let to_prioritise = input.kind == Some("to_prioritise");
    for step in words::next_steps(lang, to_prioritise) {
        let _ = writeln!(md, "- [ ] {step}");
    }
    // Evidence and answers quote commit subjects, logs and the platform:
    // the draft shows their escape sequences instead of carrying them.
    TicketDraft {
        title: crate::text::neutralise_line(&title).into_owned(),
        markdown: crate::text::neutralise(&md).into_owned(),
        path: None,
    }
}

/// Writes the draft to `dir` as `ticket-<incident>-<node>.md`.
pub(crate) fn write(
    lang: Lang,
    mut draft: TicketDraft,
    dir: &Path,
    incident: &str,
    node: &str,
) -> Result<TicketDraft, String> {
    let path = dir.join(format!("ticket-{incident}-{node}.md"));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, &draft.markdown))
        .map_err(|e| words::write_failed(lang, &path, &e))?;
    draft.path = Some(path);
    Ok(draft)
}
