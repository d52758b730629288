//! Certificates of Assistance (协助认证证明): a retiree bedridden for a long time cannot
//! come, a relative comes instead, and the clerk issues a certificate. The CLI
//! (`certpoint assist issue`) and the clerk panel both go through [`issue`]:
//!
//! 1. the fields are checked ([`Application::check`]): both ID numbers (GB 11643), not
//!    the same person, the relation from a fixed list, the name and the reason;
//! 2. the clerk's PIN (the Argon2id check with lockout the manual pass uses);
//! 3. the retiree's status, as the kiosk asks it at a scan ([`StatusCheck`]):
//!    `certified`, `deceased`, `suspended`, `not_in_roster` refuse with their own
//!    outcome; `not_certified` and `pending_review` go on. When the agency cannot be
//!    asked (offline mode, unreachable, an error) the certificate **is** issued, says
//!    so on the paper and in the JSON (`status_checked: false`), and the record is
//!    queued: the agency's status rules put the roster first (a deceased, suspended or
//!    unknown person is never counted certified), so a certificate issued blind cannot
//!    certify someone the roster refuses, while a bedridden retiree's relative is not
//!    sent home because the network is down;
//! 4. a record (method `assistance`, outcome `manual_passed`, no face) is stored in the
//!    outbox and synced like any other; the PDF is written, and printed when a printer
//!    is configured (`crate::paper`).
//!
//! A clerk vouches here, as in a manual pass: no face is compared, so "no reference,
//! no pass" (about face outcomes) is untouched.

mod status;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use rand::RngExt;
use serde::Serialize;

use certpoint_protocol::assistance::{
    self as rules, assistance_serial, CODE_ALPHABET, VERIFICATION_CODE_LEN,
};
use certpoint_protocol::id_number::{IdError, IdNumber};
use certpoint_protocol::{
    CertificationRecord, FaceMatch, Method, Outcome, Relation, RECORD_SCHEMA_VERSION,
};

use crate::config::LoadedConfig;
use crate::paper::certificate::{verify_url, Certificate};
use crate::paper::print::{deliver, Delivery};
use crate::store::{PinCheck, PinPolicy, Store};

pub use status::{check_status, refusal, Refusal, StatusCheck};

/// The fields as typed (CLI flags or the clerk panel).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Application {
    pub pensioner_id: String,
    pub relative_id: String,
    pub relative_name: String,
    /// A [`Relation`] wire name (`child`, `spouse`, …).
    pub relation: String,
    pub reason: String,
    pub clerk_id: String,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field(
                "pensioner_id",
                &certpoint_protocol::mask_id_number(&self.pensioner_id),
            )
            .field(
                "relative_id",
                &certpoint_protocol::mask_id_number(&self.relative_id),
            )
            .field("relation", &self.relation)
            .field("clerk_id", &self.clerk_id)
            .finish_non_exhaustive()
    }
}

/// The fields, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub pensioner: IdNumber,
    pub relative: IdNumber,
    pub relative_name: String,
    pub relation: Relation,
    pub reason: String,
    pub clerk_id: String,
}

/// Which field is wrong and how to fix it. Never repeats an ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("--pensioner: {0}")]
    Pensioner(IdError),
    #[error("--relative-id: {0}")]
    Relative(IdError),
    #[error("--relative-id is the retiree's own number: the relative who came must give their own ID card")]
    SamePerson,
    #[error("--relation {0:?} is not one of: {list}", list = relation_list())]
    Relation(String),
    #[error("--relative-name must be 1 to {max} characters as on the relative's ID card (got {0})", max = rules::MAX_NAME_CHARS)]
    Name(usize),
    #[error("--reason must be {min} to {max} characters saying why the retiree cannot come, e.g. \"长期卧床\" (got {0})", min = rules::MIN_REASON_CHARS, max = rules::MAX_REASON_CHARS)]
    Reason(usize),
    #[error("--clerk must be the clerk's id, 1 to 32 letters, digits, - or _")]
    Clerk,
}

impl InputError {
    /// The field, for the JSON answer and the clerk panel.
    pub fn field(&self) -> &'static str {
        match self {
            InputError::Pensioner(_) => "pensioner",
            InputError::Relative(_) | InputError::SamePerson => "relative_id",
            InputError::Relation(_) => "relation",
            InputError::Name(_) => "relative_name",
            InputError::Reason(_) => "reason",
            InputError::Clerk => "clerk",
        }
    }
}

/// `spouse (配偶), child (子女), …`
pub fn relation_list() -> String {
    Relation::ALL
        .iter()
        .map(|r| format!("{} ({})", r.as_str(), r.zh()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Application {
    pub fn check(&self) -> Result<Checked, InputError> {
        let pensioner = IdNumber::parse(&self.pensioner_id).map_err(InputError::Pensioner)?;
        let relative = IdNumber::parse(&self.relative_id).map_err(InputError::Relative)?;
        if pensioner == relative {
            return Err(InputError::SamePerson);
        }
        let relation = Relation::parse(self.relation.trim())
            .ok_or_else(|| InputError::Relation(self.relation.chars().take(32).collect()))?;
        let name = self.relative_name.trim();
        let n = name.chars().count();
        if n == 0 || n > rules::MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(InputError::Name(n));
        }
        let reason = self.reason.trim();
        let r = reason.chars().count();
        if !(rules::MIN_REASON_CHARS..=rules::MAX_REASON_CHARS).contains(&r) {
            return Err(InputError::Reason(r));
        }
        let clerk = self.clerk_id.trim();
        if clerk.is_empty()
            || clerk.len() > 32
            || !clerk
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(InputError::Clerk);
        }
        Ok(Checked {
            pensioner,
            relative,
            relative_name: name.to_owned(),
            relation,
            reason: reason.to_owned(),
            clerk_id: clerk.to_owned(),
        })
    }
}

/// A certificate issued.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issued {
    pub serial: String,
    /// As printed (`ABCDE-12345`).
    pub verification_code: String,
    pub record_id: String,
    pub seq: u64,
    pub period: String,
    pub status_checked: bool,
    /// Why the status could not be checked, when it could not.
    pub status_note: Option<String>,
    /// Characters of the relative's name printed as □ (the paper font lacks them).
    pub name_chars_missing: Vec<String>,
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Set when the record and PDF are done but printing failed: the clerk prints
    /// the saved file by hand.
    pub print_error: Option<String>,
}

/// How an issue ended.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueOutcome {
    Issued(Box<Issued>),
    /// The retiree's status forbids it; nothing was stored.
    Refused(Refusal),
    /// The PIN was not accepted (wrong, locked, or no clerk registered); nothing was
    /// stored and the status was not asked.
    Pin(PinCheck),
}

/// A random verification code (Crockford base32, 50 bits).
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..VERIFICATION_CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// Issues a certificate (see the module documentation): `pin` checked at `now`, then
/// `status` asked (a closure, so the CLI asks the agency inline and tests answer), the
/// record stored, the PDF written to `out` (or `<paper dir>/<serial>.pdf`) and printed.
pub fn issue(
    cfg: &LoadedConfig,
    store: &mut Store,
    app: &Checked,
    pin: &str,
    out: Option<&Path>,
    now: DateTime<FixedOffset>,
    status: impl FnOnce(&IdNumber, &str) -> StatusCheck,
) -> anyhow::Result<IssueOutcome> {
    let c = &cfg.config;
    anyhow::ensure!(
        !c.paper.office_name.trim().is_empty(),
        "[paper] office_name is empty in {}: set the office's name, which heads every certificate",
        cfg.path.display()
    );
    let policy = PinPolicy::from(&c.clerk);
    match store.check_clerk_pin(&app.clerk_id, pin, &policy, now)? {
        PinCheck::Accepted => {}
        other => return Ok(IssueOutcome::Pin(other)),
    }
    let period = crate::driver::period_for(&c.certification_window, now.date_naive());
    let answer = status(&app.pensioner, &period);
    if let StatusCheck::Checked(s) = &answer {
        if let Some(r) = refusal(s) {
            tracing::info!(id = %app.pensioner.masked(), state = s.state.as_str(), "certificate of assistance refused");
            return Ok(IssueOutcome::Refused(r));
        }
    }
    let status_note = match &answer {
        StatusCheck::Checked(_) => None,
        StatusCheck::Unchecked(why) => Some(why.clone()),
    };

    let n = store.next_certificate_number(&c.kiosk.id, &period)?;
    let serial = assistance_serial(&c.kiosk.site_code, &c.kiosk.id, &period, n);
    let code = new_code();
    let record = CertificationRecord {
        schema_version: RECORD_SCHEMA_VERSION,
        record_id: uuid::Uuid::now_v7(),
        seq: 0,
        kiosk_id: c.kiosk.id.clone(),
        site_code: c.kiosk.site_code.clone(),
        id_number: app.pensioner.as_str().to_owned(),
        period: period.clone(),
        started_at: now,
        ended_at: now,
        outcome: Outcome::ManualPassed,
        reason: None,
        method: Method::Assistance {
            clerk_id: app.clerk_id.clone(),
            serial: serial.clone(),
            verification_code: code.clone(),
            relation: app.relation,
            relative_id_number: app.relative.as_str().to_owned(),
            relative_name: app.relative_name.clone(),
            reason: app.reason.clone(),
        },
        attempt: 1,
        challenges: Vec::new(),
        passive_liveness: None,
        face_match: FaceMatch::NotRun,
        quality: None,
        photo: None,
        models: Default::default(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        // The clerk types both numbers into the form (or the command line).
        id_source: Some(certpoint_protocol::IdSource::Typed),
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    };
    record
        .validate()
        .map_err(|e| anyhow::anyhow!("the certificate's record breaks a protocol rule: {e}"))?;
    let certificate = Certificate {
        office_name: c.paper.office_name.trim().to_owned(),
        serial: serial.clone(),
        verification_code: code.clone(),
        verify_url: verify_url(&c.server.url, &serial, &code),
        period: period.clone(),
        issued_at: now,
        pensioner_id: app.pensioner.as_str().to_owned(),
        relative_id: app.relative.as_str().to_owned(),
        relative_name: app.relative_name.clone(),
        relation: app.relation,
        reason: app.reason.clone(),
        clerk_id: app.clerk_id.clone(),
        status_unchecked: status_note.is_some(),
    };
    // Rendered before the record is stored: a certificate that cannot be drawn is not
    // issued at all.
    let sheet = certificate.sheet().map_err(anyhow::Error::msg)?;
    let pdf = crate::paper::render(&[sheet])?;
    let stored = store.enqueue(record, None)?;
    let file: PathBuf = out
        .map(Path::to_owned)
        .unwrap_or_else(|| cfg.paper_dir().join(format!("{serial}.pdf")));
    let (delivery, print_error) = match deliver(&c.paper, &pdf, &file) {
        Ok(d) => (d, None),
        Err(e @ crate::paper::print::PrintError::Write { .. }) => return Err(e.into()),
        Err(e) => (
            Delivery::Saved {
                file: std::path::absolute(&file).unwrap_or(file.clone()),
            },
            Some(e.to_string()),
        ),
    };
    let actor = format!("clerk:{}", app.clerk_id);
    let detail = match &delivery {
        Delivery::Printed { printer, .. } => format!("certificate {serial} printed on {printer}"),
        Delivery::Saved { file } => format!("certificate {serial} saved to {}", file.display()),
    };
    store.audit(&crate::store::AuditEntry {
        actor: &actor,
        action: "assistance_certificate",
        detail: &detail,
    })?;
    Ok(IssueOutcome::Issued(Box::new(Issued {
        serial,
        verification_code: rules::format_code(&code),
        record_id: stored.record_id,
        seq: stored.seq,
        period,
        status_checked: status_note.is_none(),
        status_note,
        name_chars_missing: certificate
            .missing_name_chars()
            .iter()
            .map(|c| format!("U+{:04X}", u32::from(*c)))
            .collect(),
        delivery,
        print_error,
    })))
}

#[cfg(test)]
mod tests;
