//! Sandbox tests: faults.
