//! `rewind guide`: the team's decision tree walked one question at a time,
//! with evidence gathered before each question that declares a probe, and
//! the tree's leaves carried out as real actions (switch a feature off,
//! warn the product owner, restore the database, redeploy the previous
//! release), every answer and step journaled in one incident.
//!
//! The core decides and acts; it never prints nor reads a terminal. The
//! caller hands it a [`Prompter`](crate::prompt::Prompter) for the
//! questions and confirmations, and a [`Narrator`] to show what happens.
//!
//! - [`probes`]: the evidence for each question, with a suggested answer;
//! - [`switch_off`], [`warn`], [`restore`], [`redeploy`]: the leaves;
//! - [`ticket`]: the Markdown ticket draft for the product owner;
//! - [`session`]: the walk itself; [`several`]: the same walk for several
//!   apps at once; [`tools`]: what the walk and the leaves
//!   share (tools, options);
//! - [`say`]: rewind's own words around the tree's, in French and English.

mod actions;
mod carry;
mod error;
mod evidence;
mod narrator;
mod probes;
mod redeploy;
mod restore;
pub mod say;
mod session;
mod several;
mod switch_off;
mod ticket;
mod tools;
mod warn;

pub use actions::{ActionOutcome, ActionReport};
pub use carry::{Checked, Refusal, STEP as CARRIED_STEP, act, carry_out, check, record_refusal};
pub use error::{GuideError, UnansweredQuestion};
pub use evidence::{Evidence, ProbeResult};
pub use narrator::{AnswerSource, Narrator};
pub use redeploy::rollback_reason;
pub use session::{GuideSummary, Outcome, guide};
pub use several::{GuideApp, SharedTools, guide_several};
pub use ticket::TicketDraft;
pub use tools::{GuideOptions, Tools};

/// The evidence of each of `probes`, gathered as a walk would gather it
/// (what runs and ran before read once for all), for callers that look
/// before any walk: `rewind watch` when it opens an incident.
pub fn gather_evidence(
    tools: &Tools<'_>,
    lang: crate::i18n::Lang,
    probes: &[crate::tree::Probe],
) -> Vec<(crate::tree::Probe, ProbeResult)> {
    let mut known = probes::Known::new(lang);
    probes
        .iter()
        .map(|&probe| (probe, probes::gather(probe, tools, &mut known)))
        .collect()
}

/// The `command` of a guide incident's opening entry.
pub const COMMAND: &str = "guide";
