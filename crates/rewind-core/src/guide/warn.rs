//! The `warn_product_owner` leaf: tell the team through the configured
//! chat webhook, pointing at the ticket draft written just before (the
//! draft is the durable part: it exists even when the chat is down).

use crate::i18n::Lang;
use crate::notify::post_webhook;

use super::actions::Failure;
use super::say::leaves as words;
use super::ticket::TicketDraft;
use super::tools::{GuideOptions, Tools};

/// What the warning will do, before it is confirmed.
pub(crate) fn plan(tools: &Tools<'_>, options: &GuideOptions) -> Vec<String> {
    let lang = options.lang;
    vec![
        words::plan_ticket(lang, &options.ticket_dir),
        words::plan_webhook(lang, tools.webhook.is_some()),
    ]
}

/// The chat message: short, with the ticket's title and where it is.
pub(crate) fn message(tools: &Tools<'_>, lang: Lang, ticket: &TicketDraft) -> String {
    words::warning_message(lang, &tools.app.name, &ticket.title, ticket.path.as_deref())
}

/// Posts the warning; says so when there is no webhook to post to.
pub(crate) fn run(
    tools: &Tools<'_>,
    lang: Lang,
    ticket: &TicketDraft,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Failure> {
    let Some(url) = tools.webhook else {
        let line = words::no_webhook(lang);
        progress(&line);
        return Ok(vec![line]);
    };
    post_webhook(url, &message(tools, lang, ticket)).map_err(|e| {
        let mut failure = Failure::new(format!("the team was not warned: {e}"));
        failure.hints = e.hints();
        failure
            .hints
            .push("the ticket draft is written: send it to the product owner by hand".into());
        failure
    })?;
    let line = words::webhook_received(lang);
    progress(&line);
    Ok(vec![line])
}
