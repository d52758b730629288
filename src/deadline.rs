//! The certification deadline as the retiree and the clerk are told it: days left while
//! the window is open, when it closed and when the next opens while it is not, and the
//! day from which an uncertified pension stops (the day after the window's end: with
//! the default 1 April – 30 June, July).
//!
//! Pure: a function of `[certification_window]` and a date. The kiosk computes it when
//! it publishes a view; the screens only print it.

use chrono::{Months, NaiveDate};

use crate::config::WindowSection;
use crate::driver::window_dates;

/// Where a day stands against the certification window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Open from `from` to `end` (both included); `days_left` counts the days after
    /// today still open (0 on the last day).
    Open {
        from: NaiveDate,
        end: NaiveDate,
        days_left: i64,
        /// First day on which a pension not certified in this window stops.
        stop: NaiveDate,
    },
    /// Not open: the last window ran `from`–`closed`; the next opens on `next`.
    Closed {
        from: NaiveDate,
        closed: NaiveDate,
        next: NaiveDate,
    },
}

impl Deadline {
    pub fn on(window: &WindowSection, today: NaiveDate) -> Deadline {
        let (from, end) = window_dates(window, today);
        if today <= end && today >= from {
            return Deadline::Open {
                from,
                end,
                days_left: (end - today).num_days(),
                stop: end.succ_opt().unwrap_or(end),
            };
        }
        // The occurrence after the last one: a year on from its opening.
        let next = from
            .checked_add_months(Months::new(12))
            .map(|d| window_dates(window, d).0)
            .unwrap_or(from);
        Deadline::Closed {
            from,
            closed: end,
            next,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Deadline::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn inside_the_spring_window_it_counts_the_days_left() {
        let w = WindowSection::default();
        assert_eq!(
            Deadline::on(&w, d(2026, 4, 1)),
            Deadline::Open {
                from: d(2026, 4, 1),
                end: d(2026, 6, 30),
                days_left: 90,
                stop: d(2026, 7, 1)
            }
        );
        let last = Deadline::on(&w, d(2026, 6, 30));
        assert!(
            matches!(last, Deadline::Open { days_left: 0, .. }),
            "{last:?}"
        );
    }

    #[test]
    fn outside_it_says_when_it_closed_and_when_the_next_opens() {
        let w = WindowSection::default();
        assert_eq!(
            Deadline::on(&w, d(2026, 7, 1)),
            Deadline::Closed {
                from: d(2026, 4, 1),
                closed: d(2026, 6, 30),
                next: d(2027, 4, 1)
            }
        );
        assert_eq!(
            Deadline::on(&w, d(2026, 3, 31)),
            Deadline::Closed {
                from: d(2025, 4, 1),
                closed: d(2025, 6, 30),
                next: d(2026, 4, 1)
            }
        );
    }

    #[test]
    fn a_window_across_the_new_year() {
        let w = WindowSection {
            start: "11-01".parse().unwrap(),
            end: "02-29".parse().unwrap(),
        };
        match Deadline::on(&w, d(2027, 2, 20)) {
            Deadline::Open {
                end,
                days_left,
                stop,
                ..
            } => assert_eq!((end, days_left, stop), (d(2027, 2, 28), 8, d(2027, 3, 1))),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Deadline::on(&w, d(2027, 5, 1)),
            Deadline::Closed {
                from: d(2026, 11, 1),
                closed: d(2027, 2, 28),
                next: d(2027, 11, 1)
            }
        );
    }
}
