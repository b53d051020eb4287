//! Compressed request bodies, as body-parser takes them: `Content-Encoding: gzip` and
//! `deflate` (zlib-wrapped, as Node's `createInflate` expects) are inflated; `identity` or none
//! is read as it is; any other coding is refused with 415 `unsupported content encoding "br"`.
//! The limit counts the inflated bytes (raw-body reads the inflated stream), and inflation
//! stops as soon as they pass it, so a zip bomb costs at most the limit.

use crate::error::ApiError;
use std::io::Write;

/// How a body is encoded, from its `Content-Encoding` (lowercased, as body-parser compares it).
#[derive(Debug, Clone, PartialEq)]
pub enum Coding {
    Identity,
    Gzip,
    Deflate,
    Unsupported(String),
}

pub fn coding(header: Option<&[u8]>) -> Coding {
    let Some(raw) = header else {
        return Coding::Identity;
    };
    let name = String::from_utf8_lossy(raw).to_lowercase();
    match name.as_str() {
        "identity" => Coding::Identity,
        "gzip" => Coding::Gzip,
        "deflate" => Coding::Deflate,
        _ => Coding::Unsupported(name),
    }
}

/// The 415 of a coding body-parser does not inflate.
pub fn unsupported(name: &str) -> ApiError {
    ApiError::UnsupportedMediaType(format!("unsupported content encoding \"{name}\""))
}

/// What inflating came to, short of success.
#[derive(Debug)]
pub enum Stop {
    /// The inflated body passed the limit: 413, the rest left unread.
    TooLarge,
    /// The compressed stream is broken: 400 with zlib's words, as body-parser answers.
    Broken(ApiError),
}

/// A sink that refuses to grow past the limit: the decoder writes into it in pieces, so a
/// small input that inflates to gigabytes stops at the first piece past the limit.
struct Bounded {
    out: Vec<u8>,
    limit: usize,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > self.limit {
            return Err(std::io::Error::other(TOO_LARGE));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const TOO_LARGE: &str = "inflated body over the limit";

enum Decoder {
    Gzip(flate2::write::GzDecoder<Bounded>),
    /// zlib's stream by hand: its end is known (`StreamEnd`), so a body cut short is told apart.
    Deflate {
        z: flate2::Decompress,
        out: Bounded,
        ended: bool,
    },
}

/// Inflates a body chunk by chunk within `limit` inflated bytes.
pub struct Inflater {
    decoder: Decoder,
    /// Compressed bytes taken so far: a stream broken at its very start is a bad header.
    taken: usize,
}

impl Inflater {
    /// An inflater for `coding` (gzip or deflate); None for the others.
    pub fn new(coding: &Coding, limit: usize) -> Option<Self> {
        let sink = Bounded { out: vec![], limit };
        let decoder = match coding {
            Coding::Gzip => Decoder::Gzip(flate2::write::GzDecoder::new(sink)),
            Coding::Deflate => Decoder::Deflate {
                z: flate2::Decompress::new(true),
                out: sink,
                ended: false,
            },
            _ => return None,
        };
        Some(Inflater { decoder, taken: 0 })
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Stop> {
        let out = match &mut self.decoder {
            Decoder::Gzip(d) => d.write_all(chunk),
            Decoder::Deflate { z, out, ended } => zlib_feed(z, out, ended, chunk),
        };
        let at_start = self.taken == 0;
        self.taken += chunk.len();
        out.map_err(|e| stop(e, at_start))
    }

    /// The whole inflated body, once the compressed one has ended.
    pub fn finish(self) -> Result<Vec<u8>, Stop> {
        let done = match self.decoder {
            Decoder::Gzip(mut d) => d.try_finish().and_then(|()| d.finish()),
            Decoder::Deflate { out, ended: true, .. } => Ok(out),
            Decoder::Deflate { .. } => Err(std::io::ErrorKind::UnexpectedEof.into()),
        };
        // A stream still open at the body's end (even an empty one) was cut short.
        let sink = done.map_err(|e| match stop(e, false) {
            Stop::Broken(_) => Stop::Broken(ApiError::BadRequest("unexpected end of file".into())),
            too_large => too_large,
        })?;
        Ok(sink.out)
    }
}

/// Runs `chunk` through zlib, a piece of output at a time, into the bounded sink.
fn zlib_feed(z: &mut flate2::Decompress, out: &mut Bounded, ended: &mut bool, chunk: &[u8]) -> std::io::Result<()> {
    let mut input = chunk;
    let mut piece = vec![0u8; 16 * 1024];
    while !*ended && !input.is_empty() {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let status = z
            .decompress(input, &mut piece, flate2::FlushDecompress::None)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let used = (z.total_in() - in_before) as usize;
        let made = (z.total_out() - out_before) as usize;
        out.write_all(&piece[..made])?;
        input = &input[used..];
        *ended = status == flate2::Status::StreamEnd;
        if used == 0 && made == 0 {
            break; // zlib wants more input than this chunk has
        }
    }
    Ok(())
}

/// zlib's words for what Node's zlib reports: a stream that is not gzip or zlib at all is an
/// "incorrect header check", one cut short an "unexpected end of file".
fn stop(e: std::io::Error, at_start: bool) -> Stop {
    if e.get_ref().is_some_and(|inner| inner.to_string() == TOO_LARGE) {
        return Stop::TooLarge;
    }
    let message = match e.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::WriteZero => "unexpected end of file",
        _ if at_start || e.to_string().contains("header") => "incorrect header check",
        _ => "invalid compressed data",
    };
    Stop::Broken(ApiError::BadRequest(message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(vec![], Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn inflate(coding: Coding, body: &[u8], limit: usize) -> Result<Vec<u8>, Stop> {
        let mut i = Inflater::new(&coding, limit).unwrap();
        for chunk in body.chunks(7) {
            i.feed(chunk)?;
        }
        i.finish()
    }

    #[test]
    fn codings_as_body_parser_names_them() {
        assert_eq!(coding(None), Coding::Identity);
        assert_eq!(coding(Some(b"GZIP")), Coding::Gzip);
        assert_eq!(coding(Some(b"deflate")), Coding::Deflate);
        assert_eq!(coding(Some(b"identity")), Coding::Identity);
        assert_eq!(coding(Some(b"br")), Coding::Unsupported("br".into()));
        assert_eq!(coding(Some(b"gzip, br")), Coding::Unsupported("gzip, br".into()));
        assert!(
            matches!(unsupported("br"), ApiError::UnsupportedMediaType(m) if m == "unsupported content encoding \"br\"")
        );
    }

    #[test]
    fn gzip_and_deflate_inflate_within_the_limit() {
        let json = br#"[{"id":"a","name":"A"}]"#;
        assert_eq!(inflate(Coding::Gzip, &gzip(json), 100).unwrap(), json);
        let mut z = ZlibEncoder::new(vec![], Compression::default());
        z.write_all(json).unwrap();
        assert_eq!(inflate(Coding::Deflate, &z.finish().unwrap(), 100).unwrap(), json);
        // A bomb: 50 MB of zeros in some 50 KB, stopped at the limit.
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100_000);
        assert!(matches!(inflate(Coding::Gzip, &bomb, 100 * 1024), Err(Stop::TooLarge)));
    }

    #[test]
    fn broken_streams_are_said_as_zlib_says_them() {
        let said = |r: Result<Vec<u8>, Stop>| match r {
            Err(Stop::Broken(ApiError::BadRequest(m))) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            said(inflate(Coding::Gzip, b"{\"not\":\"gzip\"}", 100)),
            "incorrect header check"
        );
        let whole = gzip(b"{\"a\":1}");
        assert_eq!(
            said(inflate(Coding::Gzip, &whole[..whole.len() - 6], 100)),
            "unexpected end of file"
        );
        let mut z = ZlibEncoder::new(vec![], Compression::default());
        z.write_all(&[b'x'; 5000]).unwrap();
        let whole = z.finish().unwrap();
        assert_eq!(
            said(inflate(Coding::Deflate, &whole[..whole.len() - 3], 10_000)),
            "unexpected end of file"
        );
        assert_eq!(
            said(inflate(Coding::Deflate, b"plain text", 100)),
            "incorrect header check"
        );
    }
}
