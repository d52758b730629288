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
    let (rows, mut errors) = csv_rows::read(bytes, &HEADER);
    let mut entries = Vec::with_capacity(rows.len());
    let mut first_seen: HashMap<String, u64> = HashMap::new();
    for row in rows {
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
        if let Some(id) = &id {
            if let Some(first) = first_seen.get(id) {
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
        match (id, status) {
            (Some(id), Some(status)) if problems.is_empty() => {
                first_seen.insert(id.clone(), row.line);
                entries.push(RosterEntry {
                    id_number: id,
                    name: name.clone(),
                    region: region_name.clone(),
                    status,
                });
            }
            (id, _) => {
                if let Some(id) = id {
                    first_seen.entry(id).or_insert(row.line);
                }
                errors.push(RowError::new(row.line, problems.join("; ")));
            }
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
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

/// Checks the file and, if every row is good, imports it in one transaction.
pub fn import(storage: &dyn Storage, bytes: &[u8]) -> Result<ImportReport, ServiceError> {
    let entries = parse(bytes).map_err(ServiceError::BadRows)?;
    let counts = storage.import_roster(&entries)?;
    Ok(ImportReport {
        rows: entries.len() as u64,
        counts,
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

    #[test]
    fn a_bad_header_is_the_only_error() {
        let got = problems("id,name,region,status\n11010519491231002X,A,110105,active\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 1);
    }
}
