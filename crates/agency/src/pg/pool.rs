//! A small connection pool: at most `max` clients, handed out one per call and put
//! back when the guard drops. A client whose connection broke is not put back, so the
//! next call connects anew (after a server restart the pool heals by itself).
//!
//! Why our own and not r2d2: this is all the agency needs (no idle reaping, no
//! health-check thread), and it keeps r2d2, scheduled-thread-pool and parking_lot out
//! of the build.

use std::sync::{Condvar, Mutex};

use postgres::{Client, Config, NoTls};

pub(super) struct Pool {
    config: Config,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Client>,
    /// Clients handed out or idle.
    open: usize,
}

/// A client on loan; goes back to the pool on drop.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Pool {
    pub(super) fn new(config: Config, max: usize) -> Pool {
        Pool {
            config,
            max: max.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// An idle client, a new one while under `max`, or the next one given back.
    pub(super) fn get(&self) -> Result<Pooled<'_>, postgres::Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(client) = state.idle.pop() {
                return Ok(Pooled {
                    pool: self,
                    client: Some(client),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        client: Some(client),
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

impl std::ops::Deref for Pooled<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if client.is_closed() {
            self.pool.forget();
            return;
        }
        let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        state.idle.push(client);
        self.pool.freed.notify_one();
    }
}
