//! Records survive `kill -9` at any moment: a child process writes records with photos
//! and prints an ACK line after each durable commit; we kill it after a random delay,
//! reopen the store and check that every acknowledged record is there, whole, and that
//! the sequence has no gaps. Repeated 200 times on the same file.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use certpoint::store::{OutboxState, Store};

const KILLS: usize = 200;

#[test]
fn acknowledged_records_survive_200_kill_9s() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("certpoint.sqlite");
    // (seq, photo sha256) of everything a child acknowledged, by record id.
    let mut acked: HashMap<String, (u64, String)> = HashMap::new();
    // A cheap deterministic generator for the kill delays, so a failure can be replayed.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut kills_mid_write = 0;
    for round in 0..KILLS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // 0–20 ms after the store is open: into the write loop (however slowly the
        // process started on a busy machine), at a different point of a commit each time.
        let delay = Duration::from_micros(x % 20_000);
        let mut child = Command::new(env!("CARGO_BIN_EXE_certpoint"))
            .args(["selftest", "durability", "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start certpoint selftest");
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line == "READY" {
                    let _ = ready_tx.send(());
                } else {
                    lines.push(line);
                }
            }
            lines
        });
        ready
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("round {round}: the writer never opened the store"));
        std::thread::sleep(delay);
        child.kill().expect("kill -9"); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child ended before it was killed"
        );
        let lines = reader.join().unwrap();
        if !lines.is_empty() {
            kills_mid_write += 1;
        }
        for line in lines {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 4, "round {round}: torn ACK line {line:?}");
            acked.insert(
                parts[2].to_owned(),
                (parts[1].parse().unwrap(), parts[3].to_owned()),
            );
        }
        check_store(&db, &acked, round);
    }
    eprintln!(
        "durability: {KILLS} kills, {kills_mid_write} of them after at least one ACK, {} records acknowledged, none lost",
        acked.len()
    );
    assert!(
        kills_mid_write > KILLS / 4,
        "too few kills landed after a first acknowledged record for the test to mean much"
    );
}

fn check_store(db: &std::path::Path, acked: &HashMap<String, (u64, String)>, round: usize) {
    let store =
        Store::open(db).unwrap_or_else(|e| panic!("round {round}: store does not reopen: {e}"));
    let status = store.status().unwrap();
    // No gaps: every seq from 1 to last_seq is present exactly once.
    let all = store.list(None, usize::MAX >> 1).unwrap();
    assert_eq!(
        all.len() as u64,
        status.last_seq,
        "round {round}: seq gap or orphan"
    );
    for (i, entry) in all.iter().enumerate() {
        assert_eq!(entry.seq, i as u64 + 1, "round {round}: seq out of order");
        assert_eq!(entry.state, OutboxState::Pending);
    }
    for (record_id, (seq, sha)) in acked {
        let (rec, _) = store
            .get(record_id)
            .unwrap_or_else(|e| panic!("round {round}: acknowledged record {record_id} lost: {e}"));
        assert_eq!(rec.record.seq, *seq, "round {round}");
        assert_eq!(
            &rec.record.photo.as_ref().unwrap().sha256,
            sha,
            "round {round}: torn photo"
        );
        assert!(rec.photo.is_some(), "round {round}: photo bytes missing");
    }
}
