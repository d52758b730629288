//! A small connection pool: at most `max` clients, handed out one per call and put
//! back when the guard drops. A client whose connection broke is not put back, so the
//! next call connects anew (after a server restart the pool heals by itself).
//!
//! Why our own and not r2d2: this is all the agency needs (no idle reaping, no
//! health-check thread), and it keeps r2d2, scheduled-thread-pool and parking_lot out
//! of the build.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use postgres::{Client, Config, Statement};

use super::tls::DatabaseTls;

pub(super) struct Pool {
    config: Config,
    /// Used as the URL's sslmode says; the certificate is verified whenever it is.
    tls: DatabaseTls,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

/// A connection and the statements prepared on it (by their text), so a hot statement
/// is parsed and planned once per connection, not once per call (`Client::query` with
/// a string prepares it again: one more round trip each time).
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

struct State {
    idle: Vec<Conn>,
    /// Clients handed out or idle.
    open: usize,
}

/// A client on loan; goes back to the pool on drop.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Conn>,
}

impl Pool {
    pub(super) fn new(config: Config, tls: DatabaseTls, max: usize) -> Pool {
        Pool {
            config,
            tls,
            max: max.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// The most connections this pool opens (`--db-pool`).
    pub(super) fn max(&self) -> usize {
        self.max
    }

    /// An idle client, a new one while under `max`, or the next one given back.
    pub(super) fn get(&self) -> Result<Pooled<'_>, postgres::Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled {
                    pool: self,
                    client: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.config.connect(self.tls.connector()) {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        client: Some(Conn {
                            client,
                            statements: HashMap::new(),
                        }),
                    }),
                    Err(e) => {
                        self.forget();
                        Err(e)
                    }
                };
            }
            state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// `e` in words when it is a failed TLS handshake (see [`DatabaseTls::explain`]).
    pub(super) fn tls_failure(&self, e: &postgres::Error) -> Option<String> {
        let host = match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.as_str(),
            _ => "localhost",
        };
        self.tls.explain(e, host)
    }

    fn forget(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open -= 1;
        self.freed.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Each client owns a small tokio runtime, which may not be dropped on an async
        // thread (the server drops its storage at the end of `block_on`): close them on
        // a plain thread.
        let idle =
            std::mem::take(&mut self.state.get_mut().unwrap_or_else(|p| p.into_inner()).idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Pooled<'_> {
    /// `sql` prepared on this connection, once.
    pub(super) fn prepared(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        let conn = self.client.as_mut().expect("present until drop");
        if let Some(s) = conn.statements.get(sql) {
            return Ok(s.clone());
        }
        let statement = conn.client.prepare(sql)?;
        conn.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Forgets `sql`'s prepared statement after it failed (a schema change by a newer
    /// server invalidates it), so the next call prepares it anew.
    pub(super) fn unprepare(&mut self, sql: &'static str) {
        if let Some(conn) = self.client.as_mut() {
            conn.statements.remove(sql);
        }
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client.as_ref().expect("present until drop").client
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client.as_mut().expect("present until drop").client
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.client.is_closed() {
            self.pool.forget();
            return;
        }
        let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        state.idle.push(client);
        self.pool.freed.notify_one();
    }
}
