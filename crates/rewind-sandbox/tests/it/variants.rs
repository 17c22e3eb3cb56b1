//! Sandbox tests: the answer forms where Scalingo's public sources leave the
//! real behaviour uncertain (`[sandbox.variants]`, `/_sandbox/variants`):
//! deployments without `links`, build-log redirects (to another host name
//! whose signed path refuses a bearer), a stream that wants an `Origin`.
//! The defaults are checked too: they must not move.

use rewind_sandbox::{DeploymentLinks, SandboxConfig, Variants};
use serde_json::{Value, json};

use crate::deployments::{APP, NodeRepo, config, manual_deploy, wait_finished};
use crate::harness::{Env, Reply, read};

fn put_variants(env: &Env, body: Value) -> Reply {
    read(
        env.agent
            .put(&env.url("/_sandbox/variants"))
            .send_json(body),
    )
}

/// A finished deployment of `main`.
fn deployed(env: &Env, bearer: &str) -> Value {
    let started = manual_deploy(env, bearer, "main");
    assert!(
        started.status == 200 || started.status == 201,
        "{}",
        started.text
    );
    let id = started.json()["deployment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    wait_finished(env, bearer, APP, &id)
}

/// A GET that does not follow redirects.
fn get_once(url: &str, bearer: Option<&str>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some(bearer) = bearer {
        request = request.header("Authorization", &format!("Bearer {bearer}"));
    }
    read(request.call())
}

#[test]
fn the_variants_default_to_the_forms_served_so_far_and_change_while_it_runs() {
    let env = Env::start(SandboxConfig::default());
    let shown = env.get("", "/_sandbox/variants");
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(
        shown.json()["variants"],
        serde_json::to_value(Variants::default()).expect("json")
    );
    assert_eq!(shown.json()["variants"]["deployment_links"], "everywhere");
    assert_eq!(shown.json()["variants"]["build_log_redirects"], 0);

    let changed = put_variants(&env, json!({"build_log_redirects": 2}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["variants"]["build_log_redirects"], 2);
    assert_eq!(changed.json()["variants"]["backup_size"], "archive");

    for bad in [
        json!({"build_log_redirects": 6}),
        json!({"no_such_variant": true}),
        json!({"deployment_links": "sometimes"}),
        json!({"archive_deploy_status": 302}),
    ] {
        let reply = put_variants(&env, bad.clone());
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text);
        assert!(
            reply.json()["errors"]["variants"].is_array(),
            "{}",
            reply.text
        );
    }
    let kept = env.get("", "/_sandbox/variants").json();
    assert_eq!(
        kept["variants"]["build_log_redirects"], 2,
        "nothing changed"
    );
}

#[test]
fn list_items_can_come_without_links_and_single_deployments_too() {
    let repo = NodeRepo::create();
    let env = Env::start(SandboxConfig {
        variants: Variants {
            deployment_links: DeploymentLinks::Single,
            ..Variants::default()
        },
        ..config(&repo, false)
    });
    let bearer = env.bearer();
    let done = deployed(&env, &bearer);
    let id = done["id"].as_str().expect("id");
    assert!(done["links"]["output"].is_string(), "single: {done}");
    let list = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments"))
        .json();
    assert_eq!(list["deployments"][0]["id"], id);
    assert!(list["deployments"][0].get("links").is_none(), "{list}");

    put_variants(&env, json!({"deployment_links": "none"}));
    let single = env
        .get(&bearer, &format!("/v1/apps/{APP}/deployments/{id}"))
        .json();
    assert!(single["deployment"].get("links").is_none(), "{single}");
    // The documented path still serves the log.
    let log = env.get(&bearer, &format!("/v1/apps/{APP}/deployments/{id}/output"));
    assert_eq!(log.status, 200);
    assert!(log.text.contains("> shop@1.1.0 prepare"), "{}", log.text);
}

#[test]
fn the_build_log_route_redirects_on_its_host_then_to_a_signed_url_elsewhere() {
    let repo = NodeRepo::create();
    let env = Env::start(SandboxConfig {
        variants: Variants {
            build_log_redirects: 2,
            ..Variants::default()
        },
        ..config(&repo, false)
    });
    let bearer = env.bearer();
    let done = deployed(&env, &bearer);
    let first = done["links"]["output"].as_str().expect("links.output");

    // Two relative redirects on the API's host, then the log.
    let hop1 = get_once(first, Some(&bearer));
    assert_eq!(hop1.status, 302, "{}", hop1.text);
    let location = hop1.header("location").expect("location").to_string();
    assert!(location.starts_with("/v1/apps/"), "{location}");
    let hop2 = get_once(&env.url(&location), Some(&bearer));
    assert_eq!(hop2.status, 302);
    let last = env.url(hop2.header("location").expect("location"));
    let log = get_once(&last, Some(&bearer));
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(log.text.contains("> shop@1.1.0 prepare"), "{}", log.text);
    // Each hop needs the bearer, as the API does.
    assert_eq!(get_once(&last, None).status, 401);

    // The last hop to another host name: its signed path refuses a bearer.
    put_variants(&env, json!({"build_log_redirect_host": "other"}));
    let hop2 = get_once(&env.url(&location), Some(&bearer));
    assert_eq!(hop2.status, 302);
    let signed = hop2.header("location").expect("location").to_string();
    let port = env
        .sandbox
        .base_url()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    assert_eq!(
        signed,
        format!(
            "http://localhost:{port}/_logs/{APP}/{}",
            done["id"].as_str().unwrap()
        )
    );
    let refused = get_once(&signed, Some(&bearer));
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("Authorization"), "{}", refused.text);
    let served = get_once(&signed, None);
    assert_eq!(served.status, 200, "{}", served.text);
    assert!(served.text.contains("> shop@1.1.0 prepare"));
}

#[test]
fn the_stream_can_refuse_a_handshake_without_an_origin() {
    use tungstenite::client::IntoClientRequest;
    let repo = NodeRepo::create();
    let env = Env::start(SandboxConfig {
        variants: Variants {
            stream_requires_origin: true,
            ..Variants::default()
        },
        ..config(&repo, false)
    });
    let bearer = env.bearer();
    let app = env.get(&bearer, &format!("/v1/apps/{APP}")).json();
    let url = app["app"]["links"]["deployments_stream"]
        .as_str()
        .expect("deployments_stream")
        .to_string();
    match tungstenite::connect(&url) {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 403);
        }
        other => panic!("expected a 403, got {:?}", other.map(|_| ())),
    }
    let mut request = url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Origin",
        "http://scalingo-cli.local/1".parse().expect("header"),
    );
    let (mut socket, _) = tungstenite::connect(request).expect("with an Origin it connects");
    socket.close(None).expect("closes");
}

#[test]
fn a_seed_file_chooses_the_variants_and_bad_values_are_refused() {
    let config = SandboxConfig::from_seed_str(
        r#"
[sandbox.variants]
backup_size = "differs"
deployment_links = "single"
stream_requires_origin = true
recovery_window = "no_times"
build_log_redirects = 3
build_log_redirect_host = "other"
"#,
    )
    .expect("a valid seed");
    assert_eq!(
        config.variants,
        Variants {
            backup_size: rewind_sandbox::BackupSize::Differs,
            deployment_links: DeploymentLinks::Single,
            stream_requires_origin: true,
            recovery_window: rewind_sandbox::RecoveryWindowForm::NoTimes,
            build_log_redirects: 3,
            build_log_redirect_host: rewind_sandbox::RedirectHost::Other,
            ..Variants::default()
        }
    );
    let empty = SandboxConfig::from_seed_str("").expect("empty seed");
    assert_eq!(empty.variants, Variants::default());
    for (seed, says) in [
        (
            "[sandbox.variants]\nbuild_log_redirects = 6\n",
            "from 0 to 5",
        ),
        (
            "[sandbox.variants]\nbackup_size = \"half\"\n",
            "backup_size",
        ),
        ("[sandbox.variants]\nlinks = \"none\"\n", "links"),
    ] {
        let err = SandboxConfig::from_seed_str(seed).expect_err(seed);
        assert!(err.contains(says), "{seed}: {err}");
    }
}
