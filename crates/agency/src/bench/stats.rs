//! Latency figures and a small seeded generator for the benches.
//!
//! Latencies are kept whole (one `u32` of microseconds per request) and sorted once at
//! the end: a bench run is at most a few million requests, so exact percentiles cost a
//! few megabytes and no histogram bucketing error.

use std::time::Duration;

use serde::Serialize;

/// Every measured request's latency, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<u32>);

/// Percentiles of a set of latencies, in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn append(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn summary(&mut self) -> LatencySummary {
        self.0.sort_unstable();
        let ms = |us: u32| f64::from(us) / 1000.0;
        let at = |q: f64| -> f64 {
            if self.0.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least q of the values at or below it.
            let rank = (q * self.0.len() as f64).ceil() as usize;
            ms(self.0[rank.clamp(1, self.0.len()) - 1])
        };
        LatencySummary {
            count: self.0.len() as u64,
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: self.0.last().map_or(0.0, |&v| ms(v)),
        }
    }
}

/// SplitMix64: fast, seedable, good enough for jitter, picks and filler bytes (keys and
/// tokens come from the OS, never from this).
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0); the modulo bias is irrelevant at these sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut l = Latencies::default();
        for ms in 1..=100u64 {
            l.push(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(Latencies::default().summary().p99_ms, 0.0);
    }

    #[test]
    fn the_generator_is_seeded_and_in_range() {
        let mut a = SplitMix::new(7);
        let mut b = SplitMix::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        for _ in 0..1000 {
            assert!(a.below(10) < 10);
            let u = a.unit();
            assert!((0.0..1.0).contains(&u));
        }
        let mut buf = [0u8; 13];
        a.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
    }
}
