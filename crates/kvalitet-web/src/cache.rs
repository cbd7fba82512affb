//! Answers kept in memory per data version (see `Store::data_version`). However many
//! requests ask for one answer at once, it is computed once per version (single-flight); and
//! a final answer of an earlier version may be served while the new one is being computed,
//! so that a change never makes every waiting request compute or wait at once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::metrics::counter::Counter;
use tokio::sync::OnceCell;

/// Anything cached, with its approximate size in bytes.
pub trait CacheSize: Clone {
    fn size(&self) -> usize;
}

impl CacheSize for bytes::Bytes {
    fn size(&self) -> usize {
        self.len()
    }
}

/// A rendered page or API answer, with its gzipped form when compressing was worth it.
#[derive(Clone, Debug)]
pub struct Page {
    pub body: bytes::Bytes,
    pub gzip: Option<bytes::Bytes>,
}

impl Page {
    /// The page and its gzipped form.
    pub fn compressed(body: impl Into<bytes::Bytes>) -> Self {
        let body = body.into();
        let gzip = crate::gzip::gzip(&body);
        Self { body, gzip }
    }

    /// The answer `respond` makes of the body, carrying the gzipped form for the gzip layer
    /// to send to clients that accept it.
    pub fn into_response(
        self,
        respond: impl FnOnce(bytes::Bytes) -> axum::response::Response,
    ) -> axum::response::Response {
        let mut response = respond(self.body);
        if let Some(gz) = self.gzip {
            response.extensions_mut().insert(crate::gzip::Gzipped(gz));
        }
        response
    }
}

impl CacheSize for Page {
    fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, bytes::Bytes::len)
    }
}

/// Whether a caller may be given the previous version's answer while the current one is
/// being computed by another request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// For whole pages and API answers: the previous page is what the reader saw a moment
    /// ago, and the new one follows as soon as it is made.
    Served,
    /// For parts that pages are made of: a page of the new version must not be built from
    /// an old part, or the old data would be kept under the new version.
    Refused,
}

/// A bounded map from request to answer (a page, or computed rows), each answer marked with
/// the data version it was made for.
pub struct ResponseCache<V = Page> {
    limit_bytes: usize,
    inner: Mutex<Inner<V>>,
    /// Hits, stale answers and misses, for `/metrics`.
    counted: Option<Counters>,
}

struct Counters {
    hit: Counter,
    stale: Counter,
    miss: Counter,
}

struct Kept<V> {
    version: i64,
    value: V,
}

/// One computation under way, shared by every request that asks for it meanwhile.
struct Flight<V> {
    version: i64,
    value: OnceCell<V>,
}

/// What a request does, see [`ResponseCache::step`].
enum Step<V> {
    /// The answer of this version is kept.
    Kept(V),
    /// Another request is making it; this one takes the previous version's answer.
    Stale(V),
    /// This request is of a version already left behind.
    Alone,
    /// This request makes the answer, or waits for the one making it.
    Make(Arc<Flight<V>>),
}

struct Inner<V> {
    bytes: usize,
    answers: HashMap<String, Kept<V>>,
    flights: HashMap<String, Arc<Flight<V>>>,
}

/// Takes a computation off the list when the request that made it ends, whether it
/// finished, failed or was dropped (the client went away): the next request then starts
/// afresh instead of waiting on, or being served stale for, a computation nobody runs.
struct FlightTicket<'a, V> {
    inner: &'a Mutex<Inner<V>>,
    key: &'a str,
    flight: Arc<Flight<V>>,
}

impl<V> Drop for FlightTicket<'_, V> {
    fn drop(&mut self) {
        let mut inner = lock(self.inner);
        if inner
            .flights
            .get(self.key)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
        {
            inner.flights.remove(self.key);
        }
    }
}

fn lock<V>(inner: &Mutex<Inner<V>>) -> MutexGuard<'_, Inner<V>> {
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

impl<V: CacheSize> ResponseCache<V> {
    /// A cache holding at most `limit_bytes` of answers; when full it starts over, which is
    /// simple and, for the few hot answers a site has, as good as LRU.
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            limit_bytes,
            inner: Mutex::new(Inner {
                bytes: 0,
                answers: HashMap::new(),
                flights: HashMap::new(),
            }),
            counted: None,
        }
    }

    /// The same, counting its hits, stale answers and misses in `metrics` as `name`.
    pub fn counted(
        limit_bytes: usize,
        metrics: &crate::metrics::Metrics,
        name: &'static str,
    ) -> Self {
        Self {
            counted: Some(Counters {
                hit: metrics.cache_counter(name, "hit"),
                stale: metrics.cache_counter(name, "stale"),
                miss: metrics.cache_counter(name, "miss"),
            }),
            ..Self::new(limit_bytes)
        }
    }

    fn count(&self, which: fn(&Counters) -> &Counter) {
        if let Some(counters) = &self.counted {
            which(counters).inc();
        }
    }

    /// The answer made for exactly this version, if there is one.
    pub fn get(&self, version: i64, key: &str) -> Option<V> {
        let found = lock(&self.inner)
            .answers
            .get(key)
            .filter(|kept| kept.version == version)
            .map(|kept| kept.value.clone());
        self.count(if found.is_some() {
            |c| &c.hit
        } else {
            |c| &c.miss
        });
        found
    }

    /// Keeps an answer made for `version`, unless one for a later version is kept already
    /// (a slow request of the previous version must not overwrite the new answer).
    pub fn put(&self, version: i64, key: String, value: V) {
        let size = value.size();
        if size > self.limit_bytes {
            return;
        }
        let mut inner = lock(&self.inner);
        if let Some(kept) = inner.answers.get(&key) {
            if kept.version > version {
                return;
            }
            let old = kept.value.size();
            inner.bytes -= old;
            inner.answers.remove(&key);
        }
        if inner.bytes + size > self.limit_bytes {
            inner.answers.clear();
            inner.bytes = 0;
        }
        inner.bytes += size;
        inner.answers.insert(key, Kept { version, value });
    }

    /// What a request for `key` at `version` does, decided under the lock (which must not
    /// be held across an await, or the request's future could not move between threads).
    fn step(&self, version: i64, key: &str, stale: Stale) -> Step<V> {
        let mut inner = lock(&self.inner);
        let kept = inner.answers.get(key);
        if let Some(kept) = kept.filter(|k| k.version == version) {
            return Step::Kept(kept.value.clone());
        }
        let previous = kept
            .filter(|k| k.version < version)
            .map(|k| k.value.clone());
        match inner.flights.get(key) {
            Some(flight) if flight.version == version => match (stale, previous) {
                (Stale::Served, Some(previous)) => Step::Stale(previous),
                _ => Step::Make(flight.clone()),
            },
            // This request read the version just before it moved on: it makes its answer
            // alone and does not keep it.
            Some(flight) if flight.version > version => Step::Alone,
            _ => {
                let flight = Arc::new(Flight {
                    version,
                    value: OnceCell::new(),
                });
                inner.flights.insert(key.to_owned(), flight.clone());
                Step::Make(flight)
            }
        }
    }

    /// The answer for `version`, made by `make` only if no other request is making it
    /// already; those that come meanwhile wait for it, or with [`Stale::Served`] are given
    /// the previous version's answer when there is one. If the maker fails or is dropped,
    /// a waiting request makes it instead.
    pub async fn get_or_make<E, Fut>(
        &self,
        version: i64,
        key: &str,
        stale: Stale,
        make: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let flight = match self.step(version, key, stale) {
            Step::Kept(value) => {
                self.count(|c| &c.hit);
                return Ok(value);
            }
            Step::Stale(value) => {
                self.count(|c| &c.stale);
                return Ok(value);
            }
            Step::Alone => {
                self.count(|c| &c.miss);
                return make().await;
            }
            Step::Make(flight) => flight,
        };
        self.count(|c| &c.miss);
        let ticket = FlightTicket {
            inner: &self.inner,
            key,
            flight,
        };
        let value = ticket.flight.value.get_or_try_init(make).await?.clone();
        self.put(version, key.to_owned(), value.clone());
        drop(ticket);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    #[test]
    fn only_the_answer_of_the_asked_version_is_a_hit() {
        let cache: ResponseCache<Bytes> = ResponseCache::new(100);
        cache.put(1, "a".into(), Bytes::from_static(b"one"));
        assert_eq!(cache.get(1, "a").as_deref(), Some(&b"one"[..]));
        assert_eq!(cache.get(2, "a"), None);
        cache.put(2, "a".into(), Bytes::from_static(b"two"));
        cache.put(1, "a".into(), Bytes::from_static(b"old"));
        assert_eq!(
            cache.get(2, "a").as_deref(),
            Some(&b"two"[..]),
            "a late answer of an older version does not overwrite a newer one"
        );
        assert_eq!(cache.get(1, "a"), None);
    }

    #[test]
    fn the_cache_stays_within_its_limit() {
        let cache: ResponseCache<Bytes> = ResponseCache::new(10);
        cache.put(1, "a".into(), Bytes::from_static(b"123456"));
        cache.put(1, "b".into(), Bytes::from_static(b"123456"));
        assert_eq!(cache.get(1, "a"), None);
        assert!(cache.get(1, "b").is_some());
        cache.put(1, "b".into(), Bytes::from_static(b"1234"));
        cache.put(1, "c".into(), Bytes::from_static(b"123456"));
        assert!(
            cache.get(1, "b").is_some() && cache.get(1, "c").is_some(),
            "a replaced answer's bytes are not counted twice"
        );
        cache.put(1, "d".into(), Bytes::from_static(b"12345678901"));
        assert_eq!(
            cache.get(1, "d"),
            None,
            "an answer larger than the cache is not kept"
        );
    }

    /// A maker that counts its runs and takes a moment, as a cold page does.
    async fn slow(runs: &AtomicUsize, value: &'static [u8]) -> Result<Bytes, String> {
        runs.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Bytes::from_static(value))
    }

    #[tokio::test]
    async fn many_requests_at_once_make_an_answer_once() {
        let cache: ResponseCache<Bytes> = ResponseCache::new(1000);
        let runs = AtomicUsize::new(0);
        let asks =
            (0..50).map(|_| cache.get_or_make(1, "a", Stale::Refused, || slow(&runs, b"one")));
        let answers = futures_util::future::join_all(asks).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|a| a.as_deref() == Ok(&b"one"[..])));
        assert_eq!(cache.get(1, "a").as_deref(), Some(&b"one"[..]));
    }

    #[tokio::test]
    async fn while_the_new_version_is_made_the_previous_answer_is_served_if_allowed() {
        let cache: ResponseCache<Bytes> = ResponseCache::new(1000);
        cache.put(1, "a".into(), Bytes::from_static(b"one"));
        let runs = AtomicUsize::new(0);
        let maker = cache.get_or_make(2, "a", Stale::Served, || slow(&runs, b"two"));
        let served = async {
            // The maker has started (it is polled first by join).
            let stale = cache
                .get_or_make(2, "a", Stale::Served, || slow(&runs, b"never"))
                .await;
            let waited = cache
                .get_or_make(2, "a", Stale::Refused, || slow(&runs, b"never"))
                .await;
            (stale, waited)
        };
        let (made, (stale, waited)) = futures_util::future::join(maker, served).await;
        assert_eq!(made.as_deref(), Ok(&b"two"[..]));
        assert_eq!(
            stale.as_deref(),
            Ok(&b"one"[..]),
            "the previous answer, at once"
        );
        assert_eq!(
            waited.as_deref(),
            Ok(&b"two"[..]),
            "a part of a page waits for the new answer"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_maker_that_fails_or_goes_away_leaves_the_answer_to_the_next() {
        let cache: ResponseCache<Bytes> = ResponseCache::new(1000);
        cache.put(1, "a".into(), Bytes::from_static(b"one"));
        let failed = cache
            .get_or_make(2, "a", Stale::Served, || async {
                Err::<Bytes, _>("down".to_owned())
            })
            .await;
        assert_eq!(failed, Err("down".to_owned()));
        // A maker dropped half-way (its client went away) must not leave later requests
        // served the old answer for ever.
        let runs = AtomicUsize::new(0);
        let dropped = tokio::time::timeout(
            Duration::from_millis(5),
            cache.get_or_make(2, "a", Stale::Served, || slow(&runs, b"lost")),
        )
        .await;
        assert!(dropped.is_err());
        let made = cache
            .get_or_make(2, "a", Stale::Served, || slow(&runs, b"two"))
            .await;
        assert_eq!(made.as_deref(), Ok(&b"two"[..]));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
