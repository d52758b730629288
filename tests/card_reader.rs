//! The ID card reader end to end: the real `certpoint card simulate` on a pseudo-terminal
//! and the real `certpoint card read` (and the library's listener) on the other side of
//! it, through the serial port code a kiosk uses with a USB reader.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_certpoint");

/// A running simulator; killed and reaped when dropped.
struct Sim {
    child: Child,
    link: PathBuf,
    lines: mpsc::Receiver<String>,
    dir: tempfile::TempDir,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("reader");
        let mut child = Command::new(BIN)
            .args(["card", "simulate", "--link"])
            .arg(&link)
            .args(args)
            .current_dir(dir.path())
            .env_remove("CERTPOINT_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // Every line the simulator prints, drained on a thread so it never blocks on a
        // full pipe.
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let sim = Sim {
            child,
            link,
            lines,
            dir,
        };
        let ready = sim.next_line();
        assert!(ready.contains("simulator ready"), "{ready}");
        assert!(sim.next_line().starts_with("SIGUSR1"));
        sim
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the simulator printed nothing (see its stderr above)")
    }

    fn signal(&self, s: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), s).unwrap();
    }

    /// Takes the card off (or puts it back) and waits until the simulator says so.
    fn toggle_card(&self) -> String {
        self.signal(Signal::SIGUSR1);
        self.next_line()
    }

    fn read(&self, extra: &[&str]) -> Output {
        Command::new(BIN)
            .args(["card", "read", "--device"])
            .arg(&self.link)
            .args(extra)
            .current_dir(self.dir.path())
            .env_remove("CERTPOINT_CONFIG")
            .output()
            .unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "card read failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn a_resident_card_reads_as_json_with_the_number_masked() {
    let sim = Sim::start(&[]);
    let o = sim.read(&["--json"]);
    let raw = String::from_utf8_lossy(&o.stdout);
    assert!(
        raw.starts_with(
            r#"{"type":"resident","name":"张秀英","sex":"female","nation":"汉","birth_date""#
        ),
        "keys in the documented order: {raw}"
    );
    let v = json(&o);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "address",
            "authority",
            "birth_date",
            "id_number",
            "name",
            "nation",
            "sex",
            "type",
            "valid_from",
            "valid_to"
        ]
    );
    assert_eq!(v["type"], "resident");
    assert_eq!(v["id_number"], "1101**********002X");
    assert_eq!(v["name"], "张秀英");
    assert_eq!(v["sex"], "female");
    assert_eq!(v["nation"], "汉");
    assert_eq!(v["birth_date"], "1949-12-31");
    assert_eq!(v["address"], "北京市朝阳区建国路1号");
    assert_eq!(v["authority"], "北京市公安局朝阳分局");
    assert_eq!(v["valid_from"], "2015-01-01");
    assert_eq!(v["valid_to"], "长期");
}

#[test]
fn reveal_prints_the_full_number_and_options_reach_the_card() {
    let sim = Sim::start(&[
        "--id",
        "110105195001010012",
        "--name",
        "巴特尔",
        "--nation",
        "02",
        "--address",
        "内蒙古呼和浩特市新城区",
        "--valid-to",
        "2036-05-01",
    ]);
    let v = json(&sim.read(&["--json", "--reveal"]));
    assert_eq!(v["id_number"], "110105195001010012");
    assert_eq!(v["name"], "巴特尔");
    assert_eq!(v["nation"], "蒙古");
    assert_eq!(v["sex"], "male");
    assert_eq!(v["birth_date"], "1950-01-01");
    assert_eq!(v["valid_to"], "2036-05-01");
}

#[test]
fn a_hong_kong_permit_and_a_foreigners_card_read_with_their_layouts() {
    let sim = Sim::start(&["--type", "hkmo", "--name", "陈大文"]);
    let v = json(&sim.read(&["--json"]));
    assert_eq!(v["type"], "hkmo");
    assert_eq!(v["name"], "陈大文");
    assert!(v["nation"].is_null(), "a permit has no nation");
    assert!(v["id_number"].as_str().unwrap().starts_with("8100"));
    assert_eq!(v["valid_to"], "2035-01-01");

    let sim = Sim::start(&["--type", "foreign", "--nation", "CAN"]);
    let v = json(&sim.read(&["--json"]));
    assert_eq!(v["type"], "foreign");
    assert_eq!(v["name"], "CHAN, TAI MAN");
    assert_eq!(v["nation"], "CAN");
    assert!(v["address"].is_null());
    assert_eq!(v["id_number"], "CAN1*******0101");
}

#[test]
fn the_human_output_masks_and_says_what_the_card_is() {
    let sim = Sim::start(&[]);
    let o = sim.read(&[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(text.starts_with("resident ID card (居民身份证)"), "{text}");
    assert!(text.contains("ID number:   1101**********002X"), "{text}");
    assert!(text.contains("nation:      汉 (01)"), "{text}");
    assert!(text.contains("valid:       2015-01-01 to 长期"), "{text}");
    assert!(!text.contains("11010519491231002X"), "{text}");
}

#[test]
fn an_expired_card_is_flagged() {
    let sim = Sim::start(&["--valid-to", "2020-01-01"]);
    let o = sim.read(&["--json"]);
    assert_eq!(json(&o)["valid_to"], "2020-01-01");
    let warning = stderr(&o);
    assert!(
        warning.contains("warning: the card expired on 2020-01-01"),
        "{warning}"
    );
    let o = sim.read(&[]);
    // The card was read: lift it and put it back first.
    assert!(!o.status.success());
    sim.toggle_card();
    sim.toggle_card();
    let o = sim.read(&[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("EXPIRED: the card expired on 2020-01-01"),
        "{text}"
    );
}

#[test]
fn transit_faults_are_recovered_by_retrying() {
    for fault in [
        "bad-checksum",
        "bad-checksum@read",
        "silence",
        "silence@read",
        "partial-frames",
        "slow-writes",
        "noise",
    ] {
        let sim = Sim::start(&["--fault", fault]);
        let v = json(&sim.read(&["--json"]));
        assert_eq!(v["id_number"], "1101**********002X", "{fault}");
    }
}

#[test]
fn lasting_faults_are_reported_clearly() {
    for (fault, words) in [
        (
            "bad-checksum:all",
            "answers to `status` were corrupted or cut short 3 times in a row",
        ),
        (
            "silence:all",
            "did not answer `status` (3 tries, 300 ms each)",
        ),
        (
            "silence:all@read",
            "did not answer `read card` (3 tries, 3500 ms each)",
        ),
        (
            "sam-failure",
            "status 0x60: the reader's security module (SAM) failed its self-test",
        ),
    ] {
        let sim = Sim::start(&["--fault", fault]);
        let o = sim.read(&["--json"]);
        assert_eq!(o.status.code(), Some(1), "{fault}");
        assert!(o.stdout.is_empty(), "{fault}: no JSON on failure");
        let e = stderr(&o);
        assert!(e.contains(words), "{fault}: {e}");
        assert!(!e.contains("11010519491231002X"), "{e}");
    }
}

#[test]
fn no_card_and_no_device_say_what_to_do() {
    let sim = Sim::start(&["--no-card"]);
    let o = sim.read(&["--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no card on the reader. Place the ID card"),
        "{}",
        stderr(&o)
    );

    let missing = sim.dir.path().join("ttyUSB9");
    let o = Command::new(BIN)
        .args(["card", "read", "--json", "--device"])
        .arg(&missing)
        .current_dir(sim.dir.path())
        .env_remove("CERTPOINT_CONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("the device does not exist") && e.contains("ttyUSB9"),
        "{e}"
    );
    assert!(e.contains("[card_reader] device"), "{e}");
}

#[test]
fn permission_denied_says_which_group_to_join() {
    use std::os::unix::fs::MetadataExt;
    let sim = Sim::start(&[]);
    let pts = std::fs::canonicalize(&sim.link).unwrap();
    std::fs::set_permissions(&pts, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root opens anything, so as root the read runs as nobody (setpriv, util-linux).
    let root = std::fs::metadata(sim.dir.path()).unwrap().uid() == 0;
    let mut cmd = if root {
        // nobody must be able to reach the binary (every directory above it o+x).
        let reachable = Path::new(BIN)
            .ancestors()
            .skip(1)
            .all(|d| d.metadata().is_ok_and(|m| m.mode() & 0o001 != 0));
        if !reachable {
            eprintln!("skipped: {BIN} is not reachable for nobody");
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let o = cmd
        .args(["card", "read", "--json", "--device"])
        .arg(&sim.link)
        .current_dir("/")
        .env_remove("CERTPOINT_CONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("may not open the card reader") && e.contains("usermod -aG dialout"),
        "{e}"
    );
}

#[test]
fn a_card_left_on_the_reader_is_not_read_twice_until_put_back() {
    let sim = Sim::start(&[]);
    json(&sim.read(&["--json"]));
    let o = sim.read(&["--json"]);
    assert!(
        stderr(&o).contains("lifted and placed again"),
        "{}",
        stderr(&o)
    );
    assert_eq!(sim.toggle_card(), "card taken off the reader");
    assert_eq!(sim.toggle_card(), "card placed on the reader");
    json(&sim.read(&["--json"]));
}

#[test]
fn remove_after_takes_the_card_away_and_sigterm_removes_the_link() {
    let mut sim = Sim::start(&["--remove-after", "0.2"]);
    assert_eq!(sim.next_line(), "card taken off the reader");
    assert!(stderr(&sim.read(&["--json"])).contains("no card"));
    sim.signal(Signal::SIGTERM);
    assert!(sim.child.wait().unwrap().success());
    assert!(!sim.link.exists() && sim.link.symlink_metadata().is_err());
}

#[test]
fn the_chip_photo_goes_through_a_fake_vendor_decoder() {
    let sim = Sim::start(&[]);
    let dir = sim.dir.path();
    let bmp = dir.join("decoded.bmp");
    let mut img = image::RgbImage::from_pixel(102, 126, image::Rgb([90, 120, 200]));
    img.put_pixel(5, 5, image::Rgb([255, 255, 0]));
    img.save_with_format(&bmp, image::ImageFormat::Bmp).unwrap();
    let script = dir.join("wlt2bmp");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$(head -c 3 \"$1\")\" = WLf ] || {{ echo 'not WLT' >&2; exit 3; }}\n\
             [ \"$(wc -c < \"$1\")\" -eq 1024 ] || exit 4\ncp {} \"$2\"\n",
            bmp.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let png = dir.join("chip.png");
    let decoder = format!("{} {{in}} {{out}}", script.display());
    let o = sim.read(&[
        "--photo",
        png.to_str().unwrap(),
        "--photo-decoder",
        &decoder,
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(text.contains("chip photo:  102×126, saved to"), "{text}");
    let saved = image::open(&png).unwrap().to_rgb8();
    assert_eq!(saved.dimensions(), (102, 126));
    assert_eq!(saved.get_pixel(5, 5), &image::Rgb([255, 255, 0]));

    // The same decoder from [card_reader], its path relative to the configuration file,
    // with the device and the speed from there too.
    let (cfg, _) = common::shipped_config_in(dir);
    let text = std::fs::read_to_string(&cfg).unwrap().replacen(
        "[card_reader]\n",
        &format!(
            "[card_reader]\ndevice = {:?}\nbaud = 9600\nphoto_decoder = \"./wlt2bmp {{in}} {{out}}\"\n",
            sim.link.to_str().unwrap()
        ),
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    sim.toggle_card();
    sim.toggle_card();
    let png2 = dir.join("chip2.png");
    let o = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .args(["card", "read", "--photo", png2.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::open(&png2).unwrap().to_rgb8(), saved);
}

#[test]
fn the_idle_listener_offers_the_card_from_a_real_serial_line() {
    use certpoint::card_reader::{CardListener, ListenerSettings, Offered, ReaderSettings};
    let sim = Sim::start(&["--refind", "--fault", "noise"]);
    let listener = CardListener::spawn(
        ListenerSettings {
            device: sim.link.clone(),
            baud: 115_200,
            poll_interval: Duration::from_millis(100),
            reopen_interval: Duration::from_millis(200),
            reader: ReaderSettings::default(),
            photo_decoder: None,
        },
        || {},
    );
    let Some(Offered::Card(ev)) = listener.wait(Duration::from_secs(30)) else {
        panic!("no card offered; status {:?}", listener.status())
    };
    assert_eq!(ev.seq, 1);
    assert_eq!(ev.id.unwrap().masked(), "1101**********002X");
    // While it holds the port, `card read` is told the reader is busy.
    let o = sim.read(&["--json"]);
    assert!(
        stderr(&o).contains("in use by another program"),
        "{}",
        stderr(&o)
    );
    // The card stays on this re-finding reader: no second offer.
    assert!(listener.wait(Duration::from_millis(800)).is_none());
    listener.stop();
}

/// The simulator refuses to replace a file that is not its link.
#[test]
fn the_link_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reader");
    std::fs::write(&file, "keep me").unwrap();
    let o = Command::new(BIN)
        .args(["card", "simulate", "--link"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not a link"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(Path::new(&file)).unwrap(),
        "keep me"
    );
}
