//! Benchmark: how long a sandbox with one PostgreSQL addon takes to start,
//! with a real PostgreSQL: the process's first cluster runs `initdb`, the
//! next ones copy the process's template (one more `initdb`, made for the
//! second). Each start includes the server's start, the addon's database
//! and the first base backup.
//!
//! Run: `cargo bench -p rewind-sandbox --bench postgres_start`
//!
//! Starts `RUNS` sandboxes one after the other (each dropped before the
//! next) and prints each start's wall time, then the first next to the
//! median of those after the second. Nothing is asserted; without the
//! PostgreSQL server binaries it says so and stops.

use std::time::{Duration, Instant};

use rewind_sandbox::{AddonSeed, AppSeed, PostgresMode, Sandbox, SandboxConfig};

const RUNS: usize = 7;

fn config() -> SandboxConfig {
    SandboxConfig {
        apps: vec![AppSeed {
            name: "shop".to_string(),
            repo: None,
            scm: None,
            addons: vec![AddonSeed {
                provider: "scalingo-postgresql".to_string(),
                plan: "postgresql-starter-512".to_string(),
            }],
        }],
        postgres: PostgresMode::On,
        ..SandboxConfig::default()
    }
}

fn main() {
    let mut took = Vec::new();
    for run in 1..=RUNS {
        let started = Instant::now();
        let sandbox = match Sandbox::start(config()) {
            Ok(sandbox) => sandbox,
            Err(e) => {
                eprintln!("no sandbox with a real PostgreSQL: {e}");
                return;
            }
        };
        let elapsed = started.elapsed();
        drop(sandbox);
        let how = match run {
            1 => "initdb",
            2 => "template made, then copied",
            _ => "copied",
        };
        eprintln!("start {run}: {:>6} ms ({how})", elapsed.as_millis());
        took.push(elapsed);
    }
    let mut copied: Vec<Duration> = took[2..].to_vec();
    copied.sort();
    let median = copied[copied.len() / 2];
    eprintln!(
        "first start (initdb): {} ms; median start copying the template: {} ms",
        took[0].as_millis(),
        median.as_millis()
    );
}
