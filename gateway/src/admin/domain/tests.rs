use api_common::{ApiError, ErrorCode};
use identity::users::User;
use internal_auth::{Identity, SYSTEM_TENANT_ID};
use serde_json::{json, Value};

use super::*;

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

fn grant(tenant_id: i64, permissions: &[u32], administered: &[i64]) -> Grant {
    Grant {
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
    assert!(input.access().is_active_admin());
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
    assert!(authorize_grant(&admin, &grant(9, &[12], &[9])).is_ok());
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
    assert!(authorize_grant(&manager, &grant(5, &[1, 2, 11], &[5])).is_ok());
    assert!(authorize_grant(&manager, &grant(6, &[1], &[])).is_err());
    assert!(authorize_grant(&manager, &grant(5, &[3], &[])).is_err());
    assert!(authorize_grant(&manager, &grant(5, &[1], &[6])).is_err());
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
    assert!(authorize_grant(&no_api, &grant(5, &[], &[])).is_err());
    let plain = identity(5, &[], &[]);
    assert!(!can_see_user(&plain, &plain));
    assert!(can_see_tenant(&plain, 5) && !can_see_tenant(&plain, 1));
}

#[test]
fn the_change_rule_hides_refuses_or_allows_the_user_as_stored() {
    let stored = |tenant_id: i64, permissions: &[u32]| User {
        id: 9,
        tenant_id,
        permissions: permissions.to_vec(),
        active: true,
        ..User::default()
    };
    let manager = identity(1, &[11, 1], &[5]);
    let status =
        |rule: &dyn Fn(&User) -> Result<(), ApiError>, user| rule(&user).map_err(|e| e.code());
    let rule = change_rule(manager.clone(), None);
    assert_eq!(status(&rule, stored(5, &[1])), Ok(()));
    assert_eq!(status(&rule, stored(6, &[1])), Err(ErrorCode::UserNotFound));
    assert_eq!(status(&rule, stored(5, &[12])), Err(ErrorCode::Forbidden));
    let granting_more = change_rule(manager, Some(grant(5, &[1, 2], &[])));
    assert_eq!(
        status(&granting_more, stored(5, &[1])),
        Err(ErrorCode::Forbidden)
    );
}
