//! The driver on byte streams: against the simulator's reader in memory, and against
//! scripted answers for what the simulator never says.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::*;
use crate::card_reader::card::CardDataError;
use crate::card_reader::frame::encode_response;
use crate::card_reader::layout;
use crate::card_reader::sim::{CardSpec, SimReader};
use crate::card_reader::testing::{blank_text, sim, sim_with, Line};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

fn reader(sim: &Arc<Mutex<SimReader>>) -> Reader<Line> {
    Reader::new(Line::to_sim(sim.clone()), ReaderSettings::default())
}

fn read(r: &mut Reader<Line>) -> Result<CardRead, ReaderError> {
    r.read_card(today(), 1, Duration::ZERO)
}

/// Requests sent so far, by command.
fn sent(r: &mut Reader<Line>) -> Vec<Command> {
    let sent = r.transport_mut().sent.lock().unwrap().clone();
    sent.iter()
        .map(|f| Command::from_code(f[7], f[8]).unwrap())
        .collect()
}

#[test]
fn reads_the_card_with_the_documented_requests() {
    let s = sim(&[]);
    let mut r = reader(&s);
    r.reset().unwrap();
    r.sam_status().unwrap();
    assert_eq!(&r.sam_id().unwrap(), b"CERTPOINT-SIM-01");
    let got = read(&mut r).unwrap();
    assert_eq!(got.card.number(), "11010519491231002X");
    assert_eq!(got.card.name, "张秀英");
    assert_eq!(got.chip_serial, [0; 8]);
    assert_eq!(&got.photo_wlt[..3], b"WLf");
    assert_eq!(got.photo_wlt.len(), PHOTO_LEN);
    let first = r.transport_mut().sent.lock().unwrap()[0].clone();
    assert_eq!(
        first,
        [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC]
    );
    assert_eq!(
        sent(&mut r),
        [
            Command::ResetSam,
            Command::SamStatus,
            Command::SamId,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadBase
        ]
    );
}

#[test]
fn each_transit_fault_is_recovered() {
    for fault in [
        "bad-checksum",
        "bad-checksum@read",
        "silence",
        "silence@read",
        "partial-frames",
        "slow-writes",
        "noise",
        "bad-checksum:2@select",
    ] {
        let s = sim(&[fault]);
        let mut r = reader(&s);
        let got = read(&mut r).unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert_eq!(got.card.number(), "11010519491231002X", "{fault}");
    }
    // The retry is visible: a spoiled READ was asked for twice.
    let s = sim(&["bad-checksum@read"]);
    let mut r = reader(&s);
    read(&mut r).unwrap();
    let reads = sent(&mut r)
        .iter()
        .filter(|c| **c == Command::ReadBase)
        .count();
    assert_eq!(reads, 2);
}

#[test]
fn faults_that_persist_are_reported_after_the_retries() {
    let mut r = reader(&sim(&["bad-checksum:all"]));
    assert_eq!(
        read(&mut r).unwrap_err(),
        ReaderError::Corrupted {
            command: "find card",
            tries: 3
        }
    );
    let mut r = reader(&sim(&["silence:all"]));
    let err = r.sam_status().unwrap_err();
    assert_eq!(
        err,
        ReaderError::Silent {
            command: "status",
            tries: 3,
            timeout_ms: 300
        }
    );
    assert!(err.to_string().contains("plugged in"), "{err}");
    assert!(err.is_device_fault());
    // A frame that starts and never ends counts as corrupted, not as silence.
    let half = encode_response(0x90, &[])[..6].to_vec();
    let mut r = Reader::new(
        Line::new(move |_| vec![half.clone()]),
        ReaderSettings::default(),
    );
    assert!(matches!(
        r.sam_status(),
        Err(ReaderError::Corrupted { tries: 3, .. })
    ));
}

#[test]
fn retries_follow_the_setting() {
    let s = sim(&["silence:all"]);
    let mut r = Reader::new(
        Line::to_sim(s.clone()),
        ReaderSettings {
            retries: 0,
            ..Default::default()
        },
    );
    assert!(matches!(
        r.reset(),
        Err(ReaderError::Silent { tries: 1, .. })
    ));
    assert_eq!(s.lock().unwrap().requests, 1);
}

#[test]
fn transient_statuses_are_retried_and_lasting_ones_are_not() {
    // READ answers 41 (read failed) once, then the card.
    let card = CardSpec::default().build().unwrap();
    let good = sim_with(CardSpec::default(), true, false, &[]);
    let mut first_read = true;
    let mut r = Reader::new(
        Line::new(move |req| {
            if req[7] == 0x30 && std::mem::take(&mut first_read) {
                return vec![encode_response(0x41, &[])];
            }
            let mut s = good.lock().unwrap();
            s.receive(req)
                .into_iter()
                .flat_map(|(_, p)| p.into_iter().map(|p| p.bytes))
                .collect()
        }),
        ReaderSettings::default(),
    );
    assert_eq!(
        read(&mut r).unwrap().card.number(),
        card.text.get(layout::Field::Number)
    );

    let mut r = Reader::new(
        Line::new(|_| vec![encode_response(0x41, &[])]),
        ReaderSettings::default(),
    );
    assert_eq!(
        r.read_base().unwrap_err(),
        ReaderError::Status {
            command: "read card",
            status: Status::ReadFailed
        }
    );
    assert_eq!(r.transport_mut().sent.lock().unwrap().len(), 3);

    let mut r = reader(&sim(&["sam-failure"]));
    let err = r.sam_status().unwrap_err();
    assert_eq!(
        r.transport_mut().sent.lock().unwrap().len(),
        1,
        "60 is not retried"
    );
    let text = err.to_string();
    assert!(
        text.contains("0x60") && text.contains("self-test") && text.contains("supplier"),
        "{text}"
    );
}

#[test]
fn no_card_is_its_own_answer() {
    let s = sim_with(CardSpec::default(), false, false, &[]);
    let mut r = reader(&s);
    assert_eq!(read(&mut r).unwrap_err(), ReaderError::NoCard);
    assert_eq!(
        r.read_card(today(), 3, Duration::ZERO).unwrap_err(),
        ReaderError::NoCard
    );
    assert_eq!(
        s.lock().unwrap().requests,
        4,
        "1 + 3 finds, no retries of a clear no"
    );
}

#[test]
fn a_card_left_on_the_reader_is_one_person() {
    // The common reader: after a read FIND fails while the card stays.
    let s = sim(&[]);
    let mut r = reader(&s);
    assert!(matches!(r.poll(today()).unwrap(), Poll::NewCard(_)));
    assert_eq!(
        r.poll(today()).unwrap(),
        Poll::SameCard,
        "first miss: still remembered"
    );
    assert_eq!(r.poll(today()).unwrap(), Poll::CardGone);
    assert_eq!(
        r.poll(today()).unwrap(),
        Poll::NoCard,
        "never re-read while it lies there"
    );
    s.lock().unwrap().set_present(false);
    s.lock().unwrap().set_present(true);
    assert!(
        matches!(r.poll(today()).unwrap(), Poll::NewCard(_)),
        "put back: read again"
    );
}

#[test]
fn a_reader_that_finds_the_same_card_again_does_not_make_a_new_person() {
    let s = sim_with(CardSpec::default(), true, true, &[]);
    let mut r = reader(&s);
    assert!(matches!(r.poll(today()).unwrap(), Poll::NewCard(_)));
    for _ in 0..5 {
        assert_eq!(r.poll(today()).unwrap(), Poll::SameCard);
    }
    // One missed find is not a removal.
    s.lock().unwrap().set_present(false);
    assert_eq!(r.poll(today()).unwrap(), Poll::SameCard);
    s.lock().unwrap().set_present(true);
    assert_eq!(r.poll(today()).unwrap(), Poll::SameCard);
    // Another card on the reader is a new person.
    let other = CardSpec {
        id: Some(crate::card_reader::card::tests::number("11010519500101001")),
        birth: None,
        ..Default::default()
    };
    s.lock().unwrap().set_card(other.build().unwrap());
    assert!(
        matches!(r.poll(today()).unwrap(), Poll::NewCard(c) if c.card.number().starts_with("11010519500101"))
    );
}

#[test]
fn a_chip_serial_spares_the_second_read() {
    let spec = CardSpec {
        serial: Some("0102030405060708".into()),
        ..Default::default()
    };
    let s = sim_with(spec, true, true, &[]);
    let mut r = reader(&s);
    assert!(
        matches!(r.poll(today()).unwrap(), Poll::NewCard(c) if c.chip_serial == [1, 2, 3, 4, 5, 6, 7, 8])
    );
    assert_eq!(r.poll(today()).unwrap(), Poll::SameCard);
    let reads = sent(&mut r)
        .iter()
        .filter(|c| **c == Command::ReadBase)
        .count();
    assert_eq!(reads, 1, "same serial: not read again");
}

#[test]
fn malformed_answers_are_named() {
    let mut r = Reader::new(
        Line::new(|_| vec![encode_response(0x90, &[1, 2, 3, 4])]),
        ReaderSettings::default(),
    );
    let err = r.select().unwrap_err();
    assert!(
        matches!(
            err,
            ReaderError::Malformed {
                command: "select card",
                ..
            }
        ),
        "{err}"
    );
    let mut data = vec![0x01, 0x00, 0x04, 0x00];
    data.extend(blank_text().encode());
    let short = encode_response(0x90, &data);
    let mut r = Reader::new(
        Line::new(move |_| vec![short.clone()]),
        ReaderSettings::default(),
    );
    let err = r.read_base().unwrap_err();
    assert!(
        err.to_string()
            .contains("photo 1024 bytes announced, 256 bytes sent"),
        "{err}"
    );
}

#[test]
fn an_invalid_number_on_the_chip_is_refused() {
    let spec = CardSpec {
        id: Some("110105194912310021".into()),
        ..Default::default()
    };
    let mut r = reader(&sim_with(spec, true, false, &[]));
    let err = read(&mut r).unwrap_err();
    assert!(
        matches!(err, ReaderError::Card(CardDataError::IdNumber(_))),
        "{err}"
    );
    assert!(!err.to_string().contains("110105194912310021"));
}

#[test]
fn set_baud_switches_reader_then_line() {
    let s = sim(&[]);
    let mut r = reader(&s);
    r.set_baud(9_600).unwrap();
    assert_eq!(r.transport_mut().baud, Some(9_600));
    assert_eq!(sent(&mut r), [Command::SetBaud(4)]);
    assert_eq!(
        r.set_baud(12_345),
        Err(ReaderError::UnsupportedBaud(12_345))
    );
}
