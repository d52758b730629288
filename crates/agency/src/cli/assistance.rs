//! `certpoint-agency assistance verify SERIAL --code CODE`: the agency's staff check a
//! Certificate of Assistance from the paper (or from the `certpoint-assistance:` QR code
//! of a kiosk without a configured agency URL), with the same rule and masked answer
//! as `GET /v1/assistance/{serial}`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::service::{assistance, ServiceError};
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum AssistanceCmd {
    /// Is this certificate genuine? Exit 0 with its (masked) facts, 1 when no
    /// certificate has this serial and code.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// The serial printed on the certificate (编号).
    serial: String,
    /// The verification code printed on it (核验码), with or without the dash.
    #[arg(long)]
    code: String,
    #[arg(long)]
    json: bool,
}

pub(super) fn run(storage: &dyn Storage, cmd: AssistanceCmd) -> anyhow::Result<ExitCode> {
    let AssistanceCmd::Verify(a) = cmd;
    match assistance::verify(storage, a.serial.trim(), &a.code) {
        Ok(v) => {
            if a.json {
                println!("{}", serde_json::to_string(&v)?);
            } else {
                println!(
                    "genuine: {} issued {} by clerk {} at kiosk {} (site {}), period {}; retiree {}, {} {} ({})",
                    v.serial,
                    v.issued_at.format("%Y-%m-%d %H:%M"),
                    v.clerk_id,
                    v.kiosk_id,
                    v.site_code,
                    v.period,
                    v.pensioner_id_masked,
                    v.relation.as_str(),
                    v.relative_name_masked,
                    v.relative_id_masked
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ServiceError::NotFound(why)) => {
            if a.json {
                println!("{}", serde_json::json!({"valid": false, "message": why}));
            } else {
                println!("not found: {why}");
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
