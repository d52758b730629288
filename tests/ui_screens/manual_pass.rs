//! The manual pass through the clerk panel: fields checked on screen, then the PIN
//! checked on the PIN thread against a real throw-away store (wrong PIN, lockout,
//! right PIN), and only a verified PIN lets the flow record a manual pass.

use certpoint::store::{PinPolicy, Store};
use certpoint::ui::pin::PinGate;

use super::*;

#[test]
fn fail_retry_then_clerk_manual_pass() {
    let mut h = harness(backend(), "zh-CN");
    h.run();
    scan(&mut h, ID);
    let attempts = params().attempts_allowed();
    for attempt in 1..=attempts {
        position_well(&mut h);
        // Nobody moves: the challenge times out.
        let b = &mut h.state_mut().backend;
        let timeout = b.view.params.challenge_timeout_ms;
        b.advance(timeout + 1);
        h.run();
        if attempt < attempts {
            assert_eq!(state_name(&h), "failed");
            h.get_by_label("没有看到您的动作");
            h.get_by_label("再试一次").click();
            h.run();
            assert_eq!(state_name(&h), "positioning");
        }
    }
    assert_eq!(state_name(&h), "clerk_assist");
    h.get_by_label("请找工作人员帮忙");
    h.get_by_label_contains("[challenge_timeout]");

    // No checker (no store): the panel says no clerk is registered.
    h.get_by_label("尚未登记工作人员：请运行 `certpoint clerk add`");
    let (_dir, gate) = pin_gate("C0042", 5);
    h.state_mut().ui.pin_gate = Some(gate);
    // The "no clerk" line goes, the fields move up: lay them out before clicking.
    h.run();

    // Empty fields are refused on screen, before the flow sees anything.
    h.get_by_label("人工通过").click();
    h.run();
    h.get_by_label("请填写工号、密码和原因");
    type_into(&mut h, "工号", "C0042");
    type_into(&mut h, "原因", "checked the ID card");
    // A wrong PIN: refused, with the tries left, and the session still waits.
    manual_pass_with_pin(&mut h, "111111");
    h.get_by_label("密码错误，还可以再试 4 次");
    assert_eq!(state_name(&h), "clerk_assist");
    manual_pass_with_pin(&mut h, CLERK_PIN);
    assert_eq!(state_name(&h), "passed");
    let records = h.state().backend.records();
    let last = records.last().unwrap();
    assert_eq!(last.outcome.as_str(), "manual_passed");
    assert_eq!(records.len() as u32, attempts + 1);
}

#[test]
fn a_locked_out_clerk_is_refused_even_with_the_right_pin() {
    let mut h = harness(backend(), "en");
    h.run();
    scan(&mut h, ID);
    position_well(&mut h);
    let timeout = h.state().backend.view.params.challenge_timeout_ms;
    h.state_mut().backend.advance(timeout + 1);
    h.run();
    assert_eq!(state_name(&h), "failed");
    let (_dir, gate) = pin_gate("C0042", 2);
    h.state_mut().ui.pin_gate = Some(gate);
    // The "no clerk" line goes, the fields move up: lay them out before clicking.
    h.run();
    type_into(&mut h, "Clerk ID", "C0042");
    type_into(&mut h, "Reason", "card checked");
    manual_pass_with_pin(&mut h, "000000");
    h.get_by_label("Wrong PIN, 1 tries left");
    manual_pass_with_pin(&mut h, "000000");
    h.get_by_label_contains("Too many wrong PINs: locked until ");
    manual_pass_with_pin(&mut h, CLERK_PIN);
    h.get_by_label_contains("Too many wrong PINs: locked until ");
    assert_eq!(state_name(&h), "failed");
    assert!(h
        .state()
        .backend
        .records()
        .iter()
        .all(|r| r.outcome.as_str() != "manual_passed"));
}

#[test]
fn pending_match_then_clerk_manual_pass_after_checking_the_card() {
    let mut b = backend();
    b.lookup = certpoint::flow::Event::ReferenceNotFound;
    let mut h = harness(b, "en");
    h.run();
    scan(&mut h, ID);
    live_attempt(&mut h);
    assert_eq!(state_name(&h), "pending_match");
    h.get_by_label("Recorded. The office will confirm it");
    h.get_by_label("The server has no reference photo for this person. [no_reference]");
    // No retry here: another attempt would meet the same missing reference.
    assert!(h.query_by_label("Try again").is_none());
    let (_dir, gate) = pin_gate("C0042", 5);
    h.state_mut().ui.pin_gate = Some(gate);
    h.run();
    type_into(&mut h, "Clerk ID", "C0042");
    type_into(&mut h, "Reason", "ID card checked by eye");
    manual_pass_with_pin(&mut h, CLERK_PIN);
    assert_eq!(state_name(&h), "passed");
    let records = h.state().backend.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].outcome.as_str(), "pending_match");
    let manual = &records[1];
    assert_eq!(manual.outcome.as_str(), "manual_passed");
    assert_eq!(manual.reason.as_deref(), Some("no_reference"));
    assert_eq!(manual.attempt, 1);
}

pub(super) const CLERK_PIN: &str = "246810";

/// A PIN checker on a throw-away store with one registered clerk.
pub(super) fn pin_gate(clerk: &str, max_attempts: u32) -> (tempfile::TempDir, PinGate) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    store
        .add_clerk(clerk, CLERK_PIN, chrono::Local::now().fixed_offset())
        .unwrap();
    let policy = PinPolicy {
        max_attempts,
        lockout: chrono::Duration::minutes(15),
    };
    let gate = PinGate::start(store, policy, Arc::new(|| {})).unwrap();
    (dir, gate)
}

pub(super) fn type_into(h: &mut Harness<'_, App<FlowBackend>>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

/// Types the PIN, presses manual pass and waits for the checker thread's answer.
pub(super) fn manual_pass_with_pin(h: &mut Harness<'_, App<FlowBackend>>, pin: &str) {
    let (pin_label, button) = if h.state().ui.lang == "en" {
        ("PIN", "Manual pass")
    } else {
        ("密码", "人工通过")
    };
    type_into(h, pin_label, pin);
    h.get_by_label(button).click();
    h.run_steps(2);
    let t = std::time::Instant::now();
    while h.state().ui.pin_gate.as_ref().unwrap().busy() {
        assert!(t.elapsed().as_secs() < 20, "no answer from the PIN checker");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run_steps(1);
    }
    h.run_steps(2);
}
