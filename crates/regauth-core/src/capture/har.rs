//! HAR 1.2/1.3 reader (to be written: issue 3).

use bytes::Bytes;

use super::{CaptureError, InputProblem, Location};
use crate::model::Exchange;

pub(super) type ReadResult =
    Result<(Vec<Exchange>, Vec<InputProblem>, Option<String>), CaptureError>;

pub(crate) fn read(_source_idx: usize, name: &str, _bytes: Bytes) -> ReadResult {
    Err(CaptureError::Malformed {
        location: Location { source: name.to_owned(), ..Location::default() },
        message: "HAR reading is not implemented yet".to_owned(),
    })
}
