//! Versioned output contracts. These DTOs are the only `Serialize` types in the core: the
//! internal model can change freely, and every change to a wire format is a visible diff here.
//!
//! # Wire formats
//!
//! - [`exchanges::ExchangeList`], schema `regauth.exchanges/v1`: what `regauth exchanges --format json` prints.
//! - [`analysis::AnalysisReport`], schema `regauth.analysis/v1`: what `regauth analyze --format json` prints.
//! - [`check::CheckReport`], schema `regauth.check/v1`: what `regauth check --format json` prints
//!   (also as text, JUnit XML, Markdown and GitHub annotations through the renderers below).
//! - [`token::TokenReport`], schema `regauth.token/v1`: what `regauth token --format json` prints.
//! - [`config::ConfigReport`], schema `regauth.config/v1`: what `regauth config --format json` prints.
//! - [`tls::TlsReport`], schema `regauth.tls/v1`: what `regauth tls --format json` prints; its [`tls::TlsSection`] is also the `tls` field of `regauth.analysis/v1`.
//! - [`text::render`]: the human-readable analysis (not a contract; golden-tested).
//!
//! # Renderers for people and CI
//!
//! Pure functions of the DTOs above (no I/O; the same on wasm32), shared by the CLI and the
//! web app's exports. Each escapes capture text for its language through [`escape`].
//!
//! - [`diagram::sequence`]: the sequence diagram as data; [`mermaid::render_mermaid`] and
//!   [`svg::render_svg`] draw it.
//! - [`markdown`]: a report to paste into an issue (verdict, sessions, failing step,
//!   findings with fixes, a Mermaid diagram).
//! - [`junit`]: JUnit XML, one test suite per capture, one test case per session and assertion.
//! - [`github`]: GitHub Actions workflow-command annotations.
//!
//! Every DTO derives `Serialize` and `Deserialize` (owned fields only), so a report can cross a
//! process or Web Worker boundary and come back as the same value. The small vocabulary enums
//! they share with the engine ([`crate::analysis::Outcome`], [`crate::analysis::Severity`],
//! [`crate::analysis::AuthScheme`], [`crate::analysis::ClockRole`], [`crate::analysis::Code`])
//! carry their wire spelling where they are defined.

pub mod analysis;
pub mod check;
pub mod config;
pub mod diagram;
pub mod escape;
pub mod exchanges;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod runs;
pub mod svg;
pub mod text;
pub mod tls;
pub mod token;

/// A JSON array of the rows `rows` builds, each dropped once written. `serde` serialises a
/// `Vec` through the same `collect_seq`, so the bytes are those of the collected rows.
pub(crate) struct SerializedRows<F>(pub(crate) F);

impl<F, I> serde::Serialize for SerializedRows<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// Text from a config file or a capture, made display-safe by the one policy of
/// [`crate::display`]: control, bidi and other invisible format characters escaped.
pub(crate) fn printable(text: &str) -> String {
    crate::display::safe(text).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_escapes_control_and_bidi_characters() {
        assert_eq!(
            super::printable("a\x1b[31mb\rc\u{7f}\u{202e}é"),
            "a\\x1b[31mb\\rc\\x7f\\u{202e}é"
        );
    }
}
