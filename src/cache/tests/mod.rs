//! The cache against a real store key on disk: sealing, the swap rules, staleness and
//! the settings that make a stored bundle unusable. `refresh` is over real HTTP.

mod refresh;

use std::path::Path;

use certpoint_protocol::bundle::BundleBuilder;
use certpoint_protocol::ed25519_dalek::SigningKey;
use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::store::Store;

pub(super) const MODEL: &str = crate::vision::runtime::EMBEDDER.sha256;
pub(super) const DIM: usize = 8;
pub(super) const ID: &str = "11010519491231002X";

pub(super) fn agency_key() -> SigningKey {
    SigningKey::from_bytes(&[21u8; 32])
}

pub(super) fn settings(keys: &[&SigningKey]) -> CacheSettings {
    CacheSettings {
        enabled: true,
        pinned_keys: keys.iter().map(|k| k.verifying_key()).collect(),
        scope: "110105".into(),
        max_age: TimeDelta::days(7),
        refresh_interval: Duration::from_secs(3600),
        download_timeout: Duration::from_secs(30),
        model_sha256: MODEL.into(),
        dimension: DIM,
    }
}

pub(super) fn vector(seed: u32) -> Vec<f32> {
    (0..DIM)
        .map(|i| ((i as f32 + 1.0) * (seed as f32 + 0.5)).sin())
        .collect()
}

/// A bundle generated `hours` after a fixed start, with `ID` and one other person,
/// both at reference version `v<hours>`.
pub(super) fn bundle_at(at: DateTime<Utc>, key: &SigningKey, model: &str, scope: &str) -> Vec<u8> {
    let mut b = BundleBuilder::new(scope, at, model, DIM).unwrap();
    let v = format!("v{}", at.timestamp());
    b.push(ID, &v, &vector(1)).unwrap();
    b.push("110105194501010016", &v, &vector(2)).unwrap();
    b.finish(key).unwrap()
}

pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

fn bundle(at: DateTime<Utc>) -> Vec<u8> {
    bundle_at(at, &agency_key(), MODEL, "110105")
}

/// A data directory with a store (and so a store key).
pub(super) fn kiosk_dir() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    (dir, store)
}

fn open(dir: &Path, store: &Store, settings: CacheSettings) -> ReferenceCache {
    ReferenceCache::open(settings, dir, store.sealer())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn an_installed_bundle_answers_lookups_and_survives_a_restart() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = open(dir.path(), &store, settings(&[&key]));
    assert_eq!(cache.status().reason_code, Some(UnusableReason::Absent));
    assert!(cache.lookup(ID).is_none());
    let at = now() - TimeDelta::hours(2);
    let done = cache.install(bundle(at)).unwrap();
    assert_eq!(
        (done.entries, done.replaced, done.unchanged),
        (2, None, false)
    );
    let hit = cache.lookup(ID).expect("the person is in the bundle");
    assert_eq!(hit.generated_at, at);
    assert_eq!(hit.reference_version, format!("v{}", at.timestamp()));
    let v = vector(1);
    let norm = dot(&v, &v).sqrt();
    assert!(dot(&hit.embedding, &v) / norm > 0.999);
    assert!(cache.lookup("11010519491231003X").is_none());
    let s = cache.status();
    assert!(s.usable && s.present, "{s:?}");
    assert_eq!((s.entries, s.scope.as_deref()), (Some(2), Some("110105")));
    assert_eq!(s.age_secs, Some(7200));
    assert_eq!(s.age_days, Some(0.1));
    drop(cache);
    let again = open(dir.path(), &store, settings(&[&key]));
    assert_eq!(
        again.lookup(ID).unwrap().generated_at,
        at,
        "loaded at start"
    );
}

#[test]
fn the_file_is_sealed_and_opens_only_with_the_store_key() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = open(dir.path(), &store, settings(&[&key]));
    cache.install(bundle(now())).unwrap();
    let raw = std::fs::read(dir.path().join(CACHE_FILE)).unwrap();
    assert!(
        !raw.windows(ID.len()).any(|w| w == ID.as_bytes()),
        "no ID number in clear"
    );
    assert!(
        !raw.windows(8).any(|w| w == b"CPREFBUN"),
        "not the plain bundle"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join(CACHE_FILE))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // The same file under another kiosk's store key.
    let (other_dir, other_store) = kiosk_dir();
    std::fs::copy(
        dir.path().join(CACHE_FILE),
        other_dir.path().join(CACHE_FILE),
    )
    .unwrap();
    let stolen = open(other_dir.path(), &other_store, settings(&[&key]));
    assert!(stolen.lookup(ID).is_none());
    let s = stolen.status();
    assert_eq!(s.reason_code, Some(UnusableReason::Unreadable), "{s:?}");
    assert!(s.reason.unwrap().contains("cannot be opened"));
}

#[test]
fn only_a_newer_verified_bundle_replaces_the_current_one() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = open(dir.path(), &store, settings(&[&key]));
    let t0 = now() - TimeDelta::hours(5);
    cache.install(bundle(t0)).unwrap();
    let current = |c: &ReferenceCache| c.lookup(ID).unwrap().generated_at;

    // The same bundle again: nothing to do.
    assert!(cache.install(bundle(t0)).unwrap().unchanged);
    // An older one, and another one stamped the same second: refused.
    for at in [t0 - TimeDelta::hours(1), t0] {
        let mut other = BundleBuilder::new("110105", at, MODEL, DIM).unwrap();
        other.push(ID, "other", &vector(9)).unwrap();
        let e = cache.install(other.finish(&key).unwrap()).unwrap_err();
        assert!(matches!(e, InstallError::NotNewer { .. }), "{e}");
    }
    // Damaged, foreign or for another model or region: refused with the reason.
    let mut damaged = bundle(t0 + TimeDelta::hours(1));
    let n = damaged.len();
    damaged[n - 100] ^= 1;
    let foreign = bundle_at(
        t0 + TimeDelta::hours(1),
        &SigningKey::from_bytes(&[3; 32]),
        MODEL,
        "110105",
    );
    let other_model = bundle_at(t0 + TimeDelta::hours(1), &key, &"0".repeat(64), "110105");
    let other_region = bundle_at(t0 + TimeDelta::hours(1), &key, MODEL, "320102");
    let refused = [
        (damaged, "BadSignature"),
        (foreign, "UnknownKey"),
        (other_model, "WrongModel"),
        (other_region, "WrongScope"),
        (b"garbage".to_vec(), "NotABundle"),
    ];
    for (bytes, what) in refused {
        let e = cache.install(bytes).unwrap_err();
        assert!(format!("{e:?}").contains(what), "{what}: {e:?}");
    }
    assert_eq!(current(&cache), t0, "still the first bundle, in memory");
    assert_eq!(
        current(&open(dir.path(), &store, settings(&[&key]))),
        t0,
        "and on disk"
    );
    // A newer one replaces it.
    let t1 = t0 + TimeDelta::hours(2);
    let done = cache.install(bundle(t1)).unwrap();
    assert_eq!(done.replaced, Some(t0));
    assert_eq!(current(&cache), t1);
    assert_eq!(current(&open(dir.path(), &store, settings(&[&key]))), t1);
}

#[test]
fn a_stale_bundle_is_not_used_and_says_why() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = open(dir.path(), &store, settings(&[&key]));
    let at = now() - TimeDelta::days(3);
    cache.install(bundle(at)).unwrap();
    let limit = at + TimeDelta::days(7);
    assert!(
        cache.lookup_at(ID, limit).is_some(),
        "exactly max_age old is still used"
    );
    let later = limit + TimeDelta::seconds(1);
    assert!(cache.lookup_at(ID, later).is_none());
    let s = cache.status_at(later);
    assert!(!s.usable && s.present);
    assert_eq!(s.reason_code, Some(UnusableReason::Stale));
    assert!(s.reason.unwrap().contains("max_age_days (7)"));
}

#[test]
fn settings_decide_what_a_stored_bundle_is_worth() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    open(dir.path(), &store, settings(&[&key]))
        .install(bundle(now()))
        .unwrap();
    // Turned off: nothing is loaded or answered.
    let off = open(
        dir.path(),
        &store,
        CacheSettings {
            enabled: false,
            ..settings(&[&key])
        },
    );
    assert!(off.current().is_none() && off.lookup(ID).is_none());
    let s = off.status();
    assert_eq!(s.reason_code, Some(UnusableReason::Disabled));
    assert!(s.reason.unwrap().contains("kept but not loaded"));
    // The key un-pinned (say it leaked): the stored bundle stops counting at once.
    let rotated = SigningKey::from_bytes(&[4; 32]);
    let unpinned = open(dir.path(), &store, settings(&[&rotated]));
    assert!(unpinned.lookup(ID).is_none());
    let s = unpinned.status();
    assert_eq!(s.reason_code, Some(UnusableReason::Unreadable));
    assert!(
        s.reason.unwrap().contains("does not pin"),
        "names the key problem"
    );
    // Another region configured.
    let moved = open(
        dir.path(),
        &store,
        CacheSettings {
            scope: "320102".into(),
            ..settings(&[&key])
        },
    );
    assert!(moved.lookup(ID).is_none());
}

#[test]
fn a_bundle_imported_by_another_process_is_picked_up() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let running = open(dir.path(), &store, settings(&[&key]));
    let t0 = now() - TimeDelta::hours(3);
    running.install(bundle(t0)).unwrap();
    running.reload_if_changed();
    assert_eq!(
        running.lookup(ID).unwrap().generated_at,
        t0,
        "its own write is not a change"
    );
    let t1 = t0 + TimeDelta::hours(1);
    let cli = open(dir.path(), &store, settings(&[&key]));
    cli.install(bundle(t1)).unwrap();
    assert_eq!(running.lookup(ID).unwrap().generated_at, t0);
    running.reload_if_changed();
    assert_eq!(running.lookup(ID).unwrap().generated_at, t1);
    // A damaged file on disk does not take the working bundle away.
    std::fs::write(dir.path().join(CACHE_FILE), b"\x01short").unwrap();
    running.reload_if_changed();
    assert_eq!(running.lookup(ID).unwrap().generated_at, t1);
    let s = running.status();
    assert!(s.usable && s.warning.is_some(), "{s:?}");
}

#[test]
fn debug_output_carries_no_embedding_or_id() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = open(dir.path(), &store, settings(&[&key]));
    cache.install(bundle(now())).unwrap();
    let hit = cache.lookup(ID).unwrap();
    let shown = format!("{hit:?} {cache:?} {:?}", cache.settings());
    assert!(!shown.contains(ID) && !shown.contains("0."), "{shown}");
}
