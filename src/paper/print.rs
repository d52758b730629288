//! Getting a paper to the retiree: saved as a PDF always, and sent to the configured
//! CUPS printer with `lp -d PRINTER FILE` when `[paper] printer` is set.
//!
//! The printer name was checked at configuration load (`config::is_printer_name`: a
//! queue name, never an option), and the file path handed to `lp` is absolute, so
//! nothing the clerk types reaches `lp`'s command line. `lp` only queues the job; a
//! printer out of paper shows up in CUPS, not here.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::PaperSection;

/// How long `lp` may take to queue a job (it talks to the local CUPS daemon only).
pub const LP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where a paper went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum Delivery {
    /// Queued on the printer; `job` is CUPS's request id when `lp` said it.
    Printed {
        printer: String,
        job: Option<String>,
        file: PathBuf,
    },
    /// No printer configured: saved for the clerk to print or hand over.
    Saved { file: PathBuf },
}

impl Delivery {
    pub fn file(&self) -> &Path {
        match self {
            Delivery::Printed { file, .. } | Delivery::Saved { file } => file,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot run {program:?} to print (is CUPS installed? set [paper] lp_command): {source}"
    )]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} -d {printer} failed ({status}): {message}; the paper is saved at {file}")]
    Failed {
        program: String,
        printer: String,
        status: String,
        message: String,
        file: PathBuf,
    },
    #[error("{program} did not finish within {secs} s; the paper is saved at {file}")]
    Timeout {
        program: String,
        secs: u64,
        file: PathBuf,
    },
}

/// Writes `pdf` to `file` (directories made; made absolute), then prints it if a
/// printer is configured.
pub fn deliver(paper: &PaperSection, pdf: &[u8], file: &Path) -> Result<Delivery, PrintError> {
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    let write = |e| PrintError::Write {
        path: file.clone(),
        source: e,
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    std::fs::write(&file, pdf).map_err(write)?;
    if paper.printer.is_empty() {
        return Ok(Delivery::Saved { file });
    }
    let job = lp(&paper.lp_command, &paper.printer, &file)?;
    Ok(Delivery::Printed {
        printer: paper.printer.clone(),
        job,
        file,
    })
}

/// `lp -d PRINTER FILE`; CUPS's request id ("request id is Office-12 (1 file(s))").
fn lp(program: &str, printer: &str, file: &Path) -> Result<Option<String>, PrintError> {
    let mut child = Command::new(program)
        .arg("-d")
        .arg(printer)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| PrintError::Spawn {
            program: program.to_owned(),
            source: e,
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < LP_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::Timeout {
                    program: program.to_owned(),
                    secs: LP_TIMEOUT.as_secs(),
                    file: file.to_owned(),
                });
            }
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if !status.success() {
        return Err(PrintError::Failed {
            program: program.to_owned(),
            printer: printer.to_owned(),
            status: status.to_string(),
            message: err.trim().chars().take(300).collect(),
            file: file.to_owned(),
        });
    }
    Ok(out
        .split_whitespace()
        .skip_while(|w| *w != "is")
        .nth(1)
        .map(str::to_owned))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A fake `lp` that records its arguments, one per line, in `args.txt` beside it.
    pub(crate) fn fake_lp(dir: &Path, exit: i32) -> PathBuf {
        let lp = dir.join("lp");
        std::fs::write(
            &lp,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > \"{}\"\necho 'request id is {}-42 (1 file(s))'\necho 'lp: printer on fire' >&2\nexit {exit}\n",
                dir.join("args.txt").display(),
                "Office"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&lp, std::fs::Permissions::from_mode(0o755)).unwrap();
        lp
    }

    fn paper(printer: &str, lp: &Path) -> PaperSection {
        PaperSection {
            printer: printer.into(),
            lp_command: lp.display().to_string(),
            ..PaperSection::default()
        }
    }

    #[test]
    fn without_a_printer_the_paper_is_saved_only() {
        let dir = tempfile::tempdir().unwrap();
        let lp = fake_lp(dir.path(), 0);
        let file = dir.path().join("out/x.pdf");
        let d = deliver(&paper("", &lp), b"%PDF-1.7", &file).unwrap();
        assert_eq!(d, Delivery::Saved { file: file.clone() });
        assert_eq!(std::fs::read(&file).unwrap(), b"%PDF-1.7");
        assert!(!dir.path().join("args.txt").exists(), "lp was run");
    }

    #[test]
    fn with_a_printer_lp_gets_the_queue_and_the_absolute_file() {
        let dir = tempfile::tempdir().unwrap();
        let lp = fake_lp(dir.path(), 0);
        let file = dir.path().join("x.pdf");
        let d = deliver(&paper("Office", &lp), b"%PDF-1.7", &file).unwrap();
        let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
        assert_eq!(args, format!("-d\nOffice\n{}\n", file.display()));
        assert_eq!(
            d,
            Delivery::Printed {
                printer: "Office".into(),
                job: Some("Office-42".into()),
                file
            }
        );
    }

    #[test]
    fn a_failing_lp_is_an_error_that_says_where_the_paper_is() {
        let dir = tempfile::tempdir().unwrap();
        let lp = fake_lp(dir.path(), 1);
        let file = dir.path().join("x.pdf");
        let e = deliver(&paper("Office", &lp), b"%PDF-1.7", &file)
            .unwrap_err()
            .to_string();
        assert!(e.contains("printer on fire") && e.contains("x.pdf"), "{e}");
        assert!(file.exists());
        let missing = deliver(&paper("Office", &dir.path().join("nope")), b"%PDF", &file)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("lp_command"), "{missing}");
    }
}
