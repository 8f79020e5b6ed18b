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
//! - [`config::ConfigReport`], schema `regauth.config/v1`: what `regauth config --format json` prints.
//! - [`tls::TlsReport`], schema `regauth.tls/v1`: what `regauth tls --format json` prints; its [`tls::TlsSection`] is also the `tls` field of `regauth.analysis/v1`.
//! - [`text::render`]: the human-readable analysis (not a contract; golden-tested).
//!
//! Every DTO derives `Serialize` and `Deserialize` (owned fields only), so a report can cross a
//! process or Web Worker boundary and come back as the same value. The small vocabulary enums
//! they share with the engine ([`crate::analysis::Outcome`], [`crate::analysis::Severity`],
//! [`crate::analysis::AuthScheme`], [`crate::analysis::ClockRole`], [`crate::analysis::Code`])
//! carry their wire spelling where they are defined.

pub mod analysis;
pub mod check;
pub mod config;
pub mod exchanges;
pub mod text;
pub mod tls;
pub mod token;

/// Text from a config file or a capture, with control characters escaped so it cannot drive
/// the terminal (escape sequences, carriage returns that overwrite a line).
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|ch| if ch.is_control() { ch.escape_default().to_string() } else { ch.to_string() })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(super::printable("a\x1b[31mb\rc\u{7f}é"), "a\\u{1b}[31mb\\rc\\u{7f}é");
    }
}
