//! Telling HAR from mitmproxy flows from compressed wrappers by their first bytes.

use std::io::Read as _;

use bytes::Bytes;

use super::CaptureError;

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

pub(crate) fn decompress(
    name: &str,
    bytes: &Bytes,
    compression: Compression,
    limit: u64,
) -> Result<Bytes, CaptureError> {
    let mut out = Vec::new();
    let result = match compression {
        Compression::None => return Ok(bytes.clone()),
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(&bytes[..]).take(limit + 1).read_to_end(&mut out)
        }
        Compression::Zlib => {
            flate2::read::ZlibDecoder::new(&bytes[..]).take(limit + 1).read_to_end(&mut out)
        }
    };
    match result {
        Ok(_) if out.len() as u64 > limit => {
            Err(CaptureError::TooLarge { name: name.to_owned(), limit })
        }
        Ok(_) => Ok(Bytes::from(out)),
        Err(err) => Err(CaptureError::Decompress {
            name: name.to_owned(),
            compression,
            reason: err.to_string(),
        }),
    }
}

/// A short printable description of what an unknown input starts with.
pub(crate) fn describe_start(bytes: &[u8]) -> String {
    let head: String = bytes
        .iter()
        .take(16)
        .map(|&byte| if byte.is_ascii_graphic() || byte == b' ' { char::from(byte) } else { '.' })
        .collect();
    format!("{:?}", head)
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
}
