//! The simulator on a pseudo-terminal: opens a pty, makes it raw, links `--link PATH`
//! to its slave side and answers every request written there with [`SimReader`].
//!
//! The simulator keeps a slave descriptor of its own open, so the terminal outlives each
//! client: `certpoint card read` can open, read and close PATH as often as it likes. The
//! card is taken off and put back with SIGUSR1 (or once, `--remove-after`); SIGINT,
//! SIGTERM and SIGHUP stop it and remove the link. Signals are taken with `sigwait` on a
//! thread of their own, so no handler runs inside the loop.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};

use super::device::{SimCard, SimReader};
use super::faults::Fault;
use crate::card_reader::card::mask_name;
use crate::card_reader::layout::Field;

/// What `certpoint card simulate` was asked for.
pub struct PtyOptions {
    pub link: PathBuf,
    pub card: SimCard,
    /// The card lies on the reader at start.
    pub present: bool,
    /// Find the same card again after it was read (some readers do).
    pub refind: bool,
    pub faults: Vec<Fault>,
    /// Take the card off this long after start.
    pub remove_after: Option<Duration>,
    /// Print every request and answer.
    pub verbose: bool,
}

/// The link, removed when the simulator ends however it ends.
struct Link(PathBuf);

impl Drop for Link {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the simulator until SIGINT, SIGTERM or SIGHUP. Lines for the operator go to
/// `out` (the ready line first: tests wait for it).
pub fn run(opts: PtyOptions, out: &mut impl Write) -> io::Result<()> {
    let (toggles, stop) = watch_signals()?;
    let (mut master, _slave, slave_name) = open_pty()?;
    let _link = make_link(&opts.link, &slave_name)?;

    let mut sim = SimReader::new(
        opts.card.clone(),
        opts.present,
        opts.refind,
        opts.faults.clone(),
    );
    let text = &opts.card.text;
    let faults: Vec<String> = opts.faults.iter().map(ToString::to_string).collect();
    writeln!(
        out,
        "card reader simulator ready: {} -> {slave_name}; {} card {} ({}), {}; faults: {}",
        opts.link.display(),
        text.kind.as_str(),
        certpoint_protocol::mask_id_number(text.get(Field::Number)),
        mask_name(text.get(Field::Name)),
        if opts.present {
            "on the reader"
        } else {
            "not on the reader"
        },
        if faults.is_empty() {
            "none".to_owned()
        } else {
            faults.join(", ")
        },
    )?;
    writeln!(
        out,
        "SIGUSR1 takes the card off / puts it back; Ctrl-C stops"
    )?;
    out.flush()?;

    let started = Instant::now();
    let mut removed_on_time = false;
    let mut seen_toggles = 0;
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let toggled = toggles.load(Ordering::SeqCst);
        while seen_toggles < toggled {
            seen_toggles += 1;
            sim.set_present(!sim.present());
            say_card(out, &sim)?;
        }
        if let Some(after) = opts.remove_after {
            if !removed_on_time && started.elapsed() >= after {
                removed_on_time = true;
                sim.set_present(false);
                say_card(out, &sim)?;
            }
        }
        let mut fds = [PollFd::new(master.as_raw_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, 20) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(io::Error::from(e)),
        }
        let n = match master.read(&mut buf) {
            Ok(n) => n,
            // No client has the slave open (cannot happen while we hold one, but a
            // kernel may report it briefly): wait for the next.
            Err(e) if e.raw_os_error() == Some(nix::libc::EIO) => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            Err(e) => return Err(e),
        };
        for (command, pieces) in sim.receive(&buf[..n]) {
            if opts.verbose {
                let name = command.map_or("(bad request)", |c| c.name());
                let sw3 = pieces.iter().flat_map(|p| &p.bytes).nth(9);
                let answer = match (pieces.is_empty(), sw3) {
                    (true, _) => "no answer".to_owned(),
                    (false, Some(s)) => format!("{s:02X}"),
                    (false, None) => "?".to_owned(),
                };
                writeln!(out, "{name} -> {answer}")?;
                out.flush()?;
            }
            for piece in pieces {
                std::thread::sleep(piece.pause);
                master.write_all(&piece.bytes)?;
            }
        }
    }
    writeln!(
        out,
        "card reader simulator stopped; {} removed",
        opts.link.display()
    )?;
    Ok(())
}

fn say_card(out: &mut impl Write, sim: &SimReader) -> io::Result<()> {
    let what = if sim.present() {
        "card placed on the reader"
    } else {
        "card taken off the reader"
    };
    writeln!(out, "{what}")?;
    out.flush()
}

/// Counts SIGUSR1s and raises the stop flag on SIGINT, SIGTERM or SIGHUP. The signals
/// are blocked in this thread (and so in every thread it starts later) and taken by a
/// waiting thread.
fn watch_signals() -> io::Result<(Arc<AtomicU32>, Arc<AtomicBool>)> {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGUSR1,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
    ] {
        set.add(s);
    }
    set.thread_block()?;
    let toggles = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (t, s) = (toggles.clone(), stop.clone());
    std::thread::Builder::new()
        .name("sim-signals".into())
        .spawn(move || loop {
            match set.wait() {
                Ok(Signal::SIGUSR1) => {
                    t.fetch_add(1, Ordering::SeqCst);
                }
                Ok(_) | Err(_) => {
                    s.store(true, Ordering::SeqCst);
                    return;
                }
            }
        })?;
    Ok((toggles, stop))
}

/// A raw pty: the master, an open slave (kept so the terminal survives clients), and
/// the slave's name.
fn open_pty() -> io::Result<(PtyMaster, File, String)> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname_r(&master)?;
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(&name)?;
    // Raw: no echo, no line editing, no CR/LF or XON/XOFF translation of the binary
    // frames (0x11 and 0x13 are ordinary bytes here).
    let mut t = tcgetattr(slave.as_raw_fd())?;
    cfmakeraw(&mut t);
    tcsetattr(slave.as_raw_fd(), SetArg::TCSANOW, &t)?;
    Ok((master, slave, name))
}

fn make_link(link: &Path, target: &str) -> io::Result<Link> {
    match std::fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(link)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a link; choose another --link path",
                    link.display()
                ),
            ))
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(target, link).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot create the link {}: {e}", link.display()),
        )
    })?;
    Ok(Link(link.to_owned()))
}
