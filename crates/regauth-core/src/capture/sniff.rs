//! Telling HAR from mitmproxy flows from compressed wrappers by their first bytes.

use std::io::Read;

use bytes::Bytes;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Har,
    MitmproxyFlow,
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    /// zlib stream, as in `.zhar` files.
    Zlib,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub format: Format,
    pub compression: Compression,
}

/// Guesses the format from the first bytes. Never reads past the first few hundred bytes.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Sniffed { format: Format::Unknown, compression: Compression::Gzip };
    }
    // zlib: CMF 0x78 with a header checksum that divides by 31.
    if bytes.len() >= 2
        && bytes[0] == 0x78
        && (u16::from(bytes[0]) << 8 | u16::from(bytes[1])) % 31 == 0
    {
        return Sniffed { format: Format::Unknown, compression: Compression::Zlib };
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = text.iter().position(|byte| !byte.is_ascii_whitespace()).map(|idx| text[idx]);
    let format = match first {
        Some(b'{') => Format::Har,
        // A tnetstring starts with its decimal length and a colon, and a flow is a dict (`}`).
        Some(b'0'..=b'9') if looks_like_tnetstring(text) => Format::MitmproxyFlow,
        _ => Format::Unknown,
    };
    Sniffed { format, compression: Compression::None }
}

fn looks_like_tnetstring(bytes: &[u8]) -> bool {
    let digits = bytes.iter().take(12).take_while(|byte| byte.is_ascii_digit()).count();
    digits > 0 && bytes.get(digits) == Some(&b':')
}

/// Why inflating stopped before the end of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum InflateStop {
    /// The stream is cut short or damaged; `reason` is the decoder's word for it.
    Cut { reason: String },
    /// The output reached the limit.
    Limit,
}

/// What inflating a compressed input gave.
#[derive(Debug)]
pub(super) struct Inflated {
    pub(super) bytes: Bytes,
    /// `None` when the whole stream inflated within the limit.
    pub(super) stopped: Option<InflateStop>,
    /// How far into the compressed input the decoder got.
    pub(super) compressed_offset: u64,
}

/// Inflates `compressed` into at most `limit` bytes, in chunks (nothing is sized from what
/// the stream claims), keeping what inflated before a cut or damaged part of the stream.
///
/// Lazy where it matters: when the first inflated bytes are neither HAR nor a flow, it stops
/// there, so a bomb of zeros costs a few KiB, not `limit`. `Err` only when not a single byte
/// inflates (the header itself is bad).
pub(super) fn inflate(
    compressed: &[u8],
    compression: Compression,
    limit: u64,
) -> Result<Inflated, String> {
    let mut remaining: &[u8] = compressed;
    let mut out: Vec<u8> = Vec::new();
    let res = match compression {
        Compression::None => {
            return Ok(Inflated {
                bytes: Bytes::copy_from_slice(compressed),
                stopped: None,
                compressed_offset: compressed.len() as u64,
            });
        }
        Compression::Gzip => {
            let mut decoder = flate2::bufread::MultiGzDecoder::new(&mut remaining);
            inflate_into(&mut decoder, &mut out, limit)
        }
        Compression::Zlib => {
            let mut decoder = flate2::bufread::ZlibDecoder::new(&mut remaining);
            inflate_into(&mut decoder, &mut out, limit)
        }
    };
    let compressed_offset = (compressed.len() - remaining.len()) as u64;
    let stopped = match res {
        Ok(stop) => stop,
        Err(err) if out.is_empty() => return Err(err.to_string()),
        Err(err) => Some(InflateStop::Cut { reason: err.to_string() }),
    };
    if out.capacity() > out.len() + out.len() / 8 {
        out.shrink_to_fit();
    }
    Ok(Inflated { bytes: Bytes::from(out), stopped, compressed_offset })
}

/// Reads `decoder` into `out` in chunks until its end or `limit` bytes.
fn inflate_into(
    decoder: &mut impl Read,
    out: &mut Vec<u8>,
    limit: u64,
) -> std::io::Result<Option<InflateStop>> {
    const CHUNK: usize = 1 << 20;
    /// Enough to tell HAR and flows from anything else.
    const SNIFF_LEN: usize = 4096;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut sniffed = false;
    loop {
        if out.len() >= limit {
            // One more byte tells a stream that ends exactly at the limit from a longer one.
            let mut probe = [0u8; 1];
            return Ok(match decoder.read(&mut probe)? {
                0 => None,
                _ => Some(InflateStop::Limit),
            });
        }
        let start = out.len();
        let chunk = CHUNK.min(limit - start);
        out.resize(start + chunk, 0);
        let n_read = match decoder.read(&mut out[start..]) {
            Ok(n_read) => n_read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(err) => {
                out.truncate(start);
                return Err(err);
            }
        };
        out.truncate(start + n_read);
        if n_read == 0 {
            return Ok(None);
        }
        if !sniffed && out.len() >= SNIFF_LEN {
            sniffed = true;
            if sniff(out).format == Format::Unknown {
                // Not a capture: the caller reports what it starts with; the rest is not needed.
                return Ok(None);
            }
        }
    }
}

/// What an unknown input starts with, in words: never its bytes, which may be secrets.
pub(crate) fn describe_start(bytes: &[u8]) -> String {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first_significant = text.iter().position(|byte| !byte.is_ascii_whitespace());
    let Some(first_idx) = first_significant else {
        return if bytes.is_empty() {
            "is empty".to_owned()
        } else {
            "holds only whitespace".to_owned()
        };
    };
    let text = &text[first_idx..];
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"PK\x03\x04") {
        return "is a ZIP archive (Fiddler's .saz is one); unpack it and give the HAR or flow file inside".to_owned();
    }
    if starts(&[0x28, 0xb5, 0x2f, 0xfd])
        || starts(b"BZh")
        || starts(&[0xfd, b'7', b'z', b'X', b'Z', 0])
    {
        return "is compressed with zstd, bzip2 or xz, which regauth does not unpack; decompress it first".to_owned();
    }
    if starts(&[0xd4, 0xc3, 0xb2, 0xa1])
        || starts(&[0xa1, 0xb2, 0xc3, 0xd4])
        || starts(&[0x0a, 0x0d, 0x0d, 0x0a])
    {
        return "is a packet capture (pcap), not a recording of HTTP exchanges".to_owned();
    }
    match text[0] {
        b'[' => return "is a JSON array, not a HAR document (an object with `log`)".to_owned(),
        b'<' => return "starts like HTML or XML, not JSON or a flow file".to_owned(),
        b'0'..=b'9' => {
            return "starts with a number that is not a tnetstring length (digits and `:`), so it is no flow file"
                .to_owned();
        }
        _ => {}
    }
    let head = &text[..text.len().min(64)];
    let printable = head.iter().filter(|byte| byte.is_ascii_graphic() || **byte == b' ').count();
    if std::str::from_utf8(head).is_ok() && printable * 10 >= head.len() * 9 {
        "starts with printable text, not JSON or a flow file".to_owned()
    } else {
        "starts with binary data, not JSON or a flow file".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // hand-written fixtures: first bytes of each format
    #[test]
    fn sniffs_each_format() {
        assert_eq!(sniff(b"\xef\xbb\xbf  {\"log\":{}}").format, Format::Har);
        assert_eq!(sniff(b"1234:4:name;").format, Format::MitmproxyFlow);
        assert_eq!(sniff(b"\x1f\x8b\x08").compression, Compression::Gzip);
        assert_eq!(sniff(b"\x78\x9c").compression, Compression::Zlib);
        assert_eq!(sniff(b"GIF89a").format, Format::Unknown);
        assert_eq!(sniff(b"12345").format, Format::Unknown);
    }

    // hand-written fixtures: what unknown inputs start with is described, never quoted
    #[test]
    fn describes_unknown_starts_without_quoting_them() {
        let secret = b"alice:S3cretPass\n";
        let described = describe_start(secret);
        assert_eq!(described, "starts with printable text, not JSON or a flow file");
        assert_eq!(
            describe_start(b"\x00\x01\x02binary"),
            "starts with binary data, not JSON or a flow file"
        );
        assert!(describe_start(b"PK\x03\x04....").contains("ZIP"));
        assert!(describe_start(b"  <html>").contains("HTML"));
        assert!(describe_start(b"[1,2]").contains("array"));
        assert_eq!(describe_start(b"  \n"), "holds only whitespace");
    }
}
