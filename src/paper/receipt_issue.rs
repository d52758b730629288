//! Printing the receipt of a stored record: shared by `certpoint receipt` and the
//! clerk panel's "print receipt" button.

use std::path::Path;

use super::print::{deliver, Delivery};
use super::receipt::Receipt;
use crate::config::LoadedConfig;
use crate::store::Store;

/// The receipt of record `record_id` (or, with `None`, of the record stored last),
/// saved to `out` (default `<paper dir>/receipt-<record>.pdf`) and printed when a
/// printer is configured.
pub fn print_receipt(
    cfg: &LoadedConfig,
    store: &Store,
    record_id: Option<&str>,
    out: Option<&Path>,
) -> anyhow::Result<(Receipt, Delivery)> {
    let record_id = match record_id {
        Some(id) => id.to_owned(),
        None => store
            .list(None, 1)?
            .pop()
            .map(|e| e.record_id)
            .ok_or_else(|| {
                anyhow::anyhow!("no record is stored yet: a receipt follows an attempt")
            })?,
    };
    let (pending, _) = store.get(&record_id).map_err(|e| {
        anyhow::anyhow!(
            "no receipt for record {record_id}: {e} (see `certpoint queue list` for the ids)"
        )
    })?;
    let record = &pending.record;
    if record.id_number.is_empty() {
        anyhow::bail!("record {record_id} was purged after the agency acknowledged it; its receipt can no longer be printed here");
    }
    let (_, deadline) = crate::driver::window_dates(
        &cfg.config.certification_window,
        record.ended_at.date_naive(),
    );
    let receipt = Receipt::of(record, &cfg.config.paper.office_name, deadline);
    let pdf = super::render(&[receipt.sheet(&cfg.config.paper.receipt_size)])?;
    let file = out
        .map(Path::to_owned)
        .unwrap_or_else(|| cfg.paper_dir().join(format!("receipt-{record_id}.pdf")));
    let delivery = deliver(&cfg.config.paper, &pdf, &file)?;
    Ok((receipt, delivery))
}
