//! `[reference_cache]`: off by default, and when on, only with a pinned agency key.

use certpoint_protocol::ed25519_dalek::SigningKey;

use super::{ok, one, problems, with, MINIMAL};

fn public_key(seed: u8) -> String {
    certpoint_protocol::public_key_b64(&SigningKey::from_bytes(&[seed; 32]))
}

#[test]
fn off_by_default_and_scoped_to_the_site() {
    let c = ok(MINIMAL);
    assert!(!c.reference_cache.enabled);
    assert_eq!(c.reference_cache.scope(&c), "110105");
    let c = ok(&with(
        "reference_cache",
        &format!(
            "enabled = true\nagency_public_keys = [\"{}\", \"{}\"]\nregion = \"1101\"",
            public_key(1),
            public_key(2)
        ),
    ));
    assert_eq!(c.reference_cache.scope(&c), "1101");
    assert_eq!(c.reference_cache.agency_public_keys.len(), 2);
}

#[test]
fn enabled_needs_a_pinned_key() {
    let p = one(
        &with("reference_cache", "enabled = true"),
        "reference_cache.agency_public_keys",
    );
    assert!(p.fix.contains("certpoint-agency bundle key show"), "{p}");
    assert_eq!(p.line, 4, "the section header, as the key is absent: {p}");
}

#[test]
fn a_bad_or_repeated_key_is_pointed_at() {
    let text = with(
        "reference_cache",
        &format!(
            "enabled = true\nagency_public_keys = [\"{}\", \"bm90IGEga2V5\", \"{}\"]",
            public_key(1),
            public_key(1)
        ),
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:?}");
    let bad = &found[0];
    assert_eq!(bad.key, "reference_cache.agency_public_keys");
    assert!(bad.message.contains("bm90IGEga2V5"), "{bad}");
    let column_of = |needle: &str| {
        let line = text.lines().nth(bad.line - 1).unwrap();
        line[..line.find(needle).unwrap()].chars().count() + 1
    };
    assert_eq!((bad.line, bad.column), (6, column_of("\"bm90")), "{bad}");
    assert!(found[1].message.contains("twice"), "{}", found[1]);
    assert!(found[1].column > bad.column);
}

#[test]
fn region_and_ranges() {
    one(
        &with("reference_cache", "region = \"11 01\""),
        "reference_cache.region",
    );
    for (line, key) in [
        ("max_age_days = 0", "reference_cache.max_age_days"),
        ("max_age_days = 366", "reference_cache.max_age_days"),
        (
            "refresh_interval_minutes = 0",
            "reference_cache.refresh_interval_minutes",
        ),
        (
            "download_timeout_secs = 5",
            "reference_cache.download_timeout_secs",
        ),
    ] {
        let p = one(&with("reference_cache", line), key);
        assert!(p.fix.starts_with("use a value from"), "{p}");
    }
}
