//! `refresh` over real HTTP on 127.0.0.1: a tiny server that answers from a script and
//! records the requests, so the request's shape (path, region, `If-Modified-Since`,
//! token) is checked along with what the kiosk does with each answer; and the agency
//! server itself, so the kiosk and the agency agree on the endpoint.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::*;
use crate::config::Secret;
use crate::sync::client::{AgencyClient, ClientSettings};

/// Serves `answers` in order, one per connection; the requests' heads come back.
fn serve(answers: Vec<(u16, Vec<u8>)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().unwrap().push(head);
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (url, seen)
}

fn client(url: &str) -> AgencyClient {
    AgencyClient::new(&ClientSettings {
        base_url: url.into(),
        token: Secret::new("kiosk-token-0123456789"),
        timeout: Duration::from_secs(5),
        ca_bundle_pem: None,
    })
    .unwrap()
}

#[test]
fn refresh_installs_a_newer_bundle_and_asks_only_for_newer_ones() {
    let (dir, store) = kiosk_dir();
    let key = agency_key();
    let cache = ReferenceCache::open(settings(&[&key]), dir.path(), store.sealer());
    let t0 = now() - TimeDelta::hours(1);
    let forged = bundle_at(
        t0 + TimeDelta::minutes(5),
        &SigningKey::from_bytes(&[5; 32]),
        MODEL,
        "110105",
    );
    let (url, seen) = serve(vec![
        (
            404,
            b"{\"error\":\"not_found\",\"message\":\"none\"}".to_vec(),
        ),
        (200, bundle_at(t0, &key, MODEL, "110105")),
        (304, Vec::new()),
        (200, forged),
        (
            503,
            b"{\"error\":\"internal\",\"message\":\"busy\"}".to_vec(),
        ),
    ]);
    let client = client(&url);

    assert!(matches!(
        refresh(&cache, &client),
        RefreshOutcome::NotPublished
    ));
    let RefreshOutcome::Installed(done) = refresh(&cache, &client) else {
        panic!("the bundle is installed")
    };
    assert_eq!(done.generated_at, t0);
    assert!(cache.lookup(ID).is_some());
    assert!(matches!(
        refresh(&cache, &client),
        RefreshOutcome::NotModified
    ));
    let RefreshOutcome::Failed(why) = refresh(&cache, &client) else {
        panic!("a bundle signed by another key is refused")
    };
    assert!(why.contains("does not pin"), "{why}");
    assert!(cache.status().warning.unwrap().contains("refused"));
    let RefreshOutcome::Failed(why) = refresh(&cache, &client) else {
        panic!("a server error is a failure")
    };
    assert!(why.contains("503") && why.contains("busy"), "{why}");
    assert_eq!(
        cache.lookup(ID).unwrap().generated_at,
        t0,
        "kept throughout"
    );

    let heads = seen.lock().unwrap().clone();
    assert!(
        heads[0].starts_with("GET /v1/reference-bundle?region=110105 HTTP/1.1"),
        "{}",
        heads[0]
    );
    assert!(heads[0]
        .to_ascii_lowercase()
        .contains("authorization: bearer kiosk-token-0123456789"));
    assert!(
        !heads[1].to_ascii_lowercase().contains("if-modified-since"),
        "none installed yet"
    );
    let since = t0.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    assert!(
        heads[2].to_ascii_lowercase().contains(&format!(
            "if-modified-since: {}",
            since.to_ascii_lowercase()
        )),
        "{}",
        heads[2]
    );
}

#[test]
fn the_schedule_retries_failures_sooner() {
    let hour = Duration::from_secs(3600);
    let mut s = RefreshSchedule::default();
    let t = std::time::Instant::now();
    assert!(s.is_due(t), "at once after start");
    s.ran(t, &RefreshOutcome::NotModified, hour);
    assert!(!s.is_due(t + Duration::from_secs(3599)));
    assert!(s.is_due(t + hour));
    s.ran(t, &RefreshOutcome::Failed("down".into()), hour);
    assert!(s.is_due(t + Duration::from_secs(300)));
    s.ran(
        t,
        &RefreshOutcome::Failed("down".into()),
        Duration::from_secs(60),
    );
    assert!(s.is_due(t + Duration::from_secs(60)));
}

/// The kiosk's own request against the real agency server (`certpoint-agency` in
/// process on 127.0.0.1, its bundle endpoint and signing key): the region's bundle is
/// installed and matches, and the next refresh is a 304 (`If-Modified-Since` as the
/// kiosk writes it) that keeps it.
#[test]
fn refresh_from_the_agency_server_installs_its_bundle_then_gets_not_modified() {
    use certpoint_agency::storage::{Embedding, RosterEntry, RosterStatus};
    use certpoint_agency::{Reference, RunningServer, ServerOptions, SqliteStorage, Storage};

    let agency_dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_in(agency_dir.path()).unwrap());
    let kiosk_public = certpoint_protocol::public_key_b64(&SigningKey::from_bytes(&[4; 32]));
    certpoint_agency::add_kiosk(
        storage.as_ref(),
        "K1",
        &kiosk_public,
        "kiosk-token-0123456789",
        "110105",
    )
    .unwrap();
    storage
        .import_roster(&[RosterEntry {
            id_number: ID.into(),
            name: "Zhang San".into(),
            region: "110105".into(),
            status: RosterStatus::Active,
        }])
        .unwrap();
    let values: Vec<f32> = (0..EMBEDDING_DIM)
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    storage
        .add_reference(
            ID,
            &Reference {
                version: "ref-a1".into(),
                media_type: "image/jpeg".into(),
                bytes: b"\xff\xd8\xff photo".to_vec(),
            },
            Some(&Embedding {
                values: values.clone(),
                model_sha256: MODEL.into(),
            }),
        )
        .unwrap();
    let agency_key = certpoint_agency::bundle::BundleKey::init(agency_dir.path()).unwrap();
    let shared: Arc<dyn Storage> = storage;
    let server = RunningServer::start_configured(
        "127.0.0.1:0".parse().unwrap(),
        shared,
        None,
        ServerOptions {
            bundle_key_dir: Some(agency_dir.path().to_owned()),
            ..ServerOptions::default()
        },
    )
    .unwrap();

    let (dir, store) = kiosk_dir();
    let pinned = certpoint_protocol::parse_public_key(&agency_key.public_key_b64()).unwrap();
    let cache = ReferenceCache::open(
        CacheSettings {
            pinned_keys: vec![pinned],
            dimension: EMBEDDING_DIM,
            ..settings(&[])
        },
        dir.path(),
        store.sealer(),
    );
    let client = client(&server.url());
    let RefreshOutcome::Installed(done) = refresh(&cache, &client) else {
        panic!("the agency's bundle is installed")
    };
    assert_eq!((done.scope.as_str(), done.entries), ("110105", 1));
    let found = cache.lookup(ID).unwrap();
    assert_eq!(found.reference_version, "ref-a1");
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    let similarity = dot(&found.embedding, &values) / norm;
    assert!(similarity > 0.995, "{similarity}");
    assert!(matches!(
        refresh(&cache, &client),
        RefreshOutcome::NotModified
    ));
    assert_eq!(cache.lookup(ID).unwrap().generated_at, done.generated_at);
}
