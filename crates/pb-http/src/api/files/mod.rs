//! The files routes: `GET /api/files/{collection}/{recordId}/{filename}` (downloads and thumbs)
//! and `POST /api/files/token` (short-lived tokens for protected files).

pub mod download;
pub mod token;
