//! `admin` commands: back-office accounts (`/admin/…`).

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::service::staff;
use crate::storage::StaffRole;
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum StaffCmd {
    /// Add a back-office account. The password is read from the first line of stdin
    /// (at least 12 characters) and kept as an Argon2id hash only.
    Add {
        #[arg(long)]
        name: String,
        /// admin (everything), reviewer (decides reviews), auditor (reads and exports).
        #[arg(long, value_parser = ["admin", "reviewer", "auditor"])]
        role: String,
        /// Read the password from stdin (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub(super) fn run(storage: &dyn Storage, cmd: StaffCmd) -> anyhow::Result<ExitCode> {
    let StaffCmd::Add { name, role, .. } = cmd;
    let role = StaffRole::parse(&role).context("--role: use admin, reviewer or auditor")?;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    staff::add_account(storage, &name, role, password)?;
    println!(
        "back-office account {name} ({}) added; log in at /admin/login",
        role.as_str()
    );
    Ok(ExitCode::SUCCESS)
}
