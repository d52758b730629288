//! What a kiosk may ask about a person: status and reference photo.
//!
//! Region rule: a kiosk looks up only people on its own region's roster. A kiosk
//! without a region, a person on another region's roster, and (for reference photos)
//! a person on no roster are refused with `forbidden`. The status of someone on no
//! roster is answered (`not_in_roster`): it tells the clerk why no certification can
//! follow, and says no more than the refusal would.
//!
//! Reference photos are personal data: every read a kiosk attempts with a valid ID
//! number is logged (kiosk, time, masked ID number, result) *before* the photo is
//! handed out, so a photo that cannot be logged is not served; reads are rate-limited
//! per kiosk ([`TokenBuckets`]).

use std::time::Instant;

use certpoint_protocol::{parse_period, PersonStatus};

use super::rate_limit::{retry_after_secs, TokenBuckets};
use super::status::{decide_reviewed, verdicts};
use super::{parse_id, ServiceError};
use crate::storage::{Kiosk, PersonFacts, ReadResult, Reference, Storage};

/// The region rule for a person on the roster in `person_region` (`None`: on no roster).
pub fn may_look_up(kiosk: &Kiosk, person_region: Option<&str>) -> Result<(), ServiceError> {
    let Some(own) = kiosk.region.as_deref() else {
        return Err(ServiceError::Forbidden(format!(
            "kiosk {} has no region, so it may look up nobody; an administrator gives it one with `certpoint-agency kiosk set-region --id {} --region REGION`",
            kiosk.kiosk_id, kiosk.kiosk_id
        )));
    };
    match person_region {
        None => Err(ServiceError::Forbidden(
            "this person is not on the roster".into(),
        )),
        Some(r) if r != own => Err(ServiceError::Forbidden(format!(
            "this person is on another region's roster; kiosk {} looks up people of region {own} only",
            kiosk.kiosk_id
        ))),
        Some(_) => Ok(()),
    }
}

/// `GET /v1/persons/{id}/status?period=YYYY`.
pub fn status_for_kiosk(
    storage: &dyn Storage,
    kiosk: &Kiosk,
    id_number: &str,
    period: &str,
) -> Result<PersonStatus, ServiceError> {
    let id = parse_id(id_number)?;
    parse_period(period)?;
    let facts = storage.person_facts(id.as_str(), period)?;
    region_rule(kiosk, &facts)?;
    let decisions = storage.review_decisions(id.as_str(), period)?;
    Ok(decide_reviewed(period, &facts, &verdicts(&decisions)))
}

/// [`status_for_kiosk`] with the kiosk and the facts read in one go from the bearer
/// token's sha256 (`Storage::kiosk_lookup`): the status endpoint's fast path. `Ok(None)`:
/// the token belongs to no kiosk. The ID number and period are checked before anything
/// is read.
pub fn status_for_token(
    storage: &dyn Storage,
    token_sha256: &str,
    id_number: &str,
    period: &str,
) -> Result<Option<(Kiosk, PersonStatus)>, ServiceError> {
    let id = parse_id(id_number)?;
    parse_period(period)?;
    let Some(lookup) = storage.kiosk_lookup(token_sha256, id.as_str(), period)? else {
        return Ok(None);
    };
    region_rule(&lookup.kiosk, &lookup.facts)?;
    let status = decide_reviewed(period, &lookup.facts, &lookup.verdicts);
    Ok(Some((lookup.kiosk, status)))
}

/// The region rule for a status: someone on no roster is answered `not_in_roster`
/// (unless the kiosk has no region at all).
fn region_rule(kiosk: &Kiosk, facts: &PersonFacts) -> Result<(), ServiceError> {
    if let Some(roster) = &facts.roster {
        may_look_up(kiosk, Some(&roster.region))
    } else if kiosk.region.is_none() {
        may_look_up(kiosk, None)
    } else {
        Ok(())
    }
}

/// `GET /v1/persons/{id}/reference`: rate limit, region rule, log, photo.
pub fn reference_for_kiosk(
    storage: &dyn Storage,
    limits: &TokenBuckets,
    kiosk: &Kiosk,
    id_number: &str,
    now: Instant,
) -> Result<Reference, ServiceError> {
    let id = parse_id(id_number)?;
    let id = id.as_str();
    let log = |result| storage.log_reference_read(&kiosk.kiosk_id, id, result);
    if let Err(wait) = limits.take(&kiosk.kiosk_id, now) {
        log(ReadResult::RateLimited)?;
        return Err(ServiceError::RateLimited {
            retry_after_secs: retry_after_secs(wait),
        });
    }
    let region = storage.roster_entry(id)?.map(|e| e.region);
    if let Err(e) = may_look_up(kiosk, region.as_deref()) {
        log(ReadResult::Forbidden)?;
        return Err(e);
    }
    match storage.reference(id)? {
        Some(reference) => {
            log(ReadResult::Served)?;
            Ok(reference)
        }
        None => {
            log(ReadResult::NotFound)?;
            Err(ServiceError::NotFound(
                "no reference photo is enrolled for this person".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kiosk(region: Option<&str>) -> Kiosk {
        Kiosk {
            kiosk_id: "K1".into(),
            public_key: String::new(),
            region: region.map(str::to_owned),
        }
    }

    #[test]
    fn a_kiosk_looks_up_its_own_region_only() {
        assert!(may_look_up(&kiosk(Some("110105")), Some("110105")).is_ok());
        for (k, person) in [
            (kiosk(Some("110105")), Some("310115")),
            (kiosk(Some("110105")), None),
            (kiosk(None), Some("110105")),
            (kiosk(None), None),
        ] {
            let e = may_look_up(&k, person).unwrap_err();
            assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
        }
        let e = may_look_up(&kiosk(None), Some("110105")).unwrap_err();
        assert!(e.to_string().contains("kiosk set-region --id K1"), "{e}");
        let e = may_look_up(&kiosk(Some("110105")), Some("310115")).unwrap_err();
        assert!(
            !e.to_string().contains("310115"),
            "the person's region is not told: {e}"
        );
    }
}
