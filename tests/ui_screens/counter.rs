//! Issue 14 at the counter, through the screens: a card read (what the card said, on
//! the clerk's side), where the number came from, the deadline on the retiree's and the
//! clerk's side, the per-person exclusions and the manual check by the ID card.

use certpoint::flow::{CardFacts, ChipPhoto, Event};
use certpoint_protocol::{Action, ExclusionReason, IdSource};
use chrono::{FixedOffset, TimeZone};

use super::manual_pass::{manual_pass_with_pin, pin_gate, type_into, CLERK_PIN};
use super::*;

fn card_read(h: &mut Harness<'_, App<FlowBackend>>, card: CardFacts) {
    let id = certpoint::id_number::IdNumber::parse(ID).unwrap();
    h.state_mut()
        .backend
        .apply(Event::CardRead { id, seed: 7, card });
    h.run();
}

#[test]
fn a_card_read_starts_the_session_and_the_clerk_sees_what_the_card_said() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    card_read(
        &mut h,
        CardFacts {
            expired_on: chrono::NaiveDate::from_ymd_opt(2024, 3, 1),
            mongolian: true,
            chip_photo: ChipPhoto::Failed("wlt2bmp: exit status 3".into()),
        },
    );
    // Offline backend: the lookup answers at once, positioning starts.
    assert_eq!(state_name(&h), "positioning");
    h.get_by_label("当前人员: 1101**********002X (身份证阅读器)");
    h.get_by_label("身份证已于2024-03-01过期");
    h.get_by_label("蒙古族身份证（民族代码 02）：可切换到蒙古文界面");
    h.get_by_label("切换为蒙古文界面");
    h.get_by_label("芯片照片无法解码：改用服务器或本机比对库的照片");
    h.snapshot("zh_cn_card_read");
    live_attempt(&mut h);
    assert_eq!(
        h.state().backend.records()[0].id_source,
        IdSource::CardReader
    );
}

/// A real scanner burst: every key and the Enter within one frame (the harness gives
/// each queued event its own step, a step apart, so the shared `scan` helper's Enter
/// arrives too late for a scanner and the wedge parser rightly calls it typing).
fn wedge_scan(h: &mut Harness<'_, App<FlowBackend>>, id: &str) {
    let events = &mut h.input_mut().events;
    events.push(egui::Event::Text(id.into()));
    events.push(egui::Event::Key {
        key: egui::Key::Enter,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
}

#[test]
fn the_wedge_verdict_reaches_the_record() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    wedge_scan(&mut h, ID);
    h.get_by_label("当前人员: 1101**********002X (扫描枪)");
    live_attempt(&mut h);
    assert_eq!(h.state().backend.records()[0].id_source, IdSource::Scanner);

    // The shared helper's Enter comes a frame late: typed, as a clerk would.
    let mut h = harness(backend(), "zh-CN");
    h.run();
    scan(&mut h, ID);
    live_attempt(&mut h);
    assert_eq!(h.state().backend.records()[0].id_source, IdSource::Typed);
}

#[test]
fn the_deadline_is_told_inside_and_outside_the_window() {
    let mut results = egui_kittest::SnapshotResults::new();
    // 10 May: 51 days left until 30 June.
    let mut h = harness(backend(), "zh-CN");
    h.run();
    h.get_by_label("认证截止到6月30日，还剩 51 天");
    h.get_by_label("认证期 4月1日 至 6月30日：还剩 51 天");
    // 1 August: closed; said to both, in both languages.
    for (lang, retiree) in [
        (
            "zh-CN",
            "本期认证已于6月30日结束，下期从4月1日开始。您今天的认证仍会记录。",
        ),
        (
            "en",
            "The certification period ended on 30 June; the next one opens on 1 April. Your visit today is still recorded.",
        ),
    ] {
        let mut b = backend();
        b.start = FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 8, 1, 9, 0, 0)
            .unwrap();
        b.apply(Event::Tick);
        let mut h = harness(b, lang);
        h.run();
        h.get_by_label(retiree);
        let tag = lang.replace('-', "_").to_lowercase();
        h.snapshot(format!("{tag}_idle_outside_window"));
        results.extend_harness(&mut h);
        // The session still goes ahead, and the retiree hears why.
        scan(&mut h, ID);
        assert_eq!(state_name(&h), "positioning");
        let spoken: Vec<String> = h
            .state()
            .backend
            .effects
            .iter()
            .filter_map(|e| match e {
                certpoint::flow::Effect::Speak(p) => Some(p.key()),
                _ => None,
            })
            .collect();
        assert!(spoken.contains(&"outside_window".to_owned()), "{spoken:?}");
    }
    results.extend_harness(&mut h);
    results.unwrap();
}

#[test]
fn after_a_failure_the_retiree_is_told_what_next_and_by_when() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    scan(&mut h, ID);
    position_well(&mut h);
    let b = &mut h.state_mut().backend;
    let timeout = b.view.params.challenge_timeout_ms;
    b.advance(timeout + 1);
    h.run();
    assert_eq!(state_name(&h), "failed");
    h.get_by_label("如果今天没有成功，请在6月30日前再来（还剩 51 天）");
    h.get_by_label("6月30日前未认证：养老金从7月起暂停发放");
    // Clerk-facing reasons and action names are in Chinese (the code stays in brackets).
    h.get_by_label_contains("未按时看到动作");
    assert!(h.query_by_label_contains("turn_left:").is_none());
    assert!(h.query_by_label_contains("blink:").is_none());
}

#[test]
fn the_clerk_excludes_actions_and_the_challenges_follow() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    scan(&mut h, ID);
    assert_eq!(state_name(&h), "positioning");
    h.get_by_label("颈部僵硬（不做头部动作）").click();
    h.run();
    h.run();
    let excluded = h
        .state()
        .backend
        .view
        .state
        .session()
        .unwrap()
        .excluded
        .clone();
    assert_eq!(
        excluded.iter().map(|e| e.action).collect::<Vec<_>>(),
        [Action::TurnLeft, Action::TurnRight, Action::LookUp]
    );
    assert!(excluded
        .iter()
        .all(|e| e.reason == ExclusionReason::StiffNeck));
    h.get_by_label("已免做：向左转头、向右转头、抬头");
    h.snapshot("zh_cn_positioning_excluded");
    // Both conditions would leave nothing to ask: refused, with the way out.
    h.get_by_label("眼部疾病（不眨眼）").click();
    h.run();
    h.run();
    h.get_by_label("排除后没有可做的动作：请改用人工核验");
    position_well(&mut h);
    match &h.state().backend.view.state {
        State::Challenges(c) => assert_eq!(c.plan, [Action::Blink]),
        other => panic!("{other:?}"),
    }
    while state_name(&h) == "challenges" {
        do_challenge(&mut h);
    }
    assert_eq!(h.state().backend.records()[0].excluded_actions, excluded);
}

#[test]
fn the_manual_check_when_the_person_cannot_do_the_actions() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    scan(&mut h, ID);
    let (_dir, gate) = pin_gate("C0042", 5);
    h.state_mut().ui.pin_gate = Some(gate);
    h.run();
    h.get_by_label("人工核验（本人无法做动作）").click();
    h.run();
    h.run();
    assert_eq!(state_name(&h), "manual_check");
    h.get_by_label("凭身份证人工核验");
    h.get_by_label("本人无法完成动作 [cannot_perform_challenges]");
    h.get_by_label("工作人员会核对您的身份证");
    h.snapshot("zh_cn_manual_check");
    type_into(&mut h, "工号", "C0042");
    type_into(&mut h, "原因", "行动不便，已核对身份证");
    manual_pass_with_pin(&mut h, CLERK_PIN);
    assert_eq!(state_name(&h), "passed");
    let records = h.state().backend.records();
    // The attempt that was running (positioning) first, then the manual pass.
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].outcome.as_str(), "abandoned");
    assert_eq!(records[1].outcome.as_str(), "manual_passed");
    assert_eq!(
        records[1].reason.as_deref(),
        Some("cannot_perform_challenges")
    );
}

#[test]
fn with_the_camera_down_a_scan_opens_the_manual_check() {
    let mut h = harness(backend(), "en");
    h.state_mut().backend.apply(Event::CameraLost);
    h.state_mut().backend.view.camera.connected = false;
    h.run();
    wedge_scan(&mut h, ID);
    assert_eq!(state_name(&h), "manual_check");
    h.get_by_label("the camera is not working [camera_unavailable]");
    h.snapshot("en_manual_check_camera_down");
    let (_dir, gate) = pin_gate("C0042", 5);
    h.state_mut().ui.pin_gate = Some(gate);
    h.run();
    type_into(&mut h, "Clerk ID", "C0042");
    type_into(&mut h, "Reason", "camera broken, ID card checked");
    manual_pass_with_pin(&mut h, CLERK_PIN);
    let records = h.state().backend.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].reason.as_deref(), Some("camera_unavailable"));
    assert_eq!(records[0].id_source, IdSource::Scanner);
}
