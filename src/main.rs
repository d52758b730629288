use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = certpoint::cli::Cli::parse();
    match certpoint::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certpoint: {e:#}");
            ExitCode::FAILURE
        }
    }
}
