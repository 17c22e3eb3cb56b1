//! Two rollbacks of one app on one machine, confirmed seconds apart.

use std::process::Child;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::runner::Book;
use crate::support::{admin_delete, finish};

/// Two `rewind rollback --with-db` of the same app on one machine (one
/// HOME, one journal), both planned at once, confirmed two seconds
/// apart: exactly one may go on.
pub fn concurrent(book: &mut Book<'_>) {
    let world = book.world;
    // The first one restores slowly, so the second is confirmed while it
    // is still at work.
    world.post(
        "/_sandbox/faults",
        json!({"method": "GET", "path": "/api/databases/*/operations/*", "latency_ms": 1500}),
    );
    let args = ["rollback", "--with-db"];
    let spawn = || world.rewind(&args).env("REWIND_INTERACTIVE", "1").spawn();
    let mut first = spawn();
    let mut second = spawn();
    // The pauses are the case itself, a person's pace: both plans on
    // screen, then one "yes", then the other two seconds later.
    std::thread::sleep(Duration::from_millis(1500));
    confirm(&mut first);
    std::thread::sleep(Duration::from_millis(2000));
    confirm(&mut second);
    let first = finish(first);
    let second = finish(second);
    admin_delete(&world.sandbox, "/_sandbox/faults");
    // Each saw the other's writes: only what runs is checked against
    // their words, not what they changed.
    let after = Utc::now();
    book.check(
        "rollback --with-db (first, confirmed at once)",
        &first,
        false,
        after,
    );
    book.check(
        "rollback --with-db (second, confirmed 2 s later)",
        &second,
        false,
        after,
    );
    book.forget_changes_said();
    let codes = [first.code, second.code];
    let went_on = codes.iter().filter(|c| **c == 0).count();
    if went_on != 1 || !codes.contains(&3) {
        book.outcome.problems.push(format!(
            "exits {codes:?}: exactly one should go on (0) and the other be refused (3)"
        ));
    }
    book.outcome.finished = went_on >= 1;
}

fn confirm(child: &mut Child) {
    use std::io::Write;
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"shop\n");
        let _ = stdin.flush();
    }
}
