//! `photos sweep`: the photo store's unreferenced blobs (`service::photo_sweep`).

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use crate::service::photo_sweep::{self, parse_grace};
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum PhotosCmd {
    /// Delete the blobs no record or reference names (left by a crash between a
    /// photo's write and its row's commit). Blobs younger than --older-than are left
    /// alone, so an upload in flight is never touched; safe while the server runs.
    Sweep {
        /// Only blobs older than this (s, m, h or d: 90m, 24h, 7d).
        #[arg(long, default_value = "1h", value_parser = parse_grace)]
        older_than: Duration,
        /// Count what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(storage: &dyn Storage, cmd: PhotosCmd) -> anyhow::Result<ExitCode> {
    let PhotosCmd::Sweep {
        older_than,
        dry_run,
        json,
    } = cmd;
    let report = photo_sweep::sweep(storage, older_than, dry_run)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} blob(s) in the store ({} younger than the grace period), {} named by the database; {} unreferenced ({} bytes): {}",
            report.stored,
            report.recent,
            report.referenced,
            report.orphans,
            report.orphan_bytes,
            if dry_run {
                "nothing deleted (--dry-run)".to_owned()
            } else {
                format!("{} deleted", report.deleted)
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
