//! A wrapper for passwords and tokens that never shows its value by accident.
//!
//! `Debug` and `Display` print a mask, so a secret that ends up in a log line, a panic message
//! or a report stays hidden; code that really needs the value calls [`Secret::expose`], which is
//! easy to find in review.

use std::fmt;

/// A password, token or other credential taken from a capture.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself. Call this only where the value is needed (decoding, comparing, an
    /// explicit "reveal"), never to show it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A mask that tells the length but nothing of the content, e.g. `"•••• (12 chars)"`.
    ///
    /// JWTs are masked differently (header and claims kept, signature hidden): see
    /// [`crate::token::Jwt::masked`].
    pub fn masked(&self) -> String {
        let n_chars = self.0.chars().count();
        if n_chars == 1 {
            "•••• (1 char)".to_owned()
        } else {
            format!("•••• ({n_chars} chars)")
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2-password");
        let shown = format!("{secret} {secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(secret.to_string(), "•••• (16 chars)");
        assert_eq!(format!("{secret:?}"), "Secret(•••• (16 chars))");
    }

    #[test]
    fn masked_counts_chars_not_bytes() {
        assert_eq!(Secret::new("pässwörd").masked(), "•••• (8 chars)");
        assert_eq!(Secret::new("x").masked(), "•••• (1 char)");
        assert_eq!(Secret::new("").masked(), "•••• (0 chars)");
    }

    #[test]
    fn expose_gives_the_value() {
        assert_eq!(Secret::from("abc").expose(), "abc");
        assert_eq!(Secret::from("abc".to_owned()), Secret::new("abc"));
    }
}
