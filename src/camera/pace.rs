//! Frame timing shared by the sources that make their own frames (replay, demo).
//!
//! Frame n is due n / fps after the first frame. Sleeping to that deadline (rather than
//! "one interval after the previous frame") keeps a long replay from drifting when
//! decoding takes part of each interval. The stamped time is always the nominal one, so
//! the same replay gives the same timestamps paced or unpaced.

use std::time::{Duration, Instant};

pub(crate) struct Pacer {
    fps: u64,
    paced: bool,
    /// Set at the first frame, not at construction, so the time spent opening the
    /// source (listing a directory, decoding the first frame) does not cause a burst.
    start: Option<Instant>,
}

impl Pacer {
    /// `fps` below 1 is taken as 1: the configuration forbids it, and a zero would divide
    /// by zero.
    pub(crate) fn new(fps: u32, paced: bool) -> Self {
        Pacer {
            fps: u64::from(fps.max(1)),
            paced,
            start: None,
        }
    }

    /// Nominal time of frame `index`, in milliseconds since the first frame.
    pub(crate) fn frame_ms(&self, index: u64) -> u64 {
        index.saturating_mul(1000) / self.fps
    }

    /// When paced, sleeps until frame `index` is due; returns its nominal time. A source
    /// running late delivers at once and does not skip: replays are evidence, every
    /// recorded frame is shown.
    pub(crate) fn wait(&mut self, index: u64) -> u64 {
        if self.paced {
            let start = *self.start.get_or_insert_with(Instant::now);
            let due = start + Duration::from_nanos(index.saturating_mul(1_000_000_000) / self.fps);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.frame_ms(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_times_and_zero_fps() {
        let p = Pacer::new(30, false);
        assert_eq!(p.frame_ms(0), 0);
        assert_eq!(p.frame_ms(1), 33);
        assert_eq!(p.frame_ms(30), 1000);
        assert_eq!(Pacer::new(0, false).frame_ms(2), 2000);
    }

    #[test]
    fn paced_waits_for_the_deadline_unpaced_does_not() {
        let mut p = Pacer::new(50, true);
        let t = Instant::now();
        for i in 0..6 {
            p.wait(i);
        }
        // Frame 5 is due 100 ms after frame 0.
        assert!(
            t.elapsed() >= Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );

        let mut p = Pacer::new(1, false);
        let t = Instant::now();
        assert_eq!(p.wait(5), 5000);
        assert!(t.elapsed() < Duration::from_millis(100));
    }
}
