//! `bundle key init|show` and `bundle export`: the agency's side of the kiosks' offline
//! reference cache (`crate::bundle`, `service::bundles`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

use crate::bundle::BundleKey;
use crate::service::bundles::{Publisher, DEFAULT_REISSUE_HOURS};
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum BundleCmd {
    /// The bundle-signing key, whose public half every kiosk pins.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Write a region's signed bundle (current reference embeddings of its active
    /// roster, this server's model only) to a file, for `certpoint cache import` on
    /// kiosks without a link. Always a newly issued bundle: it starts with the kiosks'
    /// full max_age_days.
    Export {
        /// The roster region (the roster file's `region` column, the kiosks' region).
        #[arg(long)]
        region: String,
        /// The file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum KeyCmd {
    /// Create the key (<data>/bundle-signing.key, mode 0600). Never replaces one.
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Print the public key to pin on kiosks (reference_cache.agency_public_keys).
    Show {
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(
    storage: Arc<dyn Storage>,
    data: &Path,
    cmd: BundleCmd,
) -> anyhow::Result<ExitCode> {
    match cmd {
        BundleCmd::Key(KeyCmd::Init { json }) => {
            let key = BundleKey::init(data)?;
            show_key(&key, json, "created at");
        }
        BundleCmd::Key(KeyCmd::Show { json }) => show_key(&BundleKey::load(data)?, json, "at"),
        BundleCmd::Export { region, out, json } => {
            let publisher = Publisher::new(storage, data.to_owned(), DEFAULT_REISSUE_HOURS);
            let bundle = publisher.issue(&region, chrono::Utc::now())?;
            write_file(&out, &bundle.bytes)?;
            let at = bundle
                .generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if json {
                println!(
                    "{}",
                    json!({
                        "file": out.display().to_string(),
                        "region": bundle.region,
                        "entries": bundle.entries,
                        "skipped_other_model": bundle.skipped_other_model,
                        "generated_at": at,
                        "key_id": bundle.key_id,
                        "model_sha256": certpoint_face::EMBEDDING_MODEL_SHA256,
                        "bytes": bundle.bytes.len(),
                    })
                );
            } else {
                println!(
                    "{}: reference bundle of region {}: {} reference(s), generated {at}, signed by key {}, {} bytes",
                    out.display(),
                    bundle.region,
                    bundle.entries,
                    bundle.key_id,
                    bundle.bytes.len()
                );
                if bundle.skipped_other_model > 0 {
                    println!(
                        "{} reference(s) left out: embedded by another model; import their photos again (reference import) to embed them with this server's",
                        bundle.skipped_other_model
                    );
                }
                if bundle.entries == 0 {
                    println!("no reference is in it: is {region} the roster's region code, and were the photos imported with `reference import`?");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_key(key: &BundleKey, json: bool, verb: &str) {
    if json {
        println!(
            "{}",
            json!({
                "path": key.path().display().to_string(),
                "key_id": key.key_id(),
                "public_key": key.public_key_b64(),
            })
        );
    } else {
        println!(
            "bundle-signing key {verb} {} (key id {})",
            key.path().display(),
            key.key_id()
        );
        println!("public key, to pin on every kiosk (reference_cache.agency_public_keys):");
        println!("{}", key.public_key_b64());
    }
}

/// Writes through a temporary file renamed over `out`, so a reader never sees half.
fn write_file(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let name = out
        .file_name()
        .with_context(|| format!("--out {} names no file", out.display()))?;
    let tmp = out.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    };
    write().with_context(|| format!("writing {}", out.display()))
}
