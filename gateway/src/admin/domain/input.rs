//! Request bodies of the admin API, parsed into known-good inputs: every failure names the
//! field.

use api_common::fields::{
    check_characters, kind, object_name, optional_id, optional_text, DESCRIPTION_MAX, NAME_MAX,
};
use api_common::ApiError;
use identity::users::Access;
use internal_auth::{permissions, SYSTEM_TENANT_ID};
use serde::Deserialize;
use serde_json::Value;

use super::access::Grant;
// Longest user name; shortest and longest password (argon2 takes any length: the longest
// bounds the work). The wire limits of the identity API.
use identity::views::{PASSWORD_MAX, PASSWORD_MIN as MIN_PASSWORD_LENGTH, USER_NAME_MAX};

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

    /// What this input gives the user, for the authorization rules.
    pub fn grant(&self) -> Grant {
        Grant {
            tenant_id: self.tenant_id,
            permissions: self.permissions.clone(),
            administered_tenants: self.administered_tenants.clone(),
        }
    }

    /// Where the user belongs and what they may do, as the store takes it.
    pub fn access(&self) -> Access<'_> {
        Access {
            tenant_id: self.tenant_id,
            permissions: &self.permissions,
            administered_tenants: &self.administered_tenants,
            active: self.active,
        }
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
                            permissions::ALL.map(|p| p.to_string()).join(", ")
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
