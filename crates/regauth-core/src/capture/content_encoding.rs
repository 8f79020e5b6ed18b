//! Undoing `Content-Encoding` on demand, with an output cap against decompression bombs.
//!
//! Decoders are streamed: each coding reads from the one applied after it, and only the
//! output the caller asked for (plus one byte, to know whether more follows) is produced.
//! Decompressed bytes are charged to the input's [`DecodeBudget`] as they come out.

use std::borrow::Cow;
use std::io::Read;

use bytes::Bytes;

use crate::model::{BodyError, DecodeBudget, DecodedPrefix, decode_limits};

/// Decodes `wire` according to a `Content-Encoding` value (possibly a list, applied in order),
/// returning at most `limit` bytes.
pub fn decode<'a>(
    encoding: &str,
    wire: Cow<'a, [u8]>,
    limit: usize,
) -> Result<Cow<'a, [u8]>, BodyError> {
    let codings = codings(encoding)?;
    if codings.is_empty() {
        return Ok(match wire {
            Cow::Borrowed(slice) => Cow::Borrowed(&slice[..slice.len().min(limit)]),
            Cow::Owned(mut vec) => {
                vec.truncate(limit);
                Cow::Owned(vec)
            }
        });
    }
    decode_prefix(encoding, &wire, limit, None).map(|prefix| Cow::Owned(prefix.bytes.to_vec()))
}

/// Decodes the first `limit` bytes of `wire`, charging what decompression produces to `budget`.
pub fn decode_prefix(
    encoding: &str,
    wire: &[u8],
    limit: usize,
    budget: Option<&DecodeBudget>,
) -> Result<DecodedPrefix, BodyError> {
    decode_prefix_prepaid(encoding, wire, limit, budget, 0).map(|(prefix, _)| prefix)
}

/// [`decode_prefix`] for a body whose first `prepaid` decoded bytes were charged to `budget`
/// already (an earlier decoding of the same body): only what comes after them is charged, so
/// a body decoded again after its cache was dropped costs the budget nothing twice. Also
/// returns how many bytes were decoded in all (what is charged for this body from now on).
pub(crate) fn decode_prefix_prepaid(
    encoding: &str,
    wire: &[u8],
    limit: usize,
    budget: Option<&DecodeBudget>,
    prepaid: u64,
) -> Result<(DecodedPrefix, u64), BodyError> {
    let codings = codings(encoding)?;
    if let Some(budget) = budget
        && budget.remaining() == 0
        && prepaid == 0
        && !codings.is_empty()
    {
        return Err(BodyError::BudgetSpent { budget: budget.total() });
    }
    let reader = decoder(&codings, wire)?;
    let outermost = codings.first().cloned().unwrap_or_default();
    read_prefix(reader, limit, budget, prepaid).map_err(|err| match err {
        ReadError::Budget(budget) => BodyError::BudgetSpent { budget },
        ReadError::Io(reason) => BodyError::ContentEncoding { encoding: outermost, reason },
    })
}

/// Decodes all of `wire`, keeping only its last `keep` bytes, charging what decompression
/// produces to the tail pool of `budget` (or at most [`decode_limits::TAIL_WITHOUT_BUDGET`]
/// without one). Memory stays within about twice `keep` whatever the stream's size.
pub fn decode_tail(
    encoding: &str,
    wire: &[u8],
    keep: usize,
    budget: Option<&DecodeBudget>,
) -> Result<DecodedPrefix, BodyError> {
    const CHUNK: usize = 64 << 10;
    let codings = codings(encoding)?;
    let spent = || BodyError::TailBudgetSpent {
        budget: budget.map_or(decode_limits::TAIL_WITHOUT_BUDGET, DecodeBudget::tail_total),
    };
    let mut unbudgeted_left = decode_limits::TAIL_WITHOUT_BUDGET;
    let mut take = |n_read: usize| match budget {
        Some(budget) => budget.take_tail(n_read as u64),
        None => match unbudgeted_left.checked_sub(n_read as u64) {
            Some(left) => {
                unbudgeted_left = left;
                true
            }
            None => false,
        },
    };
    let mut reader = decoder(&codings, wire)?;
    let outermost = codings.first().cloned().unwrap_or_default();
    // The end so far, with room for one more chunk; when it holds over twice `keep`, its
    // front is dropped, so each byte is moved at most once more than it is decoded.
    let mut window: Vec<u8> = Vec::new();
    let mut dropped_any = false;
    loop {
        let start = window.len();
        window.resize(start + CHUNK, 0);
        let n_read = read_some(&mut reader, &mut window[start..]).map_err(|err| {
            BodyError::ContentEncoding { encoding: outermost.clone(), reason: err.to_string() }
        })?;
        window.truncate(start + n_read);
        if n_read == 0 {
            break;
        }
        if !take(n_read) {
            return Err(spent());
        }
        if window.len() > keep.saturating_mul(2).max(CHUNK) {
            let excess = window.len() - keep;
            window.drain(..excess);
            dropped_any = true;
        }
    }
    let excess = window.len().saturating_sub(keep);
    window.drain(..excess);
    Ok(DecodedPrefix { bytes: Bytes::from(window), complete: !dropped_any && excess == 0 })
}

/// The stack of decoders that undoes `codings` (listed in the order they were applied).
fn decoder<'w>(codings: &[String], wire: &'w [u8]) -> Result<Box<dyn Read + 'w>, BodyError> {
    let mut reader: Box<dyn Read + 'w> = Box::new(wire);
    for coding in codings.iter().rev() {
        reader = match coding.as_str() {
            "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            // Servers send both zlib-wrapped and raw deflate under this name; tell them apart
            // by the zlib header (only the outermost coding can be looked at before reading).
            "deflate" if codings.len() == 1 && !looks_like_zlib(wire) => {
                Box::new(flate2::read::DeflateDecoder::new(reader))
            }
            "deflate" => Box::new(flate2::read::ZlibDecoder::new(reader)),
            "br" => Box::new(brotli_decompressor::Decompressor::new(reader, 4096)),
            "zstd" => Box::new(ruzstd::decoding::StreamingDecoder::new(reader).map_err(|err| {
                BodyError::ContentEncoding { encoding: coding.clone(), reason: err.to_string() }
            })?),
            _ => return Err(BodyError::UnsupportedEncoding(coding.clone())),
        };
    }
    Ok(reader)
}

/// The codings of a `Content-Encoding` value, lower case, `identity` left out.
fn codings(encoding: &str) -> Result<Vec<String>, BodyError> {
    let codings: Vec<String> = encoding
        .split(',')
        .map(|coding| coding.trim().to_ascii_lowercase())
        .filter(|coding| !coding.is_empty() && coding != "identity")
        .collect();
    // Each coding is a decoder stacked on the previous; a hostile header listing thousands
    // would stack thousands. Real servers apply one, rarely two.
    if codings.len() > 4 {
        return Err(BodyError::UnsupportedEncoding(format!("{} codings stacked", codings.len())));
    }
    Ok(codings)
}

fn looks_like_zlib(wire: &[u8]) -> bool {
    wire.len() >= 2
        && wire[0] & 0x0f == 8
        && (u16::from(wire[0]) << 8 | u16::from(wire[1])) % 31 == 0
}

/// One `read`, retried when interrupted.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

enum ReadError {
    Budget(u64),
    Io(String),
}

/// Reads up to `limit + 1` bytes in chunks, charging each chunk to `budget` before keeping it.
fn read_prefix(
    mut reader: impl Read,
    limit: usize,
    budget: Option<&DecodeBudget>,
    prepaid: u64,
) -> Result<(DecodedPrefix, u64), ReadError> {
    const CHUNK: usize = 64 << 10;
    let wanted = limit.saturating_add(1);
    let mut out = Vec::new();
    let mut free = prepaid;
    while out.len() < wanted {
        let chunk = CHUNK.min(wanted - out.len());
        let start = out.len();
        out.resize(start + chunk, 0);
        let n_read = read_some(&mut reader, &mut out[start..])
            .map_err(|err| ReadError::Io(err.to_string()))?;
        out.truncate(start + n_read);
        if n_read == 0 {
            break;
        }
        let prepaid_part = free.min(n_read as u64);
        free -= prepaid_part;
        if let Some(budget) = budget
            && !budget.take(n_read as u64 - prepaid_part)
        {
            return Err(ReadError::Budget(budget.total()));
        }
    }
    let decoded = out.len() as u64;
    let complete = out.len() <= limit;
    out.truncate(limit);
    Ok((DecodedPrefix { bytes: Bytes::from(out), complete }, decoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_tail_is_the_end_of_the_decoded_stream_however_long() {
        let stream: Vec<u8> =
            (0..200_000u32).flat_map(|n| format!("line {n}\n").into_bytes()).collect();
        let gz = gzip(&stream);
        let tail = decode_tail("gzip", &gz, 1000, None).unwrap();
        assert_eq!(tail.bytes.as_ref(), &stream[stream.len() - 1000..]);
        assert!(!tail.complete);
        let whole = decode_tail("gzip", &gz, stream.len(), None).unwrap();
        assert_eq!(whole.bytes.as_ref(), stream.as_slice());
        assert!(whole.complete);
    }

    #[test]
    fn a_tail_is_charged_to_its_own_pool_and_stops_when_it_is_spent() {
        let stream = vec![b'x'; 3 << 20];
        let gz = gzip(&stream);
        // hand-written budget: 256 KiB for bodies, so 1 MiB for stream ends.
        let budget = DecodeBudget::new(256 << 10);
        let err = decode_tail("gzip", &gz, 100, Some(&budget)).unwrap_err();
        assert!(matches!(err, BodyError::TailBudgetSpent { budget: 1_048_576 }), "{err}");
        assert!(err.to_string().contains("--max-decoded-ratio"), "{err}");
        assert_eq!(budget.remaining(), 256 << 10, "the bodies' pool is untouched");
        let small = gzip(b"a short answer\n");
        assert!(decode_prefix("gzip", &small, 100, Some(&budget)).is_ok());
        assert!(matches!(
            decode_tail("gzip", &small, 100, Some(&budget)),
            Err(BodyError::TailBudgetSpent { .. })
        ));
    }

    #[test]
    fn a_broken_stream_has_no_tail() {
        let mut gz = gzip(&vec![b'y'; 1 << 20]);
        gz.truncate(gz.len() / 2);
        assert!(matches!(
            decode_tail("gzip", &gz, 100, None),
            Err(BodyError::ContentEncoding { .. })
        ));
    }

    #[test]
    fn gzip_round_trip_and_cap() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&[b'a'; 10_000]).unwrap();
        let gz = encoder.finish().unwrap();
        let full = decode("gzip", Cow::Borrowed(&gz), usize::MAX).unwrap();
        assert_eq!(full.len(), 10_000);
        let capped = decode("gzip", Cow::Borrowed(&gz), 100).unwrap();
        assert_eq!(capped.len(), 100);
    }

    // Fixtures made by Python's `brotli.compress` and the `zstd` command-line tool from
    // "hello hello hello\n" (tool output, pasted as bytes).
    #[test]
    fn brotli_and_zstd() {
        let expected: &[u8] = b"hello hello hello\n";
        let brotli: &[u8] = &[
            0x8b, 0x08, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
            0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x03,
        ];
        assert_eq!(decode("br", Cow::Borrowed(brotli), 100).unwrap().as_ref(), expected);
        let zstd: &[u8] = &[
            0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x6d, 0x00, 0x00, 0x38, 0x68, 0x65, 0x6c, 0x6c,
            0x6f, 0x20, 0x0a, 0x01, 0x00, 0x31, 0x4a, 0x11, 0xa3, 0xaa, 0x74, 0xce,
        ];
        assert_eq!(decode("zstd", Cow::Borrowed(zstd), 100).unwrap().as_ref(), expected);
        assert_eq!(
            decode("gzip, br", Cow::Borrowed(brotli), 5).ok(),
            None,
            "gzip was applied first, so it fails"
        );
        assert!(decode("br", Cow::Borrowed(b"not brotli at all"), 100).is_err());
    }

    #[test]
    fn unknown_coding_is_an_error_not_garbage() {
        assert_eq!(
            decode("compress", Cow::Borrowed(b"x"), 10),
            Err(BodyError::UnsupportedEncoding("compress".into()))
        );
        assert_eq!(decode("", Cow::Borrowed(b"xyz"), 10).unwrap().as_ref(), b"xyz");
    }
}
