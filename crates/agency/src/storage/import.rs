//! A roster import's per-row work split over two threads: the keyed hash of the ID
//! number and the two seals (ID number and name) on one, the database's inserts on the
//! other, batch by batch, so an import of millions uses both cores of a small server.
//! Shared by the SQL backends.

use std::sync::mpsc::sync_channel;

use super::{RosterEntry, StorageError};
use crate::vault::{Field, Vault};

/// A roster entry with its person key and sealed fields.
pub struct SealedEntry {
    pub key: [u8; 32],
    pub id_sealed: Vec<u8>,
    pub name_sealed: Vec<u8>,
    pub entry: RosterEntry,
}

/// Seals each batch of `batches` on a second thread while `write` stores the batch
/// sealed before it. Each batch comes to `write` in person-key order (the tables and
/// indexes are keyed by it). The first error, `batches`' or `write`'s, stops both and
/// is returned; the caller's transaction then rolls back.
pub fn sealed_batches(
    vault: &Vault,
    batches: &mut (dyn Iterator<Item = Result<Vec<RosterEntry>, StorageError>> + Send),
    mut write: impl FnMut(Vec<SealedEntry>) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    std::thread::scope(|scope| {
        // One batch sealed ahead: enough to keep both threads busy.
        let (to_writer, sealed) = sync_channel::<Result<Vec<SealedEntry>, StorageError>>(1);
        let sealer = scope.spawn(move || {
            for batch in batches {
                let stop = batch.is_err();
                let batch = batch.map(|b| seal(vault, b));
                if to_writer.send(batch).is_err() || stop {
                    break;
                }
            }
        });
        let mut result = Ok(());
        for batch in sealed.iter() {
            if let Err(e) = batch.and_then(&mut write) {
                result = Err(e);
                break;
            }
        }
        // The sealer, if still running, finds the channel closed and stops.
        drop(sealed);
        sealer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        result
    })
}

fn seal(vault: &Vault, batch: Vec<RosterEntry>) -> Vec<SealedEntry> {
    let mut sealed: Vec<SealedEntry> = batch
        .into_iter()
        .map(|entry| {
            let key = vault.person_key(&entry.id_number);
            SealedEntry {
                id_sealed: vault.seal(Field::PersonId, &key, entry.id_number.as_bytes()),
                name_sealed: vault.seal(Field::PersonName, &key, entry.name.as_bytes()),
                key,
                entry,
            }
        })
        .collect();
    sealed.sort_unstable_by_key(|s| s.key);
    sealed
}
