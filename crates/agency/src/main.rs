//! certpoint-agency: serve the reference agency server, or administer its data
//! directory (register kiosks, enrol reference photos, list received records).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use certpoint_agency::{Reference, SqliteStorage, Storage};

#[derive(Debug, Parser)]
#[command(
    name = "certpoint-agency",
    version,
    about = "Reference central agency server for certpoint kiosks"
)]
struct Args {
    /// Address to listen on (when serving).
    #[arg(long, default_value = "127.0.0.1:8443")]
    bind: SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key). Without both, the
    /// server speaks plain HTTP: for 127.0.0.1 or behind a TLS proxy only.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Directory for the server's SQLite file (records, photos, kiosks, references).
    #[arg(long, global = true, default_value = "agency-data")]
    data: PathBuf,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the HTTP API (the default).
    Serve,
    /// Registered kiosks.
    #[command(subcommand)]
    Kiosk(KioskCmd),
    /// Read-only credentials for support and audits: they may read any kiosk's
    /// records (`GET /v1/certifications/{id}`) and gap reports, never submit.
    #[command(subcommand)]
    Auditor(AuditorCmd),
    /// Reference photos of enrolled persons.
    #[command(subcommand)]
    Reference(ReferenceCmd),
    /// Received certification records.
    #[command(subcommand)]
    Records(RecordsCmd),
}

#[derive(Debug, Subcommand)]
enum KioskCmd {
    /// Register a kiosk with the public key `certpoint keys init` printed. Prints the
    /// kiosk's API token once (or takes one from --token-file).
    Add {
        /// The kiosk's `kiosk.id`.
        #[arg(long)]
        id: String,
        /// Its ed25519 public key, base64.
        #[arg(long)]
        public_key: String,
        /// Use the token in this file instead of generating one.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Also write the token to this file (mode 0600), for copying to the kiosk.
        #[arg(long)]
        write_token: Option<PathBuf>,
    },
    /// List registered kiosks.
    List,
}

#[derive(Debug, Subcommand)]
enum AuditorCmd {
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
enum ReferenceCmd {
    /// Enrol (or replace) a person's reference photo.
    Add {
        /// The 18-character resident ID number.
        #[arg(long)]
        id: String,
        /// A JPEG or PNG photo.
        #[arg(long)]
        photo: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RecordsCmd {
    /// Received records in arrival order: record id, kiosk, seq, received at.
    List {
        #[arg(long)]
        kiosk: Option<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certpoint-agency: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let storage = SqliteStorage::open_in(&args.data)
        .with_context(|| format!("opening the data directory {}", args.data.display()))?;
    match args.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => {
            let tls = match (&args.tls_cert, &args.tls_key) {
                (Some(cert), Some(key)) => Some(certpoint_agency::tls::server_config(cert, key)?),
                _ => None,
            };
            serve(args.bind, args.data, Arc::new(storage), tls)?
        }
        Cmd::Kiosk(KioskCmd::Add {
            id,
            public_key,
            token_file,
            write_token,
        }) => {
            let token = match token_file {
                Some(f) => std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?
                    .trim()
                    .to_owned(),
                None => new_token()?,
            };
            certpoint_agency::add_kiosk(&storage, &id, &public_key, &token)?;
            if let Some(path) = write_token {
                write_secret(&path, &token)?;
                println!("kiosk {id} registered; its token is in {}", path.display());
            } else {
                println!("kiosk {id} registered; its API token (shown once, put it in the kiosk's server.token_file):");
                println!("{token}");
            }
        }
        Cmd::Auditor(AuditorCmd::Add { name, write_token }) => {
            let token = new_token()?;
            certpoint_agency::add_auditor(&storage, &name, &token)?;
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
        }
        Cmd::Kiosk(KioskCmd::List) => {
            for k in storage.kiosks()? {
                println!("{}  {}", k.kiosk_id, k.public_key);
            }
        }
        Cmd::Reference(ReferenceCmd::Add { id, photo }) => {
            anyhow::ensure!(
                certpoint_agency::parse::is_id_number_shape(&id),
                "--id must be an 18-character ID number"
            );
            let bytes =
                std::fs::read(&photo).with_context(|| format!("reading {}", photo.display()))?;
            let media_type = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            let version = certpoint_agency::parse::hex_sha256(&bytes)[..16].to_owned();
            storage.put_reference(
                &id,
                &Reference {
                    version: version.clone(),
                    media_type: media_type.into(),
                    bytes,
                },
            )?;
            println!(
                "reference photo for {} enrolled (version {version})",
                certpoint_protocol::mask_id_number(&id)
            );
        }
        Cmd::Records(RecordsCmd::List { kiosk }) => {
            for r in storage.records(kiosk.as_deref())? {
                println!(
                    "{}  {}  seq {}  {}",
                    r.record_id, r.kiosk_id, r.seq, r.received_at
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(
    bind: SocketAddr,
    data: PathBuf,
    storage: Arc<dyn Storage>,
    tls: Option<Arc<certpoint_agency::tls::ServerConfig>>,
) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        tracing::info!(
            "certpoint-agency {} listening on {}://{} with data in {}",
            env!("CARGO_PKG_VERSION"),
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr()?,
            data.display()
        );
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            Some(config) => {
                let listener = certpoint_agency::tls::TlsListener::new(listener, config)?;
                certpoint_agency::serve(listener, storage, stop).await?
            }
            None => certpoint_agency::serve(listener, storage, stop).await?,
        }
        Ok(())
    })
}

/// 32 random bytes from the OS, hex: the kiosk's bearer token.
fn new_token() -> anyhow::Result<String> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("reading /dev/urandom for a new token")?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
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
