//! mitmproxy native flow reader (to be written: issue 3).

use bytes::Bytes;

use super::har::ReadResult;
use super::{CaptureError, Location};

pub(crate) fn read(_source_idx: usize, name: &str, _bytes: Bytes) -> ReadResult {
    Err(CaptureError::Malformed {
        location: Location { source: name.to_owned(), ..Location::default() },
        message: "mitmproxy flow reading is not implemented yet".to_owned(),
    })
}
