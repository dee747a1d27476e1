//! Words for the problems of a settings file, shared by config.yaml's and its `notify:`
//! section's readers (a leaf: it imports nothing of navi, so both may use it).

use serde_yaml::Value;

/// "unknown key is ignored; did you mean `sort`?" (or the known keys).
pub(crate) fn unknown_key(key: &str, known: &[&str]) -> String {
    match navi_core::text::closest(key, known) {
        Some(k) => format!("unknown key is ignored; did you mean `{k}`?"),
        None => format!("unknown key is ignored; known keys: {}", known.join(", ")),
    }
}

/// A value as a message names it (text sanitized).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{:?}", navi_core::text::sanitize(s)),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a tagged value ({})", t.tag),
    }
}
