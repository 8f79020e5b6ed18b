//! A wrapper for passwords and tokens that never shows its value by accident.
//!
//! `Debug` and `Display` print a mask, so a secret that ends up in a log line, a panic message
//! or a report stays hidden; code that really needs the value calls [`Secret::expose`], which is
//! easy to find in review.

use std::fmt;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

/// A password, token or other credential taken from a capture.
#[derive(Clone, Default)]
pub struct Secret(Text);

/// Where a secret's text is: its own copy, or a slice of the input it was found in verbatim
/// (a token is the largest thing the analysis keeps per token response, and the input is kept
/// anyway: issue 9, memory bounded by the input).
#[derive(Clone)]
enum Text {
    Owned(String),
    /// UTF-8, checked when made.
    Input(Bytes),
}

impl Default for Text {
    fn default() -> Text {
        Text::Owned(String::new())
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Text::Owned(value.into()))
    }

    /// A secret whose text is `bytes` (a slice of the input), kept without a copy; `None`
    /// when they are not UTF-8.
    pub fn from_input(bytes: Bytes) -> Option<Self> {
        std::str::from_utf8(&bytes).ok()?;
        Some(Secret(Text::Input(bytes)))
    }

    /// The value itself. Call this only where the value is needed (decoding, comparing, an
    /// explicit "reveal"), never to show it.
    pub fn expose(&self) -> &str {
        match &self.0 {
            Text::Owned(text) => text,
            // Checked in `from_input`; checked again because the core has no `unsafe` to say
            // so (a few hundred bytes, a few tens of nanoseconds).
            Text::Input(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
        }
    }

    /// A mask that tells the length but nothing of the content, e.g. `"•••• (12 chars)"`.
    ///
    /// JWTs are masked differently (header and claims kept, signature hidden): see
    /// [`crate::token::Jwt::masked`].
    pub fn masked(&self) -> String {
        let n_chars = self.expose().chars().count();
        if n_chars == 1 {
            "•••• (1 char)".to_owned()
        } else {
            format!("•••• ({n_chars} chars)")
        }
    }

    pub fn len(&self) -> usize {
        self.expose().len()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

/// Secrets are equal when their text is, wherever it is kept.
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl Hash for Secret {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.expose().hash(state);
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// What a masked URL parameter value or userinfo password is replaced with.
pub const MASK: &str = "***";

/// URL query (and fragment, and form) parameters whose values are credentials, compared after
/// lower-casing and turning `-` into `_`. Besides these, any name ending in `_token` (but
/// `offline_token`, a flag), `password`, `secret` or `signature` is one.
///
/// Chosen for what registries and their storage put in URLs: OAuth2 (`access_token`,
/// `refresh_token`, `client_secret`, `code`, `password` in a token request's query), presigned
/// storage redirects (S3 `X-Amz-Signature` and `X-Amz-Security-Token`, GCS `X-Goog-Signature`,
/// CloudFront `Signature`, Azure SAS `sig` as GHCR uses, Cloudflare `verify` as Docker Hub's
/// CDN uses) and the usual API keys. Harmless parameters regauth's readers need (`scope`,
/// `service`, `account`, `client_id`, `grant_type`, `offline_token`) are kept.
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "auth",
    "code",
    "jwt",
    "pass",
    "passwd",
    "pwd",
    "sig",
    "token",
    "verify",
];

/// Whether a URL/form parameter of this name carries a credential (see [`SECRET_PARAMETERS`]).
pub fn is_secret_parameter(name: &str) -> bool {
    // Compared byte by byte as normalised, without making the normalised copy: every URL of a
    // listing passes through here once per parameter (issue 9, the listing's speed).
    let name = name.trim().as_bytes();
    let normalised = |byte: u8| if byte == b'-' { b'_' } else { byte.to_ascii_lowercase() };
    let is = |tail: &[u8], word: &str| {
        tail.len() == word.len() && tail.iter().zip(word.bytes()).all(|(&a, b)| normalised(a) == b)
    };
    let ends_with =
        |suffix: &str| name.len() >= suffix.len() && is(&name[name.len() - suffix.len()..], suffix);
    if is(name, "offline_token") {
        return false;
    }
    SECRET_PARAMETERS.iter().any(|word| is(name, word))
        || ["_token", "password", "secret", "signature", "_key"]
            .iter()
            .any(|suffix| ends_with(suffix))
}

/// Masks the credentials in URLs inside `text`: the password of a `user:password@` userinfo
/// and the value of every secret parameter (`password=***`, name kept, see
/// [`is_secret_parameter`]), wherever they appear: a whole URL, a path with its query, a form
/// body, or a message quoting a URL that did not even parse. Borrowed when nothing is masked.
///
/// This is the one place that decides what of a URL is secret; the report layer applies it to
/// every URL, path and message that leaves the core unless secrets are revealed.
pub fn mask_url_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    // Fast path: without `=` or `@` there is neither a parameter nor userinfo.
    if !text.bytes().any(|byte| byte == b'=' || byte == b'@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    // Byte ranges to replace with the mask, in order.
    let mut masked: Vec<(usize, usize)> = Vec::new();
    let ends_value = |byte: u8| {
        byte.is_ascii_whitespace()
            || matches!(byte, b'&' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b';')
    };
    let starts_parameter_after = |byte: u8| matches!(byte, b'?' | b'&' | b'#' | b';');
    // The first position from `from` on where there is something to look at: a `:` (maybe
    // `://`) or the start of a parameter (the text's start, or after `?`, `&`, `#` or `;`).
    // The positions in between can be neither, so the scan skips them with one tight search
    // (every URL of a listing passes through here).
    let next_position = |from: usize| -> Option<usize> {
        if from >= bytes.len() {
            return None;
        }
        if from == 0 || starts_parameter_after(bytes[from - 1]) {
            return Some(from);
        }
        let at = from
            + bytes[from..]
                .iter()
                .position(|&byte| byte == b':' || starts_parameter_after(byte))?;
        Some(if bytes[at] == b':' { at } else { at + 1 })
    };
    let mut next = next_position(0);
    while let Some(pos) = next {
        if pos >= bytes.len() {
            break;
        }
        // Userinfo: `://user:password@` before the host.
        if bytes[pos..].starts_with(b"://") {
            let start = pos + 3;
            let authority_end = bytes[start..]
                .iter()
                .position(|&byte| matches!(byte, b'/' | b'?' | b'#') || ends_value(byte))
                .map_or(bytes.len(), |offset| start + offset);
            if let Some(at) = bytes[start..authority_end].iter().rposition(|&byte| byte == b'@')
                && let Some(colon) = bytes[start..start + at].iter().position(|&byte| byte == b':')
                && colon + 1 < at
            {
                masked.push((start + colon + 1, start + at));
            }
            next = next_position(start);
            continue;
        }
        // A parameter starts at the text's start or after `?`, `&`, `#` or `;`.
        let starts_parameter = pos == 0 || starts_parameter_after(bytes[pos - 1]);
        if starts_parameter {
            let name_end = bytes[pos..]
                .iter()
                .position(|&byte| byte == b'=' || ends_value(byte) || byte == b'?' || byte == b'/')
                .map_or(bytes.len(), |offset| pos + offset);
            if name_end < bytes.len() && bytes[name_end] == b'=' && name_end > pos {
                let value_start = name_end + 1;
                let value_end = bytes[value_start..]
                    .iter()
                    .position(|&byte| ends_value(byte))
                    .map_or(bytes.len(), |offset| value_start + offset);
                if value_end > value_start && is_secret_parameter(&text[pos..name_end]) {
                    masked.push((value_start, value_end));
                }
                next = next_position(value_end.max(pos + 1));
                continue;
            }
        }
        next = next_position(pos + 1);
    }
    if masked.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in masked {
        out.push_str(&text[copied..start]);
        out.push_str(MASK);
        copied = end;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
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
    fn a_secret_kept_in_the_input_is_the_same_secret_as_its_copy() {
        use std::hash::BuildHasher as _;
        let shared = Secret::from_input(Bytes::from_static(b"eyJh.eyJj.sig")).expect("UTF-8");
        let owned = Secret::new("eyJh.eyJj.sig");
        assert_eq!(shared.expose(), "eyJh.eyJj.sig");
        assert_eq!(shared, owned);
        assert_ne!(shared, Secret::new("eyJh.eyJj.other"));
        let hasher = std::hash::RandomState::new();
        assert_eq!(hasher.hash_one(&shared), hasher.hash_one(&owned));
        assert_eq!(shared.masked(), owned.masked());
        assert_eq!(format!("{shared:?}"), "Secret(•••• (13 chars))");
        assert!(Secret::from_input(Bytes::from_static(b"\xff\xfe")).is_none());
    }

    /// The comparison without a normalised copy says what comparing the copy says.
    #[test]
    fn secret_parameter_names_are_compared_as_normalised() {
        let by_copy = |name: &str| {
            let name = name.trim().to_ascii_lowercase().replace('-', "_");
            name != "offline_token"
                && (SECRET_PARAMETERS.contains(&name.as_str())
                    || ["_token", "password", "secret", "signature", "_key"]
                        .iter()
                        .any(|suffix| name.ends_with(suffix)))
        };
        for name in [
            "password",
            "Password",
            " PASSWORD ",
            "access_token",
            "Access-Token",
            "access-tokens",
            "offline_token",
            "Offline-Token",
            "x_offline_token",
            "X-Amz-Signature",
            "sig",
            "SIG",
            "signature2",
            "api-key",
            "my_key",
            "key",
            "n",
            "",
            "_",
            "token",
            "id_token",
            "pässword",
            "passwörd",
            "secret",
            "client_SECRET",
            "scope",
            "service",
            "grant_type",
            "-token",
        ] {
            assert_eq!(is_secret_parameter(name), by_copy(name), "{name:?}");
        }
    }

    #[test]
    fn masked_counts_chars_not_bytes() {
        assert_eq!(Secret::new("pässwörd").masked(), "•••• (8 chars)");
        assert_eq!(Secret::new("x").masked(), "•••• (1 char)");
        assert_eq!(Secret::new("").masked(), "•••• (0 chars)");
    }

    #[test]
    fn url_secrets_are_masked_names_kept() {
        // hand-written fixtures
        let check = |input: &str, expected: &str| assert_eq!(mask_url_secrets(input), expected);
        check(
            "https://auth.example/token?service=reg&scope=repository:a:pull&password=hunter2&account=alice",
            "https://auth.example/token?service=reg&scope=repository:a:pull&password=***&account=alice",
        );
        check(
            "https://alice:S3cretPass@reg.example:5000/v2/?access_token=abc.def.ghi#refresh_token=rt",
            "https://alice:***@reg.example:5000/v2/?access_token=***#refresh_token=***",
        );
        check(
            "https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Security-Token=IQo&X-Amz-Signature=ab12",
            "https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Security-Token=***&X-Amz-Signature=***",
        );
        check(
            "https://pkg-containers.githubusercontent.com/ghcr1/blobs/sha256:1?se=2024&sig=Zm9v%3D&sp=r",
            "https://pkg-containers.githubusercontent.com/ghcr1/blobs/sha256:1?se=2024&sig=***&sp=r",
        );
        check("/registry-v2/data?verify=1700000000-AbC&x=1", "/registry-v2/data?verify=***&x=1");
        check(
            "grant_type=password&username=alice&PASSWORD=pw&client_secret=cs&offline_token=true",
            "grant_type=password&username=alice&PASSWORD=***&client_secret=***&offline_token=true",
        );
        // A URL that does not parse (unclosed IPv6 bracket), quoted in a message.
        check(
            "`request.url` \"https://bob:pa:ss@[::1/v2/\" has an unclosed IPv6 bracket",
            "`request.url` \"https://bob:***@[::1/v2/\" has an unclosed IPv6 bracket",
        );
        // Nothing secret: borrowed, unchanged.
        for clean in [
            "https://user@reg.example/v2/?n=10&last=a",
            "https://reg.example/v2/?token=",
            "a=b c@d",
            "",
        ] {
            assert!(matches!(mask_url_secrets(clean), std::borrow::Cow::Borrowed(_)), "{clean}");
        }
    }

    #[test]
    fn masking_is_idempotent() {
        let once = mask_url_secrets("https://a:b@h/?token=x&sig=y").into_owned();
        assert_eq!(mask_url_secrets(&once), once);
    }

    #[test]
    fn expose_gives_the_value() {
        assert_eq!(Secret::from("abc").expose(), "abc");
        assert_eq!(Secret::from("abc".to_owned()), Secret::new("abc"));
    }
}
