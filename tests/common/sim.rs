//! `certpoint card simulate` on a pseudo-terminal, for the tests that read cards
//! through it (included with `#[path]` by the tests that need it).

// Each test uses the part it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A running simulator, killed and reaped when dropped.
pub struct Sim {
    child: Child,
    pub link: PathBuf,
    lines: mpsc::Receiver<String>,
}

impl Sim {
    pub fn start(dir: &Path, args: &[&str]) -> Sim {
        let link = dir.join("reader");
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpoint"))
            .args(["card", "simulate", "--link"])
            .arg(&link)
            .args(args)
            .env_remove("CERTPOINT_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let sim = Sim { child, link, lines };
        assert!(sim.next_line().contains("simulator ready"));
        sim.next_line();
        sim
    }

    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the simulator printed nothing")
    }

    /// Puts the card on (or takes it off) and waits until the simulator says so.
    pub fn replace_card_once(&self) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGUSR1).unwrap();
        self.next_line();
    }

    /// Off and on again: the next reader sees a new card.
    pub fn replace_card(&self) {
        for _ in 0..2 {
            kill(Pid::from_raw(self.child.id() as i32), Signal::SIGUSR1).unwrap();
            self.next_line();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
