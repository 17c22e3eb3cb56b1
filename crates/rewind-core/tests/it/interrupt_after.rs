//! A rollback `Progress` that presses Ctrl-C when a given step ends: how
//! the tests cut a rollback short at a known point and then resume it.

use rewind_core::interrupt::Interrupt;
use rewind_core::rollback::{PlannedStep, Progress, StepId, StepReport};

/// Raises the interrupt when `after` ends, as Ctrl-C would.
pub struct InterruptAfter {
    pub after: StepId,
    pub interrupt: Interrupt,
}

impl Progress for InterruptAfter {
    fn step_ended(&mut self, step: &PlannedStep, _report: &StepReport) {
        if step.id == self.after {
            self.interrupt.raise();
        }
    }
}
