//! Undoing `Content-Encoding` on demand, with an output cap against decompression bombs.

use std::borrow::Cow;
use std::io::Read as _;

use crate::model::BodyError;

/// Decodes `wire` according to a `Content-Encoding` value (possibly a list, applied in order).
pub fn decode<'a>(
    encoding: &str,
    wire: Cow<'a, [u8]>,
    limit: usize,
) -> Result<Cow<'a, [u8]>, BodyError> {
    let mut data = wire;
    // Codings are listed in the order they were applied, so undo them from the last.
    for coding in encoding.split(',').map(str::trim).filter(|c| !c.is_empty()).rev() {
        let coding_lower = coding.to_ascii_lowercase();
        let decoded = match coding_lower.as_str() {
            "identity" => continue,
            "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(&data[..]), limit),
            "deflate" => {
                // Servers send both zlib-wrapped and raw deflate under this name.
                read_capped(flate2::read::ZlibDecoder::new(&data[..]), limit)
                    .or_else(|_| read_capped(flate2::read::DeflateDecoder::new(&data[..]), limit))
            }
            "br" => read_capped(brotli_decompressor::Decompressor::new(&data[..], 4096), limit),
            "zstd" => ruzstd::decoding::StreamingDecoder::new(&data[..])
                .map_err(|err| err.to_string())
                .and_then(|decoder| read_capped(decoder, limit)),
            _ => return Err(BodyError::UnsupportedEncoding(coding.to_owned())),
        };
        data = Cow::Owned(decoded.map_err(|reason| BodyError::ContentEncoding {
            encoding: coding.to_owned(),
            reason,
        })?);
    }
    if data.len() > limit {
        data = match data {
            Cow::Borrowed(slice) => Cow::Borrowed(&slice[..limit]),
            Cow::Owned(mut vec) => {
                vec.truncate(limit);
                Cow::Owned(vec)
            }
        };
    }
    Ok(data)
}

fn read_capped(reader: impl std::io::Read, limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader.take(limit as u64).read_to_end(&mut out).map_err(|err| err.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

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
