//! Stopping a sandbox that serves in the foreground (`rewind sandbox
//! serve`) on SIGINT (Ctrl-C), SIGTERM or SIGHUP (its terminal closed), so
//! that it stops its PostgreSQL and deletes its directories instead of
//! dying with them still there. The handlers are installed before the
//! sandbox starts: a signal that arrives while it starts is kept and
//! honoured as soon as it is up.

use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::server::Sandbox;

/// The stop signals, caught.
pub struct StopSignals {
    runtime: tokio::runtime::Runtime,
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Catches SIGINT, SIGTERM and SIGHUP from now on.
    pub fn install() -> std::io::Result<StopSignals> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (interrupt, terminate, hangup) = runtime.block_on(async {
            Ok::<_, std::io::Error>((
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
            ))
        })?;
        Ok(StopSignals {
            runtime,
            interrupt,
            terminate,
            hangup,
        })
    }

    /// Serves until a stop signal comes (or the server ends on its own),
    /// then stops the sandbox: its PostgreSQL is stopped and its
    /// temporary directories deleted before this returns. Returns the
    /// signal's name, `None` when the server ended by itself.
    pub fn serve(mut self, sandbox: Sandbox) -> Option<&'static str> {
        let which = self.runtime.block_on(async {
            let mut check = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    _ = self.interrupt.recv() => return Some("SIGINT"),
                    _ = self.terminate.recv() => return Some("SIGTERM"),
                    _ = self.hangup.recv() => return Some("SIGHUP"),
                    _ = check.tick() => {
                        if sandbox.has_stopped() {
                            return None;
                        }
                    }
                }
            }
        });
        sandbox.shutdown();
        which
    }
}
