//! Reading an import file: CSV with a fixed header, every row's line number kept so
//! that each problem can be reported where it is.
//!
//! Quoting follows RFC 4180 (the `csv` crate): a field holding a comma, a quote or a
//! line break is written in double quotes, with quotes inside doubled. A UTF-8 byte
//! order mark (as Excel writes) is skipped; blank lines are skipped; fields are trimmed.
//! A file in another encoding (GBK from an older spreadsheet) is reported row by row,
//! never guessed at.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

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
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    stream(bytes, header, |row| match row {
        Ok(r) => rows.push(r),
        Err(e) => errors.push(e),
    });
    (rows, errors)
}

/// [`read`] one row at a time from a reader, so a file of millions of rows is never
/// held whole: `each` gets every row or error in file order. An unreadable file (an
/// I/O error, broken CSV) ends the stream with an error naming the line.
pub(crate) fn stream(
    input: impl Read,
    header: &[&str],
    mut each: impl FnMut(Result<CsvRow, RowError>),
) {
    let spelled = header.join(",");
    let breaks = Rc::new(RefCell::new(BreakRuns::default()));
    let counted = Counting {
        inner: input,
        at: 0,
        breaks: breaks.clone(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(counted);
    let mut seen_header = false;
    let mut lines = LineCounter { breaks, line: 1 };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.line_at(e.position().map_or(0, |p| p.byte()));
                each(Err(RowError::new(line, format!("unreadable CSV: {e}"))));
                break;
            }
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
        let fields: Result<Vec<String>, _> = record
            .iter()
            .map(|f| std::str::from_utf8(f).map(str::to_owned))
            .collect();
        if !seen_header {
            seen_header = true;
            match fields {
                Ok(f) if f == header => continue,
                Ok(f) if looks_like_column_names(&f) => each(Err(RowError::new(
                    line,
                    format!(
                        "the header must be exactly `{spelled}`, not `{}`",
                        f.join(",")
                    ),
                ))),
                _ => each(Err(RowError::new(
                    line,
                    format!("the first line must be the header `{spelled}`; was it left out?"),
                ))),
            }
            return;
        }
        let fields = match fields {
            Ok(f) => f,
            Err(_) => {
                each(Err(RowError::new(
                    line,
                    "is not UTF-8 text; save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)",
                )));
                continue;
            }
        };
        if fields.len() != header.len() {
            each(Err(RowError::new(
                line,
                format!(
                    "has {} field(s), not {} (`{spelled}`); a field holding a comma must be in double quotes",
                    fields.len(),
                    header.len()
                ),
            )));
            continue;
        }
        each(Ok(CsvRow { line, fields }));
    }
    if !seen_header {
        each(Err(RowError::new(
            1,
            format!("the file is empty; its first line must be the header `{spelled}`"),
        )));
    }
}

/// A run of line-break bytes (`\r`, `\n`) in the input: where it starts and ends (byte
/// offsets) and how many `\n` it holds.
#[derive(Clone, Copy)]
struct BreakRun {
    start: u64,
    end: u64,
    newlines: u64,
}

/// The runs the reader has passed and the line counter has not yet: a few buffers'
/// worth, since the counter follows the CSV reader closely.
#[derive(Default)]
struct BreakRuns {
    done: VecDeque<BreakRun>,
    open: Option<BreakRun>,
}

/// The input, noting line-break runs as the CSV reader pulls bytes through.
struct Counting<R> {
    inner: R,
    at: u64,
    breaks: Rc<RefCell<BreakRuns>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut runs = self.breaks.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.at + i as u64;
            if b == b'\r' || b == b'\n' {
                let run = runs.open.get_or_insert(BreakRun {
                    start: at,
                    end: at,
                    newlines: 0,
                });
                run.newlines += u64::from(b == b'\n');
            } else if let Some(mut run) = runs.open.take() {
                run.end = at;
                runs.done.push_back(run);
            }
        }
        self.at += n as u64;
        if n == 0 {
            if let Some(mut run) = runs.open.take() {
                run.end = self.at;
                runs.done.push_back(run);
            }
        }
        Ok(n)
    }
}

/// Line numbers from byte offsets. The `csv` crate's own line count is off after a
/// CRLF or a blank line (seen with csv 1.3), so lines are counted here: a record's
/// offset is where the previous one ended, so the line breaks at the offset are
/// skipped to reach its first character. Offsets only grow, so the count is carried
/// forward and the runs behind it are dropped.
struct LineCounter {
    breaks: Rc<RefCell<BreakRuns>>,
    line: u64,
}

impl LineCounter {
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut runs = self.breaks.borrow_mut();
        while let Some(run) = runs.done.front().copied() {
            if run.start > offset {
                break;
            }
            // Before the offset, or starting at it (the breaks before the record).
            self.line += run.newlines;
            runs.done.pop_front();
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

    /// Streamed, the line count is carried across the reader's buffers: rows far past
    /// the first 8 KB, after CRLFs, blank lines and quoted line breaks, keep their lines.
    #[test]
    fn lines_stay_right_across_buffers() {
        let mut text = String::from("a,b,c\r\n");
        let mut line = 2;
        let mut bad_lines = Vec::new();
        for i in 0..3000 {
            match i % 4 {
                0 => text.push_str(&format!("{i},x,y\r\n")),
                1 => {
                    // Two lines of quoted field, then a blank line.
                    text.push_str(&format!("{i},\"two\nlines\",y\n\n"));
                    line += 3;
                    continue;
                }
                2 => text.push_str(&format!("{i},x,y\n")),
                _ => {
                    text.push_str(&format!("{i},short\n"));
                    bad_lines.push(line);
                }
            }
            line += 1;
        }
        assert!(
            text.len() > 4 * 8192,
            "several of the reader's 8 KB buffers"
        );
        let (rows, errors) = read(text.as_bytes(), &H);
        assert_eq!(rows.len(), 2250);
        let got: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(got, bad_lines);
        // A reader that hands out a few bytes at a time counts the same.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(7).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut trickled = Vec::new();
        stream(Trickle(text.as_bytes()), &H, |r| {
            if let Err(e) = r {
                trickled.push(e.line);
            }
        });
        assert_eq!(trickled, bad_lines);
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
