//! A card read, as the flow and the driver take it: the facts the clerk is told and the
//! chip photo that may become the session's reference. Shared by the kiosk window and
//! `certify --card-device`.

use std::sync::Arc;

/// What the flow needs from a card read, and the chip photo for the driver.
pub fn card_facts(
    read: &crate::card_reader::CardRead,
    expired: bool,
    photo: Option<Result<Arc<image::RgbImage>, crate::card_reader::PhotoError>>,
) -> (crate::flow::CardFacts, Option<Arc<image::RgbImage>>) {
    use crate::card_reader::ValidTo;
    use crate::flow::ChipPhoto;
    let expired_on = match read.card.valid_to {
        ValidTo::Until(d) if expired => Some(d),
        _ => None,
    };
    let (chip_photo, chip) = match photo {
        None => (ChipPhoto::NotConfigured, None),
        Some(Ok(img)) => (ChipPhoto::Decoded, Some(img)),
        Some(Err(e)) => (ChipPhoto::Failed(e.to_string()), None),
    };
    let facts = crate::flow::CardFacts {
        expired_on,
        mongolian: read.card.is_mongolian(),
        chip_photo,
    };
    (facts, chip)
}
