//! Back-office sessions: random tokens in an HttpOnly, SameSite=Strict cookie (Secure
//! when the server speaks TLS), kept in memory — a restart logs everyone out, which is
//! the safe direction. Each session has its own CSRF token, which every form carries
//! in a hidden `csrf_token` field; the login form, before any session, uses a
//! double-submit token (a cookie and the same value in the form).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

use axum::http::{header, HeaderMap};
use chrono::{DateTime, Duration, Utc};

use crate::storage::StaffRole;

/// The session cookie; `Path=/admin` so the kiosks' API never sees it.
pub const SESSION_COOKIE: &str = "certpoint_admin";
/// The login form's double-submit CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "certpoint_admin_login";
/// The language preference (not a secret).
pub const LANG_COOKIE: &str = "certpoint_admin_lang";
/// A session unused this long ends.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this long after login whatever happens.
pub const MAX_HOURS: i64 = 12;

#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub role: StaffRole,
    pub csrf: String,
    started: DateTime<Utc>,
    last_used: DateTime<Utc>,
}

#[derive(Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes from the OS, hex.
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("reading /dev/urandom for a session token");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without an early exit on the first difference (tokens are compared with
/// values an attacker chooses).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    /// Starts a session; returns its cookie token.
    pub fn start(&self, name: &str, role: StaffRole, now: DateTime<Utc>) -> String {
        let token = random_token();
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| live(s, now));
        map.insert(
            token.clone(),
            Session {
                name: name.to_owned(),
                role,
                csrf: random_token(),
                started: now,
                last_used: now,
            },
        );
        token
    }

    /// The live session of a cookie token (and marks it used).
    pub fn get(&self, token: &str, now: DateTime<Utc>) -> Option<Session> {
        let mut map = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.get_mut(token)?;
        if !live(s, now) {
            map.remove(token);
            return None;
        }
        s.last_used = now;
        Some(s.clone())
    }

    pub fn end(&self, token: &str) {
        self.by_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token);
    }
}

fn live(s: &Session, now: DateTime<Utc>) -> bool {
    now - s.last_used < Duration::minutes(IDLE_MINUTES)
        && now - s.started < Duration::hours(MAX_HOURS)
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for the back office. `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let s = Sessions::default();
        let t0 = Utc::now();
        let tok = s.start("a", StaffRole::Admin, t0);
        assert!(s
            .get(&tok, t0 + Duration::minutes(IDLE_MINUTES - 1))
            .is_some());
        assert!(s
            .get(&tok, t0 + Duration::minutes(2 * IDLE_MINUTES))
            .is_none());
        let tok = s.start("a", StaffRole::Admin, t0);
        let mut t = t0;
        while t - t0 < Duration::hours(MAX_HOURS) - Duration::minutes(10) {
            t += Duration::minutes(10);
            assert!(s.get(&tok, t).is_some());
        }
        assert!(s.get(&tok, t + Duration::minutes(20)).is_none());
        assert!(s.get("nope", t0).is_none());
    }

    #[test]
    fn cookies_and_tokens() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; certpoint_admin=xyz".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        let c = set_cookie(SESSION_COOKIE, "v", true, None);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "v", false, None).contains("Secure"));
        assert_eq!(random_token().len(), 64);
    }
}
