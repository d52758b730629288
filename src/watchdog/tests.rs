//! The notification protocol against real Unix datagram sockets standing in for
//! systemd: a socket file, and a Linux abstract socket.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use super::*;

const PID: u32 = 4242;
const PARENT: u32 = 4241;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |k| map.get(k).cloned()
}

/// The messages waiting on `rx`, without blocking.
fn received(rx: &UnixDatagram) -> Vec<String> {
    rx.set_nonblocking(true).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    while let Ok(n) = rx.recv(&mut buf) {
        out.push(String::from_utf8(buf[..n].to_vec()).unwrap());
    }
    out
}

fn socket_file() -> (tempfile::TempDir, UnixDatagram, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let rx = UnixDatagram::bind(&path).unwrap();
    (dir, rx, path.to_str().unwrap().to_owned())
}

#[test]
fn outside_systemd_nothing_is_sent_and_nothing_fails() {
    let mut w = Watchdog::from_vars(vars(&[("WATCHDOG_USEC", "30000000")]), PID, PARENT).unwrap();
    assert!(!w.watching());
    w.frame_drawn();
    w.frame_drawn();
    assert!(!w.ready_sent);
}

#[test]
fn ready_once_then_pings_at_half_the_period() {
    let (_dir, rx, path) = socket_file();
    let env = vars(&[
        ("NOTIFY_SOCKET", &path),
        ("WATCHDOG_USEC", "2000000"),
        ("WATCHDOG_PID", &PID.to_string()),
    ]);
    let mut w = Watchdog::from_vars(env, PID, PARENT).unwrap();
    assert!(w.watching());
    let t0 = Instant::now();
    w.frame_drawn_at(t0);
    assert_eq!(
        received(&rx),
        ["READY=1\nWATCHDOG=1\nSTATUS=kiosk window drawing"]
    );
    // Frames every 250 ms for 3 s: pings at 1 s, 2 s, 3 s (half of the 2 s period),
    // never READY again.
    let mut pings = Vec::new();
    for i in 1..=12u64 {
        w.frame_drawn_at(t0 + Duration::from_millis(250 * i));
        for m in received(&rx) {
            assert_eq!(m, "WATCHDOG=1");
            pings.push(250 * i);
        }
    }
    assert_eq!(pings, [1000, 2000, 3000]);
}

#[test]
fn abstract_socket_names_start_with_at() {
    let name = format!("certpoint-watchdog-test-{}", std::process::id());
    let addr = {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
    };
    let rx = UnixDatagram::bind_addr(&addr).unwrap();
    let env = vars(&[
        ("NOTIFY_SOCKET", &format!("@{name}")),
        ("WATCHDOG_USEC", "1000000"),
    ]);
    let mut w = Watchdog::from_vars(env, PID, PARENT).unwrap();
    let t0 = Instant::now();
    w.frame_drawn_at(t0);
    w.frame_drawn_at(t0 + Duration::from_millis(600));
    assert_eq!(
        received(&rx),
        [
            "READY=1\nWATCHDOG=1\nSTATUS=kiosk window drawing",
            "WATCHDOG=1"
        ]
    );
}

#[test]
fn watchdog_of_the_compositor_parent_is_ours_another_process_is_not() {
    let (_dir, rx, path) = socket_file();
    let mk = |watchdog_pid: u32| {
        let env = vars(&[
            ("NOTIFY_SOCKET", &path),
            ("WATCHDOG_USEC", "1000000"),
            ("WATCHDOG_PID", &watchdog_pid.to_string()),
        ]);
        Watchdog::from_vars(env, PID, PARENT).unwrap()
    };
    assert!(mk(PARENT).watching());
    let mut other = mk(7);
    assert!(!other.watching());
    // Readiness is still reported; pings are not.
    let t0 = Instant::now();
    other.frame_drawn_at(t0);
    other.frame_drawn_at(t0 + Duration::from_secs(5));
    assert_eq!(received(&rx), ["READY=1\nSTATUS=kiosk window drawing"]);
}

#[test]
fn a_vanished_socket_costs_nothing_but_a_retry() {
    let (dir, rx, path) = socket_file();
    let env = vars(&[("NOTIFY_SOCKET", &path), ("WATCHDOG_USEC", "1000000")]);
    let mut w = Watchdog::from_vars(env, PID, PARENT).unwrap();
    drop(rx);
    std::fs::remove_file(dir.path().join("notify")).unwrap();
    let t0 = Instant::now();
    w.frame_drawn_at(t0);
    assert!(!w.ready_sent && w.send_failed);
    // systemd back (same path): READY goes out on the next frame.
    let rx = UnixDatagram::bind(dir.path().join("notify")).unwrap();
    w.frame_drawn_at(t0 + Duration::from_millis(10));
    assert_eq!(received(&rx).len(), 1);
}

#[test]
fn bad_values_name_the_variable_and_value() {
    let e = Watchdog::from_vars(
        vars(&[("NOTIFY_SOCKET", "/run/x"), ("WATCHDOG_USEC", "30s")]),
        PID,
        PARENT,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("WATCHDOG_USEC=\"30s\"") && e.contains("WatchdogSec="),
        "{e}"
    );
    let e = Watchdog::from_vars(vars(&[("NOTIFY_SOCKET", "vsock:2:123")]), PID, PARENT)
        .unwrap_err()
        .to_string();
    assert!(e.contains("vsock:2:123"), "{e}");
}
