//! Integration tests: the whole stack, started as `cargo run -p stack` starts it but on port 0
//! with a fresh data directory, called over real HTTP on loopback.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test helper is a failed test"
)]

mod auth;
mod authorization;
mod authorize;
mod binary;
mod client_applications;
mod concurrency;
mod connect;
mod database;
mod errors;
mod floods;
mod helpers;
mod http_layer;
mod oauth_apps;
mod oauth_clients;
mod oauth_profiles;
mod operations;
mod path_attacks;
mod provider;
mod secrets_at_rest;
mod startup;
