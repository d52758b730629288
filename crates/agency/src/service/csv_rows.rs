//! Reading an import file: CSV with a fixed header, every row's line number kept so
//! that each problem can be reported where it is.
//!
//! Quoting follows RFC 4180 (the `csv` crate): a field holding a comma, a quote or a
//! line break is written in double quotes, with quotes inside doubled. A UTF-8 byte
//! order mark (as Excel writes) is skipped; blank lines are skipped; fields are trimmed.
//! A file in another encoding (GBK from an older spreadsheet) is reported row by row,
//! never guessed at.

use serde::Serialize;

/// One thing wrong with one row (or with the file, line 1 for the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line in the file where the row starts.
    pub line: u64,
    /// What is wrong and how to fix it; an ID number in it is masked.
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, message: impl Into<String>) -> RowError {
        RowError {
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A row with the expected number of fields, all UTF-8, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvRow {
    pub line: u64,
    pub fields: Vec<String>,
}

/// Splits `bytes` into rows under `header`. Rows with the wrong number of fields or
/// that are not UTF-8 become errors; a wrong or missing header is the only error.
pub(crate) fn read(bytes: &[u8], header: &[&str]) -> (Vec<CsvRow>, Vec<RowError>) {
    let spelled = header.join(",");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen_header = false;
    let mut lines = LineCounter::new(bytes);
    for result in reader.byte_records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = lines.line_at(e.position().map_or(0, |p| p.byte()));
                errors.push(RowError::new(line, format!("unreadable CSV: {e}")));
                break;
            }
        };
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        let fields: Result<Vec<String>, _> = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(str::to_owned))
            .collect();
        if !seen_header {
            seen_header = true;
            match fields {
                Ok(f) if f == header => continue,
                Ok(f) if looks_like_column_names(&f) => errors.push(RowError::new(
                    line,
                    format!(
                        "the header must be exactly `{spelled}`, not `{}`",
                        f.join(",")
                    ),
                )),
                _ => errors.push(RowError::new(
                    line,
                    format!("the first line must be the header `{spelled}`; was it left out?"),
                )),
            }
            return (Vec::new(), errors);
        }
        let fields = match fields {
            Ok(f) => f,
            Err(_) => {
                errors.push(RowError::new(
                    line,
                    "is not UTF-8 text; save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)",
                ));
                continue;
            }
        };
        if fields.len() != header.len() {
            errors.push(RowError::new(
                line,
                format!(
                    "has {} field(s), not {} (`{spelled}`); a field holding a comma must be in double quotes",
                    fields.len(),
                    header.len()
                ),
            ));
            continue;
        }
        rows.push(CsvRow { line, fields });
    }
    if !seen_header {
        errors.push(RowError::new(
            1,
            format!("the file is empty; its first line must be the header `{spelled}`"),
        ));
    }
    (rows, errors)
}

/// Line numbers from byte offsets. The `csv` crate's own line count is off after a
/// CRLF or a blank line (seen with csv 1.3), so lines are counted here: a record's
/// offset is where the previous one ended, so line breaks at the offset are skipped to
/// reach its first character. Offsets only grow, so the count is carried forward.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: u64) -> u64 {
        let mut start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.at {
            self.line += self.bytes[self.at..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// Whether a wrong first line looks like a header (safe to quote back) rather than a
/// data row, which could hold an ID number and a name that must not be echoed.
fn looks_like_column_names(fields: &[String]) -> bool {
    fields
        .iter()
        .all(|f| f.len() <= 32 && f.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let (rows, errors) = read(
            b"a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\n3,q,r\n",
            &H,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].fields, ["1", "x, y", "say \"hi\""]);
        assert_eq!(rows[1].fields, ["2", "two\nlines", "z"]);
        assert_eq!((rows[0].line, rows[1].line, rows[2].line), (2, 3, 5));
    }

    #[test]
    fn bom_blank_lines_crlf_and_spaces_are_tolerated() {
        let (rows, errors) = read(
            b"\xef\xbb\xbfa,b,c\r\n\r\n 1 , 2 ,3\r\n4,5,6\r\n\n\n7,8,9",
            &H,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].fields, ["1", "2", "3"]);
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 7]);
    }

    #[test]
    fn wrong_counts_and_encodings_are_reported_by_line() {
        let (rows, errors) = read(b"a,b,c\n1,2\n1,2,3,4\n1,\xd5\xc5,3\n1,2,3\n", &H);
        assert_eq!(rows.len(), 1);
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(
            errors[0].message.contains("has 2 field(s), not 3"),
            "{}",
            errors[0]
        );
        assert!(errors[2].message.contains("UTF-8"), "{}", errors[2]);
    }

    #[test]
    fn headers_must_match_and_data_rows_are_not_echoed() {
        let (_, e) = read(b"a,c,b\n1,2,3\n", &H);
        assert_eq!(e.len(), 1);
        assert!(
            e[0].message.contains("exactly `a,b,c`, not `a,c,b`"),
            "{}",
            e[0]
        );
        let (_, e) = read(b"11010519491231002X,Zhang,1\n", &H);
        assert!(!e[0].message.contains("11010519491231002X"), "{}", e[0]);
        assert!(e[0].message.contains("left out"), "{}", e[0]);
        let (_, e) = read(b"", &H);
        assert!(e[0].message.contains("empty"), "{}", e[0]);
    }
}
