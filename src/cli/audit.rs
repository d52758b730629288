//! `certpoint audit verify`: walks the audit log's hash chain and says whether it is
//! intact, and if not, where it breaks first.

use std::io::Write;
use std::process::ExitCode;

use crate::config::LoadedConfig;
use crate::store::{NotedHead, Store};

pub(super) fn verify(
    cfg: &LoadedConfig,
    noted: Option<&NotedHead>,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let store = Store::open_in(&cfg.data_dir())?;
    let report = match noted {
        Some(head) => store.verify_audit_chain_since(head)?,
        None => store.verify_audit_chain()?,
    };
    if json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else if report.ok {
        writeln!(
            out,
            "audit log intact: {} entries in {}",
            report.entries,
            store.path().display()
        )?;
    } else {
        writeln!(
            out,
            "audit log BROKEN: {} problem(s) in {} entries of {}",
            report.problems_total,
            report.entries,
            store.path().display()
        )?;
        for p in &report.problems {
            let kind = serde_json::to_value(p.kind)?;
            writeln!(
                out,
                "  entry {}: {} — {}",
                p.id,
                kind.as_str().unwrap_or_default(),
                p.detail
            )?;
        }
        if report.problems_total > report.problems.len() as u64 {
            writeln!(
                out,
                "  … and {} more",
                report.problems_total - report.problems.len() as u64
            )?;
        }
        writeln!(
            out,
            "Keep a copy of this store file for the investigation before the kiosk writes more to it."
        )?;
    }
    if !json {
        // Entries cut off the end leave an intact chain; only a head noted earlier (or
        // held by the server) shows them.
        writeln!(
            out,
            "head: {}:{}\n(note this head; `audit verify --head` with it later catches entries cut off the end)",
            report.head_id, report.head
        )?;
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
