//! Request ids: one per request, accepted from the caller when well formed, made otherwise.

use std::fmt;
use std::sync::Arc;

/// The header that carries a request's id, in and out of every component.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest id accepted from a caller.
const MAX_LEN: usize = 64;

/// A request's id: 1 to 64 of `A-Z a-z 0-9 - _ .`, so that it can be written into a log
/// line, a header or a JSON string as it is. Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The caller's id when it is well formed; `None` for anything else (too long, empty, or
    /// with any other character), which the caller is then given a new id for.
    pub fn accept(value: &[u8]) -> Option<Self> {
        let safe = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        let ok = !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(safe);
        // Checked above: ASCII only.
        ok.then(|| std::str::from_utf8(value).ok().map(|s| RequestId(s.into())))
            .flatten()
    }

    /// A new id: 128 random bits in hex.
    pub fn generate() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bits = rand::random::<u128>();
        let mut text = [0u8; 32];
        for (index, digit) in text.iter_mut().enumerate() {
            *digit = HEX[((bits >> (124 - 4 * index)) & 0xf) as usize];
        }
        // Hex digits only: ASCII.
        RequestId(std::str::from_utf8(&text).unwrap_or_default().into())
    }

    /// The id in the header's value, or a new one.
    pub fn accept_or_generate(value: Option<&[u8]>) -> Self {
        value.and_then(Self::accept).unwrap_or_else(Self::generate)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids_are_kept_and_anything_else_replaced() {
        let longest = "x".repeat(64);
        for good in [
            "a",
            "req-1_2.3",
            "0123456789abcdef0123456789abcdef",
            longest.as_str(),
        ] {
            assert_eq!(RequestId::accept(good.as_bytes()).unwrap().as_str(), good);
        }
        let too_long = "x".repeat(65);
        for bad in [
            "",
            too_long.as_str(),
            "a b",
            "a\nb",
            "a\"b",
            "é",
            "a/b",
            "<script>",
            "a%20b",
        ] {
            assert!(RequestId::accept(bad.as_bytes()).is_none(), "{bad:?}");
            let replaced = RequestId::accept_or_generate(Some(bad.as_bytes()));
            assert_ne!(replaced.as_str(), bad);
            assert_eq!(replaced.as_str().len(), 32);
        }
        assert_ne!(RequestId::generate(), RequestId::generate());
        let made = RequestId::generate();
        assert_eq!(made.as_str().len(), 32);
        assert!(made
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
