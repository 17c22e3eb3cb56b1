//! Sandbox tests: deployments.
