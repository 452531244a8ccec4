//! `?user=<userName>`: acting on behalf of another user.
//!
//! Honoured where the route table says so ([`crate::routes::Area::on_behalf`]: the OAuth
//! profile and client application routes; elsewhere the parameter is ignored and passed on
//! like any other). Allowed for an administrator (12), and for a user
//! with MgmtAPI (11) and OnBehalfOf (21) who administers the target user's tenant, except
//! towards an administrator. Anybody else gets 403 whether or not the target exists, so the
//! parameter cannot be used to find out which users exist; an allowed caller who names an
//! unknown or inactive user gets 400. Naming oneself is the same as not using the parameter.
//!
//! The internal token then carries the target as its subject (whose resources are read and
//! written) and the caller as its actor (whose permissions the services check).

use api_common::{ApiError, ErrorCode};
use internal_auth::{permissions, Identity};

use identity::users::User;

/// The user name `?user=` gives in `query`, for a route that honours it.
pub fn requested_user(query: &str) -> Result<Option<String>, ApiError> {
    let mut names = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "user")
        .map(|(_, value)| value.into_owned());
    let first = names.next();
    if names.next().is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "Invalid value for 'user': the parameter may be given only once",
        ));
    }
    Ok(first)
}

/// Whether `caller` could act on behalf of anybody: decided before looking the target up.
pub fn may_act_on_behalf(caller: &Identity) -> bool {
    caller.is_admin() || caller.has_all(&[permissions::MGMT_API, permissions::ON_BEHALF_OF])
}

/// Who `caller` acts as with `?user=name`, `target` being the user of that name, if any.
pub fn authorize(
    caller: &Identity,
    name: &str,
    target: Option<&User>,
) -> Result<Identity, ApiError> {
    let target = target.map(|user| (user.identity(), user.active));
    if caller.is_admin() {
        return match target {
            Some((identity, true)) => Ok(identity),
            _ => Err(unknown_user(name)),
        };
    }
    if may_act_on_behalf(caller) {
        if let Some((identity, active)) = target {
            if caller.administers(identity.tenant_id) && !identity.is_admin() {
                return match active {
                    true => Ok(identity),
                    false => Err(unknown_user(name)),
                };
            }
        }
    }
    Err(forbidden(name))
}

/// The refusal, the same whether or not the user exists.
pub fn forbidden(name: &str) -> ApiError {
    ApiError::forbidden(format!(
        "You may not act on behalf of user '{name}': that requires the Administrator (12) \
         permission, or MgmtAPI (11) and OnBehalfOf (21) with administrative access to the \
         user's tenant"
    ))
}

fn unknown_user(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidQuery,
        format!("Invalid value for 'user': there is no active user '{name}'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(tenant_id: i64, permissions: &[u32], active: bool) -> User {
        let now = chrono::Utc::now().naive_utc();
        User {
            id: 9,
            user_name: "target".into(),
            password_hash: String::new(),
            tenant_id,
            permissions: permissions.to_vec(),
            active,
            created_at: now,
            updated_at: now,
            administered_tenants: Vec::new(),
        }
    }

    fn caller(permissions: &[u32], administered: &[i64]) -> Identity {
        Identity {
            user_id: 1,
            user_name: "caller".into(),
            tenant_id: 1,
            permissions: permissions.to_vec(),
            administered_tenants: administered.to_vec(),
        }
    }

    fn status(result: Result<Identity, ApiError>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(err) => err.code().status().as_u16(),
        }
    }

    #[test]
    fn the_parameter_is_read_once_and_decoded() {
        assert_eq!(requested_user("user=bob&x=1").unwrap(), Some("bob".into()));
        assert_eq!(requested_user("user=a%20b").unwrap(), Some("a b".into()));
        assert_eq!(requested_user("x=1").unwrap(), None);
        assert!(requested_user("user=a&user=b").is_err());
    }

    #[test]
    fn who_may_act_for_whom() {
        let admin = caller(&[12], &[]);
        let delegate = caller(&[11, 21], &[5]);
        let no_21 = caller(&[11], &[5]);
        let plain = caller(&[], &[5]);
        let of_5 = user(5, &[1, 2, 28], true);
        let of_6 = user(6, &[1], true);
        let inactive_of_5 = user(5, &[1], false);
        let admin_of_5 = user(5, &[12], true);

        assert_eq!(status(authorize(&admin, "t", Some(&of_6))), 200);
        assert_eq!(status(authorize(&admin, "t", Some(&admin_of_5))), 200);
        assert_eq!(status(authorize(&admin, "t", None)), 400);
        assert_eq!(status(authorize(&admin, "t", Some(&inactive_of_5))), 400);

        assert_eq!(status(authorize(&delegate, "t", Some(&of_5))), 200);
        assert_eq!(status(authorize(&delegate, "t", Some(&inactive_of_5))), 400);
        assert_eq!(status(authorize(&delegate, "t", Some(&of_6))), 403);
        assert_eq!(status(authorize(&delegate, "t", Some(&admin_of_5))), 403);
        // Not revealed: an unknown user looks like one of another tenant.
        assert_eq!(status(authorize(&delegate, "t", None)), 403);

        for refused in [&no_21, &plain] {
            assert!(!may_act_on_behalf(refused));
            assert_eq!(status(authorize(refused, "t", Some(&of_5))), 403);
            assert_eq!(status(authorize(refused, "t", None)), 403);
        }
    }
}
