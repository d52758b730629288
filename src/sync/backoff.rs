//! When to try again after a transient failure (429, 5xx, timeout, reset).
//!
//! Capped exponential backoff with *full jitter*: the n-th retry waits a uniformly
//! random time in `[0, min(cap, base · 2ⁿ)]`, so a hundred kiosks coming back after an
//! outage do not knock the server over in step. A server's `Retry-After` is a floor:
//! the wait is never shorter than what the server asked for (bounded by `max_retry_after`
//! so a misconfigured server cannot park a kiosk for days).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The ceiling of the n-th retry's wait (0-based): `min(cap, base · 2ⁿ)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before retry number `attempt` (0-based), given a uniform sample
    /// `unit` in `[0, 1)` and the server's `Retry-After`, if any.
    pub fn delay_with(&self, attempt: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let jittered = self.ceiling(attempt).mul_f64(unit.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.max_retry_after)),
            None => jittered,
        }
    }

    /// [`delay_with`](Self::delay_with) with a fresh random sample.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let unit: f64 = rand::random();
        self.delay_with(attempt, unit, retry_after)
    }
}

/// The protocol crate's parser, shared with the agency's load generator.
pub use certpoint_protocol::parse_retry_after;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
        };
        let c: Vec<u128> = (0..6).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(c, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.ceiling(1000), Duration::from_secs(1));
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        let b = Backoff::default();
        assert_eq!(b.delay_with(3, 0.0, None), Duration::ZERO);
        assert_eq!(b.delay_with(3, 1.0, None), b.ceiling(3));
        assert_eq!(b.delay_with(3, 0.5, None), b.ceiling(3) / 2);
        for _ in 0..200 {
            assert!(b.delay(4, None) <= b.ceiling(4));
        }
    }

    #[test]
    fn retry_after_is_a_floor_with_a_bound() {
        let b = Backoff::default();
        let ra = Some(Duration::from_secs(30));
        assert_eq!(b.delay_with(0, 0.3, ra), Duration::from_secs(30));
        assert_eq!(
            b.delay_with(0, 0.3, Some(Duration::from_secs(1 << 30))),
            b.max_retry_after
        );
    }
}
