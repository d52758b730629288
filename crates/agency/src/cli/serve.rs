//! `certpoint-agency [serve]`: the HTTP(S) server until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::Args;
use crate::{RateLimit, ServerOptions, SqliteStorage, Storage};

pub(super) fn run(args: &Args, storage: SqliteStorage) -> anyhow::Result<ExitCode> {
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
    let options = ServerOptions { reference_reads };
    let storage: Arc<dyn Storage> = Arc::new(storage);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bind = args.bind;
    let data = args.data.clone();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        tracing::info!(
            "certpoint-agency {} listening on {}://{} with data in {}",
            env!("CARGO_PKG_VERSION"),
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr()?,
            data.display()
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
