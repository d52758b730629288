use super::*;

#[test]
fn debug_never_shows_the_full_id_number() {
    let r = sample();
    let shown = format!("{r:?}");
    assert!(!shown.contains("11010519491231002X"), "{shown}");
    assert!(shown.contains("1101**********002X"));
}

#[test]
fn round_trips_through_canonical_json() {
    let r = sample();
    let text = crate::canonical_json(&r).unwrap();
    let back: CertificationRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    assert!(text
        .contains(r#""method":{"clerk_id":"C01","kind":"clerk_manual","reason":"card checked"}"#));
}

#[test]
fn v1_pending_server_match_reads_as_pending_match() {
    let mut r = sample();
    r.schema_version = 1;
    r.outcome = Outcome::Passed;
    r.method = Method::FaceAuto;
    let text = crate::canonical_json(&r).unwrap().replace(
        r#"{"status":"pending_match"}"#,
        r#"{"status":"pending_server_match"}"#,
    );
    assert!(text.contains("pending_server_match"));
    let back: CertificationRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back.face_match, FaceMatch::PendingMatch);
    assert_eq!(back.validate(), Ok(()));
    // A v1 "pass" that was never matched is not a pass.
    assert_eq!(back.effective_outcome(), Outcome::PendingMatch);
}

#[test]
fn v2_refuses_a_pass_without_a_scored_match() {
    let mut r = sample();
    r.method = Method::FaceAuto;
    r.outcome = Outcome::Passed;
    r.reason = None;
    assert_eq!(r.validate(), Err(RecordRuleError::PassWithoutMatch));
    r.face_match = FaceMatch::Scored {
        score: 0.2,
        threshold: 0.5,
        reference_version: "v1".into(),
        source: Some(ReferenceSource::Server),
    };
    assert_eq!(r.validate(), Err(RecordRuleError::PassWithoutMatch));
    r.face_match = FaceMatch::Scored {
        score: 0.7,
        threshold: 0.5,
        reference_version: "v1".into(),
        source: None,
    };
    assert_eq!(r.validate(), Err(RecordRuleError::MissingSource));
    r.face_match = FaceMatch::Scored {
        score: 0.7,
        threshold: 0.5,
        reference_version: "v1".into(),
        source: Some(ReferenceSource::KioskCache),
    };
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(r.effective_outcome(), Outcome::Passed);
    let text = crate::canonical_json(&r).unwrap();
    assert!(text.contains(r#""source":"kiosk_cache""#), "{text}");
}

#[test]
fn v2_pending_match_needs_its_shape() {
    let mut r = sample();
    r.method = Method::FaceAuto;
    r.outcome = Outcome::PendingMatch;
    r.reason = Some("no_reference".into());
    assert_eq!(r.validate(), Ok(()));
    r.reason = None;
    assert_eq!(r.validate(), Err(RecordRuleError::PendingMatchShape));
    r.schema_version = 1;
    assert_eq!(r.validate(), Err(RecordRuleError::PendingMatchInV1));
    r.schema_version = 3;
    assert_eq!(r.validate(), Err(RecordRuleError::UnsupportedVersion(3)));
}

#[test]
fn id_source_and_exclusions_are_additive() {
    let r = sample();
    let before = crate::canonical_json(&r).unwrap();
    assert!(!before.contains("id_source") && !before.contains("excluded_actions"));
    // A record without the new fields reads back equal and prints the same bytes.
    let back: CertificationRecord = serde_json::from_str(&before).unwrap();
    assert_eq!(crate::canonical_json(&back).unwrap(), before);
    let mut r = r;
    r.id_source = Some(IdSource::CardReader);
    r.excluded_actions = vec![ExcludedAction {
        action: Action::TurnLeft,
        reason: ExclusionReason::StiffNeck,
    }];
    let text = crate::canonical_json(&r).unwrap();
    assert!(text.contains(r#""id_source":"card_reader""#), "{text}");
    assert!(
        text.contains(r#""excluded_actions":[{"action":"turn_left","reason":"stiff_neck"}]"#),
        "{text}"
    );
    let back: CertificationRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.validate(), Ok(()));
    let bad = text.replace("card_reader", "telepathy");
    assert!(serde_json::from_str::<CertificationRecord>(&bad).is_err());
}

#[test]
fn screen_flash_is_additive() {
    let r = sample();
    let before = crate::canonical_json(&r).unwrap();
    assert!(!before.contains("screen_flash"));
    let mut r = r;
    r.screen_flash = Some(crate::ScreenFlash {
        sequence: "ABGP".into(),
        step_ms: 600,
        frames: 60,
        correlation: Some(0.875),
        score: Some(0.5),
        lag_ms: Some(99),
        threshold: 0.25,
        passed: true,
    });
    let text = crate::canonical_json(&r).unwrap();
    assert!(text.contains(r#""screen_flash":{"correlation":0.875,"frames":60,"lag_ms":99,"passed":true,"score":0.5,"sequence":"ABGP","step_ms":600,"threshold":0.25}"#), "{text}");
    let back: CertificationRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let mut unmeasured = r.clone();
    unmeasured.screen_flash.as_mut().unwrap().correlation = None;
    let text = crate::canonical_json(&unmeasured).unwrap();
    assert!(!text.contains("correlation"), "{text}");
    assert!(serde_json::from_str::<CertificationRecord>(
        &text.replace("\"frames\"", "\"frame_count\"")
    )
    .is_err());
}

pub(crate) fn sample() -> CertificationRecord {
    let t = DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap();
    CertificationRecord {
        schema_version: crate::RECORD_SCHEMA_VERSION,
        record_id: Uuid::now_v7(),
        seq: 7,
        kiosk_id: "K1".into(),
        site_code: "110105".into(),
        id_number: "11010519491231002X".into(),
        period: "2026".into(),
        started_at: t,
        ended_at: t,
        outcome: Outcome::ManualPassed,
        reason: Some("face_match_below_threshold".into()),
        method: Method::ClerkManual {
            clerk_id: "C01".into(),
            reason: "card checked".into(),
        },
        attempt: 2,
        challenges: vec![ChallengeResult {
            action: Action::Blink,
            passed: true,
            duration_ms: 1500,
        }],
        passive_liveness: Some(Scored {
            score: 0.9,
            threshold: 0.5,
        }),
        face_match: FaceMatch::PendingMatch,
        quality: None,
        photo: None,
        models: BTreeMap::new(),
        app_version: "0.1.0".into(),
        id_source: None,
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    }
}

#[test]
fn the_depth_check_is_additive() {
    let r = sample();
    let before = crate::canonical_json(&r).unwrap();
    assert!(!before.contains("depth_check"), "{before}");
    let back: CertificationRecord = serde_json::from_str(&before).unwrap();
    assert_eq!(crate::canonical_json(&back).unwrap(), before);
    let mut r = r;
    r.depth_check = Some(DepthCheck {
        residual: 0.0625,
        threshold: 0.046875,
        yaw_span_deg: 21.5,
        frames: 9,
    });
    let text = crate::canonical_json(&r).unwrap();
    assert!(
        text.contains(r#""depth_check":{"frames":9,"residual":0.0625,"threshold":0.046875,"yaw_span_deg":21.5}"#),
        "{text}"
    );
    let back: CertificationRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    let bad = text.replace(r#""frames":9"#, r#""frames":9,"z":1"#);
    assert!(serde_json::from_str::<CertificationRecord>(&bad).is_err());
}
