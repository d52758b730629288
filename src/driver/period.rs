//! Configuration → flow parameters, and which certification period a date belongs to.

use chrono::{Datelike, NaiveDate};

use crate::config::{Config, FlashSection, MonthDay, WindowSection};
use crate::flow::{FlashRule, FlowParams};

/// The flow's parameters from the administrator's configuration. Timings the config
/// does not expose keep the flow's production defaults.
pub fn flow_params(c: &Config) -> FlowParams {
    let secs = |s: u64| s * 1000;
    FlowParams {
        challenge_set: c.challenges.set.clone(),
        challenge_count: c.challenges.count,
        challenge_timeout_ms: secs(c.challenges.timeout_secs),
        positioning_timeout_ms: secs(c.flow.positioning_timeout_secs),
        reference_timeout_ms: secs(c.flow.reference_timeout_secs),
        matching_timeout_ms: secs(c.flow.matching_timeout_secs),
        result_display_ms: secs(c.flow.result_display_secs),
        max_attempts: c.flow.max_attempts,
        min_pension_age: c.flow.min_pension_age,
        passive_liveness_threshold: c.thresholds.passive_liveness,
        face_match_threshold: c.thresholds.face_match,
        voice_repeat_ms: secs(c.flow.voice_repeat_secs),
        certification_window: None,
        depth_threshold: c.depth_check.enabled.then_some(c.depth_check.threshold),
        screen_flash: flash_rule(&c.flash),
        flash_timeout_ms: c.flash.timeout_ms(),
        ..FlowParams::default()
    }
}

/// Whether the flow flashes the screen, and whether its result decides the attempt.
pub fn flash_rule(f: &FlashSection) -> FlashRule {
    match (f.enabled, f.required) {
        (false, _) => FlashRule::Off,
        (true, false) => FlashRule::Recorded,
        (true, true) => FlashRule::Required,
    }
}

/// The window's dates for the occurrence that contains `today`, or the one that ends
/// last before it; the flow warns the clerk when `today` is outside them.
pub fn window_dates(w: &WindowSection, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let y = today.year();
    let at = |md: MonthDay, year: i32| {
        // 02-29 in a year without one: the 28th.
        NaiveDate::from_ymd_opt(year, md.month(), md.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, md.month(), md.day() - 1))
            .expect("MonthDay is a real day")
    };
    if w.start <= w.end {
        let (from, to) = (at(w.start, y), at(w.end, y));
        if today < from {
            (at(w.start, y - 1), at(w.end, y - 1))
        } else {
            (from, to)
        }
    } else if today >= at(w.start, y) {
        (at(w.start, y), at(w.end, y + 1))
    } else {
        (at(w.start, y - 1), at(w.end, y))
    }
}

/// The certification period a date counts for: the year in which that window
/// occurrence opened ("2026" for 2026-04-01…06-30, and for 2026-11-01…2027-02-28).
pub fn period_for(w: &WindowSection, date: NaiveDate) -> String {
    window_dates(w, date).0.year().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn period_follows_the_window_occurrence() {
        let spring = WindowSection::default();
        assert_eq!(
            window_dates(&spring, d(2026, 5, 1)),
            (d(2026, 4, 1), d(2026, 6, 30))
        );
        assert_eq!(
            window_dates(&spring, d(2026, 11, 25)),
            (d(2026, 4, 1), d(2026, 6, 30))
        );
        assert_eq!(
            window_dates(&spring, d(2026, 1, 5)),
            (d(2025, 4, 1), d(2025, 6, 30))
        );
        assert_eq!(period_for(&spring, d(2026, 5, 1)), "2026");
        let winter = WindowSection {
            start: "11-01".parse().unwrap(),
            end: "02-29".parse().unwrap(),
        };
        assert_eq!(
            window_dates(&winter, d(2027, 1, 10)),
            (d(2026, 11, 1), d(2027, 2, 28))
        );
        assert_eq!(period_for(&winter, d(2027, 1, 10)), "2026");
        assert_eq!(
            window_dates(&winter, d(2027, 11, 2)),
            (d(2027, 11, 1), d(2028, 2, 29))
        );
    }

    #[test]
    fn config_values_reach_the_flow() {
        let mut c = Config::default();
        c.challenges.count = 2;
        c.flow.max_attempts = 5;
        c.thresholds.face_match = 0.45;
        let p = flow_params(&c);
        assert_eq!(
            (p.challenge_count, p.max_attempts, p.face_match_threshold),
            (2, 5, 0.45)
        );
        assert_eq!(p.challenge_timeout_ms, c.challenges.timeout_secs * 1000);
    }
}
