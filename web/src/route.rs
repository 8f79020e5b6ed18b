//! Links that keep privacy: the URL fragment records which bundled sample is open, which view,
//! which session and which step (`#sample=clock-ahead.flow&view=learn&session=1&step=6`), so
//! a teaching link works. It never records anything from a capture: a sample name is written
//! only if it is one of the bundled samples, and a user's own file is never named.

use crate::samples;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Verdict, session cards, then the selected session's details.
    #[default]
    Overview,
    /// A guided walk through the six steps of the selected session.
    Learn,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::Learn => "learn",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    /// A bundled sample's name (never a user's file).
    pub sample: Option<&'static str>,
    pub view: View,
    /// The selected session, 0-based (1-based in the URL); `None`: the first failed one.
    pub session: Option<usize>,
    /// The step learn mode shows, 1 to 6.
    pub step: Option<u8>,
}

impl Route {
    /// Parses a fragment (with or without `#`). Unknown or malformed parts are ignored, so a
    /// hand-edited link still opens the page.
    pub fn parse(fragment: &str) -> Route {
        let mut route = Route::default();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        for (name, value) in form_urlencoded::parse(fragment.as_bytes()) {
            match name.as_ref() {
                "sample" => route.sample = samples::find(&value).map(|sample| sample.name),
                "view" if value == "learn" => route.view = View::Learn,
                "view" => route.view = View::Overview,
                "session" => {
                    route.session = value
                        .parse::<usize>()
                        .ok()
                        .filter(|number| *number > 0)
                        .map(|number| number - 1);
                }
                "step" => {
                    route.step = value.parse::<u8>().ok().filter(|step| (1..=6).contains(step))
                }
                _ => {}
            }
        }
        route
    }

    /// The fragment for this route, `#` included; empty parts are left out.
    pub fn to_fragment(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if let Some(sample) = self.sample {
            out.append_pair("sample", sample);
        }
        if self.view != View::Overview {
            out.append_pair("view", self.view.as_str());
        }
        if let Some(session) = self.session {
            out.append_pair("session", &(session + 1).to_string());
        }
        if let Some(step) = self.step {
            out.append_pair("step", &step.to_string());
        }
        let query = out.finish();
        if query.is_empty() { String::new() } else { format!("#{query}") }
    }

    /// The same route with the session index inside `0..sessions`.
    pub fn clamped(&self, sessions: usize) -> Route {
        Route {
            session: self.session.map(|session| session.min(sessions.saturating_sub(1))),
            ..self.clone()
        }
    }

    /// The session to show: the chosen one, else `default` (the first failed session).
    pub fn session_or(&self, default: usize) -> usize {
        self.session.unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_teaching_link_round_trips() {
        let route = Route::parse("#sample=clock-ahead.flow&view=learn&session=1&step=6");
        assert_eq!(
            route,
            Route {
                sample: Some("clock-ahead.flow"),
                view: View::Learn,
                session: Some(0),
                step: Some(6)
            }
        );
        assert_eq!(route.to_fragment(), "#sample=clock-ahead.flow&view=learn&session=1&step=6");
        assert_eq!(Route::parse(&route.to_fragment()), route);
        assert_eq!(Route::default().to_fragment(), "");
    }

    #[test]
    fn nothing_but_bundled_sample_names_and_numbers_gets_in() {
        let route =
            Route::parse("sample=../../secret.har&view=nonsense&session=x&step=9&token=abc");
        assert_eq!(route, Route::default());
        assert_eq!(Route::parse("#session=3").clamped(2).session, Some(1));
        assert_eq!(Route::parse("#session=0").session, None);
        assert_eq!(Route::default().session_or(4), 4);
    }
}
