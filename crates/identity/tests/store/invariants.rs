//! What the store functions refuse, one change at a time.

use api_common::ApiError;
use identity::tenant_purges;
use identity::tenants::{self, NewTenant};
use identity::users::{self, Access, NewUser};
use identity::{IdentityError, TenantField};
use internal_auth::permissions::{ADMINISTRATOR, MGMT_API, OAUTH};
use internal_auth::SYSTEM_TENANT_ID;

use crate::helpers::{active_admins, anyone, change, user, TestDb, LEASE};

fn tenant(conn: &mut db::DbConnection, name: &str) -> i64 {
    let new = NewTenant {
        name,
        description: None,
    };
    tenants::create(conn, &new).unwrap().id
}

#[test]
fn names_are_unique_and_tenants_must_exist() {
    let db = TestDb::new();
    let mut conn = db.pool(1).get().unwrap();
    let a = tenant(&mut conn, "A");
    let taken = tenants::create(
        &mut conn,
        &NewTenant {
            name: "A",
            description: None,
        },
    );
    assert!(matches!(taken, Err(IdentityError::TenantNameTaken(name)) if name == "A"));

    fn new<'a>(name: &'a str, tenant_id: i64, administered_tenants: &'a [i64]) -> NewUser<'a> {
        NewUser {
            user_name: name,
            password_hash: "hash",
            access: Access {
                tenant_id,
                permissions: &[OAUTH, MGMT_API],
                administered_tenants,
                active: true,
            },
        }
    }
    let alice = users::create(&mut conn, &new("alice", a, &[SYSTEM_TENANT_ID, a])).unwrap();
    assert_eq!(alice.permissions, vec![MGMT_API, OAUTH]);
    assert_eq!(alice.administered_tenants, vec![SYSTEM_TENANT_ID, a]);
    assert_eq!(
        users::find_by_name(&mut conn, "alice").unwrap(),
        Some(alice)
    );
    let taken = users::create(&mut conn, &new("alice", a, &[]));
    assert!(matches!(taken, Err(IdentityError::UserNameTaken(name)) if name == "alice"));
    assert!(matches!(
        users::check_name(&mut conn, "alice", None),
        Err(IdentityError::UserNameTaken(_))
    ));

    let missing = users::create(&mut conn, &new("bob", 77, &[78]));
    assert!(matches!(
        missing,
        Err(IdentityError::UnknownTenant {
            field: TenantField::Member,
            id: 77
        })
    ));
    let missing = users::create(&mut conn, &new("bob", a, &[a, 78]));
    assert!(matches!(
        missing,
        Err(IdentityError::UnknownTenant {
            field: TenantField::Administered,
            id: 78
        })
    ));
    assert!(users::find_by_name(&mut conn, "bob").unwrap().is_none());
}

#[test]
fn the_last_active_administrator_stays() {
    let db = TestDb::new();
    let mut conn = db.pool(1).get().unwrap();
    let first = user(&mut conn, "first", &[ADMINISTRATOR]);
    let demoted = Access {
        tenant_id: SYSTEM_TENANT_ID,
        permissions: &[MGMT_API],
        administered_tenants: &[],
        active: true,
    };
    let deactivated = Access {
        permissions: &[ADMINISTRATOR],
        active: false,
        ..demoted
    };
    for access in [demoted, deactivated] {
        let refused = users::replace(&mut conn, first.id, &change(&first, access), anyone);
        assert!(matches!(refused, Err(IdentityError::LastAdministrator)));
    }
    let refused = users::deactivate(&mut conn, first.id, anyone);
    assert!(matches!(refused, Err(IdentityError::LastAdministrator)));
    let refused = users::delete(&mut conn, first.id);
    assert!(matches!(refused, Err(IdentityError::LastAdministrator)));
    assert_eq!(active_admins(&mut conn), vec!["first"]);

    user(&mut conn, "second", &[ADMINISTRATOR]);
    let replaced = users::replace(&mut conn, first.id, &change(&first, demoted), anyone).unwrap();
    assert_eq!(replaced.user.permissions, vec![MGMT_API]);
    assert!(!replaced.moved());
    assert_eq!(active_admins(&mut conn), vec!["second"]);
    assert!(users::delete(&mut conn, first.id).unwrap());
    assert!(!users::delete(&mut conn, first.id).unwrap());
}

#[test]
fn the_rule_sees_the_user_as_stored_and_its_refusal_changes_nothing() {
    let db = TestDb::new();
    let mut conn = db.pool(1).get().unwrap();
    user(&mut conn, "admin", &[ADMINISTRATOR]);
    let target = user(&mut conn, "target", &[OAUTH]);
    let expected = target.clone();
    let refuse = move |stored: &users::User| {
        assert_eq!(stored, &expected);
        Err(ApiError::forbidden("no"))
    };
    let access = Access {
        tenant_id: SYSTEM_TENANT_ID,
        permissions: &[],
        administered_tenants: &[],
        active: false,
    };
    let refused = users::replace(
        &mut conn,
        target.id,
        &change(&target, access),
        refuse.clone(),
    );
    assert!(matches!(refused, Err(IdentityError::Refused(_))));
    let refused = users::deactivate(&mut conn, target.id, refuse.clone());
    assert!(matches!(refused, Err(IdentityError::Refused(_))));
    let refused = users::check_change(&mut conn, target.id, "target", refuse);
    assert!(matches!(refused, Err(IdentityError::Refused(_))));
    assert_eq!(users::find(&mut conn, target.id).unwrap(), Some(target));
    let missing = users::deactivate(&mut conn, 999, anyone);
    assert!(matches!(missing, Err(IdentityError::UserNotFound(999))));
}

#[test]
fn a_tenant_with_users_stays_and_a_deleted_one_is_administered_by_nobody() {
    let db = TestDb::new();
    let mut conn = db.pool(1).get().unwrap();
    let a = tenant(&mut conn, "A");
    let b = tenant(&mut conn, "B");
    let member = users::create(
        &mut conn,
        &NewUser {
            user_name: "member",
            password_hash: "hash",
            access: Access {
                tenant_id: a,
                permissions: &[MGMT_API],
                administered_tenants: &[a, b],
                active: true,
            },
        },
    )
    .unwrap();
    assert!(matches!(
        tenants::delete(&mut conn, SYSTEM_TENANT_ID, "test", LEASE),
        Err(IdentityError::SystemTenant)
    ));
    assert!(matches!(
        tenants::delete(&mut conn, a, "test", LEASE),
        Err(IdentityError::TenantHasUsers { tenant_id, users: 1 }) if tenant_id == a
    ));
    tenants::delete(&mut conn, b, "test", LEASE).unwrap();
    assert!(matches!(
        tenants::delete(&mut conn, b, "test", LEASE),
        Err(IdentityError::TenantNotFound(_))
    ));
    let member = users::find(&mut conn, member.id).unwrap().unwrap();
    assert_eq!(member.administered_tenants, vec![a]);

    // The purge of b's OAuth applications was recorded with its deletion (and only b's), leased
    // to the replica that deleted it; another replica takes it only once the lease ends.
    assert_eq!(tenant_purges::pending(&mut conn).unwrap(), vec![b]);
    assert!(tenant_purges::due(&mut conn, 10, None).unwrap().is_empty());
    assert_eq!(
        tenant_purges::due(&mut conn, 10, Some("test")).unwrap(),
        vec![b]
    );
    assert!(!tenant_purges::take(&mut conn, b, "other", LEASE, false).unwrap());
    tenant_purges::release(&mut conn, b, "test", std::time::Duration::ZERO).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(tenant_purges::take(&mut conn, b, "other", LEASE, false).unwrap());
    tenant_purges::done(&mut conn, b).unwrap();
    assert!(tenant_purges::pending(&mut conn).unwrap().is_empty());

    let renamed = tenants::TenantChangeset {
        name: "A2",
        description: Some("renamed"),
    };
    assert_eq!(tenants::update(&mut conn, a, &renamed).unwrap().name, "A2");
    assert!(matches!(
        tenants::update(&mut conn, b, &renamed),
        Err(IdentityError::TenantNotFound(_))
    ));
}
