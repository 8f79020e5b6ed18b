//! Versioned output contracts. These DTOs are the only `Serialize` types in the core: the
//! internal model can change freely, and every change to a wire format is a visible diff here.
//!
//! # Wire formats
//!
//! - [`exchanges::ExchangeList`], schema `regauth.exchanges/v1`: what `regauth exchanges --format json` prints.
//! - [`analysis::AnalysisReport`], schema `regauth.analysis/v1`: what `regauth analyze --format json` prints.
//! - [`check::CheckReport`], schema `regauth.check/v1`: what `regauth check --format json` prints
//!   (also as text and JUnit XML).
//! - [`token::TokenReport`], schema `regauth.token/v1`: what `regauth token --format json` prints.
//! - [`text::render`]: the human-readable analysis (not a contract; golden-tested).
//!
//! Every DTO derives `Serialize` and `Deserialize` (owned fields only), so a report can cross a
//! process or Web Worker boundary and come back as the same value. The small vocabulary enums
//! they share with the engine ([`crate::analysis::Outcome`], [`crate::analysis::Severity`],
//! [`crate::analysis::AuthScheme`], [`crate::analysis::ClockRole`], [`crate::analysis::Code`])
//! carry their wire spelling where they are defined.

pub mod analysis;
pub mod check;
pub mod exchanges;
pub mod text;
pub mod token;
