//! rewind-sandbox: a local server that speaks the Scalingo API (auth, apps,
//! deployments, SCM link, addons, database API, the current user, containers,
//! their stats and router metrics) on 127.0.0.1, so that rewind's tests and
//! rehearsals run without an account, and so that Scalingo's own clients
//! pointed at it through `SCALINGO_AUTH_URL`, `SCALINGO_API_URL`,
//! `SCALINGO_DB_URL` and `SCALINGO_API_TOKEN` work unchanged for the parts
//! it covers (the README's table; the rest answers 501 with its path).
//!
//! It is written from the API reference alone and shares no code with
//! rewind-core on purpose.
//!
//! ```no_run
//! let sandbox = rewind_sandbox::Sandbox::start(rewind_sandbox::SandboxConfig::default()).unwrap();
//! println!("{}", sandbox.api_url());
//! sandbox.shutdown();
//! ```

/// A line on stderr that never panics: the sandbox runs inside `rewind
/// drill` and `rewind sandbox serve`, whose stderr a reader may have
/// closed (`rewind sandbox serve 2>&1 | head`); a message it cannot write
/// is dropped, the server goes on. The only way the sandbox writes to
/// stderr (a test guards it).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;

mod api_error;
mod apps;
mod auth;
mod config;
mod database;
mod deploy;
mod pg;
mod platform;
mod router;
mod runtime;
mod server;
mod signals;
mod state;
mod time;
mod tmp;

pub use config::{
    AddonSeed, AppSeed, BackupSize, DeploymentLinks, MAX_BUILD_LOG_REDIRECTS, PitrRestoreBody,
    PostgresMode, RecoveryWindowForm, RedirectHost, SandboxConfig, ScmSeed, SeedError, TokenSeed,
    Variants,
};
pub use server::{Sandbox, StartError};
pub use signals::StopSignals;
pub use tmp::ROOT_VAR as TEMP_DIR_VAR;

#[cfg(test)]
mod stderr_guard {
    /// Every `.rs` file under `dir`.
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_sandbox_writes_to_the_terminal_only_through_say() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        assert!(files.len() > 10, "read the sources: {files:?}");
        let mut found = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("source");
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                // Split so that this test's own source does not match.
                for banned in [
                    concat!("eprint", "ln!("),
                    concat!("print", "ln!("),
                    concat!("eprint", "!("),
                ] {
                    if code.contains(banned) {
                        found.push(format!("{}:{}: {code}", file.display(), n + 1));
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "use say! (it never panics on a closed stderr):\n{}",
            found.join("\n")
        );
    }
}
