//! One module per command; each builds what it needs from the data dir (the composition root).

pub(crate) mod migrate;
pub(crate) mod serve;
pub(crate) mod superuser;
