//! `roster`, `selfcert`, `status` and `reference` commands: the people side.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;

use certpoint_protocol::mask_id_number;

use crate::faces::FaceArgs;
use crate::service::roster::ImportReport;
use crate::service::{self, references, ServiceError};
use crate::storage::{ReferenceAdded, Storage};

#[derive(Debug, Subcommand)]
pub(super) enum RosterCmd {
    /// Import (insert or update) pensioners from a CSV file with the header
    /// `id_number,name,region,status` (status active, suspended or deceased). Every
    /// bad row is reported with its line; if any is bad, nothing is imported.
    Import {
        file: PathBuf,
        /// Print the summary (or the bad rows) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The region's active pensioners not yet certified for a period (by the status
    /// rules: `not_certified`, or `pending_review` when a record awaits a match or a
    /// review), one page at a time.
    NotCertified {
        #[arg(long)]
        region: String,
        /// The certification period, a four-digit year.
        #[arg(long)]
        period: String,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Continue after this cursor (printed at the end of the previous page).
        #[arg(long)]
        after: Option<String>,
        /// Print `{"people":[{"id_number","name","state"}],"next"}`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum SelfcertCmd {
    /// Import app self-certifications from a CSV file with the header
    /// `id_number,period,at` (at: RFC 3339 with offset). Same rules as roster import;
    /// a person not on the roster is a bad row.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, ClapArgs)]
pub(super) struct StatusArgs {
    /// The 18-character resident ID number.
    id_number: String,
    /// The certification period, a four-digit year.
    #[arg(long)]
    period: String,
    /// Print `{"period","state","channel","at"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub(super) enum ReferenceCmd {
    /// Enrol a person's reference photo: a new version that becomes the current one
    /// (older versions are kept). Enrolling the same photo again changes nothing. The
    /// photo is not checked for a face here; the matcher embeds it when first needed
    /// (`reference import` checks and embeds at once).
    Add {
        /// The 18-character resident ID number.
        #[arg(long)]
        id: String,
        /// A JPEG or PNG photo.
        #[arg(long)]
        photo: PathBuf,
    },
    /// Enrol the photos in a directory, each named `<id_number>.jpg|.jpeg|.png`, of
    /// people on the roster: each must show exactly one face, is embedded with the
    /// face models (--models) and becomes the person's current reference (older
    /// versions are kept); then that person's records awaiting a match are scored.
    /// Every file is reported; a bad one is skipped (the good ones are imported all
    /// the same) and makes the exit status 1.
    Import {
        dir: PathBuf,
        /// Print the per-file report and summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A person's reference versions, oldest first.
    List {
        #[arg(long)]
        id: String,
    },
    /// Who read reference photos (newest first): time, kiosk, masked ID, result.
    Reads {
        /// Only this person's.
        #[arg(long)]
        id: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

pub(super) fn roster(storage: &dyn Storage, cmd: RosterCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RosterCmd::Import { file, json } => {
            // Streamed: a province's roster is never held whole.
            let input = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            report_import(&file, json, service::roster::import_from(storage, input))
        }
        RosterCmd::NotCertified {
            region,
            period,
            limit,
            after,
            json,
        } => {
            service::region::check(&region).map_err(|e| anyhow::anyhow!("--region: {e}"))?;
            certpoint_protocol::parse_period(&period)
                .map_err(|e| anyhow::anyhow!("--period: {e}"))?;
            let page =
                storage.not_certified_in_region(&region, &period, limit, after.as_deref())?;
            let state = |pending| {
                if pending {
                    "pending_review"
                } else {
                    "not_certified"
                }
            };
            if json {
                let people: Vec<_> = page
                    .people
                    .iter()
                    .map(|u| json!({"id_number": u.id_number, "name": u.name, "state": state(u.pending_review)}))
                    .collect();
                println!("{}", json!({"people": people, "next": page.next}));
            } else {
                for u in &page.people {
                    println!("{}  {}  {}", u.id_number, state(u.pending_review), u.name);
                }
                match &page.next {
                    Some(next) => println!("(more: --after {next})"),
                    None => println!("({} listed; the end)", page.people.len()),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(super) fn selfcert(storage: &dyn Storage, cmd: SelfcertCmd) -> anyhow::Result<ExitCode> {
    let SelfcertCmd::Import { file, json } = cmd;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    report_import(&file, json, service::selfcert::import(storage, &bytes))
}

/// Prints an import's summary, or every bad row (exit 1).
fn report_import(
    file: &Path,
    json: bool,
    result: Result<ImportReport, ServiceError>,
) -> anyhow::Result<ExitCode> {
    let shown = file.display().to_string();
    match result {
        Ok(r) => {
            if json {
                #[derive(serde::Serialize)]
                struct Summary<'a> {
                    file: &'a str,
                    imported: bool,
                    #[serde(flatten)]
                    report: ImportReport,
                }
                let summary = Summary {
                    file: &shown,
                    imported: true,
                    report: r,
                };
                println!("{}", serde_json::to_string(&summary)?);
            } else {
                println!(
                    "{shown}: {} row(s) imported: {} inserted, {} updated, {} unchanged",
                    r.rows, r.counts.inserted, r.counts.updated, r.counts.unchanged
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::BadRows(errors)) => {
            if json {
                println!(
                    "{}",
                    json!({"file": shown, "imported": false, "errors": errors})
                );
            } else {
                for e in &errors {
                    eprintln!("{shown}:{}: {}", e.line, e.message);
                }
                eprintln!(
                    "certpoint-agency: {} bad row(s) in {shown}; nothing was imported",
                    errors.len()
                );
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn status(storage: &dyn Storage, a: StatusArgs) -> anyhow::Result<ExitCode> {
    let s = service::status::status(storage, &a.id_number, &a.period)?;
    if a.json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        let how = match (s.channel, s.at) {
            (Some(channel), Some(at)) => format!(" ({}, {})", channel.as_str(), at.to_rfc3339()),
            _ => String::new(),
        };
        println!(
            "{} period {}: {}{how}",
            mask_id_number(a.id_number.trim()),
            s.period,
            s.state.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn reference(
    storage: Arc<dyn Storage>,
    faces: &FaceArgs,
    cmd: ReferenceCmd,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ReferenceCmd::Import { dir, json } => {
            return super::reference_import::run(storage, faces, &dir, json)
        }
        ReferenceCmd::Add { id, photo } => {
            let (version, added) = references::add_from_file(storage.as_ref(), &id, &photo)?;
            let what = match added {
                ReferenceAdded::New => "enrolled",
                ReferenceAdded::Unchanged => "already the current one",
                ReferenceAdded::Restored => "made the current one again",
            };
            println!(
                "reference photo for {} {what} (version {version})",
                mask_id_number(id.trim())
            );
        }
        ReferenceCmd::List { id } => {
            let id = service::parse_id(&id)?;
            for v in storage.reference_versions(id.as_str())? {
                println!(
                    "{}  {}  {}  embedding: {}{}",
                    v.version,
                    v.media_type,
                    v.enrolled_at.to_rfc3339(),
                    v.embedding_model_sha256.as_deref().unwrap_or("none"),
                    if v.current { "  (current)" } else { "" }
                );
            }
        }
        ReferenceCmd::Reads { id, limit } => {
            let id = id.as_deref().map(service::parse_id).transpose()?;
            for r in storage.reference_reads(id.as_ref().map(|i| i.as_str()), limit)? {
                println!(
                    "{}  {}  {}  {}",
                    r.at.to_rfc3339(),
                    r.kiosk_id,
                    r.id_masked,
                    r.result.as_str()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
