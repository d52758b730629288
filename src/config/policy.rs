//! The sections that decide how a certification is judged and paced: thresholds,
//! liveness challenges, flow timeouts and the yearly certification window.

use std::time::Duration;

use certpoint_protocol::Action;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::types::MonthDay;

/// `[thresholds]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Minimum cosine similarity between the live face and the reference photo;
    /// calibrated for the embedding model (`certpoint_face::DEFAULT_MATCH_THRESHOLD`).
    pub face_match: f32,
    /// Minimum aggregated passive anti-spoofing score.
    pub passive_liveness: f32,
    /// Face width as a fraction of the frame width: the band that sets how far from
    /// the camera the person should stand.
    pub face_size_min: f32,
    pub face_size_max: f32,
    /// Mean brightness (0..=255) of the face region.
    pub min_brightness: f32,
    pub max_brightness: f32,
    /// Variance of the Laplacian of the face region; below it the frame is too blurred.
    pub min_sharpness: f32,
    /// How far the head may be turned while positioning, in degrees.
    pub max_yaw_deg: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            face_match: certpoint_face::DEFAULT_MATCH_THRESHOLD,
            passive_liveness: 0.5,
            face_size_min: 0.18,
            face_size_max: 0.38,
            min_brightness: 60.0,
            max_brightness: 220.0,
            min_sharpness: 40.0,
            max_yaw_deg: 15.0,
        }
    }
}

/// `[challenges]`: the active-liveness actions. Detailed per-action thresholds come
/// with the liveness module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChallengeSection {
    /// The actions a session draws from.
    pub set: Vec<Action>,
    /// How many actions one session asks for, in random order.
    pub count: usize,
    /// Time allowed per action; generous because many users are elderly.
    pub timeout_secs: u64,
}

impl Default for ChallengeSection {
    fn default() -> Self {
        ChallengeSection {
            set: vec![
                Action::Blink,
                Action::TurnLeft,
                Action::TurnRight,
                Action::LookUp,
            ],
            count: 3,
            timeout_secs: 15,
        }
    }
}

impl ChallengeSection {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// `[flow]`: attempts and timeouts of the certification flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowSection {
    /// Automatic attempts before the clerk-assisted path is offered.
    pub max_attempts: u32,
    pub positioning_timeout_secs: u64,
    /// How long to wait for the server's reference photo before going on offline.
    pub reference_timeout_secs: u64,
    pub matching_timeout_secs: u64,
    pub result_display_secs: u64,
    /// Youngest age that can draw a pension; younger ID numbers are refused.
    pub min_pension_age: u32,
    /// Repeat the spoken hint when positioning has not improved for this long.
    pub voice_repeat_secs: u64,
}

impl Default for FlowSection {
    fn default() -> Self {
        FlowSection {
            max_attempts: 3,
            positioning_timeout_secs: 60,
            reference_timeout_secs: 5,
            matching_timeout_secs: 10,
            result_display_secs: 20,
            min_pension_age: 50,
            voice_repeat_secs: 8,
        }
    }
}

impl FlowSection {
    pub fn positioning_timeout(&self) -> Duration {
        Duration::from_secs(self.positioning_timeout_secs)
    }

    pub fn reference_timeout(&self) -> Duration {
        Duration::from_secs(self.reference_timeout_secs)
    }

    pub fn matching_timeout(&self) -> Duration {
        Duration::from_secs(self.matching_timeout_secs)
    }

    pub fn result_display(&self) -> Duration {
        Duration::from_secs(self.result_display_secs)
    }

    pub fn voice_repeat(&self) -> Duration {
        Duration::from_secs(self.voice_repeat_secs)
    }
}

/// `[certification_window]`: the part of each year in which certification is open,
/// both ends inclusive. `start` after `end` means the window spans the new year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WindowSection {
    pub start: MonthDay,
    pub end: MonthDay,
}

impl Default for WindowSection {
    fn default() -> Self {
        WindowSection {
            start: MonthDay::new(4, 1).expect("valid month-day"),
            end: MonthDay::new(6, 30).expect("valid month-day"),
        }
    }
}

impl WindowSection {
    /// Whether certification is open on `date`.
    pub fn contains(&self, date: NaiveDate) -> bool {
        let day = MonthDay::of(date);
        if self.start <= self.end {
            self.start <= day && day <= self.end
        } else {
            day >= self.start || day <= self.end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: &str, end: &str) -> WindowSection {
        WindowSection {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn window_within_one_year_includes_both_ends() {
        let w = WindowSection::default();
        assert!(!w.contains(date(2026, 3, 31)));
        assert!(w.contains(date(2026, 4, 1)));
        assert!(w.contains(date(2026, 5, 15)));
        assert!(w.contains(date(2026, 6, 30)));
        assert!(!w.contains(date(2026, 7, 1)));
    }

    #[test]
    fn window_wrapping_the_year_end() {
        let w = window("11-01", "02-28");
        assert!(w.contains(date(2026, 11, 1)));
        assert!(w.contains(date(2026, 12, 31)));
        assert!(w.contains(date(2027, 1, 1)));
        assert!(w.contains(date(2027, 2, 28)));
        assert!(!w.contains(date(2028, 2, 29)));
        assert!(!w.contains(date(2027, 3, 1)));
        assert!(!w.contains(date(2026, 10, 31)));
        assert!(!w.contains(date(2026, 6, 1)));
    }

    #[test]
    fn window_ending_on_leap_day_covers_february_in_every_year() {
        let w = window("02-01", "02-29");
        assert!(w.contains(date(2027, 2, 28)));
        assert!(w.contains(date(2028, 2, 29)));
        assert!(!w.contains(date(2027, 3, 1)));
    }

    #[test]
    fn one_day_window() {
        let w = window("05-05", "05-05");
        assert!(w.contains(date(2026, 5, 5)));
        assert!(!w.contains(date(2026, 5, 6)));
        assert!(!w.contains(date(2026, 5, 4)));
    }
}

/// `[clerk]`: how the PIN that approves a manual pass is guarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClerkSection {
    /// Wrong PINs in a row that lock a clerk out. Five leaves room for a slip or two
    /// while keeping a guesser at five tries per lockout period.
    pub max_pin_attempts: u32,
    /// How long a locked clerk is refused (even with the right PIN); an administrator
    /// can end it early with `certpoint clerk unlock`.
    pub lockout_minutes: u32,
}

impl Default for ClerkSection {
    fn default() -> Self {
        ClerkSection {
            max_pin_attempts: 5,
            lockout_minutes: 15,
        }
    }
}
