//! A tiny real HTTP server on 127.0.0.1 that answers the person-status request with a
//! fixed answer, for the status-at-scan cases until certpoint-agency serves the
//! endpoint itself. Every other path is a 404 `not_found` (no reference enrolled).
//! It notes each request line, so a test can say what the kiosk asked and what not.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

pub struct StatusResponder {
    pub addr: SocketAddr,
    /// `GET /v1/persons/…/status?period=2026` etc., in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl StatusResponder {
    /// Answers `GET /v1/persons/{id}/status…` with `status` and `body`.
    pub fn start(status: u16, body: &str) -> StatusResponder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (seen, body) = (requests.clone(), body.to_owned());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // The rest of the head; GETs carry no body.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let line = line.trim().to_owned();
                seen.lock().unwrap().push(line.clone());
                let path = line.split(' ').nth(1).unwrap_or("");
                let (code, text) = if path.starts_with("/v1/persons/") && path.contains("/status") {
                    (status, body.clone())
                } else {
                    (
                        404,
                        r#"{"error":"not_found","message":"no reference enrolled"}"#.to_owned(),
                    )
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        StatusResponder { addr, requests }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
