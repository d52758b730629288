//! `certpoint-agency [serve]`: the HTTP(S) server until Ctrl-C.
//!
//! The server starts without the face models: matching is then off (said at start in
//! the log, and by `GET /v1/health` as `"matching":"off"`), `pending_match` records are
//! stored unscored and their people stay `pending_review` until a restart with the
//! models, whose start-up sweep scores them. Refusing to start would stop kiosks from
//! uploading at all, which is worse than waiting for a match.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::Args;
use crate::bundle::BundleKey;
use crate::faces::Faces;
use crate::{RateLimit, ServerOptions, Storage};

pub(super) fn run(args: &Args, storage: Arc<dyn Storage>) -> anyhow::Result<ExitCode> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    let reference_reads = RateLimit {
        per_minute: args.reference_reads_per_minute,
        burst: args.reference_read_burst,
    };
    reference_reads.check().map_err(|e| {
        anyhow::anyhow!("--reference-reads-per-minute / --reference-read-burst: {e}")
    })?;
    // Settings out of range are a mistake to fix now; missing models are not (above).
    let faces = Faces::open(&args.faces)?;
    // The log is written by its own thread: every status lookup logs a line, and at
    // ~15,000 lookups a second a write(2) per line on the request threads cost ~15 % of
    // the throughput (`bench status`, RUST_LOG=info vs warn). Not lossy: a full queue
    // waits rather than drops a line; the guard flushes what is queued at exit.
    let (log_writer, _log_flush) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("certpoint-agency-log")
        .finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let faces = match faces.load() {
        Ok(()) => {
            tracing::info!(
                "server-side matching: ready (models in {}, threshold {})",
                args.faces.models.display(),
                faces.threshold()
            );
            Some(Arc::new(faces))
        }
        Err(e) => {
            tracing::warn!(
                "server-side matching: OFF, the face models cannot be loaded: {e}. Records awaiting a match are stored unscored and their people stay pending_review; give the models with --models (or CERTPOINT_AGENCY_MODELS) and restart: the start-up sweep scores them"
            );
            None
        }
    };
    match BundleKey::load(&args.data) {
        Ok(key) => tracing::info!(
            "offline cache bundles: published, signed with key id {}",
            key.key_id()
        ),
        Err(e) => tracing::info!("offline cache bundles: not published yet ({e})"),
    }
    let options = ServerOptions {
        reference_reads,
        faces,
        bundle_key_dir: Some(args.data.clone()),
        bundle_reissue_hours: args.bundle_reissue_hours,
        secure_cookies: tls.is_some(),
        office_today: args.office_today,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bind = args.bind;
    // Where the data is, without a database password.
    let data = match &args.database {
        Some(url) => format!(
            "PostgreSQL {} (keys in {})",
            url.parse::<postgres::Config>()
                .map(|c| crate::pg::shown(&c))
                .unwrap_or_default(),
            args.data.display()
        ),
        None => args.data.display().to_string(),
    };
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        tracing::info!(
            "certpoint-agency {} listening on {}://{} with data in {}",
            env!("CARGO_PKG_VERSION"),
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr()?,
            data
        );
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            Some(config) => {
                let listener = crate::tls::TlsListener::new(listener, config)?;
                crate::serve_with(listener, storage, options, stop).await?
            }
            None => crate::serve_with(listener, storage, options, stop).await?,
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
