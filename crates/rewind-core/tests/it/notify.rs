//! Team notifications against a local listener: the JSON body a chat
//! webhook receives, and the messages when the webhook refuses or cannot be
//! reached, none of which show the webhook's URL.

use rewind_core::notify::{NotifyError, post_webhook};
use rewind_core::secret::Secret;
use serde_json::{Value, json};

use crate::health::{closed_port_url, serve};

const TOKEN: &str = "xk3j9sd8f7g6h5a2";

#[test]
fn the_message_is_posted_as_json_text() {
    let server = serve(vec![(200, "ok")]);
    let url = Secret::new(format!("{}/hooks/{TOKEN}", server.base));
    let text = "rewind: shop rolled back to v1.2.3 \"after\" a failed deploy";
    post_webhook(&url, text).expect("posted");

    let request = server.requests.recv().expect("a request");
    assert_eq!(
        request.request_line,
        format!("POST /hooks/{TOKEN} HTTP/1.1")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body: Value = serde_json::from_str(&request.body).expect("a JSON body");
    assert_eq!(body, json!({ "text": text }));
}

#[test]
fn a_refusal_says_the_status_and_never_the_url() {
    let server = serve(vec![(404, "no webhook with token xk3j9sd8f7g6h5a2")]);
    let url = Secret::new(format!("{}/hooks/{TOKEN}", server.base));
    let error = post_webhook(&url, "hello").expect_err("refused");

    assert!(matches!(error, NotifyError::Refused { status: 404, .. }));
    let text = error.to_string();
    assert_eq!(
        text,
        "the team's webhook answered 404: no webhook with token [redacted]"
    );
    assert!(!error.hints().is_empty());
}

#[test]
fn an_unreachable_webhook_is_said_without_its_url() {
    let url = Secret::new(closed_port_url(&format!("/hooks/{TOKEN}")));
    let error = post_webhook(&url, "hello").expect_err("unreachable");

    let text = error.to_string();
    assert!(
        text.starts_with("cannot reach the team's webhook: "),
        "{text}"
    );
    assert!(
        !text.contains(TOKEN) && !text.contains("127.0.0.1"),
        "{text}"
    );
}
