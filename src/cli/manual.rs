//! `certpoint manual-check`: the clerk checks a person by the physical ID card, without
//! the camera — the person cannot do the actions, or the camera is down — and records a
//! `manual_passed` (method `clerk_manual`) after the clerk's PIN verifies. The window's
//! "manual check" button, headless, through the same flow.
//!
//! The agency (or the offline cache) is still asked for the person's status first:
//! already certified or not eligible stores nothing and says so.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::Local;
use serde_json::json;

use crate::driver::{Driver, Host, ReferenceAnswer};
use crate::flow::{ClerkNotice, Event, ManualWhy, Now, Prompt, State};
use crate::id_number::IdNumber;
use crate::record::KioskIdentity;
use crate::store::{Enqueued, PinCheck, PinPolicy, Store};

pub struct ManualArgs {
    pub id: Option<String>,
    pub card_device: Option<PathBuf>,
    pub card_wait: f64,
    /// `cannot_perform_challenges` or `camera_unavailable`.
    pub why: String,
    pub clerk: String,
    pub reason: String,
    pub pin_stdin: bool,
    pub json: bool,
}

/// The host of a session without a camera: the status answer is held back until the
/// flow is in the manual check, then handed in as a late answer.
struct ManualHost {
    store: Store,
    answer: Option<ReferenceAnswer>,
    server: Option<crate::sync::AgencyClient>,
    cache: crate::cache::ReferenceCache,
    notices: Vec<ClerkNotice>,
}

impl Host for ManualHost {
    fn look_up(&mut self, id: &IdNumber, period: &str) -> ReferenceAnswer {
        self.answer = Some(match &self.server {
            Some(server) => self
                .cache
                .or_cached(crate::sync::reference::ask(server, id, period), id),
            None => self.cache.offline_answer(id),
        });
        ReferenceAnswer::Pending
    }

    fn store(
        &mut self,
        record: certpoint_protocol::CertificationRecord,
        photo: Option<&[u8]>,
    ) -> anyhow::Result<Enqueued> {
        Ok(self.store.enqueue(record, photo)?)
    }

    fn speak(&mut self, _prompt: &Prompt) {}

    fn notify(&mut self, notice: &ClerkNotice) {
        self.notices.push(notice.clone());
    }
}

pub(super) fn run(
    cfg: &crate::config::LoadedConfig,
    args: ManualArgs,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let _log = crate::logging::init("warn", None)?;
    let why = ManualWhy::ALL
        .into_iter()
        .find(|w| w.code() == args.why)
        .with_context(|| {
            format!(
                "--why {:?}: use cannot_perform_challenges or camera_unavailable",
                args.why
            )
        })?;
    if args.clerk.trim().is_empty() || args.reason.trim().is_empty() {
        bail!("--clerk and --reason must not be empty: who checked the ID card, and why by hand");
    }
    let (id, card) = match (&args.card_device, &args.id) {
        (Some(device), _) => {
            let ev = super::card::read_for_session(cfg, device, args.card_wait)
                .with_context(|| format!("--card-device {}", device.display()))?;
            let id = ev.id.clone().context(
                "the card on the reader has no resident ID number (a foreigner's card): pass --id instead",
            )?;
            (id, Some(ev))
        }
        (None, Some(id)) => (
            IdNumber::parse(id).map_err(|e| anyhow::anyhow!("--id: {e}"))?,
            None,
        ),
        (None, None) => bail!("give --id NUMBER or --card-device PATH"),
    };
    let pin = if args.pin_stdin {
        super::clerk::pin_from_stdin()?
    } else {
        rpassword::prompt_password(format!("PIN of clerk {} (not shown): ", args.clerk.trim()))
            .context("cannot read the PIN from the terminal (or pipe it in with --pin-stdin)")?
    };

    let mut store = Store::open_configured(cfg)?;
    let now_wall = Local::now().fixed_offset();
    let policy = PinPolicy::from(&cfg.config.clerk);
    match store.check_clerk_pin(args.clerk.trim(), pin.trim(), &policy, now_wall)? {
        PinCheck::Accepted => {}
        PinCheck::Wrong { tries_left } => {
            bail!(
                "wrong PIN for clerk {} ({tries_left} tries left); nothing was stored",
                args.clerk.trim()
            )
        }
        PinCheck::Locked { until } => bail!(
            "clerk {} is locked out until {} after too many wrong PINs; nothing was stored",
            args.clerk.trim(),
            until.with_timezone(&Local).format("%H:%M")
        ),
        PinCheck::NoClerks => {
            bail!("no clerk is registered on this kiosk: `certpoint clerk add ID` first")
        }
    }

    let server = if cfg.config.server.is_offline() {
        None
    } else {
        crate::sync::client::ClientSettings::from_config(cfg)
            .and_then(|s| crate::sync::AgencyClient::new(&s))
            .map_err(|e| tracing::warn!("the person's status cannot be asked: {e}"))
            .ok()
    };
    let cache = crate::cache::ReferenceCache::open_configured(cfg, &store);
    let mut host = ManualHost {
        store,
        answer: None,
        server,
        cache,
        notices: Vec::new(),
    };
    // No model is loaded: nothing here looks at a face. The driver needs a vision
    // handle only for effects a manual check never asks for.
    let mut vision =
        crate::vision::Vision::load(&cfg.models_dir(), cfg.runtime_library().as_deref(), 1)?;
    let identity = KioskIdentity {
        kiosk_id: cfg.config.kiosk.id.clone(),
        site_code: cfg.config.kiosk.site_code.clone(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        models: vision.model_hashes.clone(),
    };
    let mut driver = Driver::new(cfg, identity, cfg.config.liveness.clone());
    let at = |ms: u64| Now {
        mono_ms: ms,
        wall: now_wall + chrono::Duration::milliseconds(ms as i64),
    };
    let seed = rand::random();
    if why == ManualWhy::CameraUnavailable {
        // The window's way: a scan on the camera-fault screen.
        driver.event(&mut host, &mut vision, at(0), Event::CameraLost)?;
    }
    match card {
        Some(ev) => {
            let (facts, _chip) = crate::driver::card_facts(&ev.read, ev.expired, ev.photo);
            driver.card_read(&mut host, &mut vision, at(1), id.clone(), seed, facts, None)?;
        }
        None => {
            let source = certpoint_protocol::IdSource::Typed;
            driver.event(
                &mut host,
                &mut vision,
                at(1),
                Event::IdScanned {
                    id: id.clone(),
                    seed,
                    source,
                },
            )?;
        }
    }
    if why == ManualWhy::CannotPerformChallenges {
        driver.event(&mut host, &mut vision, at(2), Event::ManualCheck)?;
    }
    if let Some(answer) = host.answer.take() {
        driver.reference_arrived(&mut host, &mut vision, at(3), &id, answer)?;
    }
    let already = host
        .notices
        .iter()
        .any(|n| matches!(n, ClerkNotice::AlreadyCertified { .. }));
    let notices: Vec<String> = host.notices.iter().map(|n| format!("{n:?}")).collect();
    if already || !matches!(driver.state, State::ManualCheck { .. }) {
        let outcome = if already {
            "already_certified"
        } else {
            "not_eligible"
        };
        if args.json {
            writeln!(
                out,
                "{}",
                json!({"outcome": outcome, "record": null, "clerk_notices": notices})
            )?;
        } else {
            writeln!(out, "{outcome}: nothing stored ({})", notices.join("; "))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    driver.event(
        &mut host,
        &mut vision,
        at(4),
        Event::ManualPass {
            clerk_id: args.clerk.trim().to_owned(),
            reason: args.reason.trim().to_owned(),
        },
    )?;
    let Some(stored) = driver.stored.last() else {
        bail!("the manual pass was not recorded ({})", notices.join("; "));
    };
    let mut record = serde_json::to_value(&stored.record)?;
    record["id_number"] = json!(certpoint_protocol::mask_id_number(&stored.record.id_number));
    if args.json {
        writeln!(
            out,
            "{}",
            json!({
                "outcome": stored.record.outcome.as_str(),
                "reason": stored.record.reason,
                "record_id": stored.enqueued.record_id,
                "seq": stored.enqueued.seq,
                "clerk_notices": notices,
                "record": record,
            })
        )?;
    } else {
        writeln!(
            out,
            "manual_passed ({}) — record {} (seq {}) stored",
            why.code(),
            stored.enqueued.record_id,
            stored.enqueued.seq
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
