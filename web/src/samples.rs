//! Real recordings from `samples/`, compiled into the analysis worker so the gallery works
//! offline with no fetch (the Content-Security-Policy would refuse one anyway). Chosen to be
//! small (≈230 KiB raw, ≈45 KiB deflated as bundled) and to cover one case per failing step plus
//! two successes.
//!
//! The page links only [`GALLERY`] (names and descriptions); the bytes are reached through
//! [`bytes`], which only the worker calls, so they are not in the page's wasm.

use std::io::Read;

pub struct SampleInfo {
    pub name: &'static str,
    pub description: &'static str,
}

pub const GALLERY: &[SampleInfo] = &[
    SampleInfo {
        name: "pull-success.flow",
        description: "skopeo pulls a private image with a token: all six steps succeed",
    },
    SampleInfo {
        name: "wrong-password.har",
        description: "skopeo pull with a wrong password: the token service refuses at step 4",
    },
    SampleInfo {
        name: "clock-ahead.flow",
        description: "token service clock 2 h ahead: the registry refuses a not-yet-valid token at step 6",
    },
    SampleInfo {
        name: "push-insufficient-scope.flow",
        description: "a read-only user pushes: the token grants pull only, refused at step 6",
    },
    SampleInfo {
        name: "token-expired-mid-push-recovered.flow",
        description: "a 5 s token expires during slow uploads; the client fetches a new one and succeeds",
    },
    SampleInfo {
        name: "basic-plain-http.har",
        description: "Basic auth over plain HTTP: it works, but the password crosses the wire readable",
    },
];

/// The bundled sample called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static SampleInfo> {
    GALLERY.iter().find(|sample| sample.name == name)
}

/// The bytes of the bundled sample called `name` (worker only). They are stored deflated by
/// `build.rs` (≈45 KiB instead of ≈230 KiB in the wasm every visitor downloads) and inflated
/// here, on each opening: that is a millisecond, and keeps no second copy alive.
pub fn bytes(name: &str) -> Option<Vec<u8>> {
    /// `(name, deflated bytes)` of every bundled sample, written by build.rs.
    const BUNDLED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
    let (_, deflated) = BUNDLED.iter().find(|(bundled, _)| *bundled == name)?;
    let mut raw = Vec::new();
    // Written by build.rs from the files in `samples/` moments before: a failure here is a
    // broken build, not input to handle.
    flate2::read::DeflateDecoder::new(*deflated)
        .read_to_end(&mut raw)
        .expect("build.rs deflated this sample");
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gallery_entry_has_its_bytes_and_nothing_else_does() {
        for sample in GALLERY {
            assert!(bytes(sample.name).is_some_and(|bytes| bytes.len() > 1000), "{}", sample.name);
        }
        assert!(bytes("../Cargo.toml").is_none());
    }

    #[test]
    fn a_bundled_sample_inflates_to_the_recording_in_samples() {
        for sample in GALLERY {
            let recorded = std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../samples")
                    .join(sample.name),
            )
            .unwrap();
            assert!(bytes(sample.name).unwrap() == recorded, "{}", sample.name);
        }
    }
}
