//! The first administrator.

use db::DbPool;
use identity::users::{self, Access, NewUser};
use identity::IdentityError;
use internal_auth::{permissions, SYSTEM_TENANT_ID};
use service_kit::StartError;

use crate::password::{self, MIN_PASSWORD_LENGTH};

/// On first start (no users yet) creates `user_name` as an administrator of the system tenant.
/// Without a configured password one is generated and printed once on standard output: it is
/// the only way to learn it, and it is never logged.
pub fn ensure_admin(
    pool: &DbPool,
    user_name: &str,
    configured_password: Option<&str>,
) -> Result<(), StartError> {
    let db_error = |e: diesel::result::Error| {
        StartError::Other(format!("cannot create the administrator: {e}"))
    };
    let mut conn = pool
        .get()
        .map_err(|e| StartError::Other(format!("cannot create the administrator: {e}")))?;
    // Asked first so that a start with users runs no argon2; the store asks again.
    if users::count(&mut conn).map_err(db_error)? > 0 {
        return Ok(());
    }
    // The same rules as for any user name.
    crate::admin::domain::user_name(Some(user_name.into())).map_err(|e| {
        StartError::Other(format!(
            "ADMIN_USER is not a usable user name: {}",
            e.message()
        ))
    })?;
    let (secret, generated) = match configured_password {
        Some(p) if p.chars().count() >= MIN_PASSWORD_LENGTH => (p.to_owned(), false),
        Some(_) => {
            return Err(StartError::Other(format!(
                "ADMIN_PASSWORD must be at least {MIN_PASSWORD_LENGTH} characters long"
            )))
        }
        None => (password::generate(24), true),
    };
    let hash = password::hash(&secret)
        .map_err(|e| StartError::Other(format!("cannot hash the administrator password: {e}")))?;
    let new = NewUser {
        user_name,
        password_hash: &hash,
        access: Access {
            tenant_id: SYSTEM_TENANT_ID,
            permissions: &permissions::ALL,
            administered_tenants: &[],
            active: true,
        },
    };
    // Shown before the commit: if it cannot be shown, nobody could log in, so the
    // administrator is not created and the next start tries again.
    let created = users::create_first(&mut conn, &new, |_| match generated {
        true => show_generated_password(user_name, &secret).map_err(Abort::Start),
        false => Ok(()),
    });
    match created {
        Ok(Some(_)) => log::info!("created the administrator {user_name:?} in the system tenant"),
        // Another replica starting at the same time created it first.
        Ok(None) | Err(Abort::Store(IdentityError::UserNameTaken(_))) => {
            log::info!("the administrator was created by another replica")
        }
        Err(Abort::Store(e)) => {
            return Err(StartError::Other(format!(
                "cannot create the administrator: {e}"
            )))
        }
        Err(Abort::Start(e)) => return Err(e),
    }
    Ok(())
}

/// Why the administrator was not created.
enum Abort {
    Store(IdentityError),
    Start(StartError),
}

impl From<IdentityError> for Abort {
    fn from(e: IdentityError) -> Self {
        Abort::Store(e)
    }
}

fn show_generated_password(user_name: &str, secret: &str) -> Result<(), StartError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Created administrator '{user_name}' with generated password: {secret}\n\
         (shown only this once; set ADMIN_PASSWORD before the first start to choose it)"
    )
    .and_then(|()| stdout.flush())
    .map_err(|e| {
        StartError::Other(format!(
            "cannot show the generated administrator password ({e}); set ADMIN_PASSWORD"
        ))
    })
}
