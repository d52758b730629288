//! The PIN hash: Argon2id with fixed parameters, and the dummy hash that makes an
//! unknown clerk id cost the same verification as a known one.

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{ClerkError, ClerkResult};

/// Argon2id, 19 MiB, eight passes, one lane. 19 MiB is OWASP's memory figure for
/// Argon2id: enough to make GPU guessing costly, small enough that the analysis
/// thread's models are never pushed out of memory. The passes set the time: a check
/// should take 50–150 ms on the kiosk-class test machine (2 cores) whether it is quiet
/// or busy (the camera and models keep a kiosk busy). Measured with other builds
/// running (`certpoint bench pin` and a parameter sweep): 8 passes 59 ms at load 3
/// and ~120 ms at load 9; 4 passes only 39 ms at load 3; 32 MiB × 3 passes 165 ms at
/// load 9 (more memory suffers most from a busy memory bus). The clerk does not notice
/// that; someone with a copy of the file pays most of a core-day to try every 6-digit
/// PIN of one clerk. One lane: the other core belongs to the camera and models.
/// Stored hashes carry their own parameters (PHC string), so changing these later only
/// affects PINs set afterwards.
pub const PIN_HASH_M_KIB: u32 = 19 * 1024;
pub const PIN_HASH_T: u32 = 8;
pub const PIN_HASH_P: u32 = 1;

const PARAMS: Params = match Params::new(PIN_HASH_M_KIB, PIN_HASH_T, PIN_HASH_P, None) {
    Ok(p) => p,
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// The hash of a PIN nobody has (random, discarded), with [`PARAMS`]: verified against
/// when the clerk id is unknown so that answer takes as long as a wrong PIN.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=8,p=1$yuz8ZLGraArIXwMin5q7WA$A7pi+h/N7Ws/NYi28BR6QlXvQeqI61GrUql+IxvQ2HI";

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

/// Hashes a PIN to a PHC string with a fresh random salt.
pub fn hash_pin(pin: &str) -> ClerkResult<String> {
    let hash = hasher()
        .hash_password(pin.as_bytes())
        .map_err(|e| ClerkError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `pin` matches a stored PHC hash (one Argon2 verification).
pub fn verify_pin(pin: &str, phc: &str) -> ClerkResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| ClerkError::Hash(e.to_string()))?;
    Ok(hasher().verify_password(pin.as_bytes(), &parsed).is_ok())
}

/// Checks `pin` against the clerk's stored hash, or against [`DUMMY_HASH`] when there
/// is none (unknown id: the same work, and never a match).
pub(super) fn verify_or_dummy(
    pin: &str,
    stored: Option<&str>,
    clerk_id: &str,
) -> ClerkResult<bool> {
    let parsed =
        PasswordHash::new(stored.unwrap_or(DUMMY_HASH)).map_err(|e| ClerkError::BadHash {
            clerk_id: clerk_id.to_owned(),
            detail: e.to_string(),
        })?;
    let matches = hasher().verify_password(pin.as_bytes(), &parsed).is_ok();
    Ok(matches && stored.is_some())
}
