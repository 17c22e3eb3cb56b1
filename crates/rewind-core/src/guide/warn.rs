//! The `warn_product_owner` leaf: tell the team through the configured
//! chat webhook, pointing at the ticket draft written just before (the
//! draft is the durable part: it exists even when the chat is down).

use crate::notify::post_webhook;

use super::actions::Failure;
use super::session::Tools;
use super::ticket::TicketDraft;

/// What the warning will do, before it is confirmed.
pub(crate) fn plan(tools: &Tools<'_>, ticket_dir: &std::path::Path) -> Vec<String> {
    let mut lines = vec![format!(
        "write a ticket draft for the product owner in {}",
        ticket_dir.display()
    )];
    lines.push(match tools.webhook {
        Some(_) => "post a message to the team's webhook".to_string(),
        None => "no webhook configured in rewind.toml: the team is not told by chat".to_string(),
    });
    lines
}

/// The chat message: short, with the ticket's title and where it is.
pub(crate) fn message(tools: &Tools<'_>, ticket: &TicketDraft) -> String {
    let path = ticket
        .path
        .as_ref()
        .map(|p| format!("\nTicket draft: {}", p.display()))
        .unwrap_or_default();
    format!(
        "rewind: {} needs the product owner.\n{}{path}",
        tools.app.name, ticket.title
    )
}

/// Posts the warning; says so when there is no webhook to post to.
pub(crate) fn run(
    tools: &Tools<'_>,
    ticket: &TicketDraft,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Failure> {
    let Some(url) = tools.webhook else {
        let line = "no webhook configured (webhook_url in rewind.toml): send the ticket draft to the product owner by hand".to_string();
        progress(&line);
        return Ok(vec![line]);
    };
    post_webhook(url, &message(tools, ticket)).map_err(|e| {
        let mut failure = Failure::new(format!("the team was not warned: {e}"));
        failure.hints = e.hints();
        failure
            .hints
            .push("the ticket draft is written: send it to the product owner by hand".into());
        failure
    })?;
    let line = "the team's webhook received the warning".to_string();
    progress(&line);
    Ok(vec![line])
}
