//! URLs, checked as sent and kept in their parsed, normalised form.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::Value;
use url::{Host, Url};

use super::{code_point, is_forbidden_char, optional_string, URL_MAX};
use crate::ApiError;

/// Checks a URL as sent, before any parser sees it: at most [`URL_MAX`] bytes, and no white
/// space (leading and trailing included), control or format character, or backslash. A
/// WHATWG parser (the `url` crate) silently drops tabs and line breaks, trims blanks and turns
/// backslashes into slashes, so what it checks would not be what was sent. Percent-encoded
/// bytes (`%0D%0A`) are left alone: encoded, they are inert.
pub fn check_url_text(field: &str, text: &str) -> Result<(), ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            "an empty URL is not allowed",
        ));
    }
    check_url_length(field, text, "")?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || is_forbidden_char(*c) || *c == '\\')
    {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL must not contain white space, control or format characters or \
                 backslashes (found {}); percent-encode them",
                code_point(c)
            ),
        ));
    }
    Ok(())
}

/// Checks the parts of `url`, parsed from `text` (which passed [`check_url_text`]), that a
/// WHATWG parser would otherwise repair or keep unseen: `http` and `https` URLs must be written
/// `scheme://host...` (the parser reads `https:host` and `https:/host` as `https://host`), and
/// no URL may carry user information (`user:password@`, even empty) or a fragment (`#...`,
/// even empty).
pub fn check_url_parts(field: &str, text: &str, url: &Url) -> Result<(), ApiError> {
    let rest = text
        .split_once(':')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let authority = rest
        .strip_prefix("//")
        .map(|after| after.split(['/', '?', '#']).next().unwrap_or_default());
    if matches!(url.scheme(), "http" | "https") && (authority.is_none() || rest.starts_with("///"))
    {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "'{text}' must be written with '//' and a host after the scheme, such as \
                 '{}://example.com/path'",
                url.scheme()
            ),
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || authority.is_some_and(|authority| authority.contains('@'))
    {
        return Err(ApiError::invalid_field(
            field,
            // Not echoed: the text holds a password.
            "a URL must not contain a user name or password ('...@')",
        ));
    }
    if url.fragment().is_some() {
        return Err(ApiError::invalid_field(
            field,
            format!("'{text}' must not contain a fragment ('#...')"),
        ));
    }
    Ok(())
}

/// A required absolute `http` or `https` URL with a host, in its normalised form: the parsed
/// URL's serialization (scheme and host in lower case, a default port dropped, an empty path
/// written `/`, a non-ASCII host in punycode), which is what is stored and called. Checked
/// as sent first ([`check_url_text`], [`check_url_parts`]).
pub fn http_url(field: &str, value: Option<Value>) -> Result<String, ApiError> {
    let text = optional_string(field, value)?.ok_or_else(|| ApiError::missing_field(field))?;
    check_url_text(field, &text)?;
    let expected = || {
        ApiError::invalid_field(
            field,
            format!(
                "expected an absolute http or https URL such as 'https://example.com/oauth', \
                 found '{text}'"
            ),
        )
    };
    let url = Url::parse(&text).map_err(|_| expected())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(expected());
    }
    check_url_parts(field, &text, &url)?;
    let normalised = String::from(url);
    check_url_length(field, &normalised, " once normalised")?;
    Ok(normalised)
}

/// 400 naming `field` when `url` is longer than [`URL_MAX`] bytes; `when` tells which form
/// was measured (`" once normalised"`, or `""` for the text as sent).
pub fn check_url_length(field: &str, url: &str, when: &str) -> Result<(), ApiError> {
    if url.len() > URL_MAX {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "a URL may be at most {URL_MAX} bytes long, found {}{when}",
                url.len()
            ),
        ));
    }
    Ok(())
}

/// Whether the URLs this system calls on its users' behalf (an OAuth application's
/// `authorizeURI` and `tokenURI`) may point at loopback, private, link-local or otherwise
/// non-public addresses: read from `OAUTH_ALLOW_PRIVATE_URIS` (`1` or `true` allow them; unset,
/// `0` or `false` refuse them). Refusing keeps the services from being aimed inward (SSRF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrivateUris {
    pub allowed: bool,
}

impl PrivateUris {
    pub const REFUSED: PrivateUris = PrivateUris { allowed: false };
    pub const ALLOWED: PrivateUris = PrivateUris { allowed: true };

    /// Whether `ip` may be called under this policy.
    pub fn permits(self, ip: IpAddr) -> bool {
        self.allowed || !is_inward_ip(ip)
    }
}

impl std::str::FromStr for PrivateUris {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(PrivateUris::ALLOWED),
            "" | "0" | "false" => Ok(PrivateUris::REFUSED),
            _ => Err(format!(
                "expected 1, true, 0 or false, found '{}'",
                text.escape_debug()
            )),
        }
    }
}

/// [`http_url`] for a URL the services call themselves (or send a browser to on their
/// behalf): unless `policy` allows it, its host may not be a loopback, private, link-local or
/// other non-public IP address in any notation the URL parser accepts (`2130706433`,
/// `0177.0.0.1`, `0x7f.1`, `127.1`, `[::ffff:127.0.0.1]` are all 127.0.0.1 once parsed), nor
/// `localhost` or a name under `.localhost`. No DNS look-up happens here; names are checked
/// again on the addresses they resolve to when called.
pub fn provider_url(
    field: &str,
    value: Option<Value>,
    policy: PrivateUris,
) -> Result<String, ApiError> {
    let normalised = http_url(field, value)?;
    let url = Url::parse(&normalised).map_err(|e| ApiError::invalid_field(field, e))?;
    check_provider_host(field, &url, policy)?;
    Ok(normalised)
}

/// 400 naming `field` when `url`'s host is refused by `policy` (see [`provider_url`]).
pub fn check_provider_host(field: &str, url: &Url, policy: PrivateUris) -> Result<(), ApiError> {
    if policy.allowed {
        return Ok(());
    }
    let inward = match url.host() {
        Some(Host::Ipv4(ip)) => is_inward_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_inward_ip(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => is_local_name(name),
        None => true,
    };
    if inward {
        return Err(ApiError::invalid_field(
            field,
            "the URL points at a loopback, private or link-local address, which this system \
             does not call (OAUTH_ALLOW_PRIVATE_URIS)",
        ));
    }
    Ok(())
}

/// `localhost` and the names under it (RFC 6761), with or without a final dot.
pub fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Whether `ip` is not a public unicast address: loopback, private (RFC 1918, unique local),
/// link-local, shared (CGNAT), unspecified, broadcast, multicast, documentation, benchmarking
/// or reserved ranges; an IPv6 address that embeds an IPv4 one (mapped, compatible, NAT64,
/// 6to4) is judged by the IPv4 address.
pub fn is_inward_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_inward_v4(ip),
        IpAddr::V6(ip) => is_inward_v6(ip),
    }
}

fn is_inward_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_inward_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_inward_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0])
}

/// The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`, but not `::` or `::1`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1) {
        return Some(low(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}
