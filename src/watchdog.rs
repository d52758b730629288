//! The systemd notification protocol (`sd_notify`), spoken by the kiosk window so the
//! `certpoint-kiosk` unit knows when the kiosk is up and restarts it when its UI hangs.
//!
//! The window sends `READY=1` once its first frame is drawn (the unit is `Type=notify`,
//! so `systemctl start` waits for a usable screen, not merely a started process) and
//! then `WATCHDOG=1` from the UI loop, at most every half `WATCHDOG_USEC`. A UI thread
//! stuck anywhere stops the pings and systemd restarts the session.
//!
//! Written against the protocol itself (one datagram per message to the
//! `NOTIFY_SOCKET` Unix socket, a path or an abstract `@name`) rather than a crate: it
//! is a dozen lines, and libsystemd would be one more shared library on the kiosk.
//! Outside systemd (development, tests, the CLI) every call is a no-op.

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A notification environment that cannot be used, with what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{var}={value:?} is not a whole number of {what}; it is set by systemd (WatchdogSec= in the unit), check the unit file")]
    BadNumber {
        var: &'static str,
        value: String,
        what: &'static str,
    },
    #[error("NOTIFY_SOCKET={value:?} is not a Unix socket path or @abstract name; certpoint cannot notify systemd there (vsock is not supported)")]
    BadSocket { value: String },
    #[error("cannot create a socket to notify systemd at {target}: {source}")]
    Socket { target: String, source: io::Error },
}

/// Where the service manager listens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Path(PathBuf),
    /// Linux abstract namespace name, without the leading `@`.
    Abstract(Vec<u8>),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Path(p) => write!(f, "{}", p.display()),
            Target::Abstract(name) => write!(f, "@{}", String::from_utf8_lossy(name)),
        }
    }
}

/// Notifies systemd when the kiosk runs under it; does nothing otherwise.
#[derive(Debug)]
pub struct Watchdog {
    link: Option<(UnixDatagram, Target)>,
    /// Half of `WATCHDOG_USEC`, when the watchdog applies to this process.
    interval: Option<Duration>,
    last_ping: Option<Instant>,
    ready_sent: bool,
    /// Only the first failed send is logged: the UI loop calls this every frame.
    send_failed: bool,
}

impl Watchdog {
    /// Not under systemd: every call does nothing.
    pub fn disabled() -> Watchdog {
        Watchdog {
            link: None,
            interval: None,
            last_ping: None,
            ready_sent: false,
            send_failed: false,
        }
    }

    /// From this process's environment. An unusable environment is logged and gives a
    /// disabled watchdog: the kiosk itself still works, and systemd's own timeout then
    /// restarts it with the logged reason in the journal.
    pub fn from_env() -> Watchdog {
        let parent = std::os::unix::process::parent_id();
        match Watchdog::from_vars(|k| std::env::var_os(k), std::process::id(), parent) {
            Ok(w) => {
                if let Some(i) = w.interval {
                    tracing::info!(every_ms = i.as_millis() as u64, "systemd watchdog on");
                }
                w
            }
            Err(e) => {
                tracing::warn!("systemd notification off: {e}");
                Watchdog::disabled()
            }
        }
    }

    /// From the variables systemd sets (`var` looks one up). `pid` is this process and
    /// `parent` its parent: under the kiosk compositor systemd's main process — and so
    /// `WATCHDOG_PID` — is cage, which starts certpoint as its child, so the watchdog is
    /// taken as ours when it names either. The unit's `NotifyAccess=all` lets systemd
    /// accept the pings from the child.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<OsString>,
        pid: u32,
        parent: u32,
    ) -> Result<Watchdog, NotifyError> {
        let Some(socket) = var("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
            return Ok(Watchdog::disabled());
        };
        let target = parse_target(&socket)?;
        let usec = number(&var, "WATCHDOG_USEC", "microseconds")?;
        let watchdog_pid = number(&var, "WATCHDOG_PID", "process ids")?;
        let ours = watchdog_pid.is_none_or(|p| p == u64::from(pid) || p == u64::from(parent));
        let interval = usec
            .filter(|&u| u > 0 && ours)
            .map(|u| Duration::from_micros(u / 2));
        let sock = UnixDatagram::unbound().map_err(|source| NotifyError::Socket {
            target: target.to_string(),
            source,
        })?;
        // A full receive queue must cost the UI a skipped ping, never a stalled frame.
        sock.set_nonblocking(true)
            .map_err(|source| NotifyError::Socket {
                target: target.to_string(),
                source,
            })?;
        Ok(Watchdog {
            link: Some((sock, target)),
            interval,
            last_ping: None,
            ready_sent: false,
            send_failed: false,
        })
    }

    /// Whether systemd expects watchdog pings from this process.
    pub fn watching(&self) -> bool {
        self.link.is_some() && self.interval.is_some()
    }

    /// Call after every drawn frame: `READY=1` the first time, then `WATCHDOG=1`
    /// whenever half the watchdog period has passed since the last ping.
    pub fn frame_drawn(&mut self) {
        self.frame_drawn_at(Instant::now());
    }

    /// [`Watchdog::frame_drawn`] at a given time (tests).
    pub fn frame_drawn_at(&mut self, now: Instant) {
        if self.link.is_none() {
            return;
        }
        if !self.ready_sent {
            // The first ping goes with READY: the watchdog timer starts at readiness.
            let msg: &[u8] = if self.interval.is_some() {
                b"READY=1\nWATCHDOG=1\nSTATUS=kiosk window drawing"
            } else {
                b"READY=1\nSTATUS=kiosk window drawing"
            };
            if self.send(msg) {
                self.ready_sent = true;
                self.last_ping = Some(now);
            }
            return;
        }
        let Some(interval) = self.interval else {
            return;
        };
        let due = self
            .last_ping
            .is_none_or(|t| now.saturating_duration_since(t) >= interval);
        if due && self.send(b"WATCHDOG=1") {
            self.last_ping = Some(now);
        }
    }

    /// Sends one message; false (and logged once) when it could not be sent.
    fn send(&mut self, msg: &[u8]) -> bool {
        let Some((sock, target)) = &self.link else {
            return false;
        };
        let sent = match target {
            Target::Path(p) => sock.send_to(msg, p),
            Target::Abstract(name) => send_abstract(sock, name, msg),
        };
        match sent {
            Ok(_) => true,
            Err(e) => {
                if !self.send_failed {
                    self.send_failed = true;
                    tracing::warn!(socket = %target, "cannot notify systemd: {e}");
                }
                false
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn send_abstract(sock: &UnixDatagram, name: &[u8], msg: &[u8]) -> io::Result<usize> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    sock.send_to_addr(msg, &addr)
}

#[cfg(not(target_os = "linux"))]
fn send_abstract(_: &UnixDatagram, _: &[u8], _: &[u8]) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist only on Linux",
    ))
}

fn parse_target(value: &OsString) -> Result<Target, NotifyError> {
    let bytes = value.as_bytes();
    match bytes.first() {
        Some(b'/') => Ok(Target::Path(PathBuf::from(value))),
        Some(b'@') if bytes.len() > 1 => Ok(Target::Abstract(bytes[1..].to_vec())),
        _ => Err(NotifyError::BadSocket {
            value: value.to_string_lossy().into_owned(),
        }),
    }
}

fn number(
    var: &impl Fn(&str) -> Option<OsString>,
    name: &'static str,
    what: &'static str,
) -> Result<Option<u64>, NotifyError> {
    let Some(v) = var(name).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = v.to_string_lossy();
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| NotifyError::BadNumber {
            var: name,
            value: text.into_owned(),
            what,
        })
}

#[cfg(test)]
mod tests;
