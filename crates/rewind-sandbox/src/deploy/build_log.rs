//! The script of a deployment: its status changes and build log lines, in
//! order, shaped like a real Scalingo Node.js build (`-----> ` steps, ANSI
//! colours, npm lifecycle lines carrying the package's `name@version`),
//! and cut short where its outcome says it fails.

use crate::deploy::source::{Outcome, Package, Source};

const BOLD: &str = "\x1b[1m";
const GREEN: &str = "\x1b[1;32m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

/// The size the sandbox reports for a built image.
pub const IMAGE_SIZE: u64 = 104_857_600;

/// One step of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The deployment moves to an in-progress status.
    Status(&'static str),
    /// One build log line, without its newline.
    Line(String),
    /// The deployment ends in this terminal status.
    Finish(&'static str),
    /// The deployment stops where it is and waits for the admin `finish`.
    Hang,
}

/// Everything the log mentions.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub app: &'a str,
    pub git_ref: &'a str,
    pub source: &'a Source,
}

/// The whole script of a deployment, from `building` to its end.
pub fn steps(ctx: Context<'_>) -> Vec<Step> {
    let mut s = Script::default();
    let outcome = &ctx.source.outcome;
    s.status("building");
    s.line(format!(
        "{YELLOW}<-- Start deployment of {} -->{RESET}",
        ctx.app
    ));
    s.line(format!(
        "       Fetching source code ({})",
        short(ctx.git_ref)
    ));
    s.line("       Fetching deployment cache");
    if let Outcome::Unknown(text) = outcome {
        s.line(format!(
            "{RED} !     .sandbox/outcome holds `{text}`: expected success, build-error, \
             hook-error, crashed-error, timeout-error, aborted or hang{RESET}"
        ));
        s.finish("build-error");
        return s.steps;
    }
    match &ctx.source.package {
        Some(package) => node_build(&mut s, package, outcome),
        None => generic_build(&mut s, outcome),
    }
    if s.ended {
        return s.steps;
    }
    s.status("pushing");
    s.line(format!(
        "{BOLD} Build complete, shipping your container...{RESET}"
    ));
    s.line(format!(
        "       Image size: {} MB",
        IMAGE_SIZE / (1024 * 1024)
    ));
    s.line("       Pushing image to the registry... done");
    if *outcome == Outcome::HookError {
        s.line("-----> Running postdeploy hook: npm run postdeploy");
        s.line("       Error: relation \"users\" does not exist");
        s.line(format!(
            "{RED} !     The postdeploy hook failed with exit status 1: the new release is not started{RESET}"
        ));
        s.finish("hook-error");
        return s.steps;
    }
    s.status("starting");
    s.line(format!(
        "{BOLD} Waiting for your application to boot...{RESET}"
    ));
    match outcome {
        Outcome::CrashedError => {
            s.line("       web-1: Error: Cannot find module './dist/server.js'");
            s.line(format!(
                "{RED} !     Your application crashed at boot: container web-1 exited with status 1{RESET}"
            ));
            s.finish("crashed-error");
        }
        Outcome::TimeoutError => {
            s.line(format!(
                "{RED} !     Your application did not listen on $PORT within 60 seconds: boot timeout{RESET}"
            ));
            s.finish("timeout-error");
        }
        _ => {
            s.line(format!(
                "{GREEN} <-- https://{}.sandbox.localhost -->{RESET}",
                ctx.app
            ));
            s.finish("success");
        }
    }
    s.steps
}

/// The whole log of a deployment played to its end at once (for
/// deployments inserted already finished).
pub fn finished_log(ctx: Context<'_>) -> String {
    steps(ctx)
        .into_iter()
        .filter_map(|step| match step {
            Step::Line(line) => Some(line + "\n"),
            _ => None,
        })
        .collect()
}

fn node_build(s: &mut Script, package: &Package, outcome: &Outcome) {
    let id = package.id();
    s.line(format!("{BOLD}-----> Node.js app detected{RESET}"));
    s.line("");
    s.line("-----> Creating runtime environment");
    s.line("");
    s.line("       NPM_CONFIG_LOGLEVEL=error");
    s.line("       NODE_VERBOSE=false");
    s.line("       NODE_ENV=production");
    s.line("       NODE_MODULES_CACHE=true");
    s.line("");
    s.line("-----> Installing binaries");
    s.line(format!(
        "       engines.node (package.json):  {}",
        package.node_engine.as_deref().unwrap_or("unspecified")
    ));
    s.line("       engines.npm (package.json):   unspecified (use default)");
    s.line("");
    s.line("       Resolving node version 20.x...");
    s.line("       Downloading and installing node 20.18.1...");
    s.line("       Using default npm version: 10.8.2");
    s.line("");
    s.line("-----> Restoring cache");
    s.line("       - npm cache");
    s.line("");
    s.line("-----> Installing dependencies");
    s.line("       Installing node modules (package.json + package-lock)");
    if stops_in_build(s, outcome) {
        return;
    }
    s.line("");
    s.line(format!("       > {id} prepare"));
    s.line(format!(
        "       > {}",
        package
            .prepare
            .as_deref()
            .unwrap_or("npm run build --if-present")
    ));
    s.line("");
    s.line("       added 214 packages, and audited 215 packages in 6s");
    s.line("       found 0 vulnerabilities");
    s.line("");
    s.line("-----> Build");
    s.line("       Running build");
    s.line("");
    s.line(format!("       > {id} build"));
    s.line(format!(
        "       > {}",
        package.build.as_deref().unwrap_or("tsc -p .")
    ));
    s.line("");
    if *outcome == Outcome::BuildError {
        s.line("       src/server.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.");
        s.line(format!(
            "       npm ERR! Lifecycle script `build` failed with error: exit 2 in {id}"
        ));
        s.line("");
        s.line(format!("{RED}-----> Build failed{RESET}"));
        s.line(format!(
            "{RED} !     Error deploying the application{RESET}"
        ));
        s.finish("build-error");
        return;
    }
    s.line("-----> Caching build");
    s.line("       - npm cache");
    s.line("");
    s.line("-----> Pruning devDependencies");
    s.line("       removed 112 packages, and audited 103 packages in 2s");
    s.line("");
    s.line(format!("{GREEN}-----> Build succeeded!{RESET}"));
}

/// Code without a `package.json`: nothing to install, nothing to build.
fn generic_build(s: &mut Script, outcome: &Outcome) {
    s.line(format!("{BOLD}-----> Generic app detected{RESET}"));
    s.line("       No package.json: nothing to install");
    if stops_in_build(s, outcome) {
        return;
    }
    if *outcome == Outcome::BuildError {
        s.line(format!("{RED}-----> Build failed{RESET}"));
        s.line(format!(
            "{RED} !     Error deploying the application{RESET}"
        ));
        s.finish("build-error");
        return;
    }
    s.line(format!("{GREEN}-----> Build succeeded!{RESET}"));
}

/// Ends the script in the middle of the build for the outcomes that stop
/// there; true when it did.
fn stops_in_build(s: &mut Script, outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Hang => {
            s.steps.push(Step::Hang);
            s.ended = true;
        }
        Outcome::Aborted => {
            s.line(format!("{RED} !     Deployment aborted{RESET}"));
            s.finish("aborted");
        }
        _ => {}
    }
    s.ended
}

/// A SHA shortened as git shows it; a label stays as it is.
fn short(git_ref: &str) -> &str {
    let is_sha = git_ref.len() == 40 && git_ref.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha { &git_ref[..7] } else { git_ref }
}

#[derive(Default)]
struct Script {
    steps: Vec<Step>,
    ended: bool,
}

impl Script {
    fn status(&mut self, status: &'static str) {
        self.steps.push(Step::Status(status));
    }

    fn line(&mut self, line: impl Into<String>) {
        self.steps.push(Step::Line(line.into()));
    }

    fn finish(&mut self, status: &'static str) {
        self.steps.push(Step::Finish(status));
        self.ended = true;
    }
}
