//! What valid tenants and users are, and who may manage them.
//!
//! Bodies arrive as DTOs of raw JSON values ([`TenantBody`], [`UserBody`]) and are parsed into
//! known-good inputs ([`TenantInput`], [`UserInput`]) whose every failure names the field. The
//! rules on who may do what are plain functions of the caller's [`Identity`] so they can be
//! tested without a server.
//!
//! Who may manage:
//! - tenants: administrators (12) create, change and delete them; everyone sees their own
//!   tenant and the tenants they administer, administrators see all;
//! - users: administrators all of them; a user with MgmtAPI (11) the users *of* the tenants they
//!   administer, granting only permissions they hold and administrative access only to tenants
//!   they administer themselves. For the same reason such a manager may not change or delete a
//!   user who already holds more than they could grant: changing that user's password would
//!   hand the manager the user's rights.

use api_common::fields::{
    check_characters, kind, object_name, optional_id, optional_text, DESCRIPTION_MAX, NAME_MAX,
};
use api_common::{ApiError, ErrorCode};
use internal_auth::{permissions, Identity, SYSTEM_TENANT_ID};
use serde::Deserialize;
use serde_json::Value;

use crate::password::MIN_PASSWORD_LENGTH;

/// Longest user name, in characters.
pub const USER_NAME_MAX: usize = 128;
/// Longest password, in characters (argon2 takes any length; this bounds the work).
pub const PASSWORD_MAX: usize = 1024;

/// The body of tenant create and update, as sent.
#[derive(Debug, Deserialize)]
pub struct TenantBody {
    name: Option<Value>,
    description: Option<Value>,
}

/// A known-good tenant, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInput {
    pub name: String,
    pub description: Option<String>,
}

impl TenantInput {
    pub fn parse(body: TenantBody) -> Result<Self, ApiError> {
        Ok(TenantInput {
            name: object_name("name", body.name, NAME_MAX)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
        })
    }
}

/// The body of user create and update, as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    user_name: Option<Value>,
    password: Option<Value>,
    tenant_id: Option<Value>,
    permissions: Option<Value>,
    administered_tenants: Option<Value>,
    active: Option<Value>,
}

/// A password as sent; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(value: Option<Value>) -> Result<Option<Self>, ApiError> {
        let field = "password";
        let text = match value {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) => text,
            Some(other) => {
                return Err(ApiError::invalid_field(
                    field,
                    format!("expected a string, found {}", kind(&other)),
                ))
            }
        };
        let length = text.chars().count();
        if length < MIN_PASSWORD_LENGTH {
            return Err(ApiError::invalid_field(
                field,
                format!("at least {MIN_PASSWORD_LENGTH} characters are required"),
            ));
        }
        if length > PASSWORD_MAX {
            return Err(ApiError::invalid_field(
                field,
                format!("at most {PASSWORD_MAX} characters are allowed"),
            ));
        }
        Ok(Some(Password(text)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A known-good user, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    pub user_name: String,
    /// Required on create; on update `None` keeps the current password.
    pub password: Option<Password>,
    pub tenant_id: i64,
    /// Known permission ids, ascending, without repeats.
    pub permissions: Vec<u32>,
    /// Tenant ids, ascending, without repeats (existence is checked against the database).
    pub administered_tenants: Vec<i64>,
    pub active: bool,
}

impl UserInput {
    /// A new user: every rule, and a password.
    pub fn parse_create(body: UserBody) -> Result<Self, ApiError> {
        let input = Self::parse(body)?;
        if input.password.is_none() {
            return Err(ApiError::missing_field("password"));
        }
        Ok(input)
    }

    /// A replacement: every rule; without `password` the current one stays.
    pub fn parse_update(body: UserBody) -> Result<Self, ApiError> {
        Self::parse(body)
    }

    fn parse(body: UserBody) -> Result<Self, ApiError> {
        Ok(UserInput {
            user_name: user_name(body.user_name)?,
            password: Password::parse(body.password)?,
            tenant_id: optional_id("tenantId", body.tenant_id)?.unwrap_or(SYSTEM_TENANT_ID),
            permissions: permission_ids(body.permissions)?,
            administered_tenants: id_list("administeredTenants", body.administered_tenants)?,
            active: optional_bool("active", body.active)?.unwrap_or(true),
        })
    }

    /// The tenants this input names, its own first: all must exist.
    pub fn named_tenants(&self) -> impl Iterator<Item = (&'static str, i64)> + '_ {
        std::iter::once(("tenantId", self.tenant_id)).chain(
            self.administered_tenants
                .iter()
                .map(|t| ("administeredTenants", *t)),
        )
    }

    pub fn is_active_admin(&self) -> bool {
        self.active && self.permissions.contains(&permissions::ADMINISTRATOR)
    }
}

/// A user name: 1 to 128 characters, no `:` (HTTP Basic could not carry it), no control or
/// format characters (a right-to-left override or a zero-width space would make two names
/// look alike: [`check_characters`]), no white space at either end.
pub fn user_name(value: Option<Value>) -> Result<String, ApiError> {
    let field = "userName";
    let name = match value {
        None | Some(Value::Null) => return Err(ApiError::missing_field(field)),
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(ApiError::invalid_field(
                field,
                format!("expected a string, found {}", kind(&other)),
            ))
        }
    };
    check_characters(field, &name)?;
    let length = name.chars().count();
    let problem = if name.is_empty() {
        "must not be empty".to_owned()
    } else if length > USER_NAME_MAX {
        format!("at most {USER_NAME_MAX} characters are allowed, found {length}")
    } else if name.contains(':') {
        "must not contain ':', which HTTP Basic uses to separate the user name from the password"
            .to_owned()
    } else if name.trim() != name {
        "must not begin or end with white space".to_owned()
    } else {
        return Ok(name);
    };
    Err(ApiError::invalid_field(field, problem))
}

fn permission_ids(value: Option<Value>) -> Result<Vec<u32>, ApiError> {
    let field = "permissions";
    let ids = match value {
        None | Some(Value::Null) => return Err(ApiError::missing_field(field)),
        other => id_list(field, other)?,
    };
    ids.into_iter()
        .map(|id| {
            u32::try_from(id)
                .ok()
                .filter(|p| permissions::ALL.contains(p))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        field,
                        format!(
                            "unknown permission id {id}; the known ones are {}",
                            crate::models::encode_ids(&permissions::ALL).replace(',', ", ")
                        ),
                    )
                })
        })
        .collect()
}

/// An optional array of ids (numbers or strings of digits), ascending without repeats.
fn id_list(field: &str, value: Option<Value>) -> Result<Vec<i64>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ApiError::invalid_field(
                field,
                format!("expected an array of ids, found {}", kind(&other)),
            ))
        }
    };
    let mut ids = items
        .into_iter()
        .map(|item| optional_id(field, Some(item))?.ok_or_else(|| null_item(field)))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn null_item(field: &str) -> ApiError {
    ApiError::invalid_field(field, "expected an array of ids, found null in it")
}

fn optional_bool(field: &str, value: Option<Value>) -> Result<Option<bool>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(ApiError::invalid_field(
            field,
            format!("expected true or false, found {}", kind(&other)),
        )),
    }
}

// ---- Who may do what ----

/// Whether `caller` sees tenant `tenant_id` at all (otherwise it is 404 for them).
pub fn can_see_tenant(caller: &Identity, tenant_id: i64) -> bool {
    caller.is_admin() || caller.tenant_id == tenant_id || caller.administers(tenant_id)
}

/// The tenants `caller` sees: all (`None`) for an administrator.
pub fn visible_tenants(caller: &Identity) -> Option<Vec<i64>> {
    if caller.is_admin() {
        return None;
    }
    let mut tenants = caller.administered_tenants.clone();
    tenants.push(caller.tenant_id);
    tenants.sort_unstable();
    tenants.dedup();
    Some(tenants)
}

/// 403 unless `caller` may create, change or delete tenants.
pub fn authorize_tenant_write(caller: &Identity) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Creating, changing and deleting tenants requires the Administrator (12) permission",
        ))
    }
}

/// 403 unless `caller` may manage users at all (list them).
pub fn authorize_user_management(caller: &Identity) -> Result<(), ApiError> {
    if caller.is_admin() || caller.has(permissions::MGMT_API) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Managing users requires the MgmtAPI (11) permission and administrative access to \
             the users' tenant",
        ))
    }
}

/// The tenants whose users `caller` sees: all (`None`) for an administrator.
pub fn user_tenants(caller: &Identity) -> Option<Vec<i64>> {
    if caller.is_admin() {
        None
    } else if caller.has(permissions::MGMT_API) {
        Some(caller.administered_tenants.clone())
    } else {
        Some(Vec::new())
    }
}

/// Whether `caller` sees the user `user` at all (otherwise it is 404 for them).
pub fn can_see_user(caller: &Identity, user: &Identity) -> bool {
    user_tenants(caller).is_none_or(|tenants| tenants.contains(&user.tenant_id))
}

/// 403 unless `caller` may give a user of `tenant_id` these permissions and administered
/// tenants.
pub fn authorize_grant(
    caller: &Identity,
    tenant_id: i64,
    granted_permissions: &[u32],
    granted_tenants: &[i64],
) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    authorize_user_management(caller)?;
    if !caller.administers(tenant_id) {
        return Err(ApiError::forbidden(format!(
            "You may not manage users of tenant {tenant_id}"
        )));
    }
    if let Some(p) = granted_permissions.iter().find(|p| !caller.has(**p)) {
        return Err(ApiError::forbidden(format!(
            "You may not grant permission {p}, which you do not hold"
        )));
    }
    if let Some(t) = granted_tenants.iter().find(|t| !caller.administers(**t)) {
        return Err(ApiError::forbidden(format!(
            "You may not grant administrative access to tenant {t}, which you do not administer"
        )));
    }
    Ok(())
}

/// 403 unless `caller` may change or delete `user` as they are now: only a user they could
/// have created so.
pub fn authorize_change(caller: &Identity, user: &Identity) -> Result<(), ApiError> {
    authorize_grant(
        caller,
        user.tenant_id,
        &user.permissions,
        &user.administered_tenants,
    )
    .map_err(|_| {
        ApiError::forbidden(format!(
            "You may not change user {}: they hold permissions or administrative access you \
             cannot grant",
            user.user_id
        ))
    })
}

// ---- Answers ----

// TODO(lead): api-common has no not-found codes for users and tenants yet; these use
// RouteNotFound (222200020) until `UserNotFound`/`TenantNotFound` exist.
pub fn user_not_found(id: i64) -> ApiError {
    ApiError::new(ErrorCode::UserNotFound, format!("Invalid user id: {id}"))
}

pub fn tenant_not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::TenantNotFound,
        format!("Invalid tenant id: {id}"),
    )
}

pub fn user_name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("A user named '{name}' already exists"))
}

pub fn tenant_name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("A tenant named '{name}' already exists"))
}

pub fn unknown_tenant(field: &str, id: i64) -> ApiError {
    ApiError::invalid_field(field, format!("there is no tenant {id}"))
}

pub fn last_admin() -> ApiError {
    ApiError::conflict(
        "This is the last active administrator: make another user an active administrator first",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> UserBody {
        serde_json::from_value(value).unwrap()
    }

    fn identity(tenant_id: i64, permissions: &[u32], administered: &[i64]) -> Identity {
        Identity {
            user_id: 50,
            user_name: "someone".into(),
            tenant_id,
            permissions: permissions.to_vec(),
            administered_tenants: administered.to_vec(),
        }
    }

    fn field_error(result: Result<UserInput, ApiError>, field: &str) {
        let err = result.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidField);
        assert!(
            err.message().contains(&format!("'{field}'")),
            "{field}: {}",
            err.message()
        );
    }

    #[test]
    fn a_minimal_user_gets_the_defaults() {
        let input = UserInput::parse_create(body(json!({
            "userName": "alice", "password": "12345678", "permissions": ["11", 1, 1]
        })))
        .unwrap();
        assert_eq!(input.tenant_id, SYSTEM_TENANT_ID);
        assert_eq!(input.permissions, vec![1, 11]);
        assert!(input.administered_tenants.is_empty());
        assert!(input.active);
        assert_eq!(input.password.as_ref().unwrap().expose(), "12345678");
        assert!(!format!("{input:?}").contains("12345678"));
    }

    #[test]
    fn every_user_rule_names_its_field() {
        let ok = json!({"userName": "bob", "password": "long-enough", "permissions": []});
        let with = |key: &str, value: Value| {
            let mut b = ok.clone();
            b[key] = value;
            body(b)
        };
        for bad in [
            json!(""),
            json!("a:b"),
            json!(" bob"),
            json!("bob "),
            json!("b\u{7}ob"),
            json!("x".repeat(129)),
            json!(5),
        ] {
            field_error(UserInput::parse_create(with("userName", bad)), "userName");
        }
        for bad in [json!("short"), json!("x".repeat(1025)), json!(12345678)] {
            field_error(UserInput::parse_create(with("password", bad)), "password");
        }
        field_error(
            UserInput::parse_create(body(json!({"userName": "bob", "permissions": []}))),
            "password",
        );
        for bad in [
            json!([99]),
            json!([0]),
            json!("11"),
            json!(["x"]),
            json!(null),
        ] {
            field_error(
                UserInput::parse_create(with("permissions", bad)),
                "permissions",
            );
        }
        for bad in [json!([0]), json!({}), json!(["1a"])] {
            field_error(
                UserInput::parse_create(with("tenantId", bad.clone())),
                "tenantId",
            );
            field_error(
                UserInput::parse_create(with("administeredTenants", json!([bad]))),
                "administeredTenants",
            );
        }
        field_error(
            UserInput::parse_create(with("active", json!("yes"))),
            "active",
        );
        assert!(UserInput::parse_create(with("userName", json!("Zoë Ü. 1"))).is_ok());
        for look_alike in [
            "admin\u{202e}",
            "ad\u{200b}min",
            "\u{feff}admin",
            "a\u{2028}b",
        ] {
            field_error(
                UserInput::parse_create(with("userName", json!(look_alike))),
                "userName",
            );
        }
    }

    #[test]
    fn an_update_may_leave_the_password_out() {
        let input =
            UserInput::parse_update(body(json!({"userName": "bob", "permissions": [12]}))).unwrap();
        assert!(input.password.is_none());
        assert!(input.is_active_admin());
    }

    #[test]
    fn tenants_need_an_object_name() {
        let parse = |v: Value| TenantInput::parse(serde_json::from_value(v).unwrap());
        assert_eq!(
            parse(json!({"name": "Tenant_A", "description": "A"})).unwrap(),
            TenantInput {
                name: "Tenant_A".into(),
                description: Some("A".into())
            }
        );
        for bad in [
            json!({}),
            json!({"name": "a b"}),
            json!({"name": "x", "description": 3}),
        ] {
            assert_eq!(parse(bad).unwrap_err().code(), ErrorCode::InvalidField);
        }
    }

    #[test]
    fn administrators_manage_everyone() {
        let admin = identity(1, &[12], &[]);
        let powerful = identity(7, &[12, 21], &[3]);
        assert!(can_see_user(&admin, &powerful));
        assert!(authorize_change(&admin, &powerful).is_ok());
        assert!(authorize_grant(&admin, 9, &[12], &[9]).is_ok());
        assert!(authorize_tenant_write(&admin).is_ok());
        assert!(can_see_tenant(&admin, 42));
        assert_eq!(visible_tenants(&admin), None);
    }

    #[test]
    fn a_tenant_manager_manages_users_of_their_tenants_within_their_own_rights() {
        let manager = identity(1, &[11, 1, 2], &[5]);
        let of_five = identity(5, &[1], &[]);
        let of_six = identity(6, &[1], &[]);
        assert!(can_see_user(&manager, &of_five));
        assert!(!can_see_user(&manager, &of_six));
        assert!(authorize_change(&manager, &of_five).is_ok());
        assert!(authorize_grant(&manager, 5, &[1, 2, 11], &[5]).is_ok());
        assert!(authorize_grant(&manager, 6, &[1], &[]).is_err());
        assert!(authorize_grant(&manager, 5, &[3], &[]).is_err());
        assert!(authorize_grant(&manager, 5, &[1], &[6]).is_err());
        assert!(authorize_change(&manager, &identity(5, &[1, 12], &[])).is_err());
        assert!(authorize_change(&manager, &identity(5, &[1], &[8])).is_err());
        assert!(authorize_tenant_write(&manager).is_err());
        assert!(can_see_tenant(&manager, 5) && can_see_tenant(&manager, 1));
        assert!(!can_see_tenant(&manager, 6));
        assert_eq!(visible_tenants(&manager), Some(vec![1, 5]));
    }

    #[test]
    fn others_manage_nobody() {
        // Administering a tenant without MgmtAPI gives no user management.
        let no_api = identity(1, &[1, 2, 3, 4], &[5]);
        assert!(authorize_user_management(&no_api).is_err());
        assert!(!can_see_user(&no_api, &identity(5, &[], &[])));
        assert!(authorize_grant(&no_api, 5, &[], &[]).is_err());
        let plain = identity(5, &[], &[]);
        assert!(!can_see_user(&plain, &plain));
        assert!(can_see_tenant(&plain, 5) && !can_see_tenant(&plain, 1));
    }
}
