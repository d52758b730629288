//! `certpoint certify`: one certification attempt from a replay, with no window — the
//! whole flow (positioning, challenges, passive liveness, match) on recorded frames,
//! ending in a stored record that is printed.
//!
//! When the agency says the person is already certified this period, or may not
//! certify (deceased, suspended, not on the roster), the command prints that outcome
//! (`already_certified`, `not_eligible` with the `state`) and stores nothing. It exits
//! 0 whenever it prints an outcome, whichever; non-zero only when no outcome came.
//!
//! Time is the replay's own clock (frame number / fps), not the wall clock, so a replay
//! gives the same result however fast the machine analyses it. When the replay ends
//! (played once) the clock keeps ticking until the flow's timeouts end the attempt.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, FixedOffset, Local};
use image::RgbImage;
use serde_json::json;

use crate::camera::{FrameSource, ReplayOptions, ReplaySource};
use crate::config::{CameraSource, LoadedConfig};
use crate::driver::{Driver, Host, ReferenceAnswer};
use crate::flow::{ClerkNotice, Event, Now, Prompt, State};
use crate::id_number::IdNumber;
use crate::record::KioskIdentity;
use crate::store::{Enqueued, Store};
use crate::vision::{Vision, Wants};

/// The command's arguments, already parsed by clap.
pub struct CertifyArgs {
    pub camera: String,
    /// Typed on the command line (`--id`), or read off a card (`--card-device`).
    pub id: Option<String>,
    pub card_device: Option<PathBuf>,
    pub card_wait: f64,
    /// `stiff_neck`, `eye_condition`.
    pub exclude: Vec<String>,
    pub reference: Option<PathBuf>,
    pub seed: Option<u64>,
    /// `live`, `replay` or `phone`: light the replay with the screen flash.
    pub flash_loopback: Option<String>,
    pub json: bool,
}

/// How long after the replay's end the clock may run before giving up. Longer than any
/// configurable timeout chain, so the flow always ends the attempt itself first.
const MAX_TAIL_MS: u64 = 3_600_000;
const TICK_MS: u64 = 100;

struct CliHost {
    store: Store,
    reference: Option<(RgbImage, String)>,
    /// The agency server when `server.url` is set: asked for the reference photo, which
    /// lives only in this session.
    server: Option<crate::sync::AgencyClient>,
    /// The offline reference cache: answers when the server cannot be asked.
    cache: crate::cache::ReferenceCache,
    prompts: Vec<String>,
    notices: Vec<String>,
}

impl Host for CliHost {
    fn look_up(&mut self, id: &IdNumber, period: &str) -> ReferenceAnswer {
        if let Some((photo, version)) = self.reference.take() {
            // A photo file named on the command line (tests, demos). The protocol has
            // no source for "an operator's file", and `server` is the closest: the
            // record's reference_version ("sha256:…") tells it apart.
            return ReferenceAnswer::Photo {
                photo,
                version,
                source: certpoint_protocol::ReferenceSource::Server,
            };
        }
        // Offline (no server.url): a live attempt ends pending_match; the agency
        // matches the record's face crop later.
        let Some(server) = &self.server else {
            return self.cache.offline_answer(id);
        };
        // Nothing else waits here, so the requests run inline.
        self.cache
            .or_cached(crate::sync::reference::ask(server, id, period), id)
    }

    fn store(
        &mut self,
        record: certpoint_protocol::CertificationRecord,
        photo: Option<&[u8]>,
    ) -> anyhow::Result<Enqueued> {
        Ok(self.store.enqueue(record, photo)?)
    }

    fn speak(&mut self, prompt: &Prompt) {
        self.prompts.push(prompt.key());
    }

    fn notify(&mut self, notice: &ClerkNotice) {
        self.notices.push(format!("{notice:?}"));
    }
}

pub(super) fn run(
    cfg: &LoadedConfig,
    args: CertifyArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    // Warnings to stderr (an unreadable server answer, say); stdout stays the report.
    let _log = crate::logging::init("warn", None)?;
    let exclude = args
        .exclude
        .iter()
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            certpoint_protocol::ExclusionReason::ALL
                .into_iter()
                .find(|r| r.as_str() == w.trim())
                .with_context(|| {
                    format!("--exclude {w:?}: use stiff_neck or eye_condition (comma-separated)")
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The card first: no point loading models for a reader with no card on it.
    let card = match &args.card_device {
        Some(device) => Some(
            super::card::read_for_session(cfg, device, args.card_wait)
                .with_context(|| format!("--card-device {}", device.display()))?,
        ),
        None => None,
    };
    let id = match (&card, &args.id) {
        (Some(ev), _) => ev.id.clone().context(
            "the card on the reader has no resident ID number (a foreigner's card): pass --id instead",
        )?,
        (None, Some(id)) => IdNumber::parse(id).map_err(|e| anyhow::anyhow!("--id: {e}"))?,
        (None, None) => bail!("give --id NUMBER or --card-device PATH"),
    };
    let loopback = args
        .flash_loopback
        .as_deref()
        .map(|m| {
            if !cfg.config.flash.enabled {
                bail!("--flash-loopback needs [flash] enabled = true in the config");
            }
            m.parse::<crate::flash::loopback::LoopbackModel>()
                .map_err(|e| anyhow::anyhow!("--flash-loopback {e}"))
        })
        .transpose()?;
    let mut source = open_replay(cfg, &args.camera)?;
    let reference = match &args.reference {
        Some(p) => Some(load_reference(p)?),
        None => None,
    };
    let mut vision = Vision::load(
        &cfg.models_dir(),
        cfg.runtime_library().as_deref(),
        cfg.config.models.intra_threads,
    )?;
    let identity = KioskIdentity {
        kiosk_id: cfg.config.kiosk.id.clone(),
        site_code: cfg.config.kiosk.site_code.clone(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        models: vision.model_hashes.clone(),
    };
    let mut driver = Driver::new(cfg, identity, cfg.config.liveness.clone());
    if let Some(model) = loopback {
        source = Box::new(crate::flash::loopback::LoopbackSource::new(
            source,
            driver.flash_display(),
            model,
            TICK_MS,
        ));
    }
    let server = if cfg.config.server.is_offline() {
        None
    } else {
        crate::sync::client::ClientSettings::from_config(cfg)
            .and_then(|s| crate::sync::AgencyClient::new(&s))
            .map_err(|e| tracing::warn!("no reference photo from the server: {e}"))
            .ok()
    };
    let store = Store::open_configured(cfg)?;
    let cache = crate::cache::ReferenceCache::open_configured(cfg, &store);
    let mut host = CliHost {
        store,
        reference,
        server,
        cache,
        prompts: Vec::new(),
        notices: Vec::new(),
    };
    let start = Local::now().fixed_offset();
    let at = |ms: u64| Now {
        mono_ms: ms,
        wall: wall(start, ms),
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    match card {
        Some(ev) => {
            let (facts, chip) = crate::driver::card_facts(&ev.read, ev.expired, ev.photo);
            driver.card_read(&mut host, &mut vision, at(0), id, seed, facts, chip)?;
        }
        None => {
            let source = certpoint_protocol::IdSource::Typed;
            driver.event(
                &mut host,
                &mut vision,
                at(0),
                Event::IdScanned { id, seed, source },
            )?;
        }
    }
    if !exclude.is_empty() {
        // As the clerk's boxes do, before the challenges are drawn.
        driver.event(&mut host, &mut vision, at(1), Event::Exclude(exclude))?;
        if driver
            .state
            .session()
            .is_some_and(|s| s.excluded.is_empty())
        {
            bail!(
                "--exclude: {}; nothing would be left to ask (a person who can do none of the actions is checked by hand in the window's manual check)",
                host.notices.join("; ")
            );
        }
    }
    if let Some(settled) = settled_at_scan(&driver.state, driver.period()) {
        // The server's word ended the session before any attempt: nothing was stored,
        // and the replay is not played.
        let mut report = json!({
            "outcome": settled.outcome,
            "reason": null,
            "record_id": null,
            "seq": null,
            "seed": seed,
            "frames_analysed": 0,
            "replay_ms": 0,
            "ended_at_ms": 0,
            "prompts": host.prompts,
            "clerk_notices": host.notices,
            "record": null,
        });
        report
            .as_object_mut()
            .expect("an object")
            .extend(settled.status.clone());
        if args.json {
            writeln!(out, "{report}")?;
        } else {
            writeln!(out, "{} — {}", settled.outcome, settled.summary)?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    // Frames start just after the scan, as they would at the kiosk.
    let offset = TICK_MS;
    let mut clock = offset;
    let mut frames = 0u64;
    let mut track = crate::vision::Track::default();
    while driver.stored.is_empty() && !matches!(driver.state, State::Idle) {
        let Some(frame) = source.next_frame()? else {
            break;
        };
        clock = offset + frame.captured_ms;
        let wants = Wants {
            liveness: true,
            embedding: false,
        };
        let analysis = vision.analyze_tracked(&frame.image, frame.mirrored, wants, &mut track)?;
        driver.frame(&mut host, &mut vision, at(clock), &frame.image, &analysis)?;
        frames += 1;
    }
    let replay_end = clock;
    while driver.stored.is_empty()
        && !matches!(driver.state, State::Idle)
        && clock - replay_end < MAX_TAIL_MS
    {
        clock += TICK_MS;
        driver.event(&mut host, &mut vision, at(clock), Event::Tick)?;
    }
    let Some(stored) = driver.stored.first() else {
        bail!(
            "no attempt was recorded (flow ended in {} after {frames} frames; clerk notices: {})",
            driver.state.name(),
            host.notices.join("; ")
        );
    };
    let mut record = serde_json::to_value(&stored.record)?;
    record["id_number"] = json!(certpoint_protocol::mask_id_number(&stored.record.id_number));
    let report = json!({
        "outcome": stored.record.outcome.as_str(),
        "reason": stored.record.reason,
        "record_id": stored.enqueued.record_id,
        "seq": stored.enqueued.seq,
        "seed": seed,
        "frames_analysed": frames,
        "replay_ms": replay_end,
        "ended_at_ms": clock,
        "prompts": host.prompts,
        "clerk_notices": host.notices,
        "record": record,
    });
    if args.json {
        writeln!(out, "{report}")?;
    } else {
        writeln!(
            out,
            "{}{} — record {} (seq {}) stored after {frames} frames",
            stored.record.outcome.as_str(),
            stored
                .record
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            stored.enqueued.record_id,
            stored.enqueued.seq
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A session the server's answer ended at the scan, as the command reports it.
struct Settled {
    outcome: &'static str,
    /// `period`, `state`, `channel`, `at`: the status as the kiosk understood it.
    status: serde_json::Map<String, serde_json::Value>,
    summary: String,
}

fn settled_at_scan(state: &State, period: &str) -> Option<Settled> {
    let mut status = serde_json::Map::new();
    status.insert("period".into(), json!(period));
    match state {
        State::AlreadyCertified { at, channel, .. } => {
            status.insert("state".into(), json!("certified"));
            status.insert("channel".into(), json!(channel.map(|c| c.as_str())));
            status.insert("at".into(), json!(at));
            let when = at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
            let how = channel.map(|c| c.as_str()).unwrap_or("-");
            Some(Settled {
                outcome: "already_certified",
                status,
                summary: format!(
                    "certified for {period} ({how}, {when}); no attempt, nothing stored"
                ),
            })
        }
        State::NotEligible { why, .. } => {
            status.insert("state".into(), json!(why.code()));
            status.insert("channel".into(), json!(null));
            status.insert("at".into(), json!(null));
            Some(Settled {
                outcome: "not_eligible",
                status,
                summary: format!(
                    "the agency says {}; no attempt, nothing stored: the person must see the clerk",
                    why.code()
                ),
            })
        }
        _ => None,
    }
}

fn wall(start: DateTime<FixedOffset>, ms: u64) -> DateTime<FixedOffset> {
    start + chrono::Duration::milliseconds(ms as i64)
}

fn open_replay(cfg: &LoadedConfig, camera: &str) -> anyhow::Result<Box<dyn FrameSource>> {
    let source: CameraSource = camera
        .parse()
        .map_err(|e| anyhow::anyhow!("--camera {camera:?}: {e}"))?;
    let CameraSource::Replay(path) = source else {
        bail!("--camera must be a replay, file:DIR or file:PHOTO (a live camera needs the kiosk window)");
    };
    let options = ReplayOptions {
        fps: cfg.config.camera.replay_fps,
        looping: false,
        paced: false,
        ..ReplayOptions::default()
    };
    let path = cfg.path_of(&path);
    Ok(Box::new(ReplaySource::open(&path, options)?))
}

fn load_reference(path: &Path) -> anyhow::Result<(RgbImage, String)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the reference photo {}", path.display()))?;
    let img = image::load_from_memory(&bytes).with_context(|| {
        format!(
            "the reference photo {} is not a JPEG or PNG image",
            path.display()
        )
    })?;
    // The version names the exact file, so a record says which reference it was matched to.
    let version = format!("sha256:{}", &crate::store::hex_sha256(&bytes)[..16]);
    Ok((img.to_rgb8(), version))
}
