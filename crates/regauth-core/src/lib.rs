//! regauth-core: bytes in, explanation out.
//!
//! # Design overview
//!
//! ```text
//!  Input{name, bytes} ──► capture::read ──► Capture{exchanges, problems}
//!                         (sniff, HAR,          │
//!                          mitmproxy flow)      ▼
//!                                      (auth engine, later issues)
//! ```
//!
//! The crate is sans-IO: it never touches the file system, the environment, a clock or a
//! terminal, so it behaves the same natively, on wasm32 in the browser and in tests. Bad
//! input is the normal case for a diagnostic tool: readers return what they could read
//! plus located [`capture::InputProblem`]s, and only wholly unusable input is an error.
#![warn(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the core is sans-IO; see clippy.toml"
)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod analysis;
pub mod capture;
pub mod client_config;
pub mod display;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod protocol;
pub mod redact;
pub mod report;
pub mod secret;
pub mod tls_facts;
pub mod token;
pub mod units;

pub use capture::{Capture, CaptureError, Input, InputProblem};
