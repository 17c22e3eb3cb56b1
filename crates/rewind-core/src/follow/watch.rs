//! What has been seen of the followed deployment: its furthest status and
//! the end of its build log. Statuses arrive from the stream and from reads
//! of the deployment, which can overlap or arrive late; only a move forward
//! is reported, so the caller sees each status once, in order.

use std::collections::VecDeque;
use std::io::BufRead;

use super::{FollowEvent, StreamFrame, TAIL_LINES};
use crate::platform::DeploymentStatus;

pub(super) struct Watch<'a> {
    id: &'a str,
    last: Option<DeploymentStatus>,
    tail: VecDeque<String>,
    saw_logs: bool,
}

impl<'a> Watch<'a> {
    pub fn new(id: &'a str) -> Self {
        Watch {
            id,
            last: None,
            tail: VecDeque::with_capacity(TAIL_LINES),
            saw_logs: false,
        }
    }

    pub fn last(&self) -> Option<DeploymentStatus> {
        self.last.clone()
    }

    /// A terminal status has been seen.
    pub fn finished(&self) -> bool {
        self.last.as_ref().is_some_and(|s| !s.in_progress())
    }

    /// Whether any build log line came from the stream.
    pub fn saw_logs(&self) -> bool {
        self.saw_logs
    }

    /// A status read from the platform; reported when it is further on
    /// than what was seen before.
    pub fn status(&mut self, status: DeploymentStatus, on_event: &mut dyn FnMut(FollowEvent)) {
        let forward = match &self.last {
            None => true,
            Some(last) => rank(&status) > rank(last),
        };
        if forward {
            self.last = Some(status.clone());
            on_event(FollowEvent::Status(status));
        }
    }

    /// The deployment as finally read: it has the last word, even over a
    /// terminal status the stream gave.
    pub fn settle(&mut self, status: DeploymentStatus, on_event: &mut dyn FnMut(FollowEvent)) {
        if self.last.as_ref() != Some(&status) {
            self.last = Some(status.clone());
            on_event(FollowEvent::Status(status));
        }
    }

    /// A stream frame: only this deployment's frames count.
    pub fn frame(&mut self, frame: StreamFrame, on_event: &mut dyn FnMut(FollowEvent)) {
        match frame {
            StreamFrame::Status { id, status } if self.is_mine(id.as_deref()) => {
                self.status(status, on_event);
            }
            StreamFrame::Log { id, content } if self.is_mine(id.as_deref()) => {
                self.saw_logs = true;
                for line in lines(&content) {
                    self.keep(line.to_string());
                    on_event(FollowEvent::Log(line.to_string()));
                }
            }
            StreamFrame::New {
                id,
                deployment: Some(deployment),
            } if self.is_mine(id.as_deref()) => {
                self.status(deployment.status, on_event);
            }
            _ => {}
        }
    }

    /// Replaces the tail with the end of a downloaded build log, read
    /// line by line so that a long log never sits in memory whole.
    pub fn tail_from_log(&mut self, mut log: impl BufRead) -> std::io::Result<()> {
        self.tail.clear();
        let mut line = Vec::new();
        loop {
            line.clear();
            if log.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            self.keep(text.strip_suffix('\r').unwrap_or(text).to_string());
        }
    }

    pub fn into_tail(self) -> Vec<String> {
        self.tail.into()
    }

    fn is_mine(&self, id: Option<&str>) -> bool {
        id == Some(self.id)
    }

    fn keep(&mut self, line: String) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }
}

/// The lines of a log chunk, without their terminators; an empty chunk has
/// none, a chunk of one newline has one empty line.
fn lines(content: &str) -> impl Iterator<Item = &str> {
    let body = content.strip_suffix('\n').unwrap_or(content);
    let parts = if content.is_empty() {
        None
    } else {
        Some(body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)))
    };
    parts.into_iter().flatten()
}

/// Where a status stands in a deployment's life; every end is last.
fn rank(status: &DeploymentStatus) -> u8 {
    match status {
        DeploymentStatus::Queued => 0,
        DeploymentStatus::Building => 1,
        DeploymentStatus::Pushing => 2,
        DeploymentStatus::Starting => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(id: &str, content: &str) -> StreamFrame {
        StreamFrame::Log {
            id: Some(id.into()),
            content: content.into(),
        }
    }

    fn status(id: &str, s: DeploymentStatus) -> StreamFrame {
        StreamFrame::Status {
            id: Some(id.into()),
            status: s,
        }
    }

    #[test]
    fn only_forward_moves_of_this_deployment_are_reported() {
        let mut seen = Vec::new();
        let mut on = |e: FollowEvent| seen.push(e);
        let mut w = Watch::new("d1");
        w.status(DeploymentStatus::Pushing, &mut on);
        w.frame(status("d1", DeploymentStatus::Building), &mut on);
        w.frame(status("d2", DeploymentStatus::Success), &mut on);
        w.frame(log("d2", "other app line\n"), &mut on);
        w.frame(log("d1", "one\r\n\ntwo\n"), &mut on);
        w.frame(status("d1", DeploymentStatus::BuildError), &mut on);
        assert!(w.finished());
        assert_eq!(
            seen,
            vec![
                FollowEvent::Status(DeploymentStatus::Pushing),
                FollowEvent::Log("one".into()),
                FollowEvent::Log(String::new()),
                FollowEvent::Log("two".into()),
                FollowEvent::Status(DeploymentStatus::BuildError),
            ]
        );
        assert_eq!(w.into_tail(), vec!["one", "", "two"]);
    }

    #[test]
    fn the_tail_keeps_the_last_lines_only() {
        let mut w = Watch::new("d1");
        let log: String = (1..=100).map(|i| format!("line {i}\r\n")).collect();
        w.tail_from_log(log.as_bytes()).expect("read");
        let tail = w.into_tail();
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail.first().map(String::as_str), Some("line 61"));
        assert_eq!(tail.last().map(String::as_str), Some("line 100"));
    }
}
