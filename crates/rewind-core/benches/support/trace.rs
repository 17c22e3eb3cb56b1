//! The core's `http` and `git` events: how long rewind's `git fetch` took
//! (always), and with `REWIND_BENCH_TRACE=1` every event printed with the
//! time since the run started, its thread and its fields (a request's
//! method and path come from its span).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

pub struct Lines {
    pub start: Mutex<Instant>,
    pub verbose: bool,
    /// Milliseconds spent in `git fetch` since last taken.
    pub fetch_ms: AtomicU64,
    next: AtomicU64,
    spans: Mutex<HashMap<u64, String>>,
}

thread_local! {
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[derive(Default)]
struct Fields(String, Option<u64>, bool);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.2 |= field.name() == "subcommand" && value == "fetch";
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "ms" {
            self.1 = Some(value);
        }
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Lines {
    pub fn new(verbose: bool) -> Self {
        Lines {
            start: Mutex::new(Instant::now()),
            verbose,
            fetch_ms: AtomicU64::new(0),
            next: AtomicU64::new(1),
            spans: Mutex::new(HashMap::new()),
        }
    }
}

impl Subscriber for &'static Lines {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut fields = Fields::default();
        span.record(&mut fields);
        self.spans.lock().unwrap().insert(id, fields.0);
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (true, Some(ms)) = (fields.2, fields.1) {
            self.fetch_ms.fetch_add(ms, Ordering::Relaxed);
        }
        if !self.verbose {
            return;
        }
        let span = ENTERED
            .with(|e| e.borrow().last().copied())
            .and_then(|id| self.spans.lock().unwrap().get(&id).cloned())
            .unwrap_or_default();
        let at = self.start.lock().unwrap().elapsed().as_millis();
        let thread = std::thread::current().id();
        println!(
            "  {at:>5} ms {thread:?} {}{span}{}",
            event.metadata().target(),
            fields.0
        );
    }
    fn enter(&self, span: &Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, _: &Id) {
        ENTERED.with(|e| {
            e.borrow_mut().pop();
        });
    }
}
