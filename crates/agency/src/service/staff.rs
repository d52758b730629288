//! Back-office accounts: adding them, checking a login (Argon2id, lockout), and the
//! audit log every login, decision and export goes to.
//!
//! A login answer never says whether the name exists: an unknown name costs the same
//! Argon2 verification (against [`DUMMY_HASH`]) and is locked out after the same
//! number of failures (counted in memory), so "wrong" and "locked" read the same for
//! a name that exists and one that does not.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};

use super::ServiceError;
use crate::storage::{AuditEvent, StaffAccount, StaffRole, Storage};

/// Argon2id with the kiosk's clerk-PIN parameters (19 MiB, 8 passes, 1 lane; see
/// `src/store/clerks/pin_hash.rs` for the measurements): ~60 ms a login on the test
/// machine, which staff do not notice and which makes guessing from a stolen database
/// slow. Stored hashes carry their parameters, so a later change affects new ones only.
const PARAMS: Params = match Params::new(19 * 1024, 8, 1, None) {
    Ok(p) => p,
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// The hash of a password nobody has, with [`PARAMS`]: verified against when the name
/// is unknown, so that answer costs as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=8,p=1$yuz8ZLGraArIXwMin5q7WA$A7pi+h/N7Ws/NYi28BR6QlXvQeqI61GrUql+IxvQ2HI";

/// Failed logins in a row before an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_MINUTES: i64 = 15;
/// Shortest password `admin add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// `certpoint-agency admin add`: a new account with an Argon2id hash of `password`.
pub fn add_account(
    storage: &dyn Storage,
    name: &str,
    role: StaffRole,
    password: &str,
) -> Result<(), ServiceError> {
    let ok_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !ok_name {
        return Err(ServiceError::Invalid(format!(
            "--name {name:?}: use 1-64 letters, digits, '.', '_' or '-'"
        )));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid(format!(
            "the password on stdin is shorter than {MIN_PASSWORD_CHARS} characters; give a longer one"
        )));
    }
    let hash = hasher()
        .hash_password(password.as_bytes())
        .map_err(|e| ServiceError::Invalid(format!("cannot hash the password: {e}")))?
        .to_string();
    storage.add_staff(&StaffAccount {
        name: name.to_owned(),
        role,
        password_hash: hash,
        failed_logins: 0,
        locked_until: None,
    })?;
    audit(
        storage,
        "cli",
        "account_added",
        &format!("{name} as {}", role.as_str()),
    )
}

/// Appends to the audit log (a failure to write it fails the action: an unaudited
/// decision must not happen).
pub fn audit(
    storage: &dyn Storage,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), ServiceError> {
    storage.append_audit(&AuditEvent {
        at: Utc::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        detail: detail.to_owned(),
    })?;
    Ok(())
}

/// How a login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Ok {
        name: String,
        role: StaffRole,
    },
    /// Wrong name or password (never says which).
    Refused,
    /// Too many failures; try again after this time.
    Locked {
        until: DateTime<Utc>,
    },
}

/// Failed logins in a row and the lockout end, of one name.
type Counter = (u32, Option<DateTime<Utc>>);

/// Failure counters of names that are not accounts (so they lock out like real ones).
#[derive(Default)]
pub struct UnknownNames {
    failures: Mutex<HashMap<String, Counter>>,
}

impl UnknownNames {
    /// Bound on the names remembered: a flood of random names must not grow memory.
    const MAX: usize = 10_000;
}

/// Checks a login at `now`, counts failures, locks, and audits the outcome.
pub fn login(
    storage: &dyn Storage,
    unknown: &UnknownNames,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Login, ServiceError> {
    let name = name.trim();
    let account = if name.is_empty() || name.len() > 64 {
        None
    } else {
        storage.staff(name)?
    };
    let shown = name.chars().take(64).collect::<String>();
    // Current counters, from the account or the unknown-name table.
    let (failed, locked_until) = match &account {
        Some(a) => (a.failed_logins, a.locked_until),
        None => unknown
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&shown)
            .copied()
            .unwrap_or((0, None)),
    };
    if let Some(until) = locked_until.filter(|u| *u > now) {
        audit(storage, &shown, "login_locked", "refused while locked")?;
        return Ok(Login::Locked { until });
    }
    // A lockout that has ended starts a fresh count.
    let failed = if locked_until.is_some() { 0 } else { failed };
    let stored = account.as_ref().map(|a| a.password_hash.as_str());
    let parsed = PasswordHash::new(stored.unwrap_or(DUMMY_HASH))
        .map_err(|e| ServiceError::Invalid(format!("stored hash of {shown} unreadable: {e}")))?;
    let matches = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && stored.is_some();
    if let (true, Some(a)) = (matches, &account) {
        storage.set_staff_lockout(&a.name, 0, None)?;
        audit(storage, &a.name, "login", a.role.as_str())?;
        return Ok(Login::Ok {
            name: a.name.clone(),
            role: a.role,
        });
    }
    let failed = failed + 1;
    let lock = (failed >= MAX_FAILURES).then(|| now + Duration::minutes(LOCKOUT_MINUTES));
    match &account {
        Some(a) => storage.set_staff_lockout(&a.name, failed, lock)?,
        None => {
            let mut map = unknown.failures.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() >= UnknownNames::MAX {
                map.retain(|_, (_, until)| until.is_some_and(|u| u > now));
            }
            map.insert(shown.clone(), (failed, lock));
        }
    }
    audit(
        storage,
        &shown,
        "login_failed",
        &format!("failure {failed} of {MAX_FAILURES}"),
    )?;
    Ok(match lock {
        Some(until) => Login::Locked { until },
        None => Login::Refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStorage;

    #[test]
    fn dummy_hash_has_the_current_parameters() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let made = hasher().hash_password(b"x").unwrap().to_string();
        let made = PasswordHash::new(&made).unwrap();
        assert_eq!(
            dummy.params, made.params,
            "set DUMMY_HASH to a hash made with PARAMS"
        );
    }

    #[test]
    fn logins_lock_out_known_and_unknown_names_alike() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open_in(dir.path()).unwrap();
        add_account(&s, "li.wei", StaffRole::Reviewer, "correct horse battery").unwrap();
        assert!(add_account(&s, "short", StaffRole::Admin, "tiny").is_err());
        assert!(add_account(&s, "bad name", StaffRole::Admin, "long enough password").is_err());
        let unknown = UnknownNames::default();
        let now = Utc::now();
        assert_eq!(
            login(&s, &unknown, "li.wei", "correct horse battery", now).unwrap(),
            Login::Ok {
                name: "li.wei".into(),
                role: StaffRole::Reviewer
            }
        );
        for name in ["li.wei", "nobody"] {
            for _ in 1..MAX_FAILURES {
                assert_eq!(
                    login(&s, &unknown, name, "wrong", now).unwrap(),
                    Login::Refused
                );
            }
            let locked = login(&s, &unknown, name, "wrong", now).unwrap();
            assert!(matches!(locked, Login::Locked { .. }), "{name}: {locked:?}");
        }
        // Locked: even the right password is refused until the lockout ends.
        let right = login(&s, &unknown, "li.wei", "correct horse battery", now).unwrap();
        assert!(matches!(right, Login::Locked { .. }));
        let later = now + Duration::minutes(LOCKOUT_MINUTES + 1);
        assert!(matches!(
            login(&s, &unknown, "li.wei", "correct horse battery", later).unwrap(),
            Login::Ok { .. }
        ));
        let actions: Vec<String> = s
            .audit_events(100)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(actions.contains(&"login_failed".to_owned()));
        assert!(actions.contains(&"login_locked".to_owned()));
        assert_eq!(actions.iter().filter(|a| *a == "login").count(), 2);
    }
}
