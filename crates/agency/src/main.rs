//! certpoint-agency: the reference central agency server.
//!
//! A skeleton for now: the protocol, storage and endpoints arrive with the sync issue.
//! It already parses the command line it will keep, so packaging and docs can refer to
//! it, and says plainly that it does not serve yet instead of pretending to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "certpoint-agency",
    version,
    about = "Reference central agency server for certpoint kiosks"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    bind: SocketAddr,
    /// Directory for the server's SQLite file and stored photos.
    #[arg(long, default_value = "agency-data")]
    data: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    eprintln!(
        "certpoint-agency {}: the server is not implemented yet (would bind {} with data in {}); records stay queued on the kiosks",
        env!("CARGO_PKG_VERSION"),
        args.bind,
        args.data.display()
    );
    ExitCode::from(2)
}
