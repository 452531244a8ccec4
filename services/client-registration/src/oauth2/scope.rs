//! Scopes: `api.access.odata` (the default) and `api.access.mgmt`, space-separated; anything
//! else is `invalid_scope`. Stored and answered in one order ([`SCOPES`]), without repeats.

use client_registration_client::oauth2::{SCOPES, SCOPE_ODATA};

/// The scopes of a space-separated list, empty entries skipped.
pub fn split(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').filter(|s| !s.is_empty())
}

/// The known scopes among `scopes`, in [`SCOPES`] order, each once.
pub fn ordered<'a>(scopes: impl Iterator<Item = &'a str>) -> Vec<String> {
    let asked: Vec<&str> = scopes.collect();
    SCOPES
        .iter()
        .filter(|known| asked.contains(known))
        .map(|s| (*s).to_owned())
        .collect()
}

/// A client's `scope` parameter as stored: [`SCOPE_ODATA`] when absent or empty, `None` when
/// it names a scope that does not exist.
pub fn parse(text: Option<&str>) -> Option<String> {
    let asked: Vec<&str> = text.map(split).into_iter().flatten().collect();
    if asked.is_empty() {
        return Some(SCOPE_ODATA.to_owned());
    }
    if !asked.iter().all(|s| SCOPES.contains(s)) {
        return None;
    }
    Some(ordered(asked.into_iter()).join(" "))
}

/// Whether every scope of `asked` is in `held`.
pub fn is_subset(asked: &str, held: &str) -> bool {
    let held: Vec<&str> = split(held).collect();
    split(asked).all(|s| held.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_order_and_refuse_the_unknown() {
        assert_eq!(parse(None).unwrap(), "api.access.odata");
        assert_eq!(parse(Some(" ")).unwrap(), "api.access.odata");
        assert_eq!(
            parse(Some("api.access.mgmt  api.access.odata api.access.mgmt")).unwrap(),
            "api.access.odata api.access.mgmt"
        );
        assert_eq!(parse(Some("api.access.mgmt")).unwrap(), "api.access.mgmt");
        assert!(parse(Some("api.access.odata openid")).is_none());
        assert!(is_subset(
            "api.access.mgmt",
            "api.access.odata api.access.mgmt"
        ));
        assert!(!is_subset("api.access.mgmt", "api.access.odata"));
    }
}
