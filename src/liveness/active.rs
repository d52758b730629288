//! The per-attempt tracker that ties the baseline, the continuity check and the
//! detectors together.

use certpoint_protocol::Action;

use super::baseline::{Baseline, Collector};
use super::continuity::{Continuity, Verdict};
use super::detectors::{Blink, Excursion, Mouth};
use super::params::LivenessParams;
use super::signals::FaceSignals;

/// Active-liveness state of one attempt. Feed it every analysed frame that shows a
/// face, in capture order; call [`reset`](Self::reset) when a new attempt starts.
#[derive(Debug, Clone)]
pub struct ActiveLiveness {
    params: LivenessParams,
    last_seen_ms: Option<u64>,
    continuity: Continuity,
    collector: Collector,
    baseline: Option<Baseline>,
    blink: Blink,
    turn_left: Excursion,
    turn_right: Excursion,
    look_up: Excursion,
    nod: Excursion,
    mouth: Mouth,
    breaks: u32,
}

impl Default for ActiveLiveness {
    fn default() -> Self {
        ActiveLiveness::new(LivenessParams::default())
    }
}

impl ActiveLiveness {
    pub fn new(params: LivenessParams) -> ActiveLiveness {
        let p = &params;
        ActiveLiveness {
            last_seen_ms: None,
            continuity: Continuity::default(),
            collector: Collector::default(),
            baseline: None,
            blink: Blink::new(),
            turn_left: Excursion::new(p.turn_deg, p.turn_return_deg, p.settle_deg),
            turn_right: Excursion::new(p.turn_deg, p.turn_return_deg, p.settle_deg),
            look_up: Excursion::new(p.look_up_deg, p.look_up_return_deg, p.settle_deg),
            nod: Excursion::new(p.nod_deg, p.nod_return_deg, p.settle_deg),
            mouth: Mouth::new(),
            breaks: 0,
            params,
        }
    }

    /// Forgets everything, the baseline included: a new attempt may be a new person.
    pub fn reset(&mut self) {
        *self = ActiveLiveness::new(self.params.clone());
    }

    pub fn params(&self) -> &LivenessParams {
        &self.params
    }

    /// The person's resting face, once enough frontal frames were seen.
    pub fn baseline(&self) -> Option<Baseline> {
        self.baseline
    }

    /// How often the face track broke (a confirmed jump or a gap longer than
    /// `max_gap_ms`) since the last reset: repeated breaks suggest swapped pictures or
    /// a struggling detector, worth keeping in the record.
    pub fn track_breaks(&self) -> u32 {
        self.breaks
    }

    /// Takes one frame; returns the actions that completed in it, in
    /// [`Action::ALL`] order. Never panics, whatever the figures.
    pub fn push(&mut self, f: &FaceSignals) -> Vec<Action> {
        // Out-of-order or repeated timestamps would make every duration meaningless.
        if self.last_seen_ms.is_some_and(|t| f.at_ms <= t) {
            return Vec::new();
        }
        self.last_seen_ms = Some(f.at_ms);
        if !f.pose_ok() {
            return Vec::new();
        }
        let previous_ms = self.continuity.last_at_ms();
        let dt_ms = match self.continuity.check(f, &self.params) {
            Verdict::Hold => return Vec::new(),
            Verdict::Break => {
                self.breaks = self.breaks.saturating_add(1);
                self.break_track();
                // No adaptation across a break: the face before it may not be this one.
                0
            }
            Verdict::Continue => previous_ms.map_or(0, |t| f.at_ms.saturating_sub(t)),
        };
        let Some(mut base) = self.baseline else {
            self.baseline = self.collector.push(f, &self.params);
            return Vec::new();
        };
        let done = self.detect(f, &base);
        if self.at_rest(f, &base) {
            base.adapt(f, dt_ms, &self.params);
            self.baseline = Some(base);
        }
        done
    }

    /// How far the current movement toward `action`'s threshold has got, 0..=1, for the
    /// UI's animation: 1 once the threshold is passed (the movement then only needs
    /// undoing) and 0 without a baseline or while a detector waits for the face to come
    /// back to rest.
    pub fn progress(&self, action: Action) -> f32 {
        if self.baseline.is_none() {
            return 0.0;
        }
        let p = &self.params;
        match action {
            Action::Blink => self.blink.progress(p),
            Action::TurnLeft => self.turn_left.progress(),
            Action::TurnRight => self.turn_right.progress(),
            Action::LookUp => self.look_up.progress(),
            Action::OpenMouth => self.mouth.progress(p),
            Action::Nod => self.nod.progress(),
        }
    }

    fn break_track(&mut self) {
        if self.baseline.is_none() {
            // The frames so far may show another face or picture than the ones to come.
            self.collector.clear();
        }
        self.blink.disarm();
        self.turn_left.disarm();
        self.turn_right.disarm();
        self.look_up.disarm();
        self.nod.disarm();
        self.mouth.disarm();
    }

    fn detect(&mut self, f: &FaceSignals, base: &Baseline) -> Vec<Action> {
        let p = &self.params;
        let yaw = f.yaw_deg - base.yaw_deg;
        let pitch = f.pitch_deg - base.pitch_deg;
        let frontal =
            yaw.abs() <= p.blink_max_pose_offset_deg && pitch.abs() <= p.blink_max_pose_offset_deg;
        // Yaw > 0 is the person's own left (the vision module has undone any mirroring).
        let fired = [
            (
                Action::Blink,
                self.blink.update(f.at_ms, base.eye_ratio(f, p), frontal, p),
            ),
            (Action::TurnLeft, self.turn_left.update(yaw)),
            (Action::TurnRight, self.turn_right.update(-yaw)),
            (Action::LookUp, self.look_up.update(pitch)),
            (
                Action::OpenMouth,
                self.mouth.update(f.at_ms, base.mouth_delta(f), p),
            ),
            (Action::Nod, self.nod.update(-pitch)),
        ];
        fired
            .into_iter()
            .filter(|(_, d)| *d)
            .map(|(a, _)| a)
            .collect()
    }

    /// The face rests when it is near its baseline and no movement is under way; only
    /// then may the baseline follow it.
    fn at_rest(&self, f: &FaceSignals, base: &Baseline) -> bool {
        let settle = self.params.settle_deg;
        (f.yaw_deg - base.yaw_deg).abs() <= settle
            && (f.pitch_deg - base.pitch_deg).abs() <= settle
            && !self.blink.is_closed()
            && !self.mouth.is_open()
            && ![&self.turn_left, &self.turn_right, &self.look_up, &self.nod]
                .iter()
                .any(|e| e.is_out())
    }
}
