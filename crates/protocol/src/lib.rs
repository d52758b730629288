//! Types shared by the certpoint kiosk and the agency server.
//!
//! A certification record is written once on the kiosk, queued, and sent to the agency
//! server, which must be able to check that what arrived is what the kiosk stored. Both
//! sides therefore agree on one type ([`CertificationRecord`]) and one byte-exact
//! serialisation of it ([`canonical_json`]), over which the kiosk signs ([`sign_body`]).
//! The sync protocol's envelope, answers and error codes live here too (`wire`), so
//! the kiosk's client and the reference server share one definition.
//! Resident ID numbers ([`id_number`]) are validated the same way on both sides: the
//! kiosk when a clerk scans one, the agency when a roster or self-certification file is
//! imported.
//! The agency's signed reference-embedding bundle (the kiosk's offline cache) is
//! written and verified by [`bundle`].

pub mod assistance;
pub mod bundle;
mod canonical;
pub mod id_number;
mod record;
mod retry_after;
mod screen_flash;
mod sign;
mod status;
mod wire;

pub use assistance::{
    assistance_serial, mask_name, AssistanceVerification, Relation, CODE_ALPHABET,
};
pub use canonical::{canonical_json, CanonicalError};
pub use record::*;
pub use retry_after::parse_retry_after;
pub use screen_flash::ScreenFlash;
pub use sign::{
    ed25519_dalek, key_id, parse_public_key, public_key_b64, sign_body, sign_bytes, verify_body,
    verify_bytes, SignatureError, KEY_ID_LEN,
};
pub use status::*;
pub use wire::*;

/// Version of the record schema the kiosk writes; bumped on any change a server must
/// know about. 2: outcome `pending_match`, `face_match.source`, and `passed` only with a
/// scored match (see docs/protocol.md). Servers still read 1.
pub const RECORD_SCHEMA_VERSION: u32 = 2;

/// Masks a resident ID number for display and logs: first four and last four characters
/// kept (`1101**********002X`), the rest replaced. Anything that is not 15 or 18
/// characters long is masked entirely, so a typo never leaks a near-complete number.
pub fn mask_id_number(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    match chars.len() {
        15 | 18 => chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < 4 || i >= chars.len() - 4 {
                    *c
                } else {
                    '*'
                }
            })
            .collect(),
        n => "*".repeat(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_four_each_side() {
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_id_number("110105491231002"), "1101*******1002");
        assert_eq!(mask_id_number("1234567"), "*******");
    }
}
