//! Record value validation (placeholder, being written).
