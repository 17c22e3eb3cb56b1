//! The fault itself: a sandbox rule added when the journal shows the step
//! begins (and a slowing rule taken back once the step's request is under
//! way), a broken webhook, a failing or slow git hook, a cut or refused
//! deployment stream, or `kill -9` of rewind in the middle of the step.

use std::collections::HashMap;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::cases::{Fault, Flow, Step};
use super::checks;
use super::git_faults;
use super::hook::HookFault;
use super::world::{World, wait_for};
use crate::support::{Run, admin_delete, finish};

/// Well past rewind's 30 s request timeout. When rewind gives up, the
/// sandbox drops the call before handling it: a request lost in the
/// network. (It cannot yet handle a call and answer it too late.) Just
/// past 30 s, whether the call was handled became a race.
pub const TIMEOUT_LATENCY_MS: u64 = 40_000;
/// A slowed request, for a kill to land in it.
pub const KILL_LATENCY_MS: u64 = 3_000;
/// After the step begins, when its request is under way.
const KILL_AFTER: Duration = Duration::from_millis(1_200);
/// After the step begins, when the slow request has surely been made.
const UNSLOW_AFTER: Duration = Duration::from_millis(2_500);

/// Takes back whatever fault did not fire, so the retries run clean.
pub fn clear_faults(world: &World, step: Step) {
    admin_delete(&world.sandbox, "/_sandbox/faults");
    world.post("/_sandbox/stream/refuse", json!({"times": 0}));
    git_faults::clear(world, step);
    world.hook.clear();
}

/// The sandbox rule for an HTTP fault at `step`.
fn rule(step: Step, fault: Fault) -> Option<Value> {
    let request = step.request()?;
    let mut rule = json!({"method": request.method, "path": request.path});
    let times = |n: u32| if step == Step::Health { 3 } else { n };
    let effect = match fault {
        Fault::Status500 => json!({"status": 500, "times": times(1)}),
        Fault::Status503 => json!({"status": 503, "times": times(2)}),
        Fault::Burst429 => json!({"status": 429, "times": 4, "retry_after": 1}),
        Fault::Timeout => json!({"latency_ms": TIMEOUT_LATENCY_MS}),
        Fault::Reset => json!({"drop_connection": true, "times": 1}),
        Fault::Malformed => json!({"malformed_body": true, "times": 1}),
        Fault::Kill => json!({"latency_ms": KILL_LATENCY_MS}),
        _ => return None,
    };
    rule.as_object_mut()?.extend(effect.as_object()?.clone());
    Some(rule)
}

/// The first run with its fault; returns the run, whether rewind was
/// killed, and whether the fault landed.
pub fn faulted_run(world: &World, flow: Flow, step: Step, fault: Fault) -> (Run, bool, bool) {
    let mut plan = Plan::default();
    let journal_step = step.journal_step(flow);
    match (step, fault) {
        (Step::Notify, _) => {
            let f = match fault {
                Fault::Status500 => vec![HookFault::Status(500)],
                Fault::Status503 => vec![HookFault::Status(503); 2],
                Fault::Burst429 => vec![HookFault::Status(429); 4],
                Fault::Timeout => vec![HookFault::Slow(Duration::from_secs(11))],
                Fault::Reset => vec![HookFault::Drop],
                Fault::Malformed => vec![HookFault::Malformed],
                _ => vec![HookFault::Slow(Duration::from_secs(3))],
            };
            for one in f {
                world.hook.fail_next(one);
            }
            plan.kill = (fault == Fault::Kill).then_some(Trigger::HookBusy);
            plan.landed = Landed::Hook;
        }
        (_, Fault::GitFailure) => {
            git_faults::fail_once(world, step);
            plan.landed = Landed::Git;
        }
        (_, Fault::Kill) if step.is_git() => {
            git_faults::slow_once(world, step);
            plan.kill = Some(Trigger::GitStarted);
        }
        (Step::MarkBad, Fault::Kill) => {
            plan.kill = Some(Trigger::Journal(
                journal_step.expect("mark-bad"),
                Duration::ZERO,
            ));
        }
        (Step::Follow, Fault::StreamCut) => {
            plan.cut_stream_on = journal_step;
            plan.landed = Landed::StreamCut;
        }
        (Step::Follow, Fault::StreamRefused) => {
            world.post("/_sandbox/stream/refuse", json!({"times": 3}));
            plan.landed = Landed::Refused;
        }
        _ => {
            let rule = rule(step, fault).expect("an HTTP fault at an HTTP step");
            plan.rule = Some((rule, step.request().and_then(|r| r.arm_on)));
            plan.landed = Landed::Rule;
            if matches!(fault, Fault::Timeout | Fault::Kill) {
                plan.unslow_on = journal_step;
            }
            if fault == Fault::Kill {
                plan.kill = Some(Trigger::Journal(
                    journal_step.expect("a journal step"),
                    KILL_AFTER,
                ));
            }
        }
    }
    let child = world.rewind(&flow.args()).spawn();
    drive(world, step, child, plan)
}

#[derive(Default)]
struct Plan {
    /// A fault rule, added at the start or when that journal step begins.
    rule: Option<(Value, Option<&'static str>)>,
    /// Remove the (latency) rule this long after this step begins.
    unslow_on: Option<&'static str>,
    kill: Option<Trigger>,
    cut_stream_on: Option<&'static str>,
    landed: Landed,
}

#[derive(Clone, Copy)]
enum Trigger {
    /// This long after the journal shows the step began.
    Journal(&'static str, Duration),
    GitStarted,
    HookBusy,
}

/// How to tell that the fault happened.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Landed {
    #[default]
    Killed,
    Rule,
    Hook,
    Git,
    StreamCut,
    Refused,
}

/// Watches the journal while rewind runs and acts at the planned moments.
fn drive(world: &World, step: Step, mut child: Child, mut plan: Plan) -> (Run, bool, bool) {
    drop(child.stdin.take());
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let mut rule_id: Option<u64> = None;
    let mut rule_hits = false;
    let mut killed = false;
    let mut cut = false;
    let add_rule = |rule: &Value| -> u64 {
        world.post("/_sandbox/faults", rule.clone())["rule"]["id"]
            .as_u64()
            .or_else(|| world.get("/_sandbox/faults")["faults"].as_array()?.last()?["id"].as_u64())
            .expect("the rule's id")
    };
    if let Some((rule, None)) = &plan.rule {
        rule_id = Some(add_rule(rule));
    }
    let begun = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        for entry in checks::entries(world) {
            if entry["kind"] == "step_started"
                && let Some(s) = entry["step"].as_str()
            {
                seen.entry(s.to_string()).or_insert_with(Instant::now);
            }
        }
        let since = |s: &str| seen.get(s).map(Instant::elapsed);
        if rule_id.is_none()
            && let Some((rule, Some(on))) = &plan.rule
            && since(on).is_some()
        {
            rule_id = Some(add_rule(rule));
        }
        if let (Some(id), Some(on)) = (rule_id, plan.unslow_on)
            && since(on).is_some_and(|d| d >= UNSLOW_AFTER)
        {
            rule_hits = true;
            let _ = remove_rule(world, id);
            plan.unslow_on = None;
        }
        if !cut
            && let Some(on) = plan.cut_stream_on
            && since(on).is_some()
        {
            let closed =
                world.post("/_sandbox/stream/disconnect", json!({"app": "shop"}))["closed"]
                    .as_u64()
                    .unwrap_or(0);
            cut = closed > 0;
        }
        let fire = match plan.kill {
            Some(Trigger::Journal(s, after)) => since(s).is_some_and(|d| d >= after),
            Some(Trigger::GitStarted) => git_faults::started(world, step),
            Some(Trigger::HookBusy) => world.hook.busy(),
            None => false,
        };
        if fire && !killed {
            let _ = child.kill();
            killed = true;
            plan.kill = None;
        }
        if begun.elapsed() > Duration::from_secs(180) {
            // A hung rewind is a finding, not a reason to hang the matrix.
            let _ = child.kill();
            break;
        }
        // The pause between two looks for the step to kill rewind in:
        // short, so that the kill lands inside the step.
        std::thread::sleep(Duration::from_millis(3));
    }
    let run = finish(child);
    let killed = killed && run.code == 128 + 9;
    // A killed step's slow git goes on: let it end before the retries.
    if step.is_git() && killed {
        wait_for(Duration::from_secs(10), || git_faults::ended(world, step));
    }
    let landed = match plan.landed {
        Landed::Killed => killed,
        Landed::Rule => {
            rule_hits
                || rule_id.is_some_and(|id| {
                    world.get("/_sandbox/faults")["faults"]
                        .as_array()
                        .and_then(|all| all.iter().find(|r| r["id"] == id).cloned())
                        .is_none_or(|r| r["remaining"] != r["times"])
                })
                || killed
        }
        Landed::Hook => world.hook.messages() > 0,
        Landed::Git => !world
            .control()
            .join(format!("fail-{}", step.name()))
            .exists(),
        Landed::StreamCut => cut,
        Landed::Refused => {
            world.post("/_sandbox/stream/refuse", json!({"times": 0}));
            true
        }
    };
    if let Some(id) = rule_id {
        let _ = remove_rule(world, id);
    }
    (run, killed, landed)
}

fn remove_rule(world: &World, id: u64) -> Option<()> {
    let listed = world.get("/_sandbox/faults");
    listed["faults"]
        .as_array()?
        .iter()
        .find(|r| r["id"] == id)?;
    admin_delete(&world.sandbox, &format!("/_sandbox/faults/{id}"));
    Some(())
}
