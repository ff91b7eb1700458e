//! The collections routes (superusers only): list, view, create, update, delete, truncate,
//! import and scaffolds.

pub mod create;
pub mod delete;
pub mod import;
pub mod journal;
pub mod list;
pub mod save;
pub mod scaffolds;
pub mod truncate;
pub mod update;
pub mod view;
pub mod view_preview;
