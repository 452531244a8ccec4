//! Database URLs: which backend, and what its driver is given.

use std::fmt;
use std::path::PathBuf;

use crate::DbSetupError;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL, checked: `postgres://...` / `postgresql://...`, or SQLite as
/// `sqlite://path`, `sqlite:path` or a plain file path.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub(crate) backend: Backend,
    /// What the driver is given: the URL for PostgreSQL, the file path for SQLite.
    pub(crate) target: String,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may carry a password.
        write!(f, "DatabaseUrl({:?}, {})", self.backend, self.redacted())
    }
}

impl DatabaseUrl {
    /// Parses `value`, naming `variable` in the error.
    pub fn parse(variable: &str, value: &str) -> Result<Self, DbSetupError> {
        let invalid = |why: &str| DbSetupError::InvalidUrl {
            variable: variable.to_owned(),
            why: why.to_owned(),
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(invalid("it is empty"));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: with_connect_timeout(value),
            });
        }
        let path = if let Some(rest) = value.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = value.strip_prefix("sqlite:") {
            rest
        } else if has_scheme(value) {
            return Err(invalid(
                "expected postgres://, postgresql://, sqlite:// or a file path",
            ));
        } else {
            value
        };
        if path.is_empty() || path == ":memory:" {
            return Err(invalid("an SQLite database needs a file path"));
        }
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.to_owned(),
        })
    }

    /// An SQLite database in the file at `path`.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.into().to_string_lossy().into_owned(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => redact_password(&self.target),
        }
    }
}

/// Seconds libpq waits for a server before giving up, unless the URL says otherwise: without
/// it an unreachable host blocks start-up (and each pooled connection attempt) for as long as
/// the operating system's TCP time-out, and the cause is lost behind a pool time-out.
const PG_CONNECT_TIMEOUT_SECS: u32 = 3;

fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
}

fn has_scheme(value: &str) -> bool {
    match value.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `url` with any password replaced by `***`, for `Debug` output, logs and messages.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend_or_name_the_variable() {
        let pg = DatabaseUrl::parse("X_URL", "postgres://u:secret@h/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.redacted(), "postgres://u:***@h/db?connect_timeout=3");
        let custom = DatabaseUrl::parse(
            "X_URL",
            "postgresql://h/db?sslmode=require&connect_timeout=9",
        );
        assert_eq!(
            custom.unwrap().redacted(),
            "postgresql://h/db?sslmode=require&connect_timeout=9"
        );
        assert!(!format!("{pg:?}").contains("secret"));
        for sqlite in [
            "sqlite://data/a.db",
            "sqlite:a.db",
            "./data/a.db",
            "/tmp/a.db",
            "a.db",
        ] {
            assert_eq!(
                DatabaseUrl::parse("X_URL", sqlite).unwrap().backend(),
                Backend::Sqlite
            );
        }
        for bad in [
            "mysql://h/db",
            "",
            "sqlite://",
            "sqlite::memory:",
            "http://x",
        ] {
            let err = DatabaseUrl::parse("X_URL", bad).unwrap_err();
            assert!(err.to_string().contains("X_URL"), "{err}");
        }
    }
}
