//! `certpoint voice check DIR`: tells an office whether a voice pack it recorded (or the
//! shipped one) will play at the kiosk, and if not, every reason.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::voice_pack::check::{check as check_pack, prompt_keys};

pub(super) fn check(dir: &Path, json: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let report = check_pack(dir, &prompt_keys());
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        let who = match (&report.language, &report.speaker) {
            (Some(l), Some(s)) => format!(" ({l}, {s})"),
            _ => String::new(),
        };
        for f in &report.problems {
            writeln!(
                out,
                "{}: {}: {} — {}",
                dir.display(),
                f.at,
                f.message,
                f.fix
            )?;
        }
        for f in &report.warnings {
            writeln!(
                out,
                "{}: warning: {}: {} — {}",
                dir.display(),
                f.at,
                f.message,
                f.fix
            )?;
        }
        if report.ok() {
            let secs: f64 = report.clips.iter().map(|c| c.seconds).sum();
            writeln!(
                out,
                "ok: {}{who}: {} clips, {secs:.1} s in all",
                dir.display(),
                report.clips.len()
            )?;
        } else {
            writeln!(
                out,
                "{} problem(s) in {}{who}",
                report.problems.len(),
                dir.display()
            )?;
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
