//! `certpoint cache status` and `certpoint cache import FILE`: the offline reference
//! cache as an administrator sees it, and installing a bundle file by hand (offices
//! without a link, tests).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::cache::ReferenceCache;
use crate::config::LoadedConfig;
use crate::store::Store;

fn open(cfg: &LoadedConfig) -> anyhow::Result<ReferenceCache> {
    // The store vouches for the sealing key (and makes it on a new kiosk).
    let store = Store::open_configured(cfg)?;
    Ok(ReferenceCache::open_configured(cfg, &store))
}

pub(super) fn status(
    cfg: &LoadedConfig,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let s = open(cfg)?.status();
    if json {
        writeln!(out, "{}", serde_json::to_string(&s)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "reference cache: {}",
        match (s.enabled, s.usable) {
            (false, _) => "off",
            (true, true) => "usable",
            (true, false) => "NOT usable",
        }
    )?;
    if let (Some(scope), Some(at), Some(days), Some(n)) =
        (&s.scope, &s.generated_at, s.age_days, s.entries)
    {
        writeln!(out, "region: {scope}")?;
        writeln!(
            out,
            "generated: {at} ({days} days ago; used up to {} days)",
            s.max_age_days
        )?;
        writeln!(out, "references: {n}")?;
        if let (Some(model), Some(key)) = (&s.model_sha256, &s.key_id) {
            writeln!(out, "model sha256: {model}")?;
            writeln!(out, "signed by agency key: {key}")?;
        }
    } else {
        writeln!(out, "region: {} (no bundle installed)", s.expected_scope)?;
    }
    if let Some(r) = &s.reason {
        writeln!(out, "why: {r}")?;
    }
    if let Some(w) = &s.warning {
        writeln!(out, "warning: {w}")?;
    }
    writeln!(out, "file: {}", s.file)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct ImportReport {
    installed: bool,
    /// This exact bundle was installed already.
    unchanged: bool,
    scope: Option<String>,
    generated_at: Option<String>,
    entries: Option<usize>,
    /// Generation time of the bundle it replaced.
    replaced: Option<String>,
    error: Option<String>,
}

pub(super) fn import(
    cfg: &LoadedConfig,
    file: &Path,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file)
        .with_context(|| format!("cannot read the bundle file {}", file.display()))?;
    let cache = open(cfg)?;
    let rfc =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match cache.install(bytes) {
        Ok(done) => {
            if json {
                let report = ImportReport {
                    installed: true,
                    unchanged: done.unchanged,
                    scope: Some(done.scope),
                    generated_at: Some(rfc(done.generated_at)),
                    entries: Some(done.entries),
                    replaced: done.replaced.map(rfc),
                    error: None,
                };
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else if done.unchanged {
                writeln!(
                    out,
                    "already installed: region {}, generated {}, {} references",
                    done.scope,
                    rfc(done.generated_at),
                    done.entries
                )?;
            } else {
                writeln!(
                    out,
                    "installed: region {}, generated {}, {} references{}",
                    done.scope,
                    rfc(done.generated_at),
                    done.entries,
                    done.replaced
                        .map(|t| format!(" (replaces the bundle generated {})", rfc(t)))
                        .unwrap_or_default()
                )?;
                writeln!(
                    out,
                    "a running kiosk takes it up at its next refresh, or when restarted"
                )?;
                if !cfg.config.reference_cache.enabled {
                    writeln!(
                        out,
                        "note: reference_cache.enabled is false, so the kiosk does not use it"
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if json => {
            let report = ImportReport {
                installed: false,
                unchanged: false,
                scope: None,
                generated_at: None,
                entries: None,
                replaced: None,
                error: Some(format!("{}: {e}", file.display())),
            };
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            Err(anyhow::Error::new(e).context(format!("{} was not installed", file.display())))
        }
    }
}
