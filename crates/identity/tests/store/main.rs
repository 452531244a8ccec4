//! The identity store against real databases: SQLite files, and PostgreSQL too when
//! `TEST_POSTGRES_URL` names a server (each test on a database of its own).

#![expect(
    clippy::unwrap_used,
    reason = "a failed step in a test helper is a failed test"
)]

mod concurrency;
mod deletions;
mod helpers;
mod invariants;
mod migrations;
