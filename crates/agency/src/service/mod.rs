//! The agency's rules, between the thin HTTP handlers (`http`) and the thin CLI
//! commands (`cli`) on one side and the [`Storage`](crate::Storage) on the other: both
//! front ends call the same functions here, so a rule exists once.
//!
//! - [`kiosks`]: registering kiosks (with their region) and auditors.
//! - [`roster`], [`selfcert`]: the CSV imports (`csv_rows` reads the files).
//! - [`status`]: the status rules, as one pure function.
//! - [`persons`]: what a kiosk may ask about a person (region rule, read log, rate
//!   limit via [`rate_limit`]).
//! - [`references`]: enrolling reference photos (`reference import` embeds them).
//! - [`matching`]: server-side matching of `pending_match` records (on arrival, at
//!   start, after a reference import).
//! - [`bundles`]: the offline cache bundle published per region.

pub mod assistance;
pub mod bundles;
mod csv_rows;
pub mod kiosks;
pub mod matching;
pub mod persons;
pub mod photo_sweep;
pub mod progress;
pub mod rate_limit;
pub mod references;
pub mod region;
pub mod review;
pub mod roster;
pub mod selfcert;
pub mod staff;
pub mod status;

use certpoint_protocol::id_number::{IdError, IdNumber};
use certpoint_protocol::PeriodError;

pub use csv_rows::RowError;

use crate::storage::StorageError;

/// Why a service call failed; the front ends turn it into an HTTP answer or a message
/// and exit code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Not a valid resident ID number (the message never repeats the number). Not a
    /// `#[source]`: the message already says it, and error chains would say it twice.
    #[error("not a valid ID number: {0}")]
    BadIdNumber(IdError),
    #[error(transparent)]
    BadPeriod(#[from] PeriodError),
    /// Input a command or request got wrong, with the fix.
    #[error("{0}")]
    Invalid(String),
    /// Rows of an import file that are wrong; nothing was imported.
    #[error("{} bad row(s); nothing was imported", .0.len())]
    BadRows(Vec<RowError>),
    /// The caller may not see this person.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Too many requests; ask again after this many seconds.
    #[error("too many reference reads from this kiosk; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
}

impl From<IdError> for ServiceError {
    fn from(e: IdError) -> Self {
        ServiceError::BadIdNumber(e)
    }
}

/// A resident ID number as a kiosk, a file or an administrator gave it: fully
/// validated (GB 11643 check character, birth date, province) and normalised.
pub fn parse_id(raw: &str) -> Result<IdNumber, ServiceError> {
    Ok(IdNumber::parse(raw)?)
}
