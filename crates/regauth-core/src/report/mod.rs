//! Versioned output contracts. These DTOs are the only `Serialize` types in the core: the
//! internal model can change freely, and every change to a wire format is a visible diff here.
//!
//! # Wire formats
//!
//! - [`exchanges::ExchangeList`], schema `regauth.exchanges/v1`: what `regauth exchanges --format json` prints.
//! - [`analysis::AnalysisReport`], schema `regauth.analysis/v1`: what `regauth analyze --format json` prints.
//! - [`config::ConfigReport`], schema `regauth.config/v1`: what `regauth config --format json` prints.
//! - [`text::render`]: the human-readable analysis (not a contract; golden-tested).

pub mod analysis;
pub mod config;
pub mod exchanges;
pub mod text;
pub mod tls;
