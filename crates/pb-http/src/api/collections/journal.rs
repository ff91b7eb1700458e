//! Tells the server's [`pb_core::ports::SchemaJournal`] (automigrate), when there is one, about
//! a collection change, inside the transaction that makes it.

use pb_core::ports::StoreTx;
use pb_core::Collection;

use crate::state::AppState;
use crate::txn::Failure;

/// Records the change from `old` to `new` (`None` for "did not exist") in the journal.
pub fn record(
    state: &AppState,
    tx: &mut dyn StoreTx,
    old: Option<&Collection>,
    new: Option<&Collection>,
) -> Result<(), Failure> {
    if let Some(journal) = &state.schema_journal {
        journal.record(tx, old, new)?;
    }
    Ok(())
}
