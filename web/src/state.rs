//! App state and actions: plain Rust, no `html!`, no web-sys, so it is tested natively.

use std::rc::Rc;

use regauth_core::capture::{Format, sniff};
use regauth_core::units::human_bytes;
use yew::Reducible;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    pub loaded: Option<LoadedSummary>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadedSummary {
    pub name: String,
    pub size: u64,
    pub format: Format,
}

pub enum Action {
    FileLoaded { name: String, bytes: Vec<u8> },
    ReadFailed(String),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::FileLoaded { name, bytes } => {
                let format = sniff(&bytes).format;
                Rc::new(AppState {
                    loaded: Some(LoadedSummary { name, size: bytes.len() as u64, format }),
                    error: None,
                })
            }
            Action::ReadFailed(message) => Rc::new(AppState { loaded: None, error: Some(message) }),
        }
    }
}

impl AppState {
    /// One line describing what was dropped, computed by the core.
    pub fn summary_line(&self) -> String {
        if let Some(error) = &self.error {
            return format!("Could not read the file: {error}");
        }
        match &self.loaded {
            None => "No capture loaded yet.".to_owned(),
            Some(loaded) => {
                let kind = match loaded.format {
                    Format::Har => "HAR",
                    Format::MitmproxyFlow => "mitmproxy flow",
                    Format::Unknown => "unknown format",
                };
                format!(
                    "{}: {} bytes ({}), {}",
                    loaded.name,
                    loaded.size,
                    human_bytes(loaded.size),
                    kind
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_file_is_summarised_by_the_core() {
        let state = Rc::new(AppState::default());
        assert_eq!(state.summary_line(), "No capture loaded yet.");
        let state = state.reduce(Action::FileLoaded {
            name: "a.har".into(),
            bytes: b"{\"log\":{}}".repeat(200),
        });
        assert_eq!(state.summary_line(), "a.har: 2000 bytes (2.0 KiB), HAR");
        let state = state.reduce(Action::ReadFailed("boom".into()));
        assert_eq!(state.summary_line(), "Could not read the file: boom");
    }
}
