//! The PostgreSQL client tools a database rollback runs on this computer
//! (`pg_dump`, `pg_restore`, `psql`): found on PATH, and their major
//! version at least the server's (an older `pg_restore` refuses a newer
//! server's dump).

use std::ffi::OsString;
use std::process::{Command, Stdio};

use super::checks::Checks;
use crate::db::find_program;

pub const TOOLS: [&str; 3] = ["pg_dump", "pg_restore", "psql"];

/// `db.tools`.
pub(crate) fn check(server_version: Option<&str>, path: Option<&OsString>, out: &mut Checks) {
    let server = server_version.and_then(major);
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for tool in TOOLS {
        let Some(program) = find_program(tool, path) else {
            problems.push(format!("{tool} not found on PATH"));
            continue;
        };
        match version_of(&program) {
            Some(version) => {
                let tool_major = major(&version);
                match (tool_major, server) {
                    (Some(t), Some(s)) if t < s => problems.push(format!(
                        "{tool} {version} is older than the server's PostgreSQL {s}"
                    )),
                    (None, _) => {
                        problems.push(format!("{tool} prints an unreadable version `{version}`"))
                    }
                    _ => found.push(format!("{tool} {version}")),
                }
            }
            None => problems.push(format!(
                "{tool} ({}) does not say its version",
                program.display()
            )),
        }
    }
    let fix = format!(
        "install the PostgreSQL client tools{} (Debian/Ubuntu: `apt install postgresql-client-{}`, macOS: `brew install libpq`) and put them first on PATH",
        server
            .map(|s| format!(" version {s} or newer"))
            .unwrap_or_default(),
        server.map(|s| s.to_string()).unwrap_or_else(|| "NN".into())
    );
    if !problems.is_empty() {
        out.fail("db.tools", problems.join("; "), fix);
        return;
    }
    match server {
        Some(s) => out.ok(
            "db.tools",
            format!(
                "{}: not older than the server's PostgreSQL {s}",
                found.join(", ")
            ),
        ),
        None => out.warn(
            "db.tools",
            format!("{}; the server's version is unknown", found.join(", ")),
            "compare with the server's version in the dashboard: the tools must not be older",
        ),
    }
}

/// `pg_restore (PostgreSQL) 15.18 (Debian ...)` -> `15.18`.
fn version_of(program: &std::path::Path) -> Option<String> {
    let mut command = Command::new(program);
    let out = crate::secret::without_secrets(&mut command)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version(&text)
}

fn parse_version(text: &str) -> Option<String> {
    text.lines()
        .next()?
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
}

/// The leading number: `16.4.0-1` -> 16, `9.6.24` -> 9.
fn major(version: &str) -> Option<u32> {
    let digits: String = version
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{major, parse_version};

    #[test]
    fn versions_read_as_the_tools_and_the_api_print_them() {
        assert_eq!(
            parse_version("pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
            Some("15.18")
        );
        assert_eq!(
            parse_version("psql (PostgreSQL) 17.2\n").as_deref(),
            Some("17.2")
        );
        assert_eq!(parse_version("nothing here"), None);
        assert_eq!(major("16.4.0-1"), Some(16));
        assert_eq!(major("9.6.24"), Some(9));
        assert_eq!(major("x"), None);
    }
}
