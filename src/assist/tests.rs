//! `issue` against a real store in a temporary kiosk, with the agency's status answered
//! by the test (the CLI test `tests/assist_cli.rs` asks a real agency over HTTP).

use chrono::DateTime;

use certpoint_protocol::{Channel, Method, PersonState, PersonStatus};

use super::*;
use crate::paper::print::tests::fake_lp;

const RETIREE: &str = "11010519491231002X";
const RELATIVE: &str = "310115196002291236";
const PIN: &str = "482915";

fn kiosk(paper: &str) -> (tempfile::TempDir, LoadedConfig, Store) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[kiosk]\nid = \"K1\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\n\
         [models]\ndir = \"{}/models\"\n\n[voice]\nenabled = false\n\n[paper]\n{paper}\n",
        env!("CARGO_MANIFEST_DIR")
    );
    let path = dir.path().join("kiosk-config.toml");
    std::fs::write(&path, text).unwrap();
    let cfg = crate::config::load(&path).unwrap();
    let mut store = Store::open_configured(&cfg).unwrap();
    store.add_clerk("C01", PIN, now()).unwrap();
    (dir, cfg, store)
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap()
}

fn application() -> Application {
    Application {
        pensioner_id: RETIREE.into(),
        relative_id: RELATIVE.into(),
        relative_name: "张小明".into(),
        relation: "child".into(),
        reason: "长期卧床，无法到场".into(),
        clerk_id: "C01".into(),
    }
}

fn status(state: PersonState) -> StatusCheck {
    StatusCheck::Checked(PersonStatus {
        period: "2026".into(),
        state,
        channel: None,
        at: None,
    })
}

#[test]
fn fields_are_checked_one_by_one() {
    assert!(application().check().is_ok());
    let with = |f: fn(&mut Application)| {
        let mut a = application();
        f(&mut a);
        a.check().unwrap_err()
    };
    type Case = (fn(&mut Application), &'static str);
    let cases: [Case; 8] = [
        (
            |a| a.pensioner_id = "11010519491231002Y".into(),
            "pensioner",
        ),
        (
            |a| a.relative_id = "310115196002291235".into(),
            "relative_id",
        ),
        (|a| a.relative_id = RETIREE.into(), "relative_id"),
        (|a| a.relation = "neighbour".into(), "relation"),
        (|a| a.relative_name = "  ".into(), "relative_name"),
        (|a| a.reason = "卧床".into(), "reason"),
        (|a| a.reason = "卧".repeat(201), "reason"),
        (|a| a.clerk_id = "C 01".into(), "clerk"),
    ];
    for (f, field) in cases {
        let e = with(f);
        assert_eq!(e.field(), field, "{e}");
        assert!(!e.to_string().contains(RETIREE), "{e}");
    }
    assert!(with(|a| a.relation = "x".into())
        .to_string()
        .contains("child (子女)"));
    // A 15-digit legacy number and a lower-case x are normalised, as at the scan.
    let mut a = application();
    a.pensioner_id = "11010519491231002x".into();
    assert_eq!(a.check().unwrap().pensioner.as_str(), RETIREE);
}

#[test]
fn an_issued_certificate_is_a_stored_assistance_record_and_a_saved_pdf() {
    let (dir, cfg, mut store) = kiosk("office_name = \"朝阳区社会保险事业管理中心\"");
    let app = application().check().unwrap();
    let mut asked = None;
    let out = issue(&cfg, &mut store, &app, PIN, None, now(), |id, period| {
        asked = Some((id.as_str().to_owned(), period.to_owned()));
        status(PersonState::NotCertified)
    })
    .unwrap();
    assert_eq!(asked, Some((RETIREE.to_owned(), "2026".to_owned())));
    let IssueOutcome::Issued(issued) = out else {
        panic!("{out:?}")
    };
    assert_eq!(issued.serial, "110105-K1-2026-0001");
    assert!(issued.status_checked && issued.status_note.is_none());
    assert_eq!(issued.verification_code.len(), 11);
    let Delivery::Saved { file } = &issued.delivery else {
        panic!("{:?}", issued.delivery)
    };
    assert_eq!(*file, cfg.paper_dir().join("110105-K1-2026-0001.pdf"));
    assert!(std::fs::read(file).unwrap().starts_with(b"%PDF-"));

    let (stored, _) = store.get(&issued.record_id).unwrap();
    let r = &stored.record;
    assert_eq!(r.outcome, Outcome::ManualPassed);
    assert_eq!(r.face_match, FaceMatch::NotRun);
    assert_eq!(r.id_number, RETIREE);
    assert_eq!(r.validate(), Ok(()));
    let Method::Assistance {
        serial,
        verification_code,
        relation,
        relative_id_number,
        ..
    } = &r.method
    else {
        panic!("{:?}", r.method)
    };
    assert_eq!(serial, &issued.serial);
    assert_eq!(
        rules::format_code(verification_code),
        issued.verification_code
    );
    assert_eq!(*relation, Relation::Child);
    assert_eq!(relative_id_number, RELATIVE);

    // The next one is numbered on; the audit log says who issued it and where it went.
    let again = issue(
        &cfg,
        &mut store,
        &app,
        PIN,
        Some(&dir.path().join("b.pdf")),
        now(),
        |_, _| status(PersonState::PendingReview),
    )
    .unwrap();
    let IssueOutcome::Issued(again) = again else {
        panic!()
    };
    assert_eq!(again.serial, "110105-K1-2026-0002");
    let audit = store.audit_entries(20).unwrap();
    assert!(audit.iter().any(|e| e.action == "assistance_certificate"
        && e.actor == "clerk:C01"
        && e.detail.contains("110105-K1-2026-0002")));
    assert!(audit
        .iter()
        .all(|e| !e.detail.contains(RETIREE) && !e.detail.contains(RELATIVE)));
}

#[test]
fn the_status_refuses_before_anything_is_stored() {
    let (_dir, cfg, mut store) = kiosk("office_name = \"办\"");
    let app = application().check().unwrap();
    for (state, outcome) in [
        (PersonState::Certified, "already_certified"),
        (PersonState::Deceased, "deceased"),
        (PersonState::Suspended, "suspended"),
        (PersonState::NotInRoster, "not_in_roster"),
    ] {
        let out = issue(&cfg, &mut store, &app, PIN, None, now(), |_, _| {
            StatusCheck::Checked(PersonStatus {
                period: "2026".into(),
                state,
                channel: Some(Channel::App),
                at: None,
            })
        })
        .unwrap();
        let IssueOutcome::Refused(r) = out else {
            panic!("{out:?}")
        };
        assert_eq!(r.as_str(), outcome);
    }
    assert_eq!(store.status().unwrap().pending, 0);
    assert!(!cfg.paper_dir().exists());
}

#[test]
fn a_wrong_pin_stores_nothing_and_asks_no_status() {
    let (_dir, cfg, mut store) = kiosk("office_name = \"办\"");
    let app = application().check().unwrap();
    let out = issue(&cfg, &mut store, &app, "000000", None, now(), |_, _| {
        panic!("status asked")
    })
    .unwrap();
    assert!(
        matches!(out, IssueOutcome::Pin(PinCheck::Wrong { .. })),
        "{out:?}"
    );
    assert_eq!(store.status().unwrap().pending, 0);
}

#[test]
fn an_unreachable_agency_issues_and_says_so() {
    let (_dir, cfg, mut store) = kiosk("office_name = \"办\"");
    let app = application().check().unwrap();
    let out = issue(&cfg, &mut store, &app, PIN, None, now(), |_, _| {
        StatusCheck::Unchecked("the server is unreachable: connection refused".into())
    })
    .unwrap();
    let IssueOutcome::Issued(issued) = out else {
        panic!("{out:?}")
    };
    assert!(!issued.status_checked);
    assert!(issued
        .status_note
        .as_deref()
        .unwrap()
        .contains("unreachable"));
    assert_eq!(store.status().unwrap().pending, 1);
}

#[test]
fn without_an_office_name_nothing_is_issued() {
    let (_dir, cfg, mut store) = kiosk("");
    let app = application().check().unwrap();
    let e = issue(&cfg, &mut store, &app, PIN, None, now(), |_, _| {
        status(PersonState::NotCertified)
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("office_name"), "{e}");
    assert_eq!(store.status().unwrap().pending, 0);
}

#[test]
fn with_a_printer_the_certificate_goes_to_lp_and_a_failure_keeps_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let lp = fake_lp(dir.path(), 0);
    let (_k, cfg, mut store) = kiosk(&format!(
        "office_name = \"办\"\nprinter = \"Office\"\nlp_command = \"{}\"",
        lp.display()
    ));
    let app = application().check().unwrap();
    let out = issue(&cfg, &mut store, &app, PIN, None, now(), |_, _| {
        status(PersonState::NotCertified)
    })
    .unwrap();
    let IssueOutcome::Issued(issued) = out else {
        panic!("{out:?}")
    };
    assert!(
        matches!(&issued.delivery, Delivery::Printed { printer, job: Some(j), .. } if printer == "Office" && j == "Office-42"),
        "{:?}",
        issued.delivery
    );
    let args = std::fs::read_to_string(dir.path().join("args.txt")).unwrap();
    assert!(
        args.starts_with("-d\nOffice\n") && args.contains("110105-K1-2026-0001.pdf"),
        "{args}"
    );

    let broken = fake_lp(dir.path(), 1);
    let (_k2, cfg, mut store) = kiosk(&format!(
        "office_name = \"办\"\nprinter = \"Office\"\nlp_command = \"{}\"",
        broken.display()
    ));
    let out = issue(&cfg, &mut store, &app, PIN, None, now(), |_, _| {
        status(PersonState::NotCertified)
    })
    .unwrap();
    let IssueOutcome::Issued(issued) = out else {
        panic!("{out:?}")
    };
    assert!(issued
        .print_error
        .as_deref()
        .unwrap()
        .contains("printer on fire"));
    assert!(matches!(issued.delivery, Delivery::Saved { .. }));
    assert_eq!(store.status().unwrap().pending, 1);
}

#[test]
fn codes_are_random_crockford() {
    let a = new_code();
    assert!(rules::is_code_shape(&a), "{a}");
    assert_ne!(a, new_code());
}
