//! Who may manage tenants and users.
//!
//! - Tenants: administrators (12) create, change and delete them; everyone sees their own
//!   tenant and the tenants they administer, administrators see all.
//! - Users: administrators all of them; a user with MgmtAPI (11) the users *of* the tenants
//!   they administer, granting only permissions they hold and administrative access only to
//!   tenants they administer themselves. For the same reason such a manager may not change or
//!   delete a user who already holds more than they could grant: changing that user's password
//!   would hand the manager the user's rights.

use api_common::ApiError;
use identity::users::User;
use identity::IdentityError;
use internal_auth::{permissions, Identity};

/// What a create or an update gives a user, as far as the rules on granting go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    pub administered_tenants: Vec<i64>,
}

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

/// 403 unless `caller` may give a user `grant`.
pub fn authorize_grant(caller: &Identity, grant: &Grant) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    authorize_user_management(caller)?;
    if !caller.administers(grant.tenant_id) {
        return Err(ApiError::forbidden(format!(
            "You may not manage users of tenant {}",
            grant.tenant_id
        )));
    }
    if let Some(p) = grant.permissions.iter().find(|p| !caller.has(**p)) {
        return Err(ApiError::forbidden(format!(
            "You may not grant permission {p}, which you do not hold"
        )));
    }
    if let Some(t) = grant
        .administered_tenants
        .iter()
        .find(|t| !caller.administers(**t))
    {
        return Err(ApiError::forbidden(format!(
            "You may not grant administrative access to tenant {t}, which you do not administer"
        )));
    }
    Ok(())
}

/// 403 unless `caller` may change or delete `user` as they are now: only a user they could
/// have created so.
pub fn authorize_change(caller: &Identity, user: &Identity) -> Result<(), ApiError> {
    let held = Grant {
        tenant_id: user.tenant_id,
        permissions: user.permissions.clone(),
        administered_tenants: user.administered_tenants.clone(),
    };
    authorize_grant(caller, &held).map_err(|_| {
        ApiError::forbidden(format!(
            "You may not change user {}: they hold permissions or administrative access you \
             cannot grant",
            user.user_id
        ))
    })
}

/// The rule a change of an existing user must pass, for the `identity` store functions to
/// judge on the user as stored when the change is made (an earlier look may be out of date):
/// 404 for a user `caller` does not see, 403 for one they could not have created as they are,
/// and 403 for a `grant` beyond what `caller` may give.
pub fn change_rule(
    caller: Identity,
    grant: Option<Grant>,
) -> impl Fn(&User) -> Result<(), ApiError> + Clone + Send + 'static {
    move |user| {
        let user = user.identity();
        if !can_see_user(&caller, &user) {
            return Err(IdentityError::UserNotFound(user.user_id).into());
        }
        authorize_change(&caller, &user)?;
        match &grant {
            Some(grant) => authorize_grant(&caller, grant),
            None => Ok(()),
        }
    }
}
