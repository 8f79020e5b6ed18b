//! Versioned output contracts. These DTOs are the only `Serialize` types in the core: the
//! internal model can change freely, and every change to a wire format is a visible diff here.
//!
//! # Wire formats
//!
//! - [`exchanges::ExchangeList`], schema `regauth.exchanges/v1`: what `regauth exchanges --format json` prints.

pub mod exchanges;
