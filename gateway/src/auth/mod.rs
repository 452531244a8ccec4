//! Authentication of public requests: HTTP Basic checked against the users table (or, where
//! the route table allows, an OAuth access token: [`crate::oauth2::bearer`]), then an internal
//! token for the services.
//!
//! Every request checks the caller's row as it is now: a changed password, a deactivation, a
//! deletion or a change of permissions takes effect on the very next request on the gateway
//! that made the change, and within `GATEWAY_USER_CACHE_MS` (1 s) on every other replica.
//! Rows are read on the unique user name index and kept that long ([`UserCache`]); a change
//! through this gateway's admin API forgets them at once ([`forget_users_after_writes`]), and
//! 0 reads the row on every request. argon2 is deliberately slow, so a verified
//! credential is remembered for a short while ([`CredentialCache`]): keyed by an HMAC of user
//! name and password under a key that lives only in this process (the cache never holds a
//! password or anything from which one could be tested offline), it maps to the password hash
//! the credential was verified against, and a hit counts only while the row still holds that
//! very hash and the user is active. Minted internal tokens are reused per (actor, subject)
//! for most of their lifetime ([`TokenCache`]).
//!
//! By concern: [`basic`] reads the credentials a request carries, [`caches`] keeps what was
//! verified or read recently, [`Authenticator`] decides who a request comes from (and whom it
//! acts for, [`crate::on_behalf`]), and [`middleware`] applies it to the requests the route
//! table ([`crate::routes`]) says need credentials.

mod authenticator;
mod basic;
mod caches;
mod middleware;

pub use authenticator::{Authenticated, Authenticator};
pub(crate) use caches::{make_room, own_bytes};
pub use middleware::authenticate;
