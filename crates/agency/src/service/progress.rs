//! The season's progress for the back office: every person on the roster through the
//! same status rule as the CLI and the kiosks ([`person_status`]), tallied per region
//! and per site; the not-yet-certified list (from 1 July of the period, the suspension
//! list) with its filters and CSV.
//!
//! The roster has no site column: a person's site is the site of their latest record
//! in the period, if any. Roster size and not-yet-certified are therefore per region;
//! the per-site table counts what each site's kiosks brought in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use certpoint_protocol::id_number::IdNumber;
use certpoint_protocol::{parse_period, Channel, PersonState, PersonStatus};

use super::status::{decide_reviewed, verdicts};
use super::ServiceError;
use crate::storage::{RosterEntry, Storage};

/// The agency's day: China Standard Time, whatever the server's zone.
pub fn today_in_china(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

/// The last day of a period's certification season.
pub fn deadline(year: u16) -> NaiveDate {
    NaiveDate::from_ymd_opt(i32::from(year), 6, 30).expect("30 June exists")
}

/// One person on the roster with their status for the period.
#[derive(Debug, Clone)]
pub struct PersonRow {
    pub entry: RosterEntry,
    pub status: PersonStatus,
    /// Site of the latest record in the period.
    pub site: Option<String>,
    pub age: Option<u32>,
}

/// Every person on the roster (one region, or all) with their status for `period`.
pub fn people(
    storage: &dyn Storage,
    period: &str,
    region: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<PersonRow>, ServiceError> {
    parse_period(period)?;
    let decisions = verdicts(&storage.period_review_decisions(period)?);
    Ok(storage
        .period_people(period, region)?
        .into_iter()
        .map(|p| PersonRow {
            status: decide_reviewed(period, &p.facts, &decisions),
            age: IdNumber::parse(&p.entry.id_number)
                .ok()
                .map(|id| id.age_on(today)),
            site: p.site,
            entry: p.entry,
        })
        .collect())
}

/// Counts for one region or site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub roster: u64,
    pub onsite: u64,
    pub app: u64,
    pub assistance: u64,
    pub pending_review: u64,
    pub not_certified: u64,
    /// Suspended or deceased on the roster: not expected to certify.
    pub inactive: u64,
}

impl Tally {
    fn add(&mut self, s: &PersonStatus) {
        self.roster += 1;
        match s.state {
            PersonState::Certified => match s.channel {
                Some(Channel::App) => self.app += 1,
                Some(Channel::Assistance) => self.assistance += 1,
                _ => self.onsite += 1,
            },
            PersonState::PendingReview => self.pending_review += 1,
            PersonState::NotCertified => self.not_certified += 1,
            _ => self.inactive += 1,
        }
    }

    pub fn certified(&self) -> u64 {
        self.onsite + self.app + self.assistance
    }
}

/// The dashboard of a period.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub period: String,
    pub today: NaiveDate,
    /// Days from today to 30 June of the period, inclusive of neither; 0 once past.
    pub days_left: i64,
    pub total: Tally,
    pub regions: BTreeMap<String, Tally>,
    pub sites: BTreeMap<String, Tally>,
    /// Certifications per day (the day of each person's certifying event, UTC+8).
    pub per_day: BTreeMap<NaiveDate, u64>,
}

pub fn dashboard(
    storage: &dyn Storage,
    period: &str,
    today: NaiveDate,
) -> Result<Dashboard, ServiceError> {
    let year = parse_period(period)?;
    let rows = people(storage, period, None, today)?;
    let mut d = Dashboard {
        period: period.to_owned(),
        today,
        days_left: (deadline(year) - today).num_days().max(0),
        total: Tally::default(),
        regions: BTreeMap::new(),
        sites: BTreeMap::new(),
        per_day: BTreeMap::new(),
    };
    for row in &rows {
        d.total.add(&row.status);
        d.regions
            .entry(row.entry.region.clone())
            .or_default()
            .add(&row.status);
        if let Some(site) = &row.site {
            d.sites.entry(site.clone()).or_default().add(&row.status);
        }
        if let (PersonState::Certified, Some(at)) = (row.status.state, row.status.at) {
            *d.per_day.entry(today_in_china(at.to_utc())).or_default() += 1;
        }
    }
    Ok(d)
}

/// Age bands of the not-yet-certified filter.
pub const AGE_BANDS: [&str; 5] = ["<60", "60-69", "70-79", "80-89", "90+"];

pub fn age_band(age: u32) -> &'static str {
    match age {
        0..=59 => AGE_BANDS[0],
        60..=69 => AGE_BANDS[1],
        70..=79 => AGE_BANDS[2],
        80..=89 => AGE_BANDS[3],
        _ => AGE_BANDS[4],
    }
}

/// Filters of the not-yet-certified list (empty = any).
#[derive(Debug, Clone, Default)]
pub struct MissingFilter {
    pub region: Option<String>,
    pub site: Option<String>,
    pub age_band: Option<String>,
}

impl MissingFilter {
    pub fn check(&self) -> Result<(), ServiceError> {
        if let Some(b) = &self.age_band {
            if !AGE_BANDS.contains(&b.as_str()) {
                return Err(ServiceError::Invalid(format!(
                    "age band {b:?} unknown; use one of {}",
                    AGE_BANDS.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Whether the period's season is over on `today`: the list is the suspension list.
pub fn is_suspension(year: u16, today: NaiveDate) -> bool {
    today > deadline(year)
}

/// The people not yet certified (`not_certified` and `pending_review`), filtered.
/// In suspension mode, `pending_review` people are held back (a reviewer still has to
/// decide; they are counted in `held_for_review`).
pub struct Missing {
    pub suspension: bool,
    pub rows: Vec<PersonRow>,
    pub held_for_review: usize,
    /// Every region and site of the (region-filtered) roster, for the filter's choices.
    pub regions: Vec<String>,
    pub sites: Vec<String>,
}

pub fn missing(
    storage: &dyn Storage,
    period: &str,
    filter: &MissingFilter,
    today: NaiveDate,
) -> Result<Missing, ServiceError> {
    let year = parse_period(period)?;
    filter.check()?;
    let suspension = is_suspension(year, today);
    let mut held_for_review = 0;
    let everyone = people(storage, period, None, today)?;
    let regions: BTreeSet<String> = everyone.iter().map(|r| r.entry.region.clone()).collect();
    let sites: BTreeSet<String> = everyone.iter().filter_map(|r| r.site.clone()).collect();
    let rows = everyone
        .into_iter()
        .filter(|r| filter.region.is_none() || filter.region.as_ref() == Some(&r.entry.region))
        .filter(|r| {
            matches!(
                r.status.state,
                PersonState::NotCertified | PersonState::PendingReview
            )
        })
        .filter(|r| filter.site.is_none() || r.site == filter.site)
        .filter(|r| match (&filter.age_band, r.age) {
            (None, _) => true,
            (Some(b), Some(age)) => age_band(age) == b,
            (Some(_), None) => false,
        })
        .filter(|r| {
            let held = suspension && r.status.state == PersonState::PendingReview;
            held_for_review += usize::from(held);
            !held
        })
        .collect();
    Ok(Missing {
        suspension,
        rows,
        held_for_review,
        regions: regions.into_iter().collect(),
        sites: sites.into_iter().collect(),
    })
}

/// A spreadsheet would run a cell starting with these as a formula.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// The list as CSV. Not-yet-certified: `id_number,name,region,site,age,state`.
/// Suspension list, for the payment system: `id_number,name,region,period,state,
/// suspend_from,list_date` (one row per person whose payment stops from 1 July until
/// they certify).
pub fn missing_csv(m: &Missing, period: &str, today: NaiveDate) -> Result<Vec<u8>, ServiceError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ServiceError::Invalid(format!("writing the CSV: {e}"));
    if m.suspension {
        let year = parse_period(period)?;
        let from = NaiveDate::from_ymd_opt(i32::from(year), 7, 1).expect("1 July exists");
        w.write_record([
            "id_number",
            "name",
            "region",
            "period",
            "state",
            "suspend_from",
            "list_date",
        ])
        .map_err(fail)?;
        for r in &m.rows {
            w.write_record([
                r.entry.id_number.as_str(),
                &cell(&r.entry.name),
                &cell(&r.entry.region),
                period,
                r.status.state.as_str(),
                &from.to_string(),
                &today.to_string(),
            ])
            .map_err(fail)?;
        }
    } else {
        w.write_record(["id_number", "name", "region", "site", "age", "state"])
            .map_err(fail)?;
        for r in &m.rows {
            w.write_record([
                r.entry.id_number.as_str(),
                &cell(&r.entry.name),
                &cell(&r.entry.region),
                &cell(r.site.as_deref().unwrap_or("")),
                &r.age.map(|a| a.to_string()).unwrap_or_default(),
                r.status.state.as_str(),
            ])
            .map_err(fail)?;
        }
    }
    w.into_inner()
        .map_err(|e| ServiceError::Invalid(format!("writing the CSV: {e}")))
}

/// The current period on `today` (the calendar year).
pub fn current_period(today: NaiveDate) -> String {
    today.year().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_deadline() {
        assert_eq!(age_band(59), "<60");
        assert_eq!(age_band(60), "60-69");
        assert_eq!(age_band(95), "90+");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!is_suspension(2026, d("2026-06-30")));
        assert!(is_suspension(2026, d("2026-07-01")));
        assert_eq!(cell("=cmd()"), "'=cmd()");
        assert_eq!(cell("张三"), "张三");
        assert!(MissingFilter {
            age_band: Some("61".into()),
            ..Default::default()
        }
        .check()
        .is_err());
    }
}
