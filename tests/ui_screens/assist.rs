//! The clerk panel's Certificate of Assistance screen: opened from the panel, fields
//! checked on screen, then issued by the desk thread against a real throw-away kiosk
//! (store, clerk PIN, PDF saved; no agency, so the status is unchecked), and pictures
//! of the form and of an issued certificate.

use std::path::PathBuf;

use certpoint::assist::{IssueOutcome, Issued};
use certpoint::paper::print::Delivery;
use certpoint::store::Store;
use certpoint::ui::assist::{AssistDesk, DeskAnswer};

use super::*;

const PIN: &str = "482915";

/// A kiosk with an office name and clerk C01, and the desk thread on its store.
fn desk() -> (tempfile::TempDir, AssistDesk) {
    desk_with(|_| {})
}

/// As [`desk`], with `prepare` run on the store first (to store records).
fn desk_with(prepare: impl FnOnce(&mut Store)) -> (tempfile::TempDir, AssistDesk) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[kiosk]\nid = \"K1\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\n\
         [models]\ndir = \"{}/models\"\n\n[voice]\nenabled = false\n\n\
         [paper]\noffice_name = \"朝阳区社会保险事业管理中心\"\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = dir.path().join("kiosk-config.toml");
    std::fs::write(&path, text).unwrap();
    let cfg = certpoint::config::load(&path).unwrap();
    let mut store = Store::open_configured(&cfg).unwrap();
    store
        .add_clerk("C01", PIN, chrono::Local::now().fixed_offset())
        .unwrap();
    prepare(&mut store);
    let desk = AssistDesk::start(cfg, store, Arc::new(|| {})).unwrap();
    (dir, desk)
}

fn open_form(h: &mut Harness<'_, App<FlowBackend>>) {
    // The panel's language: Mandarin under Mongolian screens.
    let cat = certpoint::ui::i18n::Catalogue::get(h.state().ui.clerk_lang);
    h.get_by_label(cat.t("assist.open")).click();
    h.run();
    h.get_by_label(cat.t("assist.pensioner"));
}

fn fill(h: &mut Harness<'_, App<FlowBackend>>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

fn wait_for_desk(h: &mut Harness<'_, App<FlowBackend>>) {
    h.run_steps(2);
    let t = std::time::Instant::now();
    while h.state().ui.assist.desk.as_ref().unwrap().busy() {
        assert!(
            t.elapsed().as_secs() < 30,
            "no answer from the certificate desk"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
    }
    h.run_steps(2);
}

#[test]
fn a_certificate_is_issued_from_the_clerk_panel() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    // Without a store the screen says it cannot issue.
    open_form(&mut h);
    h.get_by_label("本机未接入记录库，无法出具证明");
    let (dir, desk) = desk();
    h.state_mut().ui.assist.desk = Some(desk);
    h.run();

    fill(&mut h, "退休人员身份证号", ID);
    fill(&mut h, "协助人身份证号", "310115196002291236");
    fill(&mut h, "协助人姓名", "王秀英");
    fill(&mut h, "申请事由", "长期卧床，无法到场");
    fill(&mut h, "工号", "C01");
    fill(&mut h, "密码", PIN);
    // No relation chosen: said on screen, nothing sent, the PIN kept for the retry.
    h.get_by_label("出具证明").click();
    h.run();
    h.get_by_label("请选择与退休人员的关系");
    assert!(!h.state().ui.assist.desk.as_ref().unwrap().busy());

    h.get_by_label("与退休人员关系").click();
    h.run();
    h.get_by_label("配偶").click();
    h.run();
    h.get_by_label("出具证明").click();
    wait_for_desk(&mut h);

    h.get_by_label("已出具证明，编号 110105-K1-2026-0001");
    h.get_by_label("未配置打印机：请手动打印已保存的文件");
    h.get_by_label_contains("110105-K1-2026-0001.pdf");
    h.get_by_label_contains("未能核验退休人员状态");
    // The form is empty again for the next relative, the PIN gone; the clerk id stays.
    let p = &h.state().ui.assist;
    assert!(p.pensioner.is_empty() && p.pin.is_empty() && p.relation.is_none());
    assert_eq!(p.clerk_id, "C01");
    assert!(
        h.query_by_label_contains(ID).is_none(),
        "a full ID number is on screen"
    );
    let pdf = dir.path().join("data/paper/110105-K1-2026-0001.pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    h.get_by_label("返回").click();
    h.run();
    assert!(!h.state().ui.assist.open);
    h.get_by_label("协助证明");
}

#[test]
fn the_receipt_button_prints_the_slip_of_the_last_record_after_an_attempt() {
    // The kiosk's store holds the attempt's record (the scripted flow stores none).
    let (dir, desk) = desk_with(|store| {
        let mut r = certpoint::store::selftest::synthetic_record("K1", 1);
        r.outcome = certpoint_protocol::Outcome::Failed;
        r.reason = Some("challenge_timeout".into());
        store.enqueue(r, None).unwrap();
    });
    let mut h = harness(backend(), "zh-CN");
    h.state_mut().ui.assist.desk = Some(desk);
    h.run();
    // Nothing to print before an attempt has ended: the button does nothing.
    h.get_by_label("打印回执").click();
    h.run();
    assert!(!h.state().ui.assist.desk.as_ref().unwrap().busy());
    assert!(h.state().ui.assist.answer.is_none());
    scan(&mut h, ID);
    live_attempt(&mut h);
    assert_eq!(state_name(&h), "pending_match");
    h.get_by_label("打印回执").click();
    wait_for_desk(&mut h);
    h.get_by_label("回执已生成：未通过");
    h.get_by_label("未配置打印机：请手动打印已保存的文件");
    let slips: Vec<_> = std::fs::read_dir(dir.path().join("data/paper"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        slips.len() == 1 && slips[0].starts_with("receipt-"),
        "{slips:?}"
    );
}

#[test]
fn snapshots_of_the_assist_screen() {
    let mut results = egui_kittest::SnapshotResults::new();
    for lang in ["zh-CN", "en", "mn"] {
        assist_screens(lang, &mut results);
    }
}

fn assist_screens(lang: &str, results: &mut egui_kittest::SnapshotResults) {
    let tag = lang.replace('-', "_").to_lowercase();
    let mut h = harness(backend(), lang);
    h.run();
    open_form(&mut h);
    let (_dir, desk) = desk();
    h.state_mut().ui.assist.desk = Some(desk);
    h.run();
    results.add(h.try_snapshot(format!("{tag}_assist_form")));

    // An issued certificate as the desk answers it (fixed path and code, so the
    // picture does not depend on the temporary directory).
    let issued = Issued {
        serial: "110105-K1-2026-0001".into(),
        verification_code: "K6GP4-RTAVR".into(),
        record_id: "01a23c17-386f-7546-97e5-80e324090c56".into(),
        seq: 1,
        period: "2026".into(),
        status_checked: false,
        status_note: Some("the server is unreachable: connection refused".into()),
        name_chars_missing: vec![],
        delivery: Delivery::Saved {
            file: PathBuf::from("/var/lib/certpoint/paper/110105-K1-2026-0001.pdf"),
        },
        print_error: None,
    };
    h.state_mut().ui.assist.answer =
        Some(DeskAnswer::Issue(IssueOutcome::Issued(Box::new(issued))));
    h.run();
    results.add(h.try_snapshot(format!("{tag}_assist_issued")));
}
