//! Whole API answers kept in memory until the data changes: every entry belongs to one data
//! version (see `Store::data_version`), and a new version empties the cache.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::metrics::counter::Counter;

/// Anything cached, with its approximate size in bytes.
pub trait CacheSize: Clone {
    fn size(&self) -> usize;
}

impl CacheSize for bytes::Bytes {
    fn size(&self) -> usize {
        self.len()
    }
}

/// A bounded map from request to answer (body bytes, or computed rows).
pub struct ResponseCache<V = bytes::Bytes> {
    limit_bytes: usize,
    inner: Mutex<Inner<V>>,
    /// Hits and misses, for `/metrics`.
    counted: Option<(Counter, Counter)>,
}

struct Inner<V> {
    version: i64,
    bytes: usize,
    answers: HashMap<String, V>,
}

impl<V> Default for Inner<V> {
    fn default() -> Self {
        Self {
            version: 0,
            bytes: 0,
            answers: HashMap::new(),
        }
    }
}

impl<V: CacheSize> ResponseCache<V> {
    /// A cache holding at most `limit_bytes` of answers; when full it starts over, which is
    /// simple and, for the few hot answers a site has, as good as LRU.
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            limit_bytes,
            inner: Mutex::new(Inner::default()),
            counted: None,
        }
    }

    /// The same, counting its hits and misses in `metrics` as `name`.
    pub fn counted(
        limit_bytes: usize,
        metrics: &crate::metrics::Metrics,
        name: &'static str,
    ) -> Self {
        Self {
            counted: Some((
                metrics.cache_counter(name, true),
                metrics.cache_counter(name, false),
            )),
            ..Self::new(limit_bytes)
        }
    }

    fn count(&self, hit: bool) {
        if let Some((hits, misses)) = &self.counted {
            if hit {
                hits.inc()
            } else {
                misses.inc()
            };
        }
    }

    pub fn get(&self, version: i64, key: &str) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.version != version {
            *inner = Inner {
                version,
                ..Inner::default()
            };
            drop(inner);
            self.count(false);
            return None;
        }
        let found = inner.answers.get(key).cloned();
        drop(inner);
        self.count(found.is_some());
        found
    }

    pub fn put(&self, version: i64, key: String, body: V) {
        if body.size() > self.limit_bytes {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.version != version {
            *inner = Inner {
                version,
                ..Inner::default()
            };
        }
        if inner.bytes + body.size() > self.limit_bytes {
            inner.answers.clear();
            inner.bytes = 0;
        }
        inner.bytes += body.size();
        if let Some(old) = inner.answers.insert(key, body) {
            inner.bytes -= old.size();
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn a_new_data_version_empties_the_cache() {
        let cache: ResponseCache = ResponseCache::new(100);
        cache.put(1, "a".into(), Bytes::from_static(b"one"));
        assert_eq!(cache.get(1, "a").as_deref(), Some(&b"one"[..]));
        assert_eq!(cache.get(2, "a"), None);
        assert_eq!(
            cache.get(1, "a"),
            None,
            "an older version does not come back"
        );
    }

    #[test]
    fn the_cache_stays_within_its_limit() {
        let cache: ResponseCache = ResponseCache::new(10);
        cache.put(1, "a".into(), Bytes::from_static(b"123456"));
        cache.put(1, "b".into(), Bytes::from_static(b"123456"));
        assert_eq!(cache.get(1, "a"), None);
        assert!(cache.get(1, "b").is_some());
        cache.put(1, "c".into(), Bytes::from_static(b"12345678901"));
        assert_eq!(
            cache.get(1, "c"),
            None,
            "an answer larger than the cache is not kept"
        );
    }
}
