//! Certificates of assistance over real HTTP on 127.0.0.1: a kiosk posts the signed
//! record, the person's status becomes certified by channel `assistance`, and
//! `GET /v1/assistance/{serial}?code=…` verifies the paper (kiosk or auditor token,
//! the printed code, masked answer) without revealing whether a serial exists.

mod agency_support;

use agency_support::{kiosk_key, request, Agency, Reply, ID_A, ID_B, ID_C, ID_D, K1, K2};
use certpoint_protocol::{
    canonical_json, encode_submission, sign_body, CertificationRecord, FaceMatch, Method, Outcome,
    Relation,
};

const AUDITOR: &str = "assistance-auditor-token-0123";

fn assistance(seq: u64, id: &str, serial: &str, code: &str) -> CertificationRecord {
    let mut r = agency_support::pending_record("K1", seq, id, None);
    r.outcome = Outcome::ManualPassed;
    r.reason = None;
    r.face_match = FaceMatch::NotRun;
    r.passive_liveness = None;
    r.method = Method::Assistance {
        clerk_id: "C07".into(),
        serial: serial.into(),
        verification_code: code.into(),
        relation: Relation::Spouse,
        relative_id_number: ID_D.into(),
        relative_name: "王秀英".into(),
        reason: "长期卧床，由配偶代为办理".into(),
    };
    r.validate().unwrap();
    r
}

fn post(a: &Agency, r: &CertificationRecord) -> Reply {
    let body = canonical_json(r).unwrap();
    let signature = sign_body(&kiosk_key(1), &body);
    let envelope = encode_submission(&body, &signature, None);
    request(
        a.addr(),
        "POST",
        "/v1/certifications",
        &[
            ("Authorization", &format!("Bearer {K1}")),
            ("Idempotency-Key", &r.record_id.to_string()),
            ("Content-Type", "application/json"),
        ],
        envelope.as_bytes(),
    )
}

fn verify(a: &Agency, serial: &str, query: &str, token: Option<&str>) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|v| vec![("Authorization", v)])
        .unwrap_or_default();
    request(
        a.addr(),
        "GET",
        &format!("/v1/assistance/{serial}{query}"),
        &headers,
        b"",
    )
}

#[test]
fn a_certificate_certifies_and_verifies_masked() {
    let mut a = Agency::new();
    certpoint_agency::add_auditor(a.storage.as_ref(), "support", AUDITOR).unwrap();
    a.start(None);
    assert_eq!(a.status(ID_A), "not_certified");
    let r = assistance(1, ID_A, "110105-K1-2026-0001", "ABCDE12345");
    let sent = post(&a, &r);
    assert_eq!(sent.status, 201, "{}", sent.text());

    // The status counts it, with its own channel.
    let st = request(
        a.addr(),
        "GET",
        &format!("/v1/persons/{ID_A}/status?period=2026"),
        &[("Authorization", &format!("Bearer {K1}"))],
        b"",
    )
    .json();
    assert_eq!(st["state"], "certified");
    assert_eq!(st["channel"], "assistance");

    // Any kiosk (K2 serves another region) or an auditor may check a paper, with the
    // code as printed (dash, lower case) or typed.
    for (token, code) in [
        (K1, "ABCDE12345"),
        (K2, "abcde-12345"),
        (AUDITOR, "ABCDE 12345"),
    ] {
        let v = verify(
            &a,
            "110105-K1-2026-0001",
            &format!("?code={}", code.replace(' ', "%20")),
            Some(token),
        );
        assert_eq!(v.status, 200, "{token}: {}", v.text());
        let j = v.json();
        assert_eq!(j["valid"], true);
        assert_eq!(j["serial"], "110105-K1-2026-0001");
        assert_eq!(j["relation"], "spouse");
        assert_eq!(j["clerk_id"], "C07");
        assert_eq!(j["pensioner_id_masked"], "1101**********002X");
        assert_eq!(j["relative_id_masked"], "3101**********1236");
        assert_eq!(j["relative_name_masked"], "王**");
        let text = v.text();
        for secret in [ID_A, ID_D, "王秀英", "ABCDE12345", "卧床"] {
            assert!(!text.contains(secret), "the answer shows {secret}: {text}");
        }
    }

    // A wrong code and an unknown serial answer alike: no oracle for serials.
    let wrong = verify(&a, "110105-K1-2026-0001", "?code=ABCDE12346", Some(K1));
    let unknown = verify(&a, "110105-K1-2026-0002", "?code=ABCDE12345", Some(K1));
    assert_eq!((wrong.status, unknown.status), (404, 404));
    assert_eq!(wrong.text(), unknown.text());
    // No code, no token.
    assert_eq!(verify(&a, "110105-K1-2026-0001", "", Some(K1)).status, 400);
    assert_eq!(
        verify(&a, "110105-K1-2026-0001", "?code=ABCDE12345", None).status,
        401
    );
    assert_eq!(
        verify(
            &a,
            "110105-K1-2026-0001",
            "?code=ABCDE12345",
            Some("nobody-token-000000000")
        )
        .status,
        401
    );

    // The same check from the agency's command line (staff with the paper in hand).
    a.stop();
    let run = a.cli(&[
        "assistance",
        "verify",
        "110105-K1-2026-0001",
        "--code",
        "abcde-12345",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    assert_eq!(
        (j["valid"].as_bool(), j["relative_name_masked"].as_str()),
        (Some(true), Some("王**"))
    );
    assert!(!run.stdout.contains(ID_A) && !run.stdout.contains(ID_D));
    let run = a.cli(&[
        "assistance",
        "verify",
        "110105-K1-2026-0001",
        "--code",
        "ABCDE12346",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("not found"), "{}", run.stdout);
}

#[test]
fn a_serial_used_twice_is_an_invalid_record_and_a_bad_shape_is_refused() {
    let mut a = Agency::new();
    a.start(None);
    let first = assistance(1, ID_A, "110105-K1-2026-0009", "ABCDE12345");
    assert_eq!(post(&a, &first).status, 201);
    // The same record again is a duplicate (200), not a clash.
    assert_eq!(post(&a, &first).status, 200);
    let clash = post(
        &a,
        &assistance(2, ID_B, "110105-K1-2026-0009", "ZZZZZ99999"),
    );
    assert_eq!(clash.status, 422, "{}", clash.text());
    assert!(
        clash.text().contains("110105-K1-2026-0009"),
        "{}",
        clash.text()
    );
    assert_eq!(a.status(ID_B), "not_certified");

    // An assistance record claiming a face pass is refused by the record rules.
    let mut passed = assistance(3, ID_C, "110105-K1-2026-0003", "ABCDE12345");
    passed.outcome = Outcome::Passed;
    let refused = post(&a, &passed);
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("assistance"), "{}", refused.text());
}
