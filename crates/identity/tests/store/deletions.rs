//! Deletions as durable work: recorded with the deactivation, taken under a lease by one
//! holder at a time, completed only once both purges are confirmed.

use std::time::Duration;

use api_common::ApiError;
use identity::deletions::{self, Purge};
use identity::users::{self, User};
use identity::IdentityError;
use internal_auth::permissions::ADMINISTRATOR;

use crate::helpers::{user, TestDb, LEASE};

fn anyone(_: &User) -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn a_deletion_is_recorded_leased_and_completed_only_when_both_purges_are_confirmed() {
    let db = TestDb::new();
    let pool = db.pool(1);
    let mut conn = pool.get().unwrap();
    let admin = user(&mut conn, "admin", &[ADMINISTRATOR]);
    let doomed = user(&mut conn, "doomed", &[]);

    // The last active administrator is refused, and nothing is recorded.
    let refused = deletions::request(&mut conn, admin.id, "a", LEASE, anyone);
    assert!(matches!(refused, Err(IdentityError::LastAdministrator)));
    assert!(deletions::find(&mut conn, admin.id).unwrap().is_none());

    // Recorded with the deactivation, leased to its requester.
    let requested = deletions::request(&mut conn, doomed.id, "a", LEASE, anyone).unwrap();
    assert!(requested.taken);
    assert!(!users::find(&mut conn, doomed.id).unwrap().unwrap().active);
    let record = deletions::find(&mut conn, doomed.id).unwrap().unwrap();
    assert_eq!(record.lease_holder.as_deref(), Some("a"));
    assert!(!record.purged());

    // Asked again, or looked for by another replica, while the lease holds: not taken.
    let again = deletions::request(&mut conn, doomed.id, "b", LEASE, anyone).unwrap();
    assert!(!again.taken);
    assert!(deletions::due(&mut conn, 10, None).unwrap().is_empty());
    assert!(!deletions::take(&mut conn, doomed.id, "b", LEASE, false).unwrap());
    // The same name after a restart takes it back.
    assert_eq!(
        deletions::due(&mut conn, 10, Some("a")).unwrap(),
        vec![doomed.id]
    );
    assert!(deletions::take(&mut conn, doomed.id, "a", LEASE, true).unwrap());

    // Given back: due again at once, taken by one holder only.
    deletions::release(&mut conn, doomed.id, "a", Duration::ZERO).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(
        deletions::due(&mut conn, 10, None).unwrap(),
        vec![doomed.id]
    );
    assert!(deletions::take(&mut conn, doomed.id, "b", LEASE, false).unwrap());
    assert!(!deletions::take(&mut conn, doomed.id, "c", LEASE, false).unwrap());

    // Not while it is being deleted: changes.
    let change = users::UserChangeset {
        user_name: "doomed",
        password_hash: None,
        access: users::Access {
            tenant_id: 1,
            permissions: &[],
            administered_tenants: &[],
            active: true,
        },
    };
    let refused = users::replace(&mut conn, doomed.id, &change, anyone);
    assert!(matches!(refused, Err(IdentityError::BeingDeleted(_))));

    // Completed only with both purges confirmed.
    assert!(!deletions::finish(&mut conn, doomed.id).unwrap());
    deletions::confirm(&mut conn, doomed.id, Purge::Profiles).unwrap();
    assert!(!deletions::finish(&mut conn, doomed.id).unwrap());
    assert!(users::find(&mut conn, doomed.id).unwrap().is_some());
    deletions::confirm(&mut conn, doomed.id, Purge::Registrations).unwrap();
    assert!(deletions::finish(&mut conn, doomed.id).unwrap());
    assert!(users::find(&mut conn, doomed.id).unwrap().is_none());
    assert!(deletions::find(&mut conn, doomed.id).unwrap().is_none());
    // Finishing again is a no-op that reports it complete.
    assert!(deletions::finish(&mut conn, doomed.id).unwrap());
}
