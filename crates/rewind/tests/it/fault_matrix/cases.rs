//! The matrix's cases: which command, which step, which fault, and which
//! retry the person makes afterwards; and, for each step, the request the
//! sandbox is told to break and the journal step it belongs to.

use std::fmt;

/// The command under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// `rewind rollback --with-db --yes`.
    Rollback,
    /// The guide's restore-then-redeploy path (a3 then a4), `--yes`.
    Guide,
}

impl Flow {
    pub const ALL: [Flow; 2] = [Flow::Rollback, Flow::Guide];

    pub fn args(self) -> Vec<&'static str> {
        match self {
            Flow::Rollback => vec!["rollback", "--with-db", "--yes"],
            Flow::Guide => vec![
                "guide",
                "--answer",
                "mep=problem,q1=no,q2=yes,q3=high,q4=no",
                "--answer",
                "q5=yes",
                "--yes",
            ],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Flow::Rollback => "rollback",
            Flow::Guide => "guide",
        }
    }
}

/// Where the fault lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Fetch,
    Branch,
    Push,
    Hold,
    SafetyBackup,
    Download,
    Restore,
    RestorePolling,
    Deploy,
    Follow,
    Verify,
    /// The health check inside verify: the app's own URL, not the API.
    Health,
    Notify,
    MarkBad,
}

impl Step {
    pub const ALL: [Step; 14] = [
        Step::Fetch,
        Step::Branch,
        Step::Push,
        Step::Hold,
        Step::SafetyBackup,
        Step::Download,
        Step::Restore,
        Step::RestorePolling,
        Step::Deploy,
        Step::Follow,
        Step::Verify,
        Step::Health,
        Step::Notify,
        Step::MarkBad,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Fetch => "fetch",
            Step::Branch => "branch",
            Step::Push => "push",
            Step::Hold => "hold",
            Step::SafetyBackup => "safety-backup",
            Step::Download => "download",
            Step::Restore => "restore",
            Step::RestorePolling => "restore-polling",
            Step::Deploy => "deploy",
            Step::Follow => "follow",
            Step::Verify => "verify",
            Step::Health => "health",
            Step::Notify => "notify",
            Step::MarkBad => "mark-bad",
        }
    }

    pub fn is_git(self) -> bool {
        matches!(self, Step::Fetch | Step::Branch | Step::Push)
    }

    /// The journal step (`step_started`) during which the fault lands; the
    /// guide journals its database work as one action, a3. Fetch has none:
    /// it runs while planning, before any incident.
    pub fn journal_step(self, flow: Flow) -> Option<&'static str> {
        Some(match self {
            Step::Fetch => return None,
            Step::Branch => "branch",
            Step::Push => "push",
            Step::Hold => "hold",
            Step::SafetyBackup | Step::Download => match flow {
                Flow::Rollback => "safety-backup",
                Flow::Guide => "a3",
            },
            Step::Restore | Step::RestorePolling => match flow {
                Flow::Rollback => "pitr-restore",
                Flow::Guide => "a3",
            },
            Step::Deploy => "deploy",
            Step::Follow => "follow",
            Step::Verify | Step::Health => "verify",
            Step::Notify => "notify",
            Step::MarkBad => "mark-bad",
        })
    }

    /// The Scalingo request this step makes that no earlier step makes
    /// (method, path pattern with `*` for one segment), and the journal
    /// step after whose start the rule may be added without hitting an
    /// earlier request of the same shape (`None`: from the start).
    pub fn request(self) -> Option<Request> {
        let r = |method, path, arm_on| Request {
            method,
            path,
            arm_on,
        };
        Some(match self {
            Step::Hold => r("PATCH", "/v1/apps/shop/scm_repo_link", None),
            Step::SafetyBackup => r("POST", "/api/databases/*/backups", None),
            Step::Download => r("GET", "/api/databases/*/backups/*/download", None),
            Step::Restore => r("POST", "/api/databases/*/pitr/restore", None),
            Step::RestorePolling => r("GET", "/api/databases/*/operations/*", None),
            Step::Deploy => r("POST", "/v1/apps/shop/scm_repo_link/manual_deploy", None),
            // Planning reads the bad deployment by id too.
            Step::Follow => r("GET", "/v1/apps/shop/deployments/*", Some("hold")),
            // Planning and the deploy step list the deployments too.
            Step::Verify => r("GET", "/v1/apps/shop/deployments", Some("follow")),
            Step::Health => r("GET", "/_apps/shop/health", None),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub method: &'static str,
    pub path: &'static str,
    pub arm_on: Option<&'static str>,
}

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// One 500.
    Status500,
    /// Two 503 in a row.
    Status503,
    /// Four 429 in a row, each with `Retry-After: 1` (so the matrix waits
    /// seconds, not the rest of a minute; without the header rewind waits
    /// for its own request window, tested in the client's tests).
    Burst429,
    /// One call answered only after rewind's 30 s timeout.
    Timeout,
    /// One connection closed without an answer.
    Reset,
    /// One answer whose JSON body is cut short (the call was handled).
    Malformed,
    /// The deployment stream cut while following.
    StreamCut,
    /// The deployment stream refused (503) when rewind connects.
    StreamRefused,
    /// git fails once, for real (a hook or the remote's upload-pack).
    GitFailure,
    /// `kill -9` of rewind in the middle of the step.
    Kill,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Status500 => "500",
            Fault::Status503 => "503",
            Fault::Burst429 => "429-burst",
            Fault::Timeout => "timeout",
            Fault::Reset => "reset",
            Fault::Malformed => "malformed",
            Fault::StreamCut => "stream-cut",
            Fault::StreamRefused => "stream-refused",
            Fault::GitFailure => "git-failure",
            Fault::Kill => "kill-9",
        }
    }

    const HTTP: [Fault; 6] = [
        Fault::Status500,
        Fault::Status503,
        Fault::Burst429,
        Fault::Timeout,
        Fault::Reset,
        Fault::Malformed,
    ];

    /// The faults that make sense at `step`.
    pub fn at(step: Step) -> Vec<Fault> {
        match step {
            Step::Fetch | Step::Branch | Step::Push => vec![Fault::GitFailure, Fault::Kill],
            Step::MarkBad => vec![Fault::Kill],
            // The health check answers a status: a dropped connection or a
            // slow answer is what a 500 already tells; a 429 too.
            Step::Health => vec![Fault::Status500, Fault::Status503],
            Step::Follow => {
                let mut all = Fault::HTTP.to_vec();
                all.extend([Fault::StreamCut, Fault::StreamRefused, Fault::Kill]);
                all
            }
            _ => {
                let mut all = Fault::HTTP.to_vec();
                all.push(Fault::Kill);
                all
            }
        }
    }
}

/// What the person does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// `rewind resume ID` (the ID the failure names, else the incident).
    Resume,
    /// The same command again (and `rewind resume ID` when it says to).
    Rerun,
}

#[derive(Debug, Clone, Copy)]
pub enum Case {
    /// One fault at one step; the person's retry is tried both ways
    /// (each in a world of its own) when the first run does not finish.
    Fault {
        flow: Flow,
        step: Step,
        fault: Fault,
    },
    /// No fault at all: what every check must find clean, or the matrix
    /// itself is wrong.
    Control { flow: Flow },
    /// Two rollbacks of the app confirmed seconds apart on one machine.
    Concurrent,
}

impl Retry {
    pub fn name(self) -> &'static str {
        match self {
            Retry::Resume => "resume",
            Retry::Rerun => "rerun",
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Case::Fault { flow, step, fault } => {
                write!(f, "{}/{}:{}", flow.name(), step.name(), fault.name())
            }
            Case::Control { flow } => write!(f, "{}/no-fault", flow.name()),
            Case::Concurrent => f.write_str("rollback/concurrent:two-confirmed"),
        }
    }
}

impl Case {
    /// The cases that mostly wait: rewind's request timeout, and a 429
    /// burst, which rewind is to wait out (the sandbox sends no
    /// Retry-After, so the wait may be the rest of a minute).
    pub fn is_slow(&self) -> bool {
        matches!(
            self,
            Case::Fault {
                fault: Fault::Timeout | Fault::Burst429,
                ..
            }
        )
    }

    /// Every case.
    pub fn all() -> Vec<Case> {
        let mut cases = vec![Case::Concurrent];
        for flow in Flow::ALL {
            cases.push(Case::Control { flow });
            for step in Step::ALL {
                for fault in Fault::at(step) {
                    cases.push(Case::Fault { flow, step, fault });
                }
            }
        }
        cases
    }

    /// `FAULT_MATRIX_ONLY`: comma-separated pieces of case names
    /// (`deploy:500`, `guide/`, `restore:kill-9`, `concurrent`); a case
    /// runs when its name contains one of them.
    pub fn selected(&self, only: Option<&str>) -> bool {
        let name = self.to_string();
        match only {
            None => true,
            Some(filter) => filter
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .any(|p| name.contains(p)),
        }
    }
}
