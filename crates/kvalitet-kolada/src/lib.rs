//! Fetches pages from Kolada API v3 (or another kvalitet's `/v3`) politely: at most a set
//! number of requests per second, `Retry-After` honoured on 429, and 5xx answers, time-outs
//! and broken connections retried with exponential backoff and jitter. This crate is the only
//! place kvalitet talks to Kolada.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use kvalitet_app::sync::{Fetch, FetchError};

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests per second at most.
    pub requests_per_second: f64,
    /// Attempts per URL, the first included.
    pub attempts: u32,
    /// The first backoff; it doubles with each retry (plus up to 50 % jitter).
    pub backoff: Duration,
    /// The longest wait for one answer.
    pub timeout: Duration,
    /// The largest answer read; a larger one is refused before it is held.
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            requests_per_second: 5.0,
            attempts: 6,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(60),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// An HTTP client for Kolada's API.
pub struct KoladaClient {
    http: reqwest::Client,
    options: ClientOptions,
    next_slot: Mutex<Instant>,
}

impl KoladaClient {
    pub fn new(options: ClientOptions) -> Result<Self, FetchError> {
        // ring is the one crypto provider built in; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "kvalitet/",
                env!("CARGO_PKG_VERSION"),
                " (+https://example.invalid/kvalitet)"
            ))
            .timeout(options.timeout)
            .build()
            .map_err(|e| FetchError::new("", format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            options,
            next_slot: Mutex::new(Instant::now()),
        })
    }

    /// Waits for this request's turn under the rate limit.
    async fn throttle(&self) {
        let interval = Duration::from_secs_f64(1.0 / self.options.requests_per_second.max(0.001));
        let slot = {
            let mut next = self.next_slot.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.backoff.saturating_mul(1 << attempt.min(10));
        base + base.mul_f64(jitter() * 0.5)
    }

    async fn attempt(&self, url: &str) -> Result<Vec<u8>, Failure> {
        self.throttle().await;
        let response = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| Failure::Retry {
                reason: describe(&e),
                after: None,
            })?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure::Retry {
                reason: "HTTP 429 Too Many Requests".into(),
                after,
            });
        }
        if status.is_server_error() {
            return Err(Failure::Retry {
                reason: format!("HTTP {status}"),
                after: None,
            });
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(Failure::Final(format!(
                "HTTP {status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        // A body past the limit is refused before it is held: a misbehaving server (or a
        // mirror that is not kvalitet) must not fill the memory.
        let limit = self.options.max_response_bytes;
        let too_large = || {
            Failure::Final(format!(
                "the answer is larger than {limit} bytes, more than any page of Kolada's"
            ))
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut response = response;
        let mut body = Vec::new();
        loop {
            // A connection that breaks while the body arrives is retried like one that fails
            // early.
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > limit => {
                    return Err(too_large());
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(Failure::Retry {
                        reason: describe(&e),
                        after: None,
                    });
                }
            }
        }
    }
}

/// The largest answer read by default: Kolada's largest pages (the KPI catalogue) are about
/// 10 MB.
pub const MAX_RESPONSE_BYTES: usize = 128 << 20;

enum Failure {
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Final(String),
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

/// A number in [0, 1) that differs between calls, for backoff jitter.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = u64::from(nanos).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11;
    mixed as f64 / (1u64 << 53) as f64
}

impl Fetch for KoladaClient {
    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut last = String::new();
        for attempt in 0..self.options.attempts {
            match self.attempt(url).await {
                Ok(body) => return Ok(body),
                Err(Failure::Final(reason)) => return Err(FetchError::new(url, reason)),
                Err(Failure::Retry { reason, after }) => {
                    let wait = after.unwrap_or_else(|| self.backoff(attempt));
                    tracing::warn!(%url, %reason, ?wait, attempt = attempt + 1, "retrying");
                    last = reason;
                    if attempt + 1 < self.options.attempts {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        Err(FetchError::new(
            url,
            format!("gave up after {} attempts: {last}", self.options.attempts),
        ))
    }
}
