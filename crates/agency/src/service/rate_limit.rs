//! Token buckets per kiosk, in memory: how often a kiosk may read reference photos.
//!
//! A kiosk asks for one photo per retiree, a few a minute at a busy counter; a kiosk
//! reading hundreds a minute is being used to copy the roster's faces. Each kiosk has a
//! bucket of `burst` tokens refilled at `per_minute`; a read takes one, and an empty
//! bucket answers 429 with the seconds until the next token. Buckets live in the
//! server's memory (a restart refills them), which is enough for one server; a
//! province running several behind a balancer gives each its own share.
//!
//! Time is passed in, so the rule is tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Reads per minute and bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    /// 30 a minute, 30 at once: ten times a busy counter's pace.
    fn default() -> Self {
        RateLimit {
            per_minute: 30,
            burst: 30,
        }
    }
}

impl RateLimit {
    pub fn check(&self) -> Result<(), String> {
        if self.per_minute == 0 || self.burst == 0 {
            return Err("the reference-read rate and burst must be at least 1".into());
        }
        Ok(())
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One bucket per key (kiosk id).
pub struct TokenBuckets {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl TokenBuckets {
    pub fn new(limit: RateLimit) -> TokenBuckets {
        TokenBuckets {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token for `key` at `now`, or says how long until one is there.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let per_sec = f64::from(self.limit.per_minute) / 60.0;
        let burst = f64::from(self.limit.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.at = now.max(bucket.at);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
        }
    }
}

/// Whole seconds to put in `Retry-After` (rounded up, at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let b = TokenBuckets::new(RateLimit {
            per_minute: 6,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take("K1", t0), Ok(()));
        }
        let wait = b.take("K1", t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 10, "6 a minute: one every 10 s");
        // Another kiosk has its own bucket.
        assert_eq!(b.take("K2", t0), Ok(()));
        // 5 s later half a token: still refused, 5 s to go.
        assert_eq!(
            retry_after_secs(b.take("K1", t0 + Duration::from_secs(5)).unwrap_err()),
            5
        );
        assert_eq!(b.take("K1", t0 + Duration::from_secs(10)), Ok(()));
        // A long pause refills to the burst, never beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(b.take("K1", later), Ok(()));
        }
        assert!(b.take("K1", later).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(100)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn zero_limits_are_refused() {
        assert!(RateLimit {
            per_minute: 0,
            burst: 1
        }
        .check()
        .is_err());
        assert!(RateLimit::default().check().is_ok());
    }
}
