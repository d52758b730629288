//! `certpoint-agency selfcert import FILE.csv`: certifications made in the phone app,
//! so that people who certified that way need not come to an office.
//!
//! The file is `id_number,period,at` (`period` a four-digit year, `at` RFC 3339 with
//! its UTC offset). The rules are the roster import's: every row checked, every bad row
//! reported by line, nothing imported unless all are good, one transaction. A person
//! who is not on the roster is a bad row. One self-certification per person and
//! period: importing the same row again changes nothing, another time replaces it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use certpoint_protocol::{mask_id_number, parse_period};

use super::csv_rows::{self, RowError};
use super::roster::ImportReport;
use super::ServiceError;
use crate::storage::{SelfCertImport, SelfCertification, Storage};

pub const HEADER: [&str; 3] = ["id_number", "period", "at"];

/// Checks a whole file as of `now`; every problem of every row, or the rows with
/// their line numbers.
pub fn parse(
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<(u64, SelfCertification)>, Vec<RowError>> {
    let (rows, mut errors) = csv_rows::read(bytes, &HEADER);
    let mut out = Vec::with_capacity(rows.len());
    let mut first_seen: HashMap<(String, String), u64> = HashMap::new();
    for row in rows {
        let [id, period, at] = &row.fields[..] else {
            unreachable!("csv_rows checked the field count");
        };
        let mut problems = Vec::new();
        let id = certpoint_protocol::id_number::IdNumber::parse(id)
            .map(|id| id.as_str().to_owned())
            .map_err(|e| problems.push(format!("id_number: {e}")))
            .ok();
        let period_ok = parse_period(period)
            .map_err(|e| problems.push(format!("period: {e}")))
            .is_ok();
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| {
                problems.push(
                    "at: must be an RFC 3339 time with its offset, e.g. 2026-04-02T09:30:00+08:00"
                        .to_owned(),
                )
            })
            .ok();
        if let Some(at) = at {
            // A day's slack for clocks; later than that is a typo, not an event.
            if at > now + Duration::days(1) {
                problems.push("at: is in the future".to_owned());
            }
        }
        if let (Some(id), true) = (&id, period_ok) {
            let key = (id.clone(), period.clone());
            match first_seen.get(&key) {
                Some(first) => problems.push(format!(
                    "{} period {period} is also on line {first}; one self-certification per person and period",
                    mask_id_number(id)
                )),
                None => {
                    first_seen.insert(key, row.line);
                }
            }
        }
        match (id, at) {
            (Some(id_number), Some(at)) if problems.is_empty() => out.push((
                row.line,
                SelfCertification {
                    id_number,
                    period: period.clone(),
                    at,
                },
            )),
            _ => errors.push(RowError::new(row.line, problems.join("; "))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Checks the file and, if every row is good and names someone on the roster, imports
/// it in one transaction.
pub fn import(storage: &dyn Storage, bytes: &[u8]) -> Result<ImportReport, ServiceError> {
    let parsed = parse(bytes, Utc::now()).map_err(ServiceError::BadRows)?;
    let (lines, rows): (Vec<u64>, Vec<SelfCertification>) = parsed.into_iter().unzip();
    match storage.import_self_certifications(&rows)? {
        SelfCertImport::Imported(counts) => Ok(ImportReport {
            rows: rows.len() as u64,
            counts,
        }),
        SelfCertImport::NotInRoster(indexes) => Err(ServiceError::BadRows(
            indexes
                .into_iter()
                .map(|i| {
                    RowError::new(
                        lines[i],
                        format!(
                            "id_number {} is not on the roster; import the roster first",
                            mask_id_number(&rows[i].id_number)
                        ),
                    )
                })
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn good_rows_keep_their_offset() {
        let rows = parse(
            b"id_number,period,at\n11010519491231002X,2026,2026-04-02T09:30:00+08:00\n",
            now(),
        )
        .unwrap();
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.at.to_rfc3339(), "2026-04-02T09:30:00+08:00");
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let errors = parse(
            b"id_number,period,at\n\
              11010519491231002X,26,2026-04-02T09:30:00+08:00\n\
              11010519491231002X,2026,2026-04-02 09:30\n\
              11010519491231002X,2026,2026-04-02T09:30:00+08:00\n\
              11010519491231002X,2026,2026-04-03T09:30:00+08:00\n\
              310115196002291236,2026,2027-04-02T09:30:00+08:00\n",
            now(),
        )
        .unwrap_err();
        let got: Vec<(u64, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{got:#?}");
        assert!(got[0].1.starts_with("period: "), "{}", got[0].1);
        assert!(
            got[1].1.starts_with("at: must be an RFC 3339"),
            "{}",
            got[1].1
        );
        // A duplicate of a bad row is still a duplicate once that row is fixed.
        assert!(got[2].1.contains("also on line 3"), "{}", got[2].1);
        assert!(got[3].1.contains("also on line 3"), "{}", got[3].1);
        assert!(got[4].1.contains("in the future"), "{}", got[4].1);
    }
}
