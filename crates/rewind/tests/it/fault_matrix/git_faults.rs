//! Real git failures and real slow git, for the steps that are git and
//! not Scalingo requests: the remote's upload-pack (fetch), the clone's
//! reference-transaction hook (creating `release/*`), the origin's
//! pre-receive hook (the push of `release/*`: the team's lock and journal
//! go to the same origin and are left alone). Each reads what to do from a file in the
//! case's control directory: `fail-STEP` fails once, `slow-STEP` makes the
//! step last three seconds (marking `in-STEP` when it starts and `out-STEP`
//! when it ends), so that rewind can be killed inside it.

use std::path::Path;

use super::cases::Step;
use super::world::{World, script};
use crate::support::git;

/// How long a slowed git step lasts.
pub const SLOW_SECS: u32 = 3;

/// Installs the three hooks; they do nothing until told to.
pub fn install(world: &World) {
    let control = world.control();
    let c = control.display();
    let act = |step: &str, failure: &str, code: u8| {
        format!(
            "if [ -e {c}/fail-{step} ]; then rm -f {c}/fail-{step}; echo '{failure}' >&2; exit {code}; fi\n\
             if [ -e {c}/slow-{step} ]; then rm -f {c}/slow-{step}; touch {c}/in-{step}; sleep {SLOW_SECS}; touch {c}/out-{step}; fi\n"
        )
    };
    let upload_pack = control.join("upload-pack");
    script(
        &upload_pack,
        &format!(
            "#!/bin/sh\n{}exec git upload-pack \"$@\"\n",
            act(
                "fetch",
                "fatal: injected by the fault matrix: the remote hung up",
                128
            )
        ),
    );
    git(
        &world.work(),
        &[
            "config",
            "remote.origin.uploadpack",
            upload_pack.to_str().expect("utf-8"),
        ],
    );
    script(
        &world.work().join(".git/hooks/reference-transaction"),
        &format!(
            "#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\n\
             case \"$(cat)\" in *refs/heads/release/*) ;; *) exit 0 ;; esac\n{}exit 0\n",
            act(
                "branch",
                "injected by the fault matrix: cannot lock the branch",
                1
            )
        ),
    );
    script(
        &world.origin().join("hooks/pre-receive"),
        &format!(
            "#!/bin/sh\n\
             case \"$(cat)\" in *refs/heads/release/*) ;; *) exit 0 ;; esac\n{}exit 0\n",
            act(
                "push",
                "injected by the fault matrix: the remote refused the push",
                1
            )
        ),
    );
}

fn touch(control: &Path, name: &str) {
    std::fs::write(control.join(name), "").expect("control file");
}

/// git fails once at `step`.
pub fn fail_once(world: &World, step: Step) {
    touch(&world.control(), &format!("fail-{}", step.name()));
}

/// git at `step` lasts [`SLOW_SECS`] once.
pub fn slow_once(world: &World, step: Step) {
    touch(&world.control(), &format!("slow-{}", step.name()));
}

/// Whether the slowed step has begun, and ended.
pub fn started(world: &World, step: Step) -> bool {
    world.control().join(format!("in-{}", step.name())).exists()
}

pub fn ended(world: &World, step: Step) -> bool {
    world
        .control()
        .join(format!("out-{}", step.name()))
        .exists()
}

/// Takes back a fault that did not fire, so that the retries run clean.
pub fn clear(world: &World, step: Step) {
    for what in ["fail", "slow"] {
        let _ = std::fs::remove_file(world.control().join(format!("{what}-{}", step.name())));
    }
}
