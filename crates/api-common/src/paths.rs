//! Request paths in canonical form only.
//!
//! Every component decides what a request reaches from its path, and the gateway builds the
//! URL it forwards to from it. Two spellings of one path would let a check made on one
//! spelling be bypassed by another: `/api/mgmt/oauthprofiles/../../../internal/...` is under a
//! public prefix as written and under `/internal` once a URL library resolves the dots. So a
//! path is accepted only in the one form in which it is written as it is meant: no dot
//! segments (`.`, `..`), no percent-encoding at all (`%2e`, `%2f`, `%5c`, `%25`: ids and
//! route names never need it), no backslash and no `;` (path parameters, which some servers
//! strip: `..;/`). Anything else is 400 before routing, authentication or forwarding, with a
//! message that does not echo the path.

use crate::{ApiError, ErrorCode};

/// `Ok` when `path` (as received, before any decoding) is in canonical form.
pub fn check_canonical(path: &str) -> Result<(), ApiError> {
    let refused = |what: &str| {
        Err(ApiError::new(
            ErrorCode::InvalidPath,
            format!("Invalid path: {what} are not accepted in paths"),
        ))
    };
    if !path.starts_with('/') {
        return refused("paths that do not start with '/'");
    }
    if let Some(byte) = path.bytes().find(|&b| !allowed(b)) {
        return match byte {
            b'%' => refused("percent-encoded characters"),
            b'\\' => refused("backslashes"),
            b';' => refused("semicolons"),
            _ => refused("characters other than letters, digits and '-._~/'"),
        };
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return refused("dot segments ('.' and '..')");
    }
    Ok(())
}

/// Unreserved characters (RFC 3986 2.3) and the separator: everything a route of ours, or an
/// id in it, is written with.
fn allowed(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_paths_pass() {
        for good in [
            "/",
            "/healthz",
            "/api/mgmt/oauthapps/17",
            "/api/mgmt/oauthapps/17.0",
            "/api/mgmt/oauthprofiles/",
            "/api//x",
            "/api/mgmt/oauth/client/applications/3/reset",
            "/a/.b/c..d/...",
        ] {
            assert!(check_canonical(good).is_ok(), "{good}");
        }
        for bad in [
            "/api/mgmt/oauthprofiles/../../../internal/oauth-apps/1/usage",
            "/api/mgmt/oauthprofiles/./1",
            "/api/mgmt/oauthprofiles/..",
            "/api/mgmt/oauthprofiles/%2e%2e/x",
            "/api/mgmt/oauthprofiles/%2E./x",
            "/api/mgmt/oauthprofiles/.%2e/x",
            "/api/mgmt/oauthprofiles/..%2finternal",
            "/api/mgmt/oauthprofiles/%2fx",
            "/api/mgmt/oauthprofiles/..;/x",
            "/api/mgmt/oauthprofiles/1;x",
            "/api/mgmt/oauthprofiles/..\\..\\internal",
            "/api/mgmt/oauthprofiles/%252e%252e/x",
            "/api/mgmt/oauthprofiles/%41",
            "/api/mgmt/oauthprofiles/a b",
            "/api/mgmt/oauthprofiles/\u{e9}",
            "api/mgmt/oauthapps",
            "",
        ] {
            let refused = check_canonical(bad).expect_err(bad);
            assert_eq!(refused.code(), ErrorCode::InvalidPath, "{bad}");
            assert!(!refused.message().contains("internal"), "{bad}");
        }
    }
}
