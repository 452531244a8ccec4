//! Ids in request bodies, paths and query strings: positive whole numbers, as JSON numbers or
//! strings of digits.

use serde_json::Value;

use super::kind;
use crate::ApiError;

/// A required positive id, given as a JSON number or as a string of digits.
pub fn required_id(field: &str, value: Option<Value>) -> Result<i64, ApiError> {
    optional_id(field, value)?.ok_or_else(|| ApiError::missing_field(field))
}

/// An optional positive id, given as a JSON number or as a string of digits.
pub fn optional_id(field: &str, value: Option<Value>) -> Result<Option<i64>, ApiError> {
    let problem = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => match whole_number(&number) {
            Some(id) if id > 0 => return Ok(Some(id)),
            _ => format!("expected a positive whole number, found {number}"),
        },
        Some(Value::String(text)) => match parse_id(&text) {
            Some(id) => return Ok(Some(id)),
            None => "expected a positive whole number or a string of digits".to_owned(),
        },
        Some(other) => format!("expected a positive whole number, found {}", kind(&other)),
    };
    Err(ApiError::invalid_field(field, problem))
}

/// A JSON number that is a whole number: `17`, and also `17.0` or `1.7e1`, which JSON (and
/// JSON Schema's `integer`) count as the same number. Fractions and values beyond 2^53 as
/// floating point (where whole-ness cannot be told) are not.
fn whole_number(number: &serde_json::Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    number.as_i64().or_else(|| {
        let value = number.as_f64()?;
        (value.fract() == 0.0 && value.abs() <= EXACT).then_some(value as i64)
    })
}

/// Parses a positive id from text made only of ASCII digits (no sign, no spaces), possibly
/// followed by a decimal point and zeros: `17.0` is the whole number 17, as JSON Schema's
/// `integer` counts it (and as generated clients may write it in a path or a query).
pub fn parse_id(text: &str) -> Option<i64> {
    parse_whole_number(text).filter(|id| *id > 0)
}

/// Parses a whole number written as ASCII digits with an optional leading `-` and an optional
/// fraction of zeros (`-3`, `17`, `17.0`); anything else, or out of `i64`'s range, is `None`.
pub fn parse_whole_number(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, text),
    };
    let digits = match unsigned.split_once('.') {
        Some((digits, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => digits,
        Some(_) => return None,
        None => unsigned,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}
