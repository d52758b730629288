//! `certpoint-agency bench roster --rows N --out FILE`: a synthetic roster in the
//! format `roster import` reads (`id_number,name,region,status`), for load tests.
//!
//! Row `i` is a pure function of `i` and the seed, so a file of any size is written in
//! one pass without remembering what was written, and two runs with the same seed give
//! the same file. ID numbers are valid GB 11643 numbers (check character included) and
//! distinct: row `i` maps through a bijection of `0..S` (multiplication by a prime
//! that does not divide `S`) onto (county, birth date, sequence), where `S` = 16
//! Beijing counties × every day of 1930–1965 × 1000 sequence numbers (210 million).
//! The region column is the county code, as a province's roster divides its
//! pensioners; about 0.8 % are `suspended` and 0.4 % `deceased`.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::stats::SplitMix;

/// The counties (region codes) rows are spread over.
pub const REGIONS: [&str; 16] = [
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112",
    "110113", "110114", "110115", "110116", "110117", "110118", "110119",
];

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "兰", "霞", "平", "刚", "桂", "华", "玉", "珍", "凤", "建", "国", "淑", "德",
];

/// Knuth's multiplicative-hash prime; it divides none of 2, 3, 5 and 487, the prime
/// factors of [`space`].
const STRIDE: u128 = 2_654_435_761;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1930, 1, 1).expect("a real date")
}

fn days() -> u64 {
    let last = NaiveDate::from_ymd_opt(1965, 12, 31).expect("a real date");
    (last - first_day()).num_days() as u64 + 1
}

/// How many distinct rows the generator can make.
pub fn space() -> u64 {
    REGIONS.len() as u64 * days() * 1000
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct RosterSummary {
    pub rows: u64,
    pub regions: usize,
    pub seed: u64,
}

/// One row: `(id_number, name, region, status)`.
pub fn row(i: u64, seed: u64) -> (String, String, &'static str, &'static str) {
    let s = space();
    let j = ((u128::from(i) * STRIDE + u128::from(seed)) % u128::from(s)) as u64;
    let seq = j % 1000;
    let day = (j / 1000) % days();
    let region = REGIONS[(j / 1000 / days()) as usize];
    let birth = first_day() + Duration::days(day as i64);
    let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
    let check = certpoint_protocol::id_number::check_char(&first17);
    let mut rng = SplitMix::new(j ^ seed.rotate_left(17));
    let mut name = SURNAMES[rng.below(SURNAMES.len() as u64) as usize].to_owned();
    for _ in 0..1 + rng.below(2) {
        name.push_str(GIVEN[rng.below(GIVEN.len() as u64) as usize]);
    }
    let status = match rng.below(1000) {
        0..=7 => "suspended",
        8..=11 => "deceased",
        _ => "active",
    };
    (format!("{first17}{check}"), name, region, status)
}

/// Writes the header and `rows` rows to `out`.
pub fn write(out: &mut impl Write, rows: u64, seed: u64) -> std::io::Result<RosterSummary> {
    if rows > space() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "--rows {rows}: this generator makes at most {} distinct people",
                space()
            ),
        ));
    }
    writeln!(out, "id_number,name,region,status")?;
    for i in 0..rows {
        let (id, name, region, status) = row(i, seed);
        writeln!(out, "{id},{name},{region},{status}")?;
    }
    out.flush()?;
    Ok(RosterSummary {
        rows,
        regions: REGIONS.len(),
        seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn gcd(a: u128, b: u128) -> u128 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }

    #[test]
    fn the_stride_is_a_bijection_of_the_space() {
        assert_eq!(gcd(STRIDE, u128::from(space())), 1);
    }

    #[test]
    fn rows_are_distinct_valid_and_importable() {
        let mut file = Vec::new();
        let summary = write(&mut file, 5000, 1).unwrap();
        assert_eq!(summary.rows, 5000);
        let entries = crate::service::roster::parse(&file).expect("a valid roster file");
        assert_eq!(entries.len(), 5000);
        let ids: HashSet<_> = entries.iter().map(|e| e.id_number.clone()).collect();
        assert_eq!(ids.len(), 5000);
        let regions: HashSet<_> = entries.iter().map(|e| e.region.clone()).collect();
        assert!(regions.len() > 10, "{regions:?}");
        assert!(entries.iter().any(|e| e.status.as_str() != "active"));
        // The same seed, the same file; another seed, other people.
        let mut again = Vec::new();
        write(&mut again, 5000, 1).unwrap();
        assert_eq!(file, again);
        assert_ne!(row(0, 1).0, row(0, 2).0);
    }
}
