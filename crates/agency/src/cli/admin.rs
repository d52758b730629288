//! `kiosk`, `auditor` and `records` commands: credentials and received records.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::service::{kiosks, matching};
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum KioskCmd {
    /// Register a kiosk with the public key `certpoint keys init` printed and the roster
    /// region it serves. Prints the kiosk's API token once (or takes one from
    /// --token-file).
    Add {
        /// The kiosk's `kiosk.id`.
        #[arg(long)]
        id: String,
        /// Its ed25519 public key, base64.
        #[arg(long)]
        public_key: String,
        /// The roster region whose people it may look up (status, reference photos),
        /// as written in the roster file's `region` column.
        #[arg(long)]
        region: String,
        /// Use the token in this file instead of generating one.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Also write the token to this file (mode 0600), for copying to the kiosk.
        #[arg(long)]
        write_token: Option<PathBuf>,
    },
    /// Give a kiosk its roster region (kiosks registered before regions have none and
    /// may look up nobody) or move it to another.
    SetRegion {
        #[arg(long)]
        id: String,
        #[arg(long)]
        region: String,
    },
    /// List registered kiosks: id, region, public key.
    List,
}

#[derive(Debug, Subcommand)]
pub(super) enum AuditorCmd {
    /// Register an auditor; prints its token once (or writes it with --write-token).
    Add {
        #[arg(long)]
        name: String,
        /// Also write the token to this file (mode 0600) instead of printing it.
        #[arg(long)]
        write_token: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum RecordsCmd {
    /// Received records in arrival order: record id, kiosk, seq, received at,
    /// outcome; for `pending_match` records, the server's match or why there is none.
    List {
        #[arg(long)]
        kiosk: Option<String>,
    },
}

pub(super) fn kiosk(storage: &dyn Storage, cmd: KioskCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        KioskCmd::Add {
            id,
            public_key,
            region,
            token_file,
            write_token,
        } => {
            let token = match token_file {
                Some(f) => std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?
                    .trim()
                    .to_owned(),
                None => new_token()?,
            };
            kiosks::add_kiosk(storage, &id, &public_key, &token, &region)?;
            if let Some(path) = write_token {
                write_secret(&path, &token)?;
                println!(
                    "kiosk {id} registered for region {region}; its token is in {}",
                    path.display()
                );
            } else {
                println!("kiosk {id} registered for region {region}; its API token (shown once, put it in the kiosk's server.token_file):");
                println!("{token}");
            }
        }
        KioskCmd::SetRegion { id, region } => {
            kiosks::set_kiosk_region(storage, &id, &region)?;
            println!("kiosk {id} now serves region {region}");
        }
        KioskCmd::List => {
            for k in storage.kiosks()? {
                let region = k.region.as_deref().unwrap_or("(no region)");
                println!("{}  {region}  {}", k.kiosk_id, k.public_key);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn auditor(storage: &dyn Storage, cmd: AuditorCmd) -> anyhow::Result<ExitCode> {
    let AuditorCmd::Add { name, write_token } = cmd;
    let token = new_token()?;
    kiosks::add_auditor(storage, &name, &token)?;
    if let Some(path) = write_token {
        write_secret(&path, &token)?;
        println!(
            "auditor {name} registered; its token is in {}",
            path.display()
        );
    } else {
        println!("auditor {name} registered; its read-only API token (shown once):");
        println!("{token}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn records(storage: &dyn Storage, cmd: RecordsCmd) -> anyhow::Result<ExitCode> {
    let RecordsCmd::List { kiosk } = cmd;
    for r in storage.records(kiosk.as_deref())? {
        let note = match matching::match_note(storage, &r)? {
            Some(n) => format!("  {n}"),
            None => String::new(),
        };
        println!(
            "{}  {}  seq {}  {}  {}{note}",
            r.record_id,
            r.kiosk_id,
            r.seq,
            r.received_at,
            r.outcome.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// 32 random bytes from the OS, hex: a bearer token.
fn new_token() -> anyhow::Result<String> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom for a new token")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    writeln!(f, "{text}")?;
    Ok(())
}
