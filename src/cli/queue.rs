//! `certpoint queue …` and `certpoint audit list`: what is waiting, what was sent, what
//! the server refused. ID numbers masked. Only `queue purge` changes the store, and
//! only by the retention rules the kiosk applies itself.

use std::io::Write;
use std::process::ExitCode;

use super::{QueueCommand, StateArg};
use crate::config::LoadedConfig;
use crate::store::{OutboxState, Store};

pub(super) fn run(
    cfg: &LoadedConfig,
    cmd: QueueCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut store = Store::open_configured(cfg)?;
    match cmd {
        QueueCommand::Status { json } => {
            let s = store.status()?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&s)?)?;
            } else {
                writeln!(out, "pending:  {}", s.pending)?;
                writeln!(out, "sent:     {}", s.sent)?;
                writeln!(out, "rejected: {}", s.rejected)?;
                writeln!(
                    out,
                    "oldest pending: {}",
                    s.oldest_pending_at.as_deref().unwrap_or("-")
                )?;
                writeln!(out, "last seq: {}", s.last_seq)?;
            }
        }
        QueueCommand::List { json, state, limit } => {
            let state = state.map(|s| match s {
                StateArg::Pending => OutboxState::Pending,
                StateArg::Sent => OutboxState::Sent,
                StateArg::Rejected => OutboxState::Rejected,
            });
            let entries = store.list(state, limit)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&entries)?)?;
            } else {
                writeln!(
                    out,
                    "{:>6}  {:<36}  {:<9}  {:<13}  {:<18}  created",
                    "seq", "record", "state", "outcome", "id number"
                )?;
                for e in &entries {
                    let note = e
                        .rejected_reason
                        .as_deref()
                        .or(e.last_error.as_deref())
                        .unwrap_or("");
                    writeln!(
                        out,
                        "{:>6}  {:<36}  {:<9}  {:<13}  {:<18}  {}  {note}",
                        e.seq,
                        e.record_id,
                        e.state.as_str(),
                        e.outcome,
                        e.id_number,
                        e.created_at
                    )?;
                }
            }
        }
        QueueCommand::Purge { json } => {
            let days = cfg.config.retention.days;
            let r = store.purge(chrono::Local::now().fixed_offset(), days)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&r)?)?;
            } else {
                writeln!(out, "retention: {days} days (retention.days)")?;
                writeln!(
                    out,
                    "acknowledged, personal data removed: {}",
                    r.sent_scrubbed
                )?;
                writeln!(
                    out,
                    "acknowledged, deleted:               {}",
                    r.sent_deleted
                )?;
                writeln!(
                    out,
                    "rejected, personal data removed:     {}",
                    r.rejected_scrubbed
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn audit_list(
    cfg: &LoadedConfig,
    limit: usize,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let store = Store::open_configured(cfg)?;
    let rows = store.audit_entries(limit)?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&rows)?)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{:>6}  {}  {:<12}  {:<16}  {}",
                r.id, r.at, r.actor, r.action, r.detail
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
