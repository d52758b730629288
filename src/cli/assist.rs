//! `certpoint assist issue` (a Certificate of Assistance, `crate::assist`) and
//! `certpoint receipt` (the receipt slip of a stored record, `crate::paper::receipt`).
//!
//! Exit codes of `assist issue`: 0 issued; 2 a field is wrong; 3 refused by the
//! retiree's status (already certified, deceased, suspended, not on the roster); 4 the
//! PIN was not accepted (wrong, clerk locked out, no clerk registered); 1 anything
//! else. With `--json` every outcome is one JSON object with an `outcome` key.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::Local;
use serde_json::json;

use super::{AssistIssueArgs, ReceiptArgs};
use crate::assist::{self, Application, IssueOutcome};
use crate::config::LoadedConfig;
use crate::paper::print::Delivery;
use crate::store::{PinCheck, Store};

pub(super) fn issue(
    cfg: &LoadedConfig,
    args: AssistIssueArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let app = Application {
        pensioner_id: args.pensioner,
        relative_id: args.relative_id,
        relative_name: args.relative_name,
        relation: args.relation,
        reason: args.reason,
        clerk_id: args.clerk,
    };
    let checked = match app.check() {
        Ok(c) => c,
        Err(e) => {
            if args.json {
                writeln!(
                    out,
                    "{}",
                    json!({"outcome": "invalid_input", "field": e.field(), "message": e.to_string()})
                )?;
            } else {
                writeln!(out, "not issued: {e}")?;
            }
            return Ok(ExitCode::from(2));
        }
    };
    let pin = if args.pin_stdin {
        super::clerk::pin_from_stdin()?
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("no terminal to ask the clerk's PIN on: run this in a terminal, or pipe the PIN in with --pin-stdin");
        }
        rpassword::prompt_password(format!("PIN of clerk {} (not shown): ", checked.clerk_id))
            .context("cannot read the PIN from the terminal")?
    };
    let mut store = Store::open_configured(cfg)?;
    let now = Local::now().fixed_offset();
    let outcome = assist::issue(
        cfg,
        &mut store,
        &checked,
        pin.trim(),
        args.out.as_deref(),
        now,
        |id, period| assist::check_status(cfg, id, period),
    )?;
    match outcome {
        IssueOutcome::Issued(issued) => {
            if args.json {
                let mut v = serde_json::to_value(&*issued)?;
                v["outcome"] = json!("issued");
                writeln!(out, "{v}")?;
            } else {
                writeln!(
                    out,
                    "certificate {} issued (record {}, seq {}), verification code {}",
                    issued.serial, issued.record_id, issued.seq, issued.verification_code
                )?;
                match &issued.delivery {
                    Delivery::Printed { printer, job, file } => writeln!(
                        out,
                        "printed on {printer}{}; saved at {}",
                        job.as_deref()
                            .map(|j| format!(" (job {j})"))
                            .unwrap_or_default(),
                        file.display()
                    )?,
                    Delivery::Saved { file } => writeln!(
                        out,
                        "saved at {} (no printer configured: print it by hand)",
                        file.display()
                    )?,
                }
                if let Some(e) = &issued.print_error {
                    writeln!(out, "warning: printing failed: {e}")?;
                }
                if let Some(why) = &issued.status_note {
                    writeln!(out, "warning: the retiree's status could not be checked ({why}); the record is queued and the agency decides when it arrives")?;
                }
                if !issued.name_chars_missing.is_empty() {
                    writeln!(out, "warning: the relative's name has characters the paper font lacks ({}), printed as □: write the name by hand on the line provided", issued.name_chars_missing.join(", "))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IssueOutcome::Refused(r) => {
            if args.json {
                let mut v = serde_json::to_value(&r)?;
                v["message"] = json!(r.message());
                writeln!(out, "{v}")?;
            } else {
                writeln!(out, "{}", r.message())?;
            }
            Ok(ExitCode::from(3))
        }
        IssueOutcome::Pin(check) => {
            let (outcome, message) = match &check {
                PinCheck::Wrong { tries_left } => ("pin_wrong", format!("not issued: wrong PIN ({tries_left} tries left before the clerk is locked out)")),
                PinCheck::Locked { until } => ("pin_locked", format!("not issued: clerk locked out until {} after too many wrong PINs (`certpoint clerk unlock ID` ends it)", until.format("%H:%M"))),
                PinCheck::NoClerks => ("no_clerks", "not issued: no clerk is registered; add one with `certpoint clerk add ID`".to_owned()),
                PinCheck::Accepted => ("pin_accepted", String::new()),
            };
            if args.json {
                writeln!(
                    out,
                    "{}",
                    json!({"outcome": outcome, "message": message, "pin": check})
                )?;
            } else {
                writeln!(out, "{message}")?;
            }
            Ok(ExitCode::from(4))
        }
    }
}

/// `certpoint receipt --record ID [--out FILE] [--json]`.
pub(super) fn receipt(
    cfg: &LoadedConfig,
    args: ReceiptArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let store = Store::open_configured(cfg)?;
    let (receipt, delivery) =
        crate::paper::print_receipt(cfg, &store, Some(&args.record), args.out.as_deref())?;
    if args.json {
        let mut v = serde_json::to_value(&delivery)?;
        v["outcome"] = json!("receipt");
        v["record_id"] = json!(args.record);
        v["standing"] = json!(receipt.standing.as_str());
        writeln!(out, "{v}")?;
    } else {
        let whereto = match &delivery {
            Delivery::Printed { printer, file, .. } => {
                format!("printed on {printer}, saved at {}", file.display())
            }
            Delivery::Saved { file } => format!("saved at {}", file.display()),
        };
        writeln!(out, "receipt ({}) {whereto}", receipt.standing.as_str())?;
    }
    Ok(ExitCode::SUCCESS)
}
