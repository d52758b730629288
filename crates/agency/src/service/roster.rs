//! `certpoint-agency roster import FILE.csv`: the pensioners of the province, with
//! their region and standing.
//!
//! The file is `id_number,name,region,status` (status `active`, `suspended` or
//! `deceased`). Every row is checked before anything is written; one bad row and
//! nothing is imported, and every bad row is reported with its line and what is wrong.
//! Good files are upserted in one transaction: a person already on the roster with the
//! same name, region and status is `unchanged`, with a difference `updated`, else
//! `inserted`; people absent from the file are left as they are (a death is recorded
//! by importing the person as `deceased`, never by leaving them out).

use std::collections::HashMap;

use serde::Serialize;

use certpoint_protocol::mask_id_number;

use super::csv_rows::{self, RowError};
use super::{region, ServiceError};
use crate::storage::{ImportCounts, RosterEntry, RosterStatus, Storage};

pub const HEADER: [&str; 4] = ["id_number", "name", "region", "status"];
/// Longest name accepted (the longest names on Chinese ID cards are around 30).
pub const MAX_NAME_CHARS: usize = 100;

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: u64,
    #[serde(flatten)]
    pub counts: ImportCounts,
}

/// Checks a whole roster file; every problem of every row, or the entries.
pub fn parse(bytes: &[u8]) -> Result<Vec<RosterEntry>, Vec<RowError>> {
    let mut checker = Checker::default();
    let mut entries = Vec::new();
    csv_rows::stream(bytes, &HEADER, |row| {
        if let Some(e) = checker.check(row) {
            entries.push(e);
        }
    });
    checker.finish().map(|_| entries)
}

/// The rules of one row, with what the rows before it said (each person once per file).
#[derive(Default)]
struct Checker {
    /// First line of every ID number seen, by its 17 digits (the 18th is their check
    /// character): 16 bytes a person, the only memory a streamed import keeps per row.
    first_seen: HashMap<u64, u64>,
    errors: Vec<RowError>,
    rows: u64,
}

impl Checker {
    /// The entry of a good row; a bad one (or an error of the file) is kept for
    /// [`finish`](Self::finish).
    fn check(&mut self, row: Result<csv_rows::CsvRow, RowError>) -> Option<RosterEntry> {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                self.errors.push(e);
                return None;
            }
        };
        self.rows += 1;
        let [id, name, region_name, status] = &row.fields[..] else {
            unreachable!("csv_rows checked the field count");
        };
        let mut problems = Vec::new();
        let id = match certpoint_protocol::id_number::IdNumber::parse(id) {
            Ok(id) => Some(id.as_str().to_owned()),
            Err(e) => {
                problems.push(format!("id_number: {e}"));
                None
            }
        };
        let seen_key = id
            .as_deref()
            .and_then(|id| id.get(..17)?.parse::<u64>().ok());
        if let (Some(id), Some(k)) = (&id, seen_key) {
            if let Some(first) = self.first_seen.get(&k) {
                problems.push(format!(
                    "id_number {} is also on line {first}; each person once per file",
                    mask_id_number(id)
                ));
            }
        }
        if let Err(e) = check_name(name) {
            problems.push(format!("name: {e}"));
        }
        if let Err(e) = region::check(region_name) {
            problems.push(format!("region: {e}"));
        }
        let status = RosterStatus::parse(status);
        if status.is_none() {
            problems.push("status: must be active, suspended or deceased".to_owned());
        }
        if let Some(k) = seen_key {
            self.first_seen.entry(k).or_insert(row.line);
        }
        match (id, status) {
            (Some(id), Some(status)) if problems.is_empty() => Some(RosterEntry {
                id_number: id,
                name: name.clone(),
                region: region_name.clone(),
                status,
            }),
            _ => {
                self.errors
                    .push(RowError::new(row.line, problems.join("; ")));
                None
            }
        }
    }

    fn bad(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The data rows read, or every problem found, by line.
    fn finish(mut self) -> Result<u64, Vec<RowError>> {
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(self.errors)
        }
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("contains a line break or another control character".into());
    }
    Ok(())
}

/// Rows handed to the storage at a time: big enough that a batch's sealing and its
/// inserts each take long enough to overlap, small enough to keep memory flat.
pub const BATCH_ROWS: usize = 20_000;

/// Checks the file and, if every row is good, imports it in one transaction.
pub fn import(storage: &dyn Storage, bytes: &[u8]) -> Result<ImportReport, ServiceError> {
    import_from(storage, bytes)
}

/// [`import`] from a reader, streamed: the rows are checked on one thread and handed in
/// batches to the storage, which seals and writes them inside one transaction as they
/// come (`Storage::import_roster_batches`). Memory stays flat whatever the file's size
/// (a batch or two, and 16 bytes per person to find a person listed twice). At the
/// first bad row the storage is no longer fed; the rest of the file is still checked
/// so that every bad row is reported, and the transaction is rolled back: nothing is
/// imported.
pub fn import_from(
    storage: &dyn Storage,
    input: impl std::io::Read + Send,
) -> Result<ImportReport, ServiceError> {
    let (batches, from_checker) = std::sync::mpsc::sync_channel::<Option<Vec<RosterEntry>>>(2);
    std::thread::scope(|scope| {
        let checker = scope.spawn(move || {
            let mut checker = Checker::default();
            let mut batch = Vec::with_capacity(BATCH_ROWS);
            let mut feeding = true;
            csv_rows::stream(input, &HEADER, |row| {
                let entry = checker.check(row);
                if !feeding {
                    return;
                }
                if checker.bad() {
                    // Tell the storage to roll back; keep checking to report every row.
                    let _ = batches.send(None);
                    feeding = false;
                    return;
                }
                batch.extend(entry);
                if batch.len() == BATCH_ROWS {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                    // The storage stopped (its error is reported): stop feeding it.
                    feeding = batches.send(Some(full)).is_ok();
                }
            });
            if feeding {
                let _ = batches.send(if checker.bad() { None } else { Some(batch) });
            }
            checker.finish()
        });
        let mut fed = from_checker
            .into_iter()
            .map(|batch| batch.ok_or(crate::storage::StorageError::ImportAborted));
        let imported = storage.import_roster_batches(&mut fed);
        drop(fed);
        let checked = checker
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let rows = checked.map_err(ServiceError::BadRows)?;
        Ok(ImportReport {
            rows,
            counts: imported?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(u64, String)> {
        parse(text.as_bytes())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn a_good_file_gives_normalised_entries() {
        let entries = parse(
            "id_number,name,region,status\n\
             11010519491231002x,\"Zhang, San\",110105,active\n\
             310115196002291236,李四,310115,deceased\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id_number, "11010519491231002X");
        assert_eq!(entries[0].name, "Zhang, San");
        assert_eq!(entries[1].status, RosterStatus::Deceased);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_problem() {
        let got = problems(
            "id_number,name,region,status\n\
             110105194912310021,A,110105,active\n\
             11010519491231002X,,110105,active\n\
             310115196002291236,B,310115,retired\n\
             11010519491231002X,C,110105,active\n\
             310115196002291236,D,310115\n\
             11010519491231002,E,110105,active\n",
        );
        let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7], "{got:#?}");
        assert!(got[0].1.contains("check character"), "{}", got[0].1);
        assert!(got[1].1.contains("name: is empty"), "{}", got[1].1);
        assert!(got[2].1.contains("status: must be active"), "{}", got[2].1);
        assert!(got[3].1.contains("also on line 3"), "{}", got[3].1);
        assert!(got[3].1.contains("1101**********002X"), "{}", got[3].1);
        assert!(got[4].1.contains("has 3 field(s), not 4"), "{}", got[4].1);
        assert!(got[5].1.contains("18 characters"), "{}", got[5].1);
        for (_, m) in &got {
            assert!(!m.contains("11010519491231002X"), "full ID number in {m}");
        }
    }

    #[test]
    fn a_row_can_have_several_problems() {
        let got = problems("id_number,name,region,status\nx,,,gone\n");
        assert_eq!(got.len(), 1);
        for part in ["id_number:", "name:", "region:", "status:"] {
            assert!(got[0].1.contains(part), "{part} in {}", got[0].1);
        }
    }

    /// Streamed in batches: a bad row after several full batches imports nothing and
    /// is reported by line; the good file imports every row, in one transaction.
    #[test]
    fn a_streamed_import_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::SqliteStorage::open_in(dir.path()).unwrap();
        let rows = 2 * BATCH_ROWS + 5;
        let mut file = String::from("id_number,name,region,status\n");
        for i in 0..rows {
            // Distinct valid numbers: birth dates from 1930-01-01 on, serials by day.
            let day = chrono::NaiveDate::from_ymd_opt(1930, 1, 1).unwrap()
                + chrono::Days::new((i / 900) as u64);
            let body = format!("110105{}{:03}", day.format("%Y%m%d"), i % 900 + 10);
            let check = certpoint_protocol::id_number::check_char(&body);
            file.push_str(&format!("{body}{check},N{i},110105,active\n"));
        }
        let good = file.clone();
        file.push_str("110105194912310021,Bad,110105,active\n");
        let e = import_from(&storage, file.as_bytes()).unwrap_err();
        let ServiceError::BadRows(bad) = e else {
            panic!("{e}")
        };
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, rows as u64 + 2);
        assert!(storage.roster(None).unwrap().is_empty(), "nothing imported");
        let report = import_from(&storage, good.as_bytes()).unwrap();
        assert_eq!(report.rows, rows as u64);
        assert_eq!(report.counts.inserted, rows as u64);
        assert_eq!(storage.roster(None).unwrap().len(), rows);
    }

    #[test]
    fn a_bad_header_is_the_only_error() {
        let got = problems("id,name,region,status\n11010519491231002X,A,110105,active\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 1);
    }
}
