//! The back office in a real browser: Debian's chromium driven over WebDriver
//! (chromedriver) by `fantoccini`, against the real `certpoint-agency` binary serving a
//! seeded data directory on 127.0.0.1. Logs in, checks the dashboard's numbers against
//! the status rule for every seeded person, exports the not-yet-certified CSV from the
//! browser's own session, confirms one review item and sees the person's status
//! change; saves a screenshot of each page into `docs/screenshots/`.
//!
//! Uses the chromedriver at `CERTPOINT_WEBDRIVER` (a URL; `scripts/test` starts one on
//! a random port), or starts `/usr/bin/chromedriver` itself on a free port.
//! `scripts/setup test` installs chromium and chromium-driver.

mod office_support;
mod storage_suite;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use certpoint_agency::service::status;
use certpoint_agency::{add_kiosk, SqliteStorage};
use certpoint_protocol::PersonState;
use office_support::{seed, PASSWORD};

/// Stops (kill + wait) a child process this test started, on every path out.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `addr` (a process starting up).
fn wait_listening(addr: SocketAddr, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[test]
fn the_back_office_in_chromium() {
    // A seeded data directory, and what the status rule says of each person.
    let data = tempfile::tempdir().unwrap();
    let (season, expected) = {
        let storage = SqliteStorage::open_in(data.path()).unwrap();
        let season = seed(&storage);
        add_kiosk(
            &storage,
            "kiosk-t",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "kiosk-t-token-0123456789",
            "110105",
        )
        .unwrap();
        let states: Vec<PersonState> = season
            .everyone
            .iter()
            .map(|id| status::status(&storage, id, "2026").unwrap().state)
            .collect();
        (season, states)
    };
    let count = |s: PersonState| expected.iter().filter(|x| **x == s).count().to_string();

    // The real binary.
    let agency_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _agency = Started(
        Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
            .args(["--data"])
            .arg(data.path())
            .args([
                "--bind",
                &agency_addr.to_string(),
                "--models",
                "/nonexistent",
                "serve",
            ])
            .env("CERTPOINT_AGENCY_OFFICE_TODAY", "2026-05-20")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting certpoint-agency"),
    );
    wait_listening(agency_addr, "certpoint-agency");
    let base = format!("http://{agency_addr}");

    // The WebDriver: given, or started here.
    let (webdriver, _driver) = match std::env::var("CERTPOINT_WEBDRIVER") {
        Ok(url) => {
            // Started by scripts/test a moment ago: wait until it listens.
            let hostport = url.trim_start_matches("http://").split('/').next().unwrap();
            wait_listening(
                hostport
                    .parse()
                    .expect("CERTPOINT_WEBDRIVER is http://127.0.0.1:PORT"),
                "chromedriver",
            );
            (url, None)
        }
        Err(_) => {
            let port = free_port();
            let child = Command::new("/usr/bin/chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect(
                    "starting /usr/bin/chromedriver (scripts/setup test installs chromium-driver)",
                );
            let started = Started(child);
            wait_listening(format!("127.0.0.1:{port}").parse().unwrap(), "chromedriver");
            (format!("http://127.0.0.1:{port}"), Some(started))
        }
    };

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1500", "--lang=zh-CN", "--hide-scrollbars"]
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&webdriver)
            .await
            .expect("a WebDriver session with chromium");

        // Without a session the dashboard sends the browser to the login page.
        c.goto(&format!("{base}/admin/")).await.unwrap();
        assert!(c.current_url().await.unwrap().as_str().ends_with("/admin/login"));
        shot(&c, "admin-login").await;
        c.find(Locator::Css("input[name=name]")).await.unwrap().send_keys("rev").await.unwrap();
        c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        c.find(Locator::Css("#login")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("#total-roster")).await.unwrap();

        // The dashboard equals the status rule person by person.
        assert_eq!(text_of(&c, "#total-roster").await, expected.len().to_string());
        assert_eq!(text_of(&c, "#total-certified").await, count(PersonState::Certified));
        assert_eq!(text_of(&c, "#total-pending").await, count(PersonState::PendingReview));
        assert_eq!(text_of(&c, "#total-not-certified").await, count(PersonState::NotCertified));
        assert_eq!(text_of(&c, "#days-left").await, "41");
        shot(&c, "admin-dashboard").await;

        // The not-yet-certified list, and its CSV fetched with the browser's session.
        c.goto(&format!("{base}/admin/missing?period=2026")).await.unwrap();
        let rows = c.find_all(Locator::Css("#missing tbody tr")).await.unwrap();
        let missing = (count(PersonState::NotCertified).parse::<usize>().unwrap())
            + count(PersonState::PendingReview).parse::<usize>().unwrap();
        assert_eq!(rows.len(), missing);
        shot(&c, "admin-missing").await;
        let csv = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch('/admin/missing.csv?period=2026').then(r => r.text()).then(done);",
                vec![],
            )
            .await
            .unwrap();
        let csv = csv.as_str().unwrap().to_owned();
        assert!(csv.starts_with("id_number,name,region,site,age,state"), "{csv}");
        assert_eq!(csv.lines().count(), missing + 1);
        assert!(csv.contains(&season.none_old) && csv.contains(&season.review));

        // The review queue; confirm the record that has a reference photo.
        c.goto(&format!("{base}/admin/review?period=2026")).await.unwrap();
        shot(&c, "admin-review-queue").await;
        c.goto(&format!("{base}/admin/review/{}", season.review_record)).await.unwrap();
        // Both photos loaded (natural width > 0) through the authenticated image routes.
        for img in ["#crop", "#reference"] {
            let w = c
                .execute(&format!("return document.querySelector('{img}').naturalWidth"), vec![])
                .await
                .unwrap();
            assert!(w.as_u64().unwrap_or(0) > 0, "{img} did not load");
        }
        shot(&c, "admin-review-record").await;
        c.find(Locator::Css("textarea[name=reason]"))
            .await
            .unwrap()
            .send_keys("同一人：与 2024 年参考照片一致")
            .await
            .unwrap();
        c.find(Locator::Css("#confirm")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("#decision")).await.unwrap();
        assert!(text_of(&c, "#decision").await.contains("rev"));

        // The person's status followed; the dashboard too.
        c.goto(&format!("{base}/admin/person?id={}", season.review)).await.unwrap();
        let state = text_of(&c, "#statuses tr[data-period='2026'] td:nth-child(2)").await;
        assert_eq!(state, "已认证");
        assert!(text_of(&c, "#records tbody").await.contains("已确认 · rev"));
        shot(&c, "admin-person").await;
        c.goto(&format!("{base}/admin/")).await.unwrap();
        let certified: usize = count(PersonState::Certified).parse().unwrap();
        assert_eq!(text_of(&c, "#total-certified").await, (certified + 1).to_string());

        // The kiosks page, after a heartbeat.
        let beat = r#"{"app_version":"0.1.0","queue_depth":2,"oldest_pending":"2026-05-20T08:15:00+08:00"}"#;
        let mut s = TcpStream::connect(agency_addr).unwrap();
        use std::io::{Read, Write};
        write!(s, "POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer kiosk-t-token-0123456789\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{beat}", beat.len()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
        c.goto(&format!("{base}/admin/kiosks")).await.unwrap();
        assert!(text_of(&c, "tr[data-kiosk='kiosk-t']").await.contains("0.1.0"));
        shot(&c, "admin-kiosks").await;

        // The audit log (reviewers may not read it: log in as the auditor).
        c.goto(&format!("{base}/admin/audit")).await.unwrap();
        assert!(text_of(&c, "#error").await.contains("admin, auditor"));

        // English, then log out: the dashboard is closed again.
        c.goto(&format!("{base}/admin/lang/en")).await.unwrap();
        shot(&c, "admin-dashboard-en").await;
        c.find(Locator::Css("#logout")).await.unwrap().click().await.unwrap();
        c.goto(&format!("{base}/admin/")).await.unwrap();
        assert!(c.current_url().await.unwrap().as_str().ends_with("/admin/login"));

        // An admin reads the audit log: the reviewer's login and decision are there.
        c.find(Locator::Css("input[name=name]")).await.unwrap().send_keys("ops").await.unwrap();
        c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        c.find(Locator::Css("#login")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("#total-roster")).await.unwrap();
        c.goto(&format!("{base}/admin/audit")).await.unwrap();
        let log = text_of(&c, "#audit tbody").await;
        assert!(log.contains("review_confirm") && log.contains("logout"), "{log}");
        shot(&c, "admin-audit").await;
        c.close().await.unwrap();
    });
}
