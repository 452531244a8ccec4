//! Log lines: text for a terminal, or one JSON object a line (`LOG_FORMAT=json`) for a log
//! pipeline. Both name the request a line is about, when it is about one. What is logged is
//! chosen by `RUST_LOG` (default `info`); no line ever holds a credential (the callers see to
//! that: headers are never logged, user names are escaped and cut).

use std::io::Write;

use env_logger::fmt::Formatter;
use log::Record;

use crate::current_request_id;

/// The variable that chooses the format.
pub const LOG_FORMAT_VAR: &str = "LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `[time LEVEL target request_id=ID] message`
    Text,
    /// `{"time":..,"level":..,"target":..,"request_id":..,"message":..}`
    Json,
}

impl Format {
    /// `LOG_FORMAT`: `text` (the default) or `json`; anything else is an error naming the
    /// variable.
    pub fn from_env() -> Result<Format, String> {
        match std::env::var(LOG_FORMAT_VAR) {
            Err(_) => Ok(Format::Text),
            Ok(value) => Format::parse(&value),
        }
    }

    pub fn parse(value: &str) -> Result<Format, String> {
        match value {
            "" | "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "{LOG_FORMAT_VAR} must be text or json, found {other:?}"
            )),
        }
    }
}

/// Logging for binaries, to standard error: `RUST_LOG` if set, `info` otherwise, in `format`.
pub fn init(format: Format) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    match format {
        Format::Text => builder.format(write_text),
        Format::Json => builder.format(write_json),
    };
    builder.init();
}

fn write_text(buf: &mut Formatter, record: &Record) -> std::io::Result<()> {
    let time = buf.timestamp_millis();
    match current_request_id() {
        Some(id) => writeln!(
            buf,
            "[{time} {:<5} {} request_id={id}] {}",
            record.level(),
            record.target(),
            record.args()
        ),
        None => writeln!(
            buf,
            "[{time} {:<5} {}] {}",
            record.level(),
            record.target(),
            record.args()
        ),
    }
}

fn write_json(buf: &mut Formatter, record: &Record) -> std::io::Result<()> {
    let line = json_line(
        &buf.timestamp_millis().to_string(),
        record,
        current_request_id().as_ref().map(|id| id.as_str()),
    );
    writeln!(buf, "{line}")
}

/// One record as a JSON object on one line (serde_json escapes control characters, so a
/// message cannot break the line).
fn json_line(time: &str, record: &Record, request_id: Option<&str>) -> String {
    serde_json::json!({
        "time": time,
        "level": record.level().as_str(),
        "target": record.target(),
        "request_id": request_id,
        "message": record.args().to_string(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_text_or_json_only() {
        assert_eq!(Format::parse("json"), Ok(Format::Json));
        assert_eq!(Format::parse("text"), Ok(Format::Text));
        assert!(Format::parse("JSON ").unwrap_err().contains("LOG_FORMAT"));
    }

    #[test]
    fn a_json_line_is_one_object_whatever_the_message() {
        let line = json_line(
            "2026-01-01T00:00:00.000Z",
            &Record::builder()
                .args(format_args!("two\nlines \"quoted\""))
                .level(log::Level::Warn)
                .target("gateway::auth")
                .build(),
            Some("abc"),
        );
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["level"], "WARN");
        assert_eq!(value["target"], "gateway::auth");
        assert_eq!(value["request_id"], "abc");
        assert_eq!(value["message"], "two\nlines \"quoted\"");
        assert_eq!(value["time"], "2026-01-01T00:00:00.000Z");
    }
}
