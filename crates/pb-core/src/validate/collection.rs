//! Collection definition validation (placeholder, being written).
