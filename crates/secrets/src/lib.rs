//! Credentials at rest.
//!
//! - [`KeyRing`]: values the API must return (OAuth application client secrets, profile tokens)
//!   are sealed with AES-256-GCM under the ring's active key, with a fresh random nonce each
//!   time and the row's table, column and id as associated data, so a sealed value copied to
//!   another row or column does not open. The stored form names the key that sealed it, so old
//!   keys can stay in the ring for reading while [`KeyRing::needs_reseal`] finds what to move to
//!   the new one.
//! - [`HashKey`]: values the API only checks (registered client secrets, 256 random bits) are
//!   stored as HMAC-SHA256 under a server key and compared in constant time. A slow password hash
//!   would add nothing for secrets this random; the key means a stolen database alone does not
//!   even allow testing guesses.
//!
//! Keys come from configuration as text (`id:base64key` entries for a ring, one base64 key for a
//! hash key), inline or from a file; [`generate_key_file`] makes one for a fresh install.
//!
//! [`reseal_rows!`] re-seals one column of a Diesel table, in batches, while the service runs.

mod hash;
mod keys;
mod reseal;
mod ring;

#[cfg(test)]
mod tests;

pub use hash::HashKey;
pub use keys::{generate_key, generate_key_file, load_key_ring, read_key_setting, KeyError};
pub use reseal::{reseal_column, ResealReport};
pub use ring::{sealed_key_id, KeyRing, OpenError, Place};
