//! The back-office cases over real HTTP on 127.0.0.1, against a seeded store: login
//! (CSRF, wrong and unknown names alike, lockout), sessions and roles, every page and
//! form, the dashboard's numbers against the status rule person by person, the CSV and
//! suspension list, review decisions and the status that follows, the heartbeat.
//!
//! Written once, run on each backend: `tests/admin_http.rs` (SQLite) and
//! `tests/admin_http_postgres.rs` (PostgreSQL, `CERTPOINT_TEST_POSTGRES`) name a
//! function that opens an empty store and expand [`office_cases!`].

#![allow(dead_code)]

use super::office_support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use certpoint_agency::service::status;
use certpoint_agency::{add_kiosk, RunningServer, ServerOptions, Storage};
use certpoint_protocol::{Channel, PersonState};
use office_support::{seed, Season, PASSWORD};

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
    }

    /// The text inside the element with `id="…"`.
    fn by_id(&self, id: &str) -> String {
        let at = self
            .body
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id} in {}", self.body));
        let rest = &self.body[at..];
        let start = rest.find('>').unwrap() + 1;
        let end = rest[start..].find('<').unwrap() + start;
        rest[start..end].to_owned()
    }

    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .expect("a CSRF field");
        let rest = &self.body[at + 25..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

struct Browser {
    addr: SocketAddr,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: HashMap::new(),
        }
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &str,
    ) -> Reply {
        let mut s = TcpStream::connect(self.addr).unwrap();
        let cookie = if self.cookies.is_empty() {
            String::new()
        } else {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("Cookie: {}\r\n", c.join("; "))
        };
        let body = form
            .map(|f| {
                f.iter()
                    .map(|(k, v)| format!("{k}={}", enc(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .unwrap_or_default();
        let ctype = if form.is_some() {
            "Content-Type: application/x-www-form-urlencoded\r\n"
        } else {
            ""
        };
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}{ctype}{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let headers = head.to_ascii_lowercase();
        for line in head.lines() {
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("set-cookie: ") {
                let original = &line[line.len() - v.len()..];
                let (kv, attrs) = original.split_once(';').unwrap_or((original, ""));
                let (k, v) = kv.split_once('=').unwrap();
                if attrs.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Reply {
            status: head.split(' ').nth(1).unwrap().parse().unwrap(),
            headers,
            body: body.to_owned(),
        }
    }

    fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None, "")
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send("POST", path, Some(form), "")
    }

    fn login(&mut self, name: &str, password: &str) -> Reply {
        let token = self.get("/admin/login").csrf();
        self.post(
            "/admin/login",
            &[
                ("csrf_token", &token),
                ("name", name),
                ("password", password),
            ],
        )
    }

    fn signed_in(addr: SocketAddr, name: &str) -> Browser {
        let mut b = Browser::new(addr);
        let r = b.login(name, PASSWORD);
        assert_eq!(r.status, 303, "{}", r.body);
        b
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An empty store of one backend, and what keeps it alive (a directory, a database).
pub type Open = fn() -> (Arc<dyn Storage>, Box<dyn std::any::Any>);

/// One `#[test]` per case, each on a fresh store from `$open`.
#[macro_export]
macro_rules! office_cases {
    ($open:path) => {
        $crate::office_cases!(@each $open;
            without_a_session_nothing_opens_and_kiosk_tokens_do_not_count,
            login_needs_csrf_answers_unknown_names_like_wrong_passwords_and_locks_out,
            dashboard_numbers_equal_the_status_rule_person_by_person,
            the_missing_list_filters_pages_and_exports,
            from_july_the_list_is_the_suspension_list,
            reviewers_decide_with_csrf_and_a_reason_and_the_status_follows,
            person_and_kiosk_pages_and_the_heartbeat,
            logout_needs_csrf_and_ends_the_session,
        );
    };
    (@each $open:path; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                admin_cases::$case($open);
            }
        )*
    };
}
pub use office_cases;

struct Office {
    // Field order: the server stops, then the store closes, then its guard goes.
    server: RunningServer,
    storage: Arc<dyn Storage>,
    _guard: Box<dyn std::any::Any>,
    season: Season,
}

/// A seeded agency whose back-office date is `today`.
fn office(open: Open, today: &str) -> Office {
    let (storage, guard) = open();
    let season = seed(storage.as_ref());
    add_kiosk(
        storage.as_ref(),
        "kiosk-t",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "kiosk-t-token-0123456789",
        "110105",
    )
    .unwrap();
    let server = RunningServer::start_configured(
        "127.0.0.1:0".parse().unwrap(),
        storage.clone(),
        None,
        ServerOptions {
            office_today: Some(today.parse().unwrap()),
            ..ServerOptions::default()
        },
    )
    .unwrap();
    Office {
        server,
        storage,
        _guard: guard,
        season,
    }
}

fn state_of(o: &Office, id: &str) -> PersonState {
    status::status(o.storage.as_ref(), id, "2026")
        .unwrap()
        .state
}

pub fn without_a_session_nothing_opens_and_kiosk_tokens_do_not_count(open: Open) {
    let o = office(open, "2026-05-20");
    let mut b = Browser::new(o.server.addr);
    for path in [
        "/admin/",
        "/admin/missing",
        "/admin/missing.csv?period=2026",
        "/admin/review",
        &format!("/admin/review/{}", o.season.review_record),
        &format!("/admin/review/{}/crop", o.season.review_record),
        "/admin/person?id=x",
        "/admin/kiosks",
        "/admin/audit",
    ] {
        let r = b.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(
            r.header("location").as_deref(),
            Some("/admin/login"),
            "{path}"
        );
        let r = b.send(
            "GET",
            path,
            None,
            "Authorization: Bearer kiosk-t-token-0123456789\r\n",
        );
        assert_eq!(r.status, 303, "{path} with a kiosk token");
    }
    // A forged session cookie is no session either.
    b.cookies.insert("certpoint_admin".into(), "00".repeat(32));
    assert_eq!(b.get("/admin/").status, 303);
}

pub fn login_needs_csrf_answers_unknown_names_like_wrong_passwords_and_locks_out(open: Open) {
    let o = office(open, "2026-05-20");
    let mut b = Browser::new(o.server.addr);
    let page = b.get("/admin/login");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"name\"") && page.body.contains("name=\"password\""));
    // Without the form's token, or with another one: refused, no session.
    let r = b.post("/admin/login", &[("name", "ops"), ("password", PASSWORD)]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("CSRF"), "{}", r.body);
    let r = b.post(
        "/admin/login",
        &[
            ("csrf_token", "ab"),
            ("name", "ops"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(!b.cookies.contains_key("certpoint_admin"));
    // Missing fields: a clear message.
    let token = b.get("/admin/login").csrf();
    let r = b.post("/admin/login", &[("csrf_token", &token), ("name", "ops")]);
    assert_eq!(r.status, 400);
    assert!(r.by_id("error").contains("用户名和密码"), "{}", r.body);
    let wrong = b.login("ops", "wrong password");
    let unknown = b.login("nobody", "wrong password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.by_id("error"), unknown.by_id("error"));
    for _ in 2..5 {
        assert_eq!(b.login("ops", "wrong password").status, 401);
    }
    // The fifth failure locks; then even the right password is refused for a while.
    assert_eq!(b.login("ops", "wrong password").status, 429);
    assert_eq!(b.login("nobody", "wrong password").status, 401);
    let locked = b.login("ops", PASSWORD);
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.by_id("error").contains("锁定"));
    // The right password with a session cookie set: HttpOnly, SameSite=Strict, no
    // Secure over plain HTTP (RunningServer sets it with TLS).
    let r = b.login("rev", PASSWORD);
    assert_eq!(r.status, 303);
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("httponly") && set.contains("samesite=strict") && !set.contains("secure"),
        "{set}"
    );
    let events = o.storage.audit_events(100).unwrap();
    let count = |a: &str| events.iter().filter(|e| e.action == a).count();
    assert_eq!(count("login"), 1);
    assert!(count("login_failed") >= 5 && count("login_locked") >= 1);
}

pub fn dashboard_numbers_equal_the_status_rule_person_by_person(open: Open) {
    let o = office(open, "2026-05-20");
    let mut b = Browser::signed_in(o.server.addr, "aud");
    let r = b.get("/admin/?period=2026");
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let (mut cert, mut pending, mut not) = (0, 0, 0);
    let mut by_channel: HashMap<Channel, u64> = HashMap::new();
    for id in &o.season.everyone {
        let s = status::status(o.storage.as_ref(), id, "2026").unwrap();
        match s.state {
            PersonState::Certified => {
                cert += 1;
                *by_channel.entry(s.channel.unwrap()).or_default() += 1;
            }
            PersonState::PendingReview => pending += 1,
            PersonState::NotCertified => not += 1,
            _ => {}
        }
    }
    assert_eq!(r.by_id("total-roster"), o.season.everyone.len().to_string());
    assert_eq!(r.by_id("total-certified"), cert.to_string());
    assert_eq!(r.by_id("total-pending"), pending.to_string());
    assert_eq!(r.by_id("total-not-certified"), not.to_string());
    // The seeded season, spelt out: app 1, on site 2 (a kiosk pass, a manual pass).
    assert_eq!((cert, pending, not), (3, 2, 2));
    assert_eq!(by_channel[&Channel::App], 1);
    assert_eq!(by_channel[&Channel::Onsite], 2);
    assert_eq!(r.by_id("days-left"), "41");
    // Region rows: roster, certified, onsite, app, assistance, pending, not, inactive.
    let row = |region: &str| -> Vec<String> {
        let at = r.body.find(&format!("data-region=\"{region}\"")).unwrap();
        let end = at + r.body[at..].find("</tr>").unwrap();
        r.body[at..end]
            .split("<td class=\"n\">")
            .skip(1)
            .map(|c| c[..c.find('<').unwrap()].to_owned())
            .collect()
    };
    assert_eq!(row("110105"), ["4", "2", "1", "1", "0", "1", "1", "0"]);
    assert_eq!(row("310115"), ["4", "1", "1", "0", "0", "1", "1", "1"]);
    assert!(r.body.contains("<svg class=\"chart\""));
    // English on request.
    assert_eq!(b.get("/admin/lang/en").status, 303);
    assert!(b.get("/admin/").body.contains("Days left to 30 June"));
    // A bad period: a clear message.
    let bad = b.get("/admin/?period=20x6");
    assert_eq!(bad.status, 400);
    assert!(bad.by_id("error").contains("20x6"), "{}", bad.body);
}

pub fn the_missing_list_filters_pages_and_exports(open: Open) {
    let o = office(open, "2026-05-20");
    let mut b = Browser::signed_in(o.server.addr, "aud");
    let page = b.get("/admin/missing?period=2026");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"count\">人数: <strong>4</strong>"),
        "{}",
        page.body
    );
    let csv = b.get("/admin/missing.csv?period=2026");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "id_number,name,region,site,age,state");
    let mut ids: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    ids.sort();
    let s = &o.season;
    let mut expected = vec![
        s.review.as_str(),
        s.none_a.as_str(),
        s.noref.as_str(),
        s.none_old.as_str(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    for id in &ids {
        assert!(matches!(
            state_of(&o, id),
            PersonState::NotCertified | PersonState::PendingReview
        ));
    }
    let old = b.get("/admin/missing.csv?period=2026&age=90%2B");
    assert_eq!(old.body.lines().count(), 2, "{}", old.body);
    assert!(old.body.contains(&s.none_old));
    let region = b.get("/admin/missing.csv?period=2026&region=110105");
    assert_eq!(region.body.lines().count(), 3);
    let site = b.get("/admin/missing.csv?period=2026&site=310115-01");
    assert_eq!(site.body.lines().count(), 2);
    assert!(site.body.contains(&s.noref));
    for bad in [
        "/admin/missing?age=61",
        "/admin/missing?page=0",
        "/admin/missing.csv?period=1800",
    ] {
        let r = b.get(bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(!r.by_id("error").is_empty());
    }
    assert!(o
        .storage
        .audit_events(10)
        .unwrap()
        .iter()
        .any(|e| e.action == "export_missing" && e.actor == "aud"));
    // The audit log page: auditors and admins, not reviewers.
    let log = b.get("/admin/audit");
    assert_eq!(log.status, 200);
    assert!(log.body.contains("export_missing") && log.body.contains("login"));
    let mut rev = Browser::signed_in(o.server.addr, "rev");
    assert_eq!(rev.get("/admin/audit").status, 403);
}

pub fn from_july_the_list_is_the_suspension_list(open: Open) {
    let o = office(open, "2026-07-02");
    let mut b = Browser::signed_in(o.server.addr, "ops");
    assert!(b
        .get("/admin/missing?period=2026")
        .body
        .contains("暂停发放名单"));
    let csv = b.get("/admin/missing.csv?period=2026");
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("suspension-2026.csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "id_number,name,region,period,state,suspend_from,list_date"
    );
    // Not certified only; pending review is held back until decided.
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(lines[1..]
        .iter()
        .all(|l| l.ends_with(",not_certified,2026-07-01,2026-07-02")));
    assert!(o
        .storage
        .audit_events(10)
        .unwrap()
        .iter()
        .any(|e| e.action == "export_suspension"));
}

pub fn reviewers_decide_with_csrf_and_a_reason_and_the_status_follows(open: Open) {
    let o = office(open, "2026-05-20");
    let s = &o.season;
    let path = format!("/admin/review/{}", s.review_record);
    // The auditor sees the queue but neither photos nor the form, and may not post.
    let mut aud = Browser::signed_in(o.server.addr, "aud");
    let q = aud.get("/admin/review?period=2026");
    assert_eq!(q.status, 200);
    for rec in [&s.review_record, &s.manual_record, &s.noref_record] {
        assert!(q.body.contains(rec.as_str()), "{rec} not queued");
    }
    assert!(
        q.body
            .contains("id=\"open-count\">待处理条数: <strong>3</strong>"),
        "{}",
        q.body
    );
    let page = aud.get(&path);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("id=\"confirm\""));
    assert_eq!(aud.get(&format!("{path}/crop")).status, 403);
    let token = page.csrf();
    let r = aud.post(
        &path,
        &[
            ("csrf_token", &token),
            ("verdict", "confirmed"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 403);

    let mut rev = Browser::signed_in(o.server.addr, "rev");
    let page = rev.get(&path);
    assert!(page.body.contains("id=\"confirm\""));
    let crop = rev.get(&format!("{path}/crop"));
    assert_eq!(
        (crop.status, crop.header("content-type").as_deref()),
        (200, Some("image/jpeg"))
    );
    assert_eq!(rev.get(&format!("{path}/reference")).status, 200);
    let reads = o.storage.reference_reads(Some(&s.review), 10).unwrap();
    assert_eq!(reads[0].kiosk_id, "staff:rev");
    let token = page.csrf();
    // No CSRF token, a wrong one, no reason, no verdict: refused, nothing decided.
    let r = rev.post(&path, &[("verdict", "confirmed"), ("reason", "same face")]);
    assert_eq!(r.status, 403);
    let r = rev.post(
        &path,
        &[
            ("csrf_token", "00"),
            ("verdict", "confirmed"),
            ("reason", "same face"),
        ],
    );
    assert_eq!(r.status, 403);
    let r = rev.post(
        &path,
        &[
            ("csrf_token", &token),
            ("verdict", "confirmed"),
            ("reason", "  "),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(r.by_id("error").contains("reason"), "{}", r.body);
    let r = rev.post(
        &path,
        &[
            ("csrf_token", &token),
            ("verdict", "maybe"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 400);
    assert_eq!(state_of(&o, &s.review), PersonState::PendingReview);
    // No reference, no pass: the record without one cannot be confirmed.
    let noref = format!("/admin/review/{}", s.noref_record);
    assert!(!rev.get(&noref).body.contains("id=\"confirm\""));
    let r = rev.post(
        &noref,
        &[
            ("csrf_token", &token),
            ("verdict", "confirmed"),
            ("reason", "looks like him"),
        ],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.by_id("error").contains("no reference photo"),
        "{}",
        r.body
    );
    assert_eq!(state_of(&o, &s.noref), PersonState::PendingReview);
    // Confirmed: certified on site; rejected: not certified.
    let r = rev.post(
        &path,
        &[
            ("csrf_token", &token),
            ("verdict", "confirmed"),
            ("reason", "same face as the 2024 photo"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(state_of(&o, &s.review), PersonState::Certified);
    let after = rev.get(&path).body;
    assert!(after.contains("已确认 · rev"), "{after}");
    let r = rev.post(
        &noref,
        &[
            ("csrf_token", &token),
            ("verdict", "rejected"),
            ("reason", "no reference; must come again"),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(state_of(&o, &s.noref), PersonState::NotCertified);
    let manual = format!("/admin/review/{}", s.manual_record);
    let r = rev.post(
        &manual,
        &[
            ("csrf_token", &token),
            ("verdict", "rejected"),
            ("reason", "card photo did not match"),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(state_of(&o, &s.manual), PersonState::NotCertified);
    let actions: Vec<String> = o
        .storage
        .audit_events(50)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "review_reject").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "review_confirm").count(), 1);
    // The kiosks' status endpoint follows the decision too (same rule).
    let d = rev.get("/admin/?period=2026");
    assert_eq!(d.by_id("total-certified"), "3");
    assert_eq!(d.by_id("total-pending"), "0");
}

pub fn person_and_kiosk_pages_and_the_heartbeat(open: Open) {
    let o = office(open, "2026-05-20");
    let s = &o.season;
    let mut b = Browser::signed_in(o.server.addr, "aud");
    let p = b.get(&format!("/admin/person?id={}", s.review));
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("张桂兰")
            && p.body.contains("2024-01")
            && p.body.contains(&s.review_record)
    );
    assert!(p.body.contains("data-period=\"2026\""));
    let bad = b.get("/admin/person?id=12345");
    assert_eq!(bad.status, 400);
    assert!(bad.by_id("error").contains("ID number"), "{}", bad.body);
    assert!(o
        .storage
        .audit_events(10)
        .unwrap()
        .iter()
        .any(|e| e.action == "view_person"));
    assert!(b
        .get("/admin/kiosks")
        .body
        .contains("data-kiosk=\"kiosk-t\""));
    // The heartbeat: a kiosk token, a JSON body.
    let mut k = Browser::new(o.server.addr);
    let beat =
        r#"{"app_version":"0.9.1","queue_depth":7,"oldest_pending":"2026-05-19T08:00:00+08:00"}"#;
    let send = |k: &mut Browser, auth: &str, body: &str| {
        let mut s = TcpStream::connect(k.addr).unwrap();
        write!(s, "POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        let mut t = String::new();
        s.read_to_string(&mut t).unwrap();
        t.split(' ').nth(1).unwrap().parse::<u16>().unwrap()
    };
    assert_eq!(send(&mut k, "", beat), 401);
    let auth = "Authorization: Bearer kiosk-t-token-0123456789\r\n";
    assert_eq!(send(&mut k, auth, "{\"queue_depth\":1}"), 400);
    assert_eq!(send(&mut k, auth, beat), 204);
    let page = b.get("/admin/kiosks");
    assert!(
        page.body.contains("0.9.1") && page.body.contains("2026-05-19 08:00:00"),
        "{}",
        page.body
    );
}

pub fn logout_needs_csrf_and_ends_the_session(open: Open) {
    let o = office(open, "2026-05-20");
    let mut b = Browser::signed_in(o.server.addr, "ops");
    let token = b.get("/admin/").csrf();
    assert_eq!(b.post("/admin/logout", &[]).status, 403);
    let session = b.cookies["certpoint_admin"].clone();
    let r = b.post("/admin/logout", &[("csrf_token", &token)]);
    assert_eq!(r.status, 303);
    b.cookies.insert("certpoint_admin".into(), session);
    assert_eq!(b.get("/admin/").status, 303);
    assert!(o
        .storage
        .audit_events(5)
        .unwrap()
        .iter()
        .any(|e| e.action == "logout"));
}
