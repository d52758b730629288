//! `certpoint clerk …`: the clerks who may approve a manual pass. PINs come from the
//! terminal without echo (or stdin for scripts) and go no further than the Argon2
//! hash; nothing here prints or logs them. And `certpoint bench pin`, the time one PIN
//! check costs.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use chrono::Local;
use serde_json::json;

use super::ClerkCommand;
use crate::config::LoadedConfig;
use crate::store::{
    hash_pin, verify_pin, PinPolicy, Store, PIN_HASH_M_KIB, PIN_HASH_P, PIN_HASH_T,
};

pub(super) fn run(
    cfg: &LoadedConfig,
    cmd: ClerkCommand,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut store = Store::open_in(&cfg.data_dir())?;
    let now = Local::now().fixed_offset();
    let (id, json, done) = match cmd {
        ClerkCommand::Add {
            id,
            pin_stdin,
            json,
        } => {
            let pin = if pin_stdin {
                pin_from_stdin()?
            } else {
                pin_from_terminal(&id)?
            };
            store.add_clerk(&id, &pin, now)?;
            (id, json, "added")
        }
        ClerkCommand::Unlock { id, json } => {
            store.unlock_clerk(&id, now)?;
            (id, json, "unlocked")
        }
        ClerkCommand::Remove { id, json } => {
            store.remove_clerk(&id, now)?;
            (id, json, "removed")
        }
        ClerkCommand::List { json } => return list(&store, json, out),
    };
    if json {
        writeln!(out, "{}", json!({ "clerk_id": id, "done": done }))?;
    } else {
        writeln!(out, "clerk {id} {done}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn list(store: &Store, json: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let clerks = store.clerks()?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&clerks)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if clerks.is_empty() {
        writeln!(
            out,
            "no clerk registered: add one with `certpoint clerk add ID`"
        )?;
    }
    for c in &clerks {
        let lock = match &c.locked_until {
            Some(t) => format!("locked until {t}"),
            None => "-".to_owned(),
        };
        writeln!(
            out,
            "{:<16}  added {}  wrong PINs {}  {lock}",
            c.clerk_id, c.created_at, c.failed_attempts
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The first line of stdin, for scripts and installers.
pub(super) fn pin_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the PIN from standard input")?;
    let pin = line.trim().to_owned();
    if pin.is_empty() {
        bail!("--pin-stdin: standard input held no PIN; pipe the PIN in as the first line");
    }
    Ok(pin)
}

/// Asked twice on the terminal, never echoed.
fn pin_from_terminal(id: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask the PIN on: run this in a terminal, or pipe the PIN in with --pin-stdin");
    }
    let first = rpassword::prompt_password(format!("PIN for clerk {id} (6+ digits, not shown): "))
        .context("cannot read the PIN from the terminal")?;
    let again = rpassword::prompt_password("the same PIN again: ")
        .context("cannot read the PIN from the terminal")?;
    if first.trim() != again.trim() {
        bail!("the two PINs differ; nothing was changed, run the command again");
    }
    Ok(first.trim().to_owned())
}

/// `certpoint bench pin`: one Argon2id verification, and whole checks through a
/// throw-away store (count, audit entry, fsync) for a registered clerk with a wrong PIN
/// and for an unknown id, which must cost the same.
pub(super) fn bench_pin(
    checks: usize,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let n = checks.max(1);
    let t = Instant::now();
    let hash = hash_pin("314159")?;
    let hash_ms = t.elapsed().as_secs_f64() * 1000.0;
    let verify = timed(n, || {
        if verify_pin("271828", &hash)? {
            bail!("a wrong PIN verified: this build's Argon2 is broken");
        }
        Ok(())
    })?;

    let dir = std::env::temp_dir().join(format!("certpoint-bench-pin-{}", std::process::id()));
    let result = (|| {
        let mut store = Store::open_in(&dir)?;
        let now = Local::now().fixed_offset();
        store.add_clerk("B1", "314159", now)?;
        // No lockout during the run: every check does the full work.
        let policy = PinPolicy {
            max_attempts: u32::MAX,
            lockout: chrono::Duration::minutes(1),
        };
        let mut check = |id: &str| -> anyhow::Result<()> {
            store.check_clerk_pin(id, "271828", &policy, now)?;
            Ok(())
        };
        let known = timed(n, || check("B1"))?;
        let unknown = timed(n, || check("B9"))?;
        anyhow::Ok((known, unknown))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    let (known, unknown) = result?;

    if json {
        let v = json!({
            "params": { "m_kib": PIN_HASH_M_KIB, "t": PIN_HASH_T, "p": PIN_HASH_P },
            "checks": n, "hash_ms": hash_ms,
            "verify_p50_ms": verify.0, "verify_max_ms": verify.1,
            "wrong_pin_check_p50_ms": known.0, "unknown_id_check_p50_ms": unknown.0,
        });
        writeln!(out, "{v}")?;
    } else {
        writeln!(
            out,
            "Argon2id m={PIN_HASH_M_KIB} KiB t={PIN_HASH_T} p={PIN_HASH_P}, {n} checks each:"
        )?;
        writeln!(out, "  hash a PIN            {hash_ms:.1} ms")?;
        writeln!(
            out,
            "  verify (Argon2 only)  p50 {:.1} ms, max {:.1} ms",
            verify.0, verify.1
        )?;
        writeln!(
            out,
            "  check, wrong PIN      p50 {:.1} ms, max {:.1} ms",
            known.0, known.1
        )?;
        writeln!(
            out,
            "  check, unknown id     p50 {:.1} ms, max {:.1} ms",
            unknown.0, unknown.1
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// p50 and max in milliseconds of `n` runs of `f`.
fn timed(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[n / 2], times[n - 1]))
}
