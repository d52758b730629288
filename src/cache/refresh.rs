//! Refreshing the cache while online: fetch → verify → store sealed → swap, at the
//! configured interval, on a thread of its own ([`Refresher`]).
//!
//! Not on the sync worker's thread: a download may take minutes on a slow office link,
//! and records must not wait behind it, nor the kiosk's shutdown (which joins the
//! worker). The refresher is not joined: a download in flight ends with the process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Installed, ReferenceCache};
use crate::sync::client::{AgencyClient, BundleAnswer};
use crate::sync::Signal;

/// What one refresh did.
#[derive(Debug)]
pub enum RefreshOutcome {
    Installed(Installed),
    /// The server has nothing newer than the installed bundle.
    NotModified,
    /// The server publishes no bundle for this region.
    NotPublished,
    /// Network, server or verification failure; the installed bundle is kept.
    Failed(String),
}

/// Asks the server for a bundle newer than the installed one and installs it.
pub fn refresh(cache: &ReferenceCache, client: &AgencyClient) -> RefreshOutcome {
    cache.reload_if_changed();
    let settings = cache.settings();
    let newer_than = cache.current().map(|b| b.header().generated_at);
    let answer =
        client.fetch_reference_bundle(&settings.scope, newer_than, settings.download_timeout);
    let outcome = match answer {
        Ok(BundleAnswer::Bundle(bytes)) => match cache.install(bytes) {
            Ok(installed) => RefreshOutcome::Installed(installed),
            Err(e) => {
                // A refused bundle is the agency's or the administrator's to fix:
                // keep it visible in the status, not only in the log.
                cache.note_problem(format!("the last bundle from the server was refused: {e}"));
                RefreshOutcome::Failed(e.to_string())
            }
        },
        Ok(BundleAnswer::NotModified) => RefreshOutcome::NotModified,
        Ok(BundleAnswer::NotPublished) => RefreshOutcome::NotPublished,
        Err(e) => RefreshOutcome::Failed(format!("cannot fetch the reference bundle: {e}")),
    };
    match &outcome {
        RefreshOutcome::Failed(e) => tracing::warn!("reference cache not refreshed: {e}"),
        RefreshOutcome::NotPublished => tracing::info!(
            region = %settings.scope,
            "the server publishes no reference bundle for this region"
        ),
        _ => tracing::debug!(?outcome, "reference cache refresh"),
    }
    outcome
}

/// When the next refresh is due: at once after start, then every
/// `refresh_interval`; after a failure sooner (at most 5 minutes), so a kiosk that
/// starts offline gets its bundle soon after the link returns.
#[derive(Debug, Default)]
pub struct RefreshSchedule {
    next: Option<Instant>,
}

impl RefreshSchedule {
    const RETRY_CAP: Duration = Duration::from_secs(300);

    pub fn is_due(&self, now: Instant) -> bool {
        self.next.is_none_or(|t| now >= t)
    }

    /// Time left until the next refresh is due (zero when due).
    pub fn until_due(&self) -> Duration {
        self.next
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    }

    /// Records `outcome` of a refresh that ran at `now`.
    pub fn ran(&mut self, now: Instant, outcome: &RefreshOutcome, interval: Duration) {
        let wait = match outcome {
            RefreshOutcome::Failed(_) => interval.min(Self::RETRY_CAP),
            _ => interval,
        };
        self.next = Some(now + wait);
    }
}

/// The refresh thread. Dropping the handle stops it (after a download in flight).
pub struct Refresher {
    signal: Arc<Signal>,
}

impl Refresher {
    /// Starts refreshing `cache` from `client`: at once, then per [`RefreshSchedule`].
    /// It also notices a bundle installed by `certpoint cache import` within a minute.
    pub fn spawn(cache: ReferenceCache, client: AgencyClient) -> std::io::Result<Refresher> {
        let signal = Arc::new(Signal::default());
        let stop = signal.clone();
        std::thread::Builder::new()
            .name("reference-cache".into())
            .spawn(move || {
                let mut schedule = RefreshSchedule::default();
                while !stop.is_stopped() {
                    if schedule.is_due(Instant::now()) {
                        let outcome = refresh(&cache, &client);
                        let interval = cache.settings().refresh_interval;
                        schedule.ran(Instant::now(), &outcome, interval);
                    } else {
                        cache.reload_if_changed();
                    }
                    if stop.sleep(Duration::from_secs(60).min(schedule.until_due())) {
                        break;
                    }
                }
            })?;
        Ok(Refresher { signal })
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.signal.stop();
    }
}
