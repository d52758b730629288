//! The latest-frame slot between the camera thread and the analysis.
//!
//! A single-value mailbox, never a queue: the camera overwrites, the consumer takes the
//! newest. When the analysis is slower than the camera the older frames are simply lost
//! (and counted in [`FrameSlot::dropped`]), so what the kiosk decides on is always the
//! present, and memory stays at one frame whatever the speeds.
//!
//! The slot also carries the end of the stream: once the source has finished, failed or
//! been stopped, the slot is closed with a [`SlotEvent`] and the consumer learns why
//! instead of waiting for frames that will never come. A frame still in the slot when it
//! closes can be taken, so the last frame of a replay is not lost.
//!
//! `Mutex` + `Condvar` from std: the critical sections are a pointer swap, so a lock-free
//! cell would buy nothing measurable and would need a dependency.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::{CameraError, Frame};

/// Why no more frames will arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotEvent {
    /// The source finished: a replay played once reached its end.
    Ended,
    /// The source failed (camera unplugged, unreadable replay frame, ...).
    Failed(CameraError),
    /// The owner stopped the camera thread ([`CameraThread::stop`](super::CameraThread::stop)).
    Stopped,
}

#[derive(Default)]
struct State {
    frame: Option<Frame>,
    dropped: u64,
    end: Option<SlotEvent>,
}

#[derive(Default)]
pub struct FrameSlot {
    state: Mutex<State>,
    changed: Condvar,
}

impl FrameSlot {
    pub fn new() -> Self {
        Self::default()
    }

    // A panic while holding the lock cannot leave `State` half-updated (every update is
    // a single assignment), so a poisoned lock is still safe to use.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Offers a frame, replacing one the consumer has not taken yet (counted as dropped).
    /// Returns false, discarding the frame, once the slot is closed: nothing may follow
    /// the end of the stream.
    pub fn put(&self, frame: Frame) -> bool {
        let mut s = self.lock();
        if s.end.is_some() {
            return false;
        }
        if s.frame.replace(frame).is_some() {
            s.dropped += 1;
        }
        drop(s);
        self.changed.notify_all();
        true
    }

    /// Closes the slot. The first reason wins: a failure reported by the source is not
    /// overwritten by the owner's later `Stopped`.
    pub fn close(&self, event: SlotEvent) {
        let mut s = self.lock();
        if s.end.is_none() {
            s.end = Some(event);
        }
        drop(s);
        self.changed.notify_all();
    }

    /// The newest frame, waiting at most `timeout` for one. `None` on timeout, or at once
    /// when the slot is empty and closed (then [`end`](Self::end) says why). Each frame
    /// is returned once.
    pub fn take_newest(&self, timeout: Duration) -> Option<Frame> {
        let s = self.lock();
        let (mut s, _) = self
            .changed
            .wait_timeout_while(s, timeout, |s| s.frame.is_none() && s.end.is_none())
            .unwrap_or_else(|p| p.into_inner());
        s.frame.take()
    }

    /// The newest frame if one is waiting, without blocking.
    pub fn try_take(&self) -> Option<Frame> {
        self.lock().frame.take()
    }

    /// Frames overwritten before anyone took them.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    pub fn is_closed(&self) -> bool {
        self.lock().end.is_some()
    }

    /// Why the slot is closed; `None` while frames may still come.
    pub fn end(&self) -> Option<SlotEvent> {
        self.lock().end.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use image::RgbImage;

    use super::*;

    fn frame(seq: u64) -> Frame {
        Frame {
            seq,
            captured_ms: seq * 10,
            image: Arc::new(RgbImage::new(2, 2)),
            mirrored: false,
        }
    }

    #[test]
    fn keeps_only_the_newest_and_counts_the_rest() {
        let slot = FrameSlot::new();
        for i in 0..5 {
            assert!(slot.put(frame(i)));
        }
        assert_eq!(slot.dropped(), 4);
        assert_eq!(slot.try_take().map(|f| f.seq), Some(4));
        // Taken frames are gone; taking is not dropping.
        assert!(slot.try_take().is_none());
        slot.put(frame(5));
        assert_eq!(slot.take_newest(Duration::ZERO).map(|f| f.seq), Some(5));
        assert_eq!(slot.dropped(), 4);
    }

    #[test]
    fn times_out_instead_of_blocking_forever() {
        let slot = FrameSlot::new();
        let t = Instant::now();
        assert!(slot.take_newest(Duration::from_millis(60)).is_none());
        let waited = t.elapsed();
        assert!(waited >= Duration::from_millis(60), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert!(!slot.is_closed());
    }

    #[test]
    fn wakes_a_waiting_consumer() {
        let slot = Arc::new(FrameSlot::new());
        let producer = {
            let slot = Arc::clone(&slot);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                slot.put(frame(9));
            })
        };
        let got = slot.take_newest(Duration::from_secs(10));
        assert_eq!(got.map(|f| f.seq), Some(9));
        producer.join().unwrap();
    }

    #[test]
    fn close_ends_the_wait_and_keeps_the_last_frame() {
        let slot = Arc::new(FrameSlot::new());
        slot.put(frame(1));
        slot.close(SlotEvent::Ended);
        // The frame put before the end is still delivered...
        assert_eq!(
            slot.take_newest(Duration::from_secs(10)).map(|f| f.seq),
            Some(1)
        );
        // ...then an empty closed slot answers at once.
        let t = Instant::now();
        assert!(slot.take_newest(Duration::from_secs(10)).is_none());
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(slot.end(), Some(SlotEvent::Ended));
        // Nothing may follow the end.
        assert!(!slot.put(frame(2)));
        assert!(slot.try_take().is_none());
    }

    #[test]
    fn close_wakes_a_waiting_consumer_and_first_reason_wins() {
        let slot = Arc::new(FrameSlot::new());
        let closer = {
            let slot = Arc::clone(&slot);
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                slot.close(SlotEvent::Failed(CameraError::DeviceLost {
                    index: 0,
                    reason: "No such device".into(),
                }));
                slot.close(SlotEvent::Stopped);
            })
        };
        let t = Instant::now();
        assert!(slot.take_newest(Duration::from_secs(10)).is_none());
        assert!(t.elapsed() < Duration::from_secs(5));
        closer.join().unwrap();
        match slot.end() {
            Some(SlotEvent::Failed(CameraError::DeviceLost { index: 0, .. })) => {}
            other => panic!("expected the device failure, got {other:?}"),
        }
    }
}
