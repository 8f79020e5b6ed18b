//! Unit tests of redaction on hand-written fixtures; the sample corpus is covered by
//! `tests/redact.rs`.
