//! [`RunningServer`]: the agency on its own thread and tokio runtime, for tests,
//! benchmarks and the kiosk's own test suite.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::http::ServerOptions;
use crate::storage::Storage;
use crate::tls;

/// A server running on its own thread and tokio runtime; stopped on [`stop`](Self::stop)
/// or drop. Lets blocking code (the kiosk's tests and benchmarks) run one in-process.
pub struct RunningServer {
    pub addr: SocketAddr,
    https: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Binds `bind` (port 0 for any free port) and starts serving.
    pub fn start(bind: SocketAddr, storage: Arc<dyn Storage>) -> std::io::Result<RunningServer> {
        Self::start_with(bind, storage, None)
    }

    /// As [`start`](Self::start), speaking HTTPS with `tls` when given.
    pub fn start_with(
        bind: SocketAddr,
        storage: Arc<dyn Storage>,
        tls: Option<Arc<tls::ServerConfig>>,
    ) -> std::io::Result<RunningServer> {
        Self::start_configured(bind, storage, tls, ServerOptions::default())
    }

    /// As [`start_with`](Self::start_with), tuned by `options` (rate limits, the face
    /// engine for server-side matching, the bundle-signing key's directory).
    pub fn start_configured(
        bind: SocketAddr,
        storage: Arc<dyn Storage>,
        tls: Option<Arc<tls::ServerConfig>>,
        options: ServerOptions,
    ) -> std::io::Result<RunningServer> {
        let https = tls.is_some();
        let mut options = options;
        options.secure_cookies |= https;
        let std_listener = std::net::TcpListener::bind(bind)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("agency-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(std_listener)?;
                    let stop = async move {
                        let _ = rx.await;
                    };
                    match tls {
                        Some(config) => {
                            let listener = tls::TlsListener::new(listener, config)?;
                            crate::serve_with(listener, storage, options, stop).await
                        }
                        None => crate::serve_with(listener, storage, options, stop).await,
                    }
                })
            })?;
        Ok(RunningServer {
            addr,
            https,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
