//! One small state machine per kind of movement. Each is fed a signal already made
//! relative to the baseline and says when a movement completed.
//!
//! All three share a shape: `Disarmed` (waiting for the signal to be back at rest)
//! → armed → past the threshold → back, which completes and disarms again. Starting
//! disarmed means a detector never completes a movement whose start it did not see.

use super::params::LivenessParams;

/// Go past a threshold in one direction, then come back: turns, look up, nod.
#[derive(Debug, Clone)]
pub(super) struct Excursion {
    state: Phase,
    threshold: f32,
    back: f32,
    settle: f32,
    /// Latest offset, for the progress shown to the user.
    offset: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Disarmed,
    Armed,
    Out,
}

impl Excursion {
    pub fn new(threshold: f32, back: f32, settle: f32) -> Excursion {
        Excursion {
            state: Phase::Disarmed,
            threshold,
            back,
            settle,
            offset: 0.0,
        }
    }

    pub fn disarm(&mut self) {
        self.state = Phase::Disarmed;
    }

    pub fn is_out(&self) -> bool {
        self.state == Phase::Out
    }

    /// Feeds the pose offset from the baseline, positive in this movement's direction.
    /// Comparisons are signed, so overshooting the other way counts as back.
    pub fn update(&mut self, offset: f32) -> bool {
        self.offset = offset;
        match self.state {
            Phase::Disarmed if offset <= self.settle => self.state = Phase::Armed,
            Phase::Armed if offset >= self.threshold => self.state = Phase::Out,
            Phase::Out if offset <= self.back => {
                // Re-arm only at rest: tremor around the return line must not start and
                // finish a second movement.
                self.state = if offset <= self.settle {
                    Phase::Armed
                } else {
                    Phase::Disarmed
                };
                return true;
            }
            _ => {}
        }
        false
    }

    pub fn progress(&self) -> f32 {
        match self.state {
            Phase::Disarmed => 0.0,
            Phase::Armed => fraction(self.offset / self.threshold),
            Phase::Out => 1.0,
        }
    }
}

/// Both eyes close, then reopen, within the blink duration window.
#[derive(Debug, Clone)]
pub(super) struct Blink {
    state: Lids,
    /// Latest eye ratio (open / baseline), for the progress.
    ratio: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lids {
    Disarmed,
    Open,
    Closed { since_ms: u64 },
}

impl Blink {
    pub fn new() -> Blink {
        Blink {
            state: Lids::Disarmed,
            ratio: 1.0,
        }
    }

    pub fn disarm(&mut self) {
        self.state = Lids::Disarmed;
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, Lids::Closed { .. })
    }

    /// `ratio`: eye openness relative to the baseline, `None` when no eye was measured;
    /// `frontal`: whether the head is near its baseline pose.
    pub fn update(
        &mut self,
        at_ms: u64,
        ratio: Option<f32>,
        frontal: bool,
        p: &LivenessParams,
    ) -> bool {
        // Unmeasured eyes leave the state alone; the closure's clock keeps running, so a
        // long stretch of unreadable eyes cannot end in a blink.
        let Some(r) = ratio else { return false };
        self.ratio = r;
        match self.state {
            Lids::Disarmed if frontal && r >= p.blink_reopen_ratio => self.state = Lids::Open,
            Lids::Open if frontal && r < p.blink_close_ratio => {
                self.state = Lids::Closed { since_ms: at_ms }
            }
            Lids::Closed { since_ms } => {
                let closed_for = at_ms.saturating_sub(since_ms);
                if !frontal {
                    // Looking away with lowered lids is not a blink.
                    self.state = Lids::Disarmed;
                } else if r >= p.blink_reopen_ratio {
                    self.state = Lids::Open;
                    return (p.blink_min_ms..=p.blink_max_ms).contains(&closed_for);
                } else if closed_for > p.blink_max_ms {
                    // Resting eyes: wait for them to open before the next blink.
                    self.state = Lids::Disarmed;
                }
            }
            _ => {}
        }
        false
    }

    pub fn progress(&self, p: &LivenessParams) -> f32 {
        match self.state {
            Lids::Disarmed => 0.0,
            Lids::Open => fraction((1.0 - self.ratio) / (1.0 - p.blink_close_ratio)),
            Lids::Closed { .. } => 1.0,
        }
    }
}

/// The mouth opens wide, stays open long enough, then closes.
#[derive(Debug, Clone)]
pub(super) struct Mouth {
    state: Jaw,
    delta: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jaw {
    Disarmed,
    Closed,
    Open { since_ms: u64 },
}

impl Mouth {
    pub fn new() -> Mouth {
        Mouth {
            state: Jaw::Disarmed,
            delta: 0.0,
        }
    }

    pub fn disarm(&mut self) {
        self.state = Jaw::Disarmed;
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, Jaw::Open { .. })
    }

    /// `delta`: mouth ratio above its baseline, `None` when not measured.
    pub fn update(&mut self, at_ms: u64, delta: Option<f32>, p: &LivenessParams) -> bool {
        let Some(d) = delta else { return false };
        self.delta = d;
        match self.state {
            Jaw::Disarmed if d <= p.mouth_close_delta => self.state = Jaw::Closed,
            Jaw::Closed if d >= p.mouth_open_delta => self.state = Jaw::Open { since_ms: at_ms },
            Jaw::Open { since_ms } if d <= p.mouth_close_delta => {
                self.state = Jaw::Closed;
                return at_ms.saturating_sub(since_ms) >= p.mouth_min_open_ms;
            }
            _ => {}
        }
        false
    }

    pub fn progress(&self, p: &LivenessParams) -> f32 {
        match self.state {
            Jaw::Disarmed => 0.0,
            Jaw::Closed => fraction(self.delta / p.mouth_open_delta),
            Jaw::Open { .. } => 1.0,
        }
    }
}

/// Clamps to 0..=1; NaN (never expected, the inputs are checked) reads as no progress.
fn fraction(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excursion_needs_the_way_out_and_back() {
        let mut e = Excursion::new(18.0, 10.0, 5.0);
        let done: Vec<bool> = [0.0, 10.0, 19.0, 25.0, 12.0, 9.0, 3.0]
            .iter()
            .map(|o| e.update(*o))
            .collect();
        assert_eq!(done, [false, false, false, false, false, true, false]);
    }

    #[test]
    fn excursion_tremor_at_the_return_line_completes_once() {
        let mut e = Excursion::new(18.0, 10.0, 5.0);
        let offsets = [0.0, 20.0, 9.0, 19.0, 8.0, 20.0, 9.0, 4.0, 19.0, 9.0];
        let n = offsets.iter().filter(|o| e.update(**o)).count();
        // The first return completes; 9→19→8 never reached rest; 4 re-arms, 19→9 is a
        // second, genuine movement.
        assert_eq!(n, 2);
    }

    #[test]
    fn excursion_started_disarmed_ignores_a_movement_already_under_way() {
        let mut e = Excursion::new(18.0, 10.0, 5.0);
        assert!(!e.update(25.0));
        assert!(!e.update(9.0));
        assert_eq!(e.progress(), 0.0);
    }

    #[test]
    fn blink_window_bounds() {
        let p = LivenessParams::default();
        let run = |closed_ms: u64| {
            let mut b = Blink::new();
            b.update(0, Some(1.0), true, &p);
            b.update(100, Some(0.3), true, &p);
            b.update(100 + closed_ms, Some(1.0), true, &p)
        };
        assert!(!run(40));
        assert!(run(60));
        assert!(run(1_500));
        assert!(!run(1_600));
    }

    #[test]
    fn mouth_must_stay_open() {
        let p = LivenessParams::default();
        let mut m = Mouth::new();
        assert!(!m.update(0, Some(0.0), &p));
        assert!(!m.update(100, Some(0.5), &p));
        assert!(!m.update(200, Some(0.1), &p));
        assert!(!m.update(300, Some(0.5), &p));
        assert!(!m.update(400, Some(0.3), &p));
        assert!(m.update(500, Some(0.1), &p));
    }
}
