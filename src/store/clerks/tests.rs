//! PIN checks on a fake clock: counting, lockout, reset, unknown ids, persistence.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};

use argon2::password_hash::phc::PasswordHash;

use super::pin_hash::DUMMY_HASH;
use super::*;

const PIN: &str = "204816";

fn t0() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 5, 10, 9, 30, 0)
        .unwrap()
}

fn policy() -> PinPolicy {
    PinPolicy {
        max_attempts: 5,
        lockout: Duration::minutes(15),
    }
}

fn store_with_clerk(dir: &std::path::Path) -> Store {
    let mut store = Store::open_in(dir).unwrap();
    store.add_clerk("C0042", PIN, t0()).unwrap();
    store
}

#[test]
fn five_wrong_pins_lock_the_clerk_and_a_correct_pin_is_refused_until_the_lockout_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_clerk(dir.path());
    let p = policy();
    for left in (1..=4).rev() {
        let now = t0() + Duration::seconds(10);
        let got = store.check_clerk_pin("C0042", "111111", &p, now).unwrap();
        assert_eq!(got, PinCheck::Wrong { tries_left: left });
    }
    let locked_at = t0() + Duration::minutes(1);
    let until = locked_at + Duration::minutes(15);
    assert_eq!(
        store
            .check_clerk_pin("C0042", "111111", &p, locked_at)
            .unwrap(),
        PinCheck::Locked { until }
    );
    // The right PIN during the lockout: still refused, and the lockout is not extended.
    let during = locked_at + Duration::minutes(14);
    assert_eq!(
        store.check_clerk_pin("C0042", PIN, &p, during).unwrap(),
        PinCheck::Locked { until }
    );
    let after = until + Duration::seconds(1);
    assert_eq!(
        store.check_clerk_pin("C0042", PIN, &p, after).unwrap(),
        PinCheck::Accepted
    );
    let actions: Vec<String> = store
        .audit_entries(20)
        .unwrap()
        .into_iter()
        .map(|r| {
            assert!(
                !r.detail.contains(PIN) && !r.detail.contains("111111"),
                "{r:?}"
            );
            r.action
        })
        .collect();
    assert_eq!(
        actions,
        [
            "clerk_added",
            "pin_rejected",
            "pin_rejected",
            "pin_rejected",
            "pin_rejected",
            "pin_lockout",
            "pin_refused_locked",
            "pin_accepted"
        ]
    );
    let info = &store.clerks().unwrap()[0];
    assert_eq!(
        (info.failed_attempts, info.locked_until.as_deref()),
        (0, None)
    );
}

#[test]
fn a_correct_pin_resets_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_clerk(dir.path());
    let p = policy();
    for _ in 0..3 {
        store.check_clerk_pin("C0042", "999999", &p, t0()).unwrap();
    }
    assert_eq!(
        store.check_clerk_pin("C0042", PIN, &p, t0()).unwrap(),
        PinCheck::Accepted
    );
    assert_eq!(
        store.check_clerk_pin("C0042", "999999", &p, t0()).unwrap(),
        PinCheck::Wrong { tries_left: 4 }
    );
}

#[test]
fn the_lockout_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy();
    {
        let mut store = store_with_clerk(dir.path());
        for _ in 0..5 {
            store.check_clerk_pin("C0042", "000000", &p, t0()).unwrap();
        }
    }
    let mut store = Store::open_in(dir.path()).unwrap();
    let later = t0() + Duration::minutes(5);
    assert!(matches!(
        store.check_clerk_pin("C0042", PIN, &p, later).unwrap(),
        PinCheck::Locked { .. }
    ));
    assert_eq!(store.clerks().unwrap()[0].failed_attempts, 5);
    store.unlock_clerk("C0042", later).unwrap();
    assert_eq!(
        store.check_clerk_pin("C0042", PIN, &p, later).unwrap(),
        PinCheck::Accepted
    );
}

#[test]
fn an_unknown_clerk_id_is_answered_like_a_wrong_pin() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_clerk(dir.path());
    let p = policy();
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        known.push(store.check_clerk_pin("C0042", "123123", &p, t0()).unwrap());
        unknown.push(store.check_clerk_pin("C9999", "123123", &p, t0()).unwrap());
    }
    assert_eq!(known, unknown);
    assert!(matches!(known[4], PinCheck::Locked { .. }));
    // The audit trail, for administrators only, does tell them apart.
    let last = store.audit_entries(1).unwrap().remove(0);
    assert_eq!(last.actor, "clerk:C9999");
    assert!(last.detail.contains("unregistered"), "{last:?}");
    // Registering the id later starts it with a clean count.
    store.add_clerk("C9999", "555555", t0()).unwrap();
    assert_eq!(
        store.check_clerk_pin("C9999", "555555", &p, t0()).unwrap(),
        PinCheck::Accepted
    );
}

#[test]
fn the_dummy_hash_costs_what_a_real_one_does() {
    let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
    let real_text = hash_pin(PIN).unwrap();
    let real = PasswordHash::new(&real_text).unwrap();
    assert_eq!(dummy.algorithm, real.algorithm);
    assert_eq!(
        dummy.params.to_string(),
        real.params.to_string(),
        "the Argon2 parameters changed: set DUMMY_HASH to a hash made with them, e.g. {}",
        hash_pin("not-a-pin").unwrap()
    );
    assert!(
        real_text.starts_with("$argon2id$v=19$m=19456,t=8,p=1$"),
        "{real_text}"
    );
}

#[test]
fn with_no_clerk_registered_the_check_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    assert_eq!(
        store.check_clerk_pin("C1", PIN, &policy(), t0()).unwrap(),
        PinCheck::NoClerks
    );
}

#[test]
fn registration_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_clerk(dir.path());
    for bad in ["12345", "12a456", "", "1234567890123456789012345678901234"] {
        let err = store.add_clerk("C1", bad, t0()).unwrap_err();
        assert!(matches!(err, ClerkError::BadPin(_)), "{bad}: {err}");
        if !bad.is_empty() {
            assert!(
                !err.to_string().contains(bad),
                "the PIN must not be echoed: {err}"
            );
        }
    }
    for bad in ["", "C 1", "C1;DROP", &"C".repeat(33), "11010519491231002X"] {
        assert!(matches!(
            store.add_clerk(bad, PIN, t0()),
            Err(ClerkError::BadId(_))
        ));
    }
    assert!(matches!(
        store.add_clerk("C0042", "777777", t0()),
        Err(ClerkError::Exists(_))
    ));
    store.remove_clerk("C0042", t0()).unwrap();
    assert!(matches!(
        store.remove_clerk("C0042", t0()),
        Err(ClerkError::Unknown(_))
    ));
    assert!(matches!(
        store.unlock_clerk("C0042", t0()),
        Err(ClerkError::Unknown(_))
    ));
    assert_eq!(store.clerk_count().unwrap(), 0);
}
