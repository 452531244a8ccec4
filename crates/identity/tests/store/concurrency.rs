//! Changes at once keep the invariants: the store's transactions and locks, not luck of timing.

use std::sync::{Arc, Barrier};

use db::{DbConnection, DbPool};
use identity::tenants::{self, NewTenant};
use identity::users::{self, Access, NewUser};
use identity::{IdentityError, TenantField};
use internal_auth::permissions::{ADMINISTRATOR, MGMT_API};
use internal_auth::SYSTEM_TENANT_ID;

use crate::helpers::{active_admins, anyone, change, user, TestDb, LEASE};

const ROUNDS: usize = 10;

/// Runs `first` and `second` on two connections of `pool` at the same moment.
fn at_once<A, B>(
    pool: &DbPool,
    first: impl FnOnce(&mut DbConnection) -> A + Send + 'static,
    second: impl FnOnce(&mut DbConnection) -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(2));
    let start = |barrier: Arc<Barrier>, pool: DbPool| {
        move || {
            let conn = pool.get().unwrap();
            barrier.wait();
            conn
        }
    };
    let (one, two) = (
        start(barrier.clone(), pool.clone()),
        start(barrier, pool.clone()),
    );
    let first = std::thread::spawn(move || first(&mut one()));
    let second = std::thread::spawn(move || second(&mut two()));
    (first.join().unwrap(), second.join().unwrap())
}

fn access(permissions: &[u32]) -> Access<'_> {
    Access {
        tenant_id: SYSTEM_TENANT_ID,
        permissions,
        administered_tenants: &[],
        active: true,
    }
}

#[test]
fn two_administrators_demoting_each_other_at_once_leave_one() {
    let db = TestDb::new();
    let pool = db.pool(2);
    let mut conn = pool.get().unwrap();
    let a = user(&mut conn, "a", &[ADMINISTRATOR]);
    let b = user(&mut conn, "b", &[ADMINISTRATOR]);
    drop(conn);
    for _ in 0..ROUNDS {
        let mut conn = pool.get().unwrap();
        for admin in [&a, &b] {
            users::replace(
                &mut conn,
                admin.id,
                &change(admin, access(&[ADMINISTRATOR])),
                anyone,
            )
            .unwrap();
        }
        drop(conn);
        let (by_a, by_b) = (b.clone(), a.clone());
        let demote = |target: users::User| {
            move |conn: &mut DbConnection| {
                users::replace(
                    conn,
                    target.id,
                    &change(&target, access(&[MGMT_API])),
                    anyone,
                )
                .map(drop)
            }
        };
        let results = at_once(&pool, demote(by_a), demote(by_b));
        match results {
            (Ok(()), Err(IdentityError::LastAdministrator))
            | (Err(IdentityError::LastAdministrator), Ok(())) => {}
            other => panic!("expected one demotion to win: {other:?}"),
        }
        assert_eq!(active_admins(&mut pool.get().unwrap()).len(), 1);
    }
}

#[test]
fn a_tenant_deleted_while_a_user_joins_it_ends_with_one_or_the_other() {
    let db = TestDb::new();
    let pool = db.pool(2);
    for round in 0..ROUNDS {
        let name = format!("T{round}");
        let new = NewTenant {
            name: &name,
            description: None,
        };
        let tenant = tenants::create(&mut pool.get().unwrap(), &new).unwrap().id;
        let user_name = format!("u{round}");
        let join = move |conn: &mut DbConnection| {
            let new = NewUser {
                user_name: &user_name,
                password_hash: "hash",
                access: Access {
                    tenant_id: tenant,
                    ..access(&[])
                },
            };
            users::create(conn, &new).map(drop)
        };
        let results = at_once(
            &pool,
            move |conn| tenants::delete(conn, tenant, "test", LEASE),
            join,
        );
        let mut conn = pool.get().unwrap();
        let exists = tenants::find(&mut conn, tenant).unwrap().is_some();
        match results {
            (Ok(()), Err(IdentityError::UnknownTenant { field, id })) => {
                assert_eq!((field, id), (TenantField::Member, tenant));
                assert!(!exists);
            }
            (Err(IdentityError::TenantHasUsers { users: 1, .. }), Ok(())) => {
                assert!(exists);
                assert_eq!(users::count_in_tenant(&mut conn, tenant).unwrap(), 1);
            }
            other => panic!("expected the deletion or the user to win: {other:?}"),
        }
    }
}
