//! Cached answers gzipped once and served so to clients that accept it: a goals page of 300
//! goals is a megabyte of HTML and 60 kB gzipped, and compressing per request would cost more
//! than serving. A general compression layer compresses every answer on every request; this
//! compresses only what is kept per data version, once.

use std::io::Write as _;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The gzipped body of a cached answer, put on the response by the handler; the layer
/// decides whether the client gets it.
#[derive(Clone)]
pub(crate) struct Gzipped(pub bytes::Bytes);

/// Answers smaller than a network packet are not worth compressing.
const SMALLEST: usize = 1400;

/// `body` gzipped (fast: it is done once per data version and key), or none when small.
pub(crate) fn gzip(body: &[u8]) -> Option<bytes::Bytes> {
    if body.len() < SMALLEST {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 8),
        flate2::Compression::fast(),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(bytes::Bytes::from)
}

/// Whether an `Accept-Encoding` header takes gzip (and does not refuse it with `q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default();
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// The layer: a response carrying [`Gzipped`] is sent gzipped to a client that accepts it,
/// and says that it varies by `Accept-Encoding` either way.
pub(crate) async fn serve_gzipped(request: Request, next: Next) -> Response {
    let accepts = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(accepts_gzip);
    let mut response = next.run(request).await;
    let Some(Gzipped(gz)) = response.extensions_mut().remove::<Gzipped>() else {
        return response;
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if accepts && response.status().is_success() {
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(gz);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn gzip_reads_back_and_small_bodies_are_left_alone() {
        let body = "<li>Ett mål</li>".repeat(500);
        let gz = gzip(body.as_bytes()).unwrap();
        assert!(gz.len() < body.len() / 10);
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, body);
        assert!(gzip(b"kort").is_none());
    }

    #[test]
    fn accept_encoding_is_read_as_browsers_send_it() {
        assert!(accepts_gzip("gzip, deflate, br, zstd"));
        assert!(accepts_gzip("br;q=1.0, gzip;q=0.8"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("br, identity"));
    }
}
