//! `certpoint assist issue` and `certpoint receipt` as a clerk runs them: the real
//! binary, a real store, the agency in-process on 127.0.0.1 answering the status and
//! receiving the synced record, a fake `lp` on PATH that records its arguments, and the
//! PDFs read back with poppler's `pdftotext`.

mod sync_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use certpoint_agency::storage::RosterStatus;
use certpoint_agency::Storage;
use serde_json::Value;
use sync_support::{Agency, Kiosk, TOKEN};

const RETIREE: &str = "11010519491231002X";
const RELATIVE: &str = "310115196002291236";
const DECEASED: &str = "110105194912310038";
const PIN: &str = "482915";

fn kiosk(url: &str, paper: &str, timeout: u64) -> Kiosk {
    let extra = format!("\n[paper]\noffice_name = \"朝阳区社会保险事业管理中心\"\n{paper}\n");
    let k = Kiosk::with_server_keys("K1", url, timeout, &extra);
    let o = run(&k, &["clerk", "add", "C01", "--pin-stdin"], PIN, None);
    assert!(o.status.success(), "{}", text(&o));
    k
}

/// `certpoint --config … ARGS` with `stdin`, and PATH starting with `path_dir`.
fn run(k: &Kiosk, args: &[&str], stdin: &str, path_dir: Option<&Path>) -> Output {
    let mut cmd = k.command();
    cmd.args(args)
        .env_remove("CERTPOINT_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = path_dir {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", dir.display()));
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn issue(k: &Kiosk, pensioner: &str, out: &Path, pin: &str, path_dir: Option<&Path>) -> Output {
    run(
        k,
        &[
            "assist",
            "issue",
            "--pensioner",
            pensioner,
            "--relative-id",
            RELATIVE,
            "--relative-name",
            "王秀英",
            "--relation",
            "spouse",
            "--reason",
            "长期卧床，无法到场办理认证",
            "--clerk",
            "C01",
            "--pin-stdin",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
        &format!("{pin}\n"),
        path_dir,
    )
}

/// The PDF's text as poppler reads it (a real reader, not our own writer).
fn pdftotext(pdf: &Path) -> String {
    let o = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The QR code on the PDF's page: rendered with poppler's `pdftoppm`, read by zbar's
/// `zbarimg` (`scripts/setup test` installs both).
fn scan_qr(pdf: &Path) -> String {
    let root = pdf.with_extension("qr"); // pdftoppm writes <root>.png
    let png = PathBuf::from(format!("{}.png", root.display()));
    let o = Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-singlefile"])
        .arg(pdf)
        .arg(&root)
        .output()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("zbarimg")
        .args(["-q", "--raw"])
        .arg(&png)
        .output()
        .expect("zbarimg (zbar-tools) is installed");
    assert!(
        o.status.success(),
        "zbarimg found no QR code: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// A fake `lp` in `dir` that writes its arguments, one a line, to `dir/lp-args.txt`.
fn fake_lp(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let lp = dir.join("lp");
    std::fs::write(
        &lp,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done >> \"{}\"\necho 'request id is Counter-7 (1 file(s))'\n",
            dir.join("lp-args.txt").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&lp, std::fs::Permissions::from_mode(0o755)).unwrap();
    lp
}

#[test]
fn issue_sync_verify_then_refuse_a_second_time() {
    let agency = Agency::running();
    let k = kiosk(&agency.url(), "", 5);
    agency.register("K1", &k.key, TOKEN);
    agency.on_roster(RETIREE);

    let pdf = k.dir.path().join("cert.pdf");
    let o = issue(&k, RETIREE, &pdf, PIN, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["outcome"], "issued");
    assert_eq!(j["status_checked"], true);
    assert_eq!(j["delivery"], "saved");
    assert_eq!(
        j["serial"],
        "110105-K1-2026-0001".replace("2026", &period())
    );
    let serial = j["serial"].as_str().unwrap().to_owned();
    let code = j["verification_code"].as_str().unwrap().to_owned();

    // The paper, as a PDF reader sees it.
    let t = pdftotext(&pdf);
    for want in [
        "协助认证证明",
        "朝阳区社会保险事业管理中心",
        "1101**********002X",
        "3101**********1236",
        "王秀英",
        "配偶",
        &serial,
        &code,
        "C01",
        "长期卧床",
    ] {
        assert!(t.contains(want), "{want} is not in the PDF text:\n{t}");
    }
    for secret in [RETIREE, RELATIVE] {
        assert!(!t.contains(secret), "a full ID number is printed:\n{t}");
    }
    assert!(!t.contains("未能向经办机构核验"), "{t}");
    // The QR code, rendered and scanned as a phone would, names the verification URL.
    let url = format!(
        "{}/v1/assistance/{serial}?code={}",
        agency.url(),
        code.replace('-', "")
    );
    assert_eq!(scan_qr(&pdf), url);
    // stdout holds no full number either.
    assert!(!text(&o).contains(RETIREE) && !text(&o).contains(RELATIVE));

    // Synced like any record; the agency counts it and verifies the paper.
    let o = run(&k, &["sync", "now", "--json"], "", None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(agency.records().len(), 1);
    let status =
        certpoint_agency::service::status::status(agency.storage.as_ref(), RETIREE, &period())
            .unwrap();
    assert_eq!(status.state.as_str(), "certified");
    assert_eq!(status.channel.map(|c| c.as_str()), Some("assistance"));
    let v = certpoint_agency::service::assistance::verify(agency.storage.as_ref(), &serial, &code)
        .unwrap();
    assert_eq!(v.pensioner_id_masked, "1101**********002X");
    assert_eq!(v.relative_name_masked, "王**");

    // Now the agency says certified: a second certificate is refused, nothing stored.
    let o = issue(&k, RETIREE, &k.dir.path().join("again.pdf"), PIN, None);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["outcome"], "already_certified");
    assert_eq!(j["channel"], "assistance");
    assert!(!k.dir.path().join("again.pdf").exists());
}

#[test]
fn refusals_and_pins_have_their_own_outcomes() {
    let agency = Agency::running();
    let k = kiosk(&agency.url(), "", 5);
    agency.register("K1", &k.key, TOKEN);
    agency.on_roster(RETIREE);
    agency
        .storage
        .import_roster(&[certpoint_agency::storage::RosterEntry {
            id_number: DECEASED.into(),
            name: "X".into(),
            region: sync_support::REGION.into(),
            status: RosterStatus::Deceased,
        }])
        .unwrap();
    let out = k.dir.path().join("x.pdf");

    let o = issue(&k, DECEASED, &out, PIN, None);
    assert_eq!(
        (o.status.code(), json(&o)["outcome"].as_str()),
        (Some(3), Some("deceased")),
        "{}",
        text(&o)
    );
    let o = issue(&k, "110101200002290018", &out, PIN, None);
    assert_eq!(json(&o)["outcome"], "not_in_roster", "{}", text(&o));

    let o = issue(&k, RETIREE, &out, "000000", None);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert_eq!(json(&o)["outcome"], "pin_wrong");

    let o = issue(&k, "11010519491231002Y", &out, PIN, None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let j = json(&o);
    assert_eq!(
        (j["outcome"].as_str(), j["field"].as_str()),
        (Some("invalid_input"), Some("pensioner"))
    );
    let o = run(
        &k,
        &[
            "assist",
            "issue",
            "--pensioner",
            RETIREE,
            "--relative-id",
            RELATIVE,
            "--relative-name",
            "王",
            "--relation",
            "neighbour",
            "--reason",
            "长期卧床",
            "--clerk",
            "C01",
            "--pin-stdin",
        ],
        PIN,
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("spouse (配偶)"), "{}", text(&o));

    assert!(!out.exists());
    assert_eq!(k.store().status().unwrap().pending, 0);
}

#[test]
fn an_unreachable_agency_still_issues_prints_on_lp_and_says_so() {
    let bin = tempfile::tempdir().unwrap();
    fake_lp(bin.path());
    // Port 1 (tcpmux): nothing listens there, the connection is refused at once.
    let k = kiosk("http://127.0.0.1:1", "printer = \"Counter\"", 2);

    let pdf = k.dir.path().join("offline.pdf");
    let o = issue(&k, RETIREE, &pdf, PIN, Some(bin.path()));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j = json(&o);
    assert_eq!(j["outcome"], "issued");
    assert_eq!(j["status_checked"], false);
    assert!(
        j["status_note"].as_str().unwrap().contains("unreachable"),
        "{j}"
    );
    assert_eq!(
        (
            j["delivery"].as_str(),
            j["printer"].as_str(),
            j["job"].as_str()
        ),
        (Some("printed"), Some("Counter"), Some("Counter-7"))
    );
    let args = std::fs::read_to_string(bin.path().join("lp-args.txt")).unwrap();
    assert_eq!(args, format!("-d\nCounter\n{}\n", pdf.display()));
    assert!(pdftotext(&pdf).contains("未能向经办机构核验"));
    assert_eq!(k.store().status().unwrap().pending, 1);

    // The receipt slip of that record: same printer, its own small paper.
    let record = j["record_id"].as_str().unwrap();
    let slip = k.dir.path().join("slip.pdf");
    let o = run(
        &k,
        &[
            "receipt",
            "--record",
            record,
            "--out",
            slip.to_str().unwrap(),
            "--json",
        ],
        "",
        Some(bin.path()),
    );
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&o);
    assert_eq!(
        (j["standing"].as_str(), j["delivery"].as_str()),
        (Some("certified"), Some("printed"))
    );
    let t = pdftotext(&slip);
    for want in [
        "认证回执",
        "已通过",
        "1101**********002X",
        "协助认证",
        "无需再次认证",
    ] {
        assert!(t.contains(want), "{want} not on the slip:\n{t}");
    }
    assert!(!t.contains(RETIREE));
    let args = std::fs::read_to_string(bin.path().join("lp-args.txt")).unwrap();
    assert!(
        args.ends_with(&format!("-d\nCounter\n{}\n", slip.display())),
        "{args}"
    );

    let o = run(
        &k,
        &[
            "receipt",
            "--record",
            "0190a000-0000-7000-8000-000000000001",
        ],
        "",
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("queue list"), "{}", text(&o));
}

/// The period the kiosk computes today (the default window, 1 April – 30 June).
fn period() -> String {
    let w = certpoint::config::Config::default().certification_window;
    certpoint::driver::period_for(&w, chrono::Local::now().date_naive())
}
