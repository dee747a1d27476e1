//! Reading what can be read from a status file that is not valid JSON.

use super::readers::plausible_seconds;
use super::{SessionInfo, Status};

/// Recovers what can be read from a status file that is not valid JSON.
///
/// The hooks write `tmux_session`, `status`, `message`, `cwd`, `timestamp` in that order
/// and do not escape the message, so a `"` inside it breaks the JSON. The name and status
/// come before the message and are read as plain string fields; the message runs up to
/// the next `"cwd"` key; the rest is read where it can be.
pub(super) fn salvage(text: &str) -> Option<SessionInfo> {
    let name = string_field(text, "tmux_session")?;
    if name.is_empty() {
        return None;
    }
    let status = string_field(text, "status").unwrap_or_default();
    let message = message_field(text).unwrap_or_default();
    let cwd = string_field(text, "cwd").unwrap_or_default();
    let timestamp = number_field(text, "timestamp").map_or(0, plausible_seconds);
    Some(SessionInfo {
        tmux_session: name,
        status: Status::from_hook(&status),
        message,
        cwd,
        timestamp,
        partial: true,
        ..SessionInfo::default()
    })
}

/// Position just after `"key"` and the following `:` (with optional whitespace).
fn after_key(text: &str, key: &str) -> Option<usize> {
    let pat = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = text[from..].find(&pat) {
        let mut j = from + i + pat.len();
        let rest = &text[j..];
        let trimmed = rest.trim_start();
        j += rest.len() - trimmed.len();
        if let Some(stripped) = trimmed.strip_prefix(':') {
            let after = stripped.trim_start();
            return Some(j + 1 + (stripped.len() - after.len()));
        }
        from = from + i + 1;
    }
    None
}

fn string_field(text: &str, key: &str) -> Option<String> {
    let start = after_key(text, key)?;
    let rest = text[start..].strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(ch);
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

fn message_field(text: &str) -> Option<String> {
    message_span(text).map(|(a, b)| text[a..b].to_string())
}

/// Byte range of the message's raw text (between its quotes). The hooks do not escape
/// the message, so it ends at the last quote before the next key the hooks write after
/// it, or at the last quote of the file.
fn message_span(text: &str) -> Option<(usize, usize)> {
    let value = after_key(text, "message")?;
    let rest = text[value..].strip_prefix('"')?;
    let end = [
        "cwd",
        "timestamp",
        "current_pbi",
        "git",
        "metrics",
        "team",
        "agent",
        "agents",
    ]
    .iter()
    .filter_map(|k| {
        let pat = format!("\"{k}\"");
        rest.find(&pat).and_then(|i| rest[..i].rfind('"'))
    })
    .min()
    .or_else(|| rest.rfind('"'))?;
    Some((value + 1, value + 1 + end))
}

/// The file with its message re-escaped, when the message is what broke the JSON (the
/// hooks write `"message": "$MESSAGE"` without escaping, so a `"`, a backslash or a line
/// break in a notification makes the file invalid). Everything else is kept as written.
pub(super) fn repair_message(text: &str) -> Option<SessionInfo> {
    let (a, b) = message_span(text)?;
    let escaped = serde_json::to_string(&text[a..b]).ok()?;
    let fixed = format!("{}{}{}", &text[..a - 1], escaped, &text[b + 1..]);
    match serde_json::from_str::<serde_json::Value>(&fixed) {
        Ok(v @ serde_json::Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    }
}

fn number_field(text: &str, key: &str) -> Option<i64> {
    let start = after_key(text, key)?;
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}
