//! The authorization server's settings: token lifetimes and the refresh grace.

use chrono::TimeDelta;
use envconfig::Envconfig;

use crate::models::oauth2::Lifetimes;

/// The variables, named in start-up errors.
const ACCESS_VAR: &str = "OAUTH2_ACCESS_TOKEN_TTL_SECS";
const REFRESH_VAR: &str = "OAUTH2_REFRESH_TOKEN_TTL_SECS";
const GRACE_VAR: &str = "OAUTH2_REFRESH_GRACE_SECS";

/// The longest refresh grace allowed: 5 minutes (a grace is a window in which a stolen,
/// already rotated refresh token still works).
pub const MAX_GRACE_SECS: u64 = 300;
/// The longest access token lifetime allowed: a day (an access token is not revoked when its
/// refresh token is rotated, only when the grant goes).
pub const MAX_ACCESS_TTL_SECS: u64 = 86_400;
/// The longest refresh token lifetime allowed: a year.
pub const MAX_REFRESH_TTL_SECS: u64 = 366 * 86_400;

/// Token lifetimes, part of the service's `Config` (`#[envconfig(nested)]`).
#[derive(Debug, Clone, PartialEq, Eq, Envconfig)]
pub struct Oauth2Settings {
    /// Seconds an access token lives.
    #[envconfig(from = "OAUTH2_ACCESS_TOKEN_TTL_SECS", default = "3600")]
    pub access_token_ttl_secs: u64,
    /// Seconds a refresh token lives (each rotation issues a new one with a full lifetime).
    #[envconfig(from = "OAUTH2_REFRESH_TOKEN_TTL_SECS", default = "2592000")]
    pub refresh_token_ttl_secs: u64,
    /// Seconds in which a just-rotated refresh token presented again issues a fresh pair of
    /// the same grant instead of revoking it; 0 (the default) is off, at most 300.
    #[envconfig(from = "OAUTH2_REFRESH_GRACE_SECS", default = "0")]
    pub refresh_grace_secs: u64,
}

impl Default for Oauth2Settings {
    fn default() -> Self {
        Oauth2Settings {
            access_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 30 * 86_400,
            refresh_grace_secs: 0,
        }
    }
}

impl Oauth2Settings {
    /// The lifetimes, checked: an error names the variable.
    pub fn lifetimes(&self) -> Result<Lifetimes, String> {
        let seconds = |var: &str, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                i64::try_from(value)
                    .map(TimeDelta::seconds)
                    .map_err(|_| format!("{var}: {value} is too large"))
            } else {
                Err(format!(
                    "{var} must be between {min} and {max} seconds, found {value}"
                ))
            }
        };
        let access = seconds(
            ACCESS_VAR,
            self.access_token_ttl_secs,
            1,
            MAX_ACCESS_TTL_SECS,
        )?;
        let refresh = seconds(
            REFRESH_VAR,
            self.refresh_token_ttl_secs,
            1,
            MAX_REFRESH_TTL_SECS,
        )?;
        let grace = seconds(GRACE_VAR, self.refresh_grace_secs, 0, MAX_GRACE_SECS)?;
        Ok(Lifetimes {
            access,
            refresh,
            grace,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn defaults_are_an_hour_thirty_days_and_no_grace() {
        let settings = Oauth2Settings::init_from_hashmap(&HashMap::new()).unwrap();
        assert_eq!(settings, Oauth2Settings::default());
        let lifetimes = settings.lifetimes().unwrap();
        assert_eq!(lifetimes.access, TimeDelta::hours(1));
        assert_eq!(lifetimes.refresh, TimeDelta::days(30));
        assert_eq!(lifetimes.grace, TimeDelta::zero());
    }

    #[test]
    fn a_grace_over_five_minutes_is_refused_by_name() {
        let mut settings = Oauth2Settings {
            refresh_grace_secs: 300,
            ..Oauth2Settings::default()
        };
        assert!(settings.lifetimes().is_ok());
        settings.refresh_grace_secs = 301;
        let err = settings.lifetimes().unwrap_err();
        assert!(err.contains("OAUTH2_REFRESH_GRACE_SECS"), "{err}");
        settings.refresh_grace_secs = 0;
        settings.access_token_ttl_secs = 0;
        assert!(settings
            .lifetimes()
            .unwrap_err()
            .contains("OAUTH2_ACCESS_TOKEN_TTL_SECS"));
    }
}
