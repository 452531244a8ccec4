//! Why a database call failed, and the one mapping from that to the caller's answer.

use api_common::ApiError;
use diesel::r2d2;

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the blocking pool is gone")]
    Canceled,
}

impl DbError {
    /// A unique constraint refused the write (a name already taken).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// The central mapping from database failures to what the caller sees: an unreachable database
/// is 503, everything else 500 with the cause logged and not shown.
impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Pool(cause) => ApiError::unavailable("database", cause),
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                info,
            )) => ApiError::unavailable("database", info.message()),
            DbError::Query(diesel::result::Error::DatabaseError(kind, info))
                if is_write_conflict(&kind, info.message()) =>
            {
                log::warn!(
                    "a write conflicted with a concurrent one: {}",
                    info.message()
                );
                ApiError::overloaded(
                    "A concurrent change conflicted with this one; try again.",
                    std::time::Duration::from_secs(1),
                )
            }
            DbError::Query(cause) => refused_or_failed(cause),
            DbError::Canceled => ApiError::unavailable("database", "the blocking pool is gone"),
        }
    }
}

/// Whether PostgreSQL gave up a transaction because of a concurrent one: a serialization
/// failure (40001), or a deadlock (40P01, which Diesel does not tell apart from other errors
/// but by its message). Nothing was written; the same request a moment later succeeds, so it
/// is 503 with `Retry-After`, not 500. (Rare: every writer takes its locks in one order where
/// two writes meet, e.g. the authorization server's revocations, code before grant.)
fn is_write_conflict(kind: &diesel::result::DatabaseErrorKind, message: &str) -> bool {
    matches!(
        kind,
        diesel::result::DatabaseErrorKind::SerializationFailure
    ) || message.starts_with("deadlock detected")
}

/// A query's failure: a write refused by a tombstone (`db::owners`) is the caller's to know
/// about; anything else is 500, its cause logged and not shown.
fn refused_or_failed(cause: diesel::result::Error) -> ApiError {
    if crate::owners::OwnerDeleted::find(&cause).is_some() {
        return ApiError::forbidden("The user has been deleted");
    }
    if let Some(tenant) = crate::owners::TenantDeleted::find(&cause) {
        return ApiError::invalid_field("tenantId", format!("there is no tenant {tenant}"));
    }
    ApiError::internal(format!("database query failed: {cause}"))
}

/// The answer to a write refused by a unique constraint, given by the caller (the constraint
/// is a name already taken: only the caller knows which message says so).
pub trait OnUniqueViolation<T> {
    /// `Ok` as it is; a unique violation becomes `answer()`, any other failure the central
    /// mapping's answer.
    fn on_unique_violation(self, answer: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> OnUniqueViolation<T> for Result<T, DbError> {
    fn on_unique_violation(self, answer: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|err| match err.is_unique_violation() {
            true => answer(),
            false => err.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use api_common::ErrorCode;
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn failed(kind: DatabaseErrorKind) -> Result<(), DbError> {
        Err(DbError::Query(Error::DatabaseError(
            kind,
            Box::new("refused".to_owned()),
        )))
    }

    #[test]
    fn only_a_unique_violation_gets_the_callers_answer() {
        let taken = || ApiError::conflict("taken");
        let answer = failed(DatabaseErrorKind::UniqueViolation).on_unique_violation(taken);
        assert_eq!(answer.unwrap_err().code(), ErrorCode::Conflict);
        let answer = failed(DatabaseErrorKind::ClosedConnection).on_unique_violation(taken);
        assert_eq!(answer.unwrap_err().code(), ErrorCode::ServiceUnavailable);
        let answer = failed(DatabaseErrorKind::ForeignKeyViolation).on_unique_violation(taken);
        assert_eq!(answer.unwrap_err().code(), ErrorCode::Internal);
        assert!(Ok::<_, DbError>(7).on_unique_violation(taken).is_ok());
    }

    #[test]
    fn a_write_conflict_is_503_with_retry_after_not_500() {
        for (kind, message) in [
            (
                DatabaseErrorKind::SerializationFailure,
                "could not serialize access",
            ),
            (DatabaseErrorKind::Unknown, "deadlock detected"),
        ] {
            let err = DbError::Query(Error::DatabaseError(kind, Box::new(message.to_owned())));
            let answer = ApiError::from(err);
            assert_eq!(answer.code(), ErrorCode::ServiceUnavailable, "{message}");
            assert_eq!(answer.retry_after(), Some(1), "{message}");
        }
        let other = DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("syntax error".to_owned()),
        ));
        assert_eq!(ApiError::from(other).code(), ErrorCode::Internal);
    }
}
