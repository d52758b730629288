//! The camera thread: owns a [`FrameSource`] and feeds a [`FrameSlot`].
//!
//! The source's `next_frame` blocks (on the camera, or on a replay's frame time), so it
//! gets a thread of its own and nobody else ever waits on it. The thread ends when the
//! source ends (slot closed with `Ended`), fails (`Failed`, also logged) or is stopped
//! (`Stopped`); in every case the slot is closed, so a consumer never waits for frames
//! that cannot come, even if the source panics.
//!
//! A failed camera is not reopened here: this thread reports the failure and stops.
//! Reconnecting (retry every few seconds, tell the clerk) is the GUI's job, which spawns
//! a new `CameraThread` on a newly opened source.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{CameraError, FrameSlot, FrameSource, SlotEvent};

/// How long [`CameraThread::stop`] waits for the thread. The thread notices the stop
/// between frames: one frame interval (≤ 1 s at the slowest allowed rate) or one camera
/// read. A driver that hangs in a read must not hang the kiosk's shutdown with it.
const STOP_WAIT: Duration = Duration::from_secs(3);

pub struct CameraThread {
    stop: Arc<AtomicBool>,
    slot: Arc<FrameSlot>,
    handle: Option<JoinHandle<()>>,
    /// Disconnected when the thread has finished (its sender is dropped on exit), which
    /// gives `stop` a join with a timeout.
    finished: mpsc::Receiver<()>,
    description: String,
}

impl CameraThread {
    /// Starts a thread named "camera" that moves frames from `source` into `slot`.
    pub fn spawn(
        mut source: Box<dyn FrameSource>,
        slot: Arc<FrameSlot>,
    ) -> std::io::Result<CameraThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, finished) = mpsc::channel::<()>();
        let description = source.describe();
        let handle = {
            let stop = Arc::clone(&stop);
            let slot = Arc::clone(&slot);
            std::thread::Builder::new()
                .name("camera".into())
                .spawn(move || {
                    let _done = done_tx;
                    let _guard = CloseOnPanic(Arc::clone(&slot));
                    run(source.as_mut(), &slot, &stop);
                })?
        };
        Ok(CameraThread {
            stop,
            slot,
            handle: Some(handle),
            finished,
            description,
        })
    }

    /// The source's description, taken at spawn.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// True once the thread has ended (source finished, failed or stopped).
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the thread and waits for it (up to a few seconds; a thread stuck in a
    /// camera driver is then left behind with a warning). Closes the slot with
    /// `Stopped` unless the source had already ended or failed. Idempotent.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes nobody on the camera side (it checks the flag between frames), but tells
        // the consumer at once rather than after the thread's last frame.
        self.slot.close(SlotEvent::Stopped);
        let Some(handle) = self.handle.take() else {
            return;
        };
        match self.finished.recv_timeout(STOP_WAIT) {
            Err(mpsc::RecvTimeoutError::Timeout) => tracing::warn!(
                source = %self.description,
                "camera thread did not stop within {STOP_WAIT:?}; leaving it behind"
            ),
            // Disconnected: the thread dropped its sender, it is done.
            _ => {
                // A panic was already reported through the slot and the panic hook.
                let _ = handle.join();
            }
        }
    }
}

impl Drop for CameraThread {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(source: &mut dyn FrameSource, slot: &FrameSlot, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match source.next_frame() {
            Ok(Some(frame)) => {
                // Closed under us: the owner stopped the camera.
                if !slot.put(frame) {
                    return;
                }
            }
            Ok(None) => {
                tracing::info!(source = %source.describe(), "camera source ended");
                slot.close(SlotEvent::Ended);
                return;
            }
            Err(e) => {
                tracing::error!(source = %source.describe(), "camera failed: {e}");
                slot.close(SlotEvent::Failed(e));
                return;
            }
        }
    }
    slot.close(SlotEvent::Stopped);
}

/// Closes the slot if the source panics, so the consumer is not left waiting.
struct CloseOnPanic(Arc<FrameSlot>);

impl Drop for CloseOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close(SlotEvent::Failed(CameraError::ThreadPanicked));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use image::RgbImage;

    use super::*;
    use crate::camera::Frame;

    /// Produces `ok` frames, then fails or ends or panics, as told.
    struct Scripted {
        seq: u64,
        ok: u64,
        then: Then,
    }

    enum Then {
        End,
        Fail,
        Panic,
        Forever,
    }

    impl FrameSource for Scripted {
        fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
            if self.seq >= self.ok {
                match self.then {
                    Then::End => return Ok(None),
                    Then::Fail => {
                        return Err(CameraError::DeviceLost {
                            index: 3,
                            reason: "No such device (os error 19)".into(),
                        })
                    }
                    Then::Panic => panic!("scripted panic"),
                    Then::Forever => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            self.seq += 1;
            Ok(Some(Frame {
                seq: self.seq - 1,
                captured_ms: self.seq,
                image: Arc::new(RgbImage::new(1, 1)),
                mirrored: false,
            }))
        }

        fn describe(&self) -> String {
            "scripted".into()
        }
    }

    fn spawn(ok: u64, then: Then) -> (CameraThread, Arc<FrameSlot>) {
        let slot = Arc::new(FrameSlot::new());
        let t = CameraThread::spawn(Box::new(Scripted { seq: 0, ok, then }), Arc::clone(&slot))
            .unwrap();
        (t, slot)
    }

    fn wait_closed(slot: &FrameSlot) -> SlotEvent {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(e) = slot.end() {
                return e;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("slot never closed");
    }

    #[test]
    fn source_end_closes_with_ended() {
        let (mut t, slot) = spawn(3, Then::End);
        assert_eq!(wait_closed(&slot), SlotEvent::Ended);
        // The last frame survives the close.
        assert_eq!(slot.try_take().map(|f| f.seq), Some(2));
        t.stop();
        // A stop after the end does not rewrite why it ended.
        assert_eq!(slot.end(), Some(SlotEvent::Ended));
        assert!(t.is_finished());
    }

    #[test]
    fn source_failure_reaches_the_consumer() {
        let (_t, slot) = spawn(2, Then::Fail);
        match wait_closed(&slot) {
            SlotEvent::Failed(e) => assert!(e.to_string().contains("device 3"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_panicking_source_still_closes_the_slot() {
        let (_t, slot) = spawn(1, Then::Panic);
        assert_eq!(
            wait_closed(&slot),
            SlotEvent::Failed(CameraError::ThreadPanicked)
        );
    }

    #[test]
    fn stop_and_drop_end_an_endless_source() {
        let (mut t, slot) = spawn(0, Then::Forever);
        assert!(slot.take_newest(Duration::from_secs(10)).is_some());
        let started = Instant::now();
        t.stop();
        assert!(started.elapsed() < STOP_WAIT);
        assert!(t.is_finished());
        assert_eq!(slot.end(), Some(SlotEvent::Stopped));
        t.stop();

        let (t, slot) = spawn(0, Then::Forever);
        drop(t);
        assert_eq!(slot.end(), Some(SlotEvent::Stopped));
    }
}
