//! One integration-test binary, one module per concern: the real connector binary against
//! the mock API, with stdout decoded by test-only code (independent of the code that
//! wrote it).
// Test diagnostics go to the test runner's stderr.
#![allow(clippy::disallowed_macros)]

mod bad_input;
mod check;
mod docs;
mod golden;
mod harness;
mod layers;
mod plan;
mod protocols;
mod quota;
mod refused;
mod reliability;
mod state;
