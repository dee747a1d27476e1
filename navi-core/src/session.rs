//! The status-file data: [`SessionInfo`], [`Status`] and the optional blocks the hooks write.
//!
//! Every type here is plain data. Reading is tolerant by design: the hooks that write these
//! files are shell scripts, so a field of the wrong type loses that field only, an unknown
//! field is ignored, an unknown status string is kept, and a file that is not valid JSON at
//! all (the hooks do not escape the message) is salvaged by [`SessionInfo::parse`] when its
//! name and status can still be read.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// A session's state as the hooks report it.
///
/// Unknown strings are kept verbatim in [`Status::Unknown`] and shown as unknown, so a
/// newer hook never breaks an older navi.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Status {
    /// Claude is working.
    Working,
    /// Claude waits for the user's input.
    Waiting,
    /// Claude waits for a permission decision.
    Permission,
    /// Claude finished its turn.
    Done,
    /// Nothing is happening.
    Idle,
    /// The session was stopped.
    Stopped,
    /// Claude reported an error.
    Error,
    /// Claude Code ended; the tmux session may still exist.
    Offline,
    /// A status string this navi does not know (kept as written).
    Unknown(String),
    /// No status was written.
    #[default]
    Missing,
}

impl Status {
    /// Parses a status string as the hooks write it (case-insensitive, trimmed).
    pub fn from_hook(s: &str) -> Status {
        match s.trim().to_ascii_lowercase().as_str() {
            "working" => Status::Working,
            "waiting" => Status::Waiting,
            "permission" => Status::Permission,
            "done" => Status::Done,
            "idle" => Status::Idle,
            "stopped" => Status::Stopped,
            "error" => Status::Error,
            "offline" => Status::Offline,
            "" => Status::Missing,
            _ => Status::Unknown(s.to_string()),
        }
    }

    /// The string the hooks wrote (the original text for an unknown status).
    pub fn as_str(&self) -> &str {
        match self {
            Status::Working => "working",
            Status::Waiting => "waiting",
            Status::Permission => "permission",
            Status::Done => "done",
            Status::Idle => "idle",
            Status::Stopped => "stopped",
            Status::Error => "error",
            Status::Offline => "offline",
            Status::Unknown(s) => s,
            Status::Missing => "",
        }
    }

    /// The status class: the known name, or `"unknown"` for anything else.
    pub fn kind(&self) -> &'static str {
        match self {
            Status::Working => "working",
            Status::Waiting => "waiting",
            Status::Permission => "permission",
            Status::Done => "done",
            Status::Idle => "idle",
            Status::Stopped => "stopped",
            Status::Error => "error",
            Status::Offline => "offline",
            Status::Unknown(_) | Status::Missing => "unknown",
        }
    }

    /// Whether this status asks for the user (permission or waiting).
    pub fn needs_attention(&self) -> bool {
        matches!(self, Status::Permission | Status::Waiting)
    }

    /// The icon navi shows for this status.
    pub fn icon(&self) -> &'static str {
        match self {
            Status::Working => "⚙️",
            Status::Waiting => "⏳",
            Status::Permission => "❓",
            Status::Done => "✅",
            Status::Idle => "💤",
            Status::Stopped => "⏹️",
            Status::Error => "❌",
            Status::Offline => "📴",
            Status::Unknown(_) | Status::Missing => "❔",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::String(s) => Status::from_hook(&s),
            serde_json::Value::Null => Status::Missing,
            other => Status::Unknown(other.to_string()),
        })
    }
}

/// Git state of the session's working directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GitInfo {
    /// Current branch.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Uncommitted changes present.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub dirty: Option<bool>,
    /// Commits ahead of upstream.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub ahead: Option<i64>,
    /// Commits behind upstream.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub behind: Option<i64>,
    /// Last commit, one line.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// Upstream remote URL.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Open pull request number.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub pr_num: Option<i64>,
}

/// Token counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tokens {
    /// Input tokens.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub input: Option<u64>,
    /// Output tokens.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub output: Option<u64>,
    /// Total tokens.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// Time spent in the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeMetrics {
    /// Unix seconds the session started.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
    /// Seconds since start.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<u64>,
    /// Seconds spent working.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub working_seconds: Option<u64>,
    /// Seconds spent waiting for the user.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub waiting_seconds: Option<u64>,
}

/// Tool usage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolMetrics {
    /// Most recently used tools.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub recent: Option<Vec<String>>,
    /// Uses per tool.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, u64>>,
}

/// Resource usage of the Claude process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceMetrics {
    /// Resident set size in bytes.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub rss_bytes: Option<u64>,
}

/// The optional `metrics` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metrics {
    /// Token counts.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    /// Time spent.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeMetrics>,
    /// Tool usage.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub tools: Option<ToolMetrics>,
    /// Resource usage.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceMetrics>,
}

/// One agent of a Claude team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamAgent {
    /// Agent name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Agent status.
    pub status: Status,
    /// Unix seconds of the agent's last update.
    #[serde(
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<i64>,
}

/// The optional `team` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Team {
    /// Team name.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The team's agents (an entry that cannot be read is dropped, not the team).
    #[serde(deserialize_with = "lenient_vec")]
    pub agents: Vec<TeamAgent>,
}

/// One external agent (e.g. `opencode`) in the `agents` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalAgent {
    /// Agent status.
    pub status: Status,
    /// Unix seconds of the agent's last update.
    #[serde(
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<i64>,
}

/// One Claude Code session: one status file.
///
/// `remote` and `stale` are never read from the file: the aggregator sets them from the
/// source that produced the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionInfo {
    /// The tmux session name (falls back to the file name when the field is missing).
    #[serde(deserialize_with = "lenient_string")]
    pub tmux_session: String,
    /// The session's status.
    pub status: Status,
    /// The last notification or activity message.
    #[serde(deserialize_with = "lenient_string")]
    pub message: String,
    /// The working directory.
    #[serde(deserialize_with = "lenient_string")]
    pub cwd: String,
    /// Unix seconds of the last update (0 when unknown).
    #[serde(deserialize_with = "lenient_timestamp_required")]
    pub timestamp: i64,
    /// PBI being worked on.
    #[serde(
        deserialize_with = "lenient_string_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_pbi: Option<String>,
    /// Title of that PBI.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub current_pbi_title: Option<String>,
    /// Git state.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// Metrics.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Team of agents.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    /// External agents by type.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub agents: Option<BTreeMap<String, ExternalAgent>>,
    /// Claude Code session id.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The machine the session runs on: `None` for local. Set by the aggregator.
    #[serde(skip_deserializing)]
    pub remote: Option<String>,
    /// True when the session is last-known data of a source that is now unavailable.
    #[serde(skip_deserializing)]
    pub stale: bool,
    /// True when the file was not valid JSON and only some fields could be recovered.
    #[serde(skip_deserializing, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// Why a status file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Neither valid JSON nor salvageable (no session name could be found).
    #[error("not a status file: {0}")]
    Invalid(String),
    /// Larger than the per-file cap.
    #[error("file is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Actual size.
        size: u64,
        /// The cap.
        limit: u64,
    },
}

/// The largest status file navi reads (1 MiB). Real files are a few hundred bytes.
pub const MAX_STATUS_FILE_BYTES: u64 = 1024 * 1024;

impl SessionInfo {
    /// Reads one status file's bytes.
    ///
    /// `file_stem` (the file name without `.json`) names the session when the file has no
    /// `tmux_session`. Valid JSON is read field by field, a field of the wrong type is
    /// dropped; invalid JSON (the hooks do not escape `"` in messages) is salvaged when a
    /// name can be found, and marked [`partial`](SessionInfo::partial).
    pub fn parse(bytes: &[u8], file_stem: Option<&str>) -> Result<SessionInfo, ParseError> {
        if bytes.len() as u64 > MAX_STATUS_FILE_BYTES {
            return Err(ParseError::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_STATUS_FILE_BYTES,
            });
        }
        // A UTF-8 byte order mark (editors on Windows write one) is not part of the JSON.
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ParseError::Invalid("empty file".into()));
        }
        let mut info = match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v @ serde_json::Value::Object(_)) => serde_json::from_value::<SessionInfo>(v)
                .map_err(|e| ParseError::Invalid(e.to_string()))?,
            Ok(_) => return Err(ParseError::Invalid("not a JSON object".into())),
            Err(e) => {
                let text = String::from_utf8_lossy(bytes);
                // Only a complete object is salvaged: a file cut short (a partial write,
                // a full disk) is skipped, not shown with whatever fields it still had.
                let object = text.trim_start().starts_with('{');
                if object && (e.is_eof() || !text.contains('}')) {
                    return Err(ParseError::Invalid(format!(
                        "truncated (the JSON object never ends): {e}"
                    )));
                }
                match repair_message(&text) {
                    Some(info) => info,
                    None => salvage(&text).ok_or_else(|| ParseError::Invalid(e.to_string()))?,
                }
            }
        };
        if info.tmux_session.is_empty() {
            match file_stem {
                Some(stem) if !stem.is_empty() => info.tmux_session = stem.to_string(),
                _ => return Err(ParseError::Invalid("no tmux_session".into())),
            }
        }
        info.remote = None;
        info.stale = false;
        Ok(info)
    }

    /// The status that decides the session's place in the list: a waiting or
    /// permission-seeking team agent or external agent lifts the session to attention.
    pub fn attention(&self) -> bool {
        self.status.needs_attention()
            || self
                .team
                .as_ref()
                .is_some_and(|t| t.agents.iter().any(|a| a.status.needs_attention()))
            || self
                .agents
                .as_ref()
                .is_some_and(|m| m.values().any(|a| a.status.needs_attention()))
    }

    /// Sort tier: 0 needs attention, 1 working, 2 the rest.
    pub fn priority(&self) -> u8 {
        if self.attention() {
            0
        } else if self.status == Status::Working {
            1
        } else {
            2
        }
    }

    /// The key that identifies this session across refreshes.
    pub fn key(&self) -> SessionKey {
        SessionKey {
            remote: self.remote.clone(),
            name: self.tmux_session.clone(),
        }
    }
}

/// Identifies a session across refreshes: its machine and its tmux name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// `None` for local.
    pub remote: Option<String>,
    /// tmux session name.
    pub name: String,
}

/// The order navi users know: attention first (permission, waiting, or an agent waiting),
/// then working, then the rest; newest first inside a tier; then by name and machine so the
/// order never depends on which source answered first.
pub fn compare_sessions(a: &SessionInfo, b: &SessionInfo) -> std::cmp::Ordering {
    a.priority()
        .cmp(&b.priority())
        .then_with(|| b.timestamp.cmp(&a.timestamp))
        .then_with(|| a.tmux_session.cmp(&b.tmux_session))
        .then_with(|| a.remote.cmp(&b.remote))
}

/// Sorts shared sessions in place with [`compare_sessions`].
pub fn sort_sessions_arc(sessions: &mut [std::sync::Arc<SessionInfo>]) {
    sort_by_priority(sessions, |s| s);
}

/// The tier is computed once per session (it scans agents), not once per comparison.
fn sort_by_priority<T, F: Fn(&T) -> &SessionInfo>(items: &mut [T], get: F) {
    let mut keyed: Vec<(u8, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (get(t).priority(), i))
        .collect();
    keyed.sort_unstable_by(|(pa, ia), (pb, ib)| {
        pa.cmp(pb).then_with(|| {
            let (a, b) = (get(&items[*ia]), get(&items[*ib]));
            b.timestamp
                .cmp(&a.timestamp)
                .then_with(|| a.tmux_session.cmp(&b.tmux_session))
                .then_with(|| a.remote.cmp(&b.remote))
                .then_with(|| ia.cmp(ib))
        })
    });
    // Apply the permutation in place by following cycles.
    let mut order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    // Position k must receive the item now at order[k].
    for start in 0..order.len() {
        let mut cur = start;
        loop {
            let next = order[cur];
            order[cur] = cur;
            if next == start || next == cur {
                break;
            }
            items.swap(cur, next);
            cur = next;
        }
    }
}

// ---- lenient field readers -------------------------------------------------------------

fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value(i).ok())
            .collect(),
        _ => Vec::new(),
    })
}

fn value_to_string(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?).unwrap_or_default())
}

fn lenient_string_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?))
}

/// Seconds since the epoch; anything larger is taken as milli-, micro- or nanoseconds
/// (`date +%s%3N` in a hook) and scaled down. 10^11 s is the year 5138.
const MAX_PLAUSIBLE_SECONDS: i64 = 100_000_000_000;

fn value_to_timestamp(v: &serde_json::Value) -> Option<i64> {
    let t = match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64),
        _ => None,
    }?;
    Some(plausible_seconds(t))
}

fn plausible_seconds(mut t: i64) -> i64 {
    while t > MAX_PLAUSIBLE_SECONDS {
        t /= 1000;
    }
    t
}

fn lenient_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_timestamp(&serde_json::Value::deserialize(d)?))
}

fn lenient_timestamp_required<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_to_timestamp(&serde_json::Value::deserialize(d)?).unwrap_or(0))
}

/// Recovers what can be read from a status file that is not valid JSON.
///
/// The hooks write `tmux_session`, `status`, `message`, `cwd`, `timestamp` in that order
/// and do not escape the message, so a `"` inside it breaks the JSON. The name and status
/// come before the message and are read as plain string fields; the message runs up to
/// the next `"cwd"` key; the rest is read where it can be.
fn salvage(text: &str) -> Option<SessionInfo> {
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
fn repair_message(text: &str) -> Option<SessionInfo> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> &'static str {
        crate::fixtures::FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    #[test]
    fn reads_every_fixture() {
        for (name, text) in crate::fixtures::FILES {
            let stem = name.trim_end_matches(".json");
            let s = SessionInfo::parse(text.as_bytes(), Some(stem));
            assert!(s.is_ok(), "{name}: {s:?}");
        }
    }

    #[test]
    fn fixture_fields() {
        let h = SessionInfo::parse(fixture("hyperion.json").as_bytes(), None).unwrap();
        assert_eq!(h.tmux_session, "hyperion");
        assert_eq!(h.status, Status::Working);
        assert_eq!(h.timestamp, 1764032280);
        let git = h.git.as_ref().unwrap();
        assert_eq!(git.branch.as_deref(), Some("feature/remote-sessions"));
        assert_eq!(git.dirty, Some(true));
        let m = h.metrics.as_ref().unwrap();
        assert_eq!(m.tokens.as_ref().unwrap().total, Some(202551));
        assert_eq!(
            m.tools.as_ref().unwrap().counts.as_ref().unwrap()["Read"],
            77
        );

        let legacy = SessionInfo::parse(fixture("legacy.json").as_bytes(), None).unwrap();
        assert_eq!(legacy.status, Status::Unknown("compacting".into()));
        assert_eq!(legacy.status.kind(), "unknown");
        assert_eq!(legacy.status.as_str(), "compacting");

        let api = SessionInfo::parse(fixture("api.json").as_bytes(), None).unwrap();
        assert_eq!(api.team.as_ref().unwrap().agents.len(), 2);
        assert_eq!(api.priority(), 0);

        let deploy = SessionInfo::parse(fixture("deploy.json").as_bytes(), None).unwrap();
        assert_eq!(
            deploy.agents.as_ref().unwrap()["opencode"].status,
            Status::Idle
        );
        let notes = SessionInfo::parse(fixture("notes.json").as_bytes(), None).unwrap();
        assert_eq!(notes.current_pbi.as_deref(), Some("19"));
        assert_eq!(notes.status, Status::Waiting);
    }

    #[test]
    fn unescaped_quote_in_message_is_salvaged() {
        let text = r#"{"tmux_session":"my app","status":"waiting","message":"Run "cargo test" now?","cwd":"/tmp/x","timestamp":1764032000}"#;
        let s = SessionInfo::parse(text.as_bytes(), Some("my app")).unwrap();
        assert!(!s.partial, "the message is repaired, nothing is lost");
        assert_eq!(s.tmux_session, "my app");
        assert_eq!(s.status, Status::Waiting);
        assert_eq!(s.message, r#"Run "cargo test" now?"#);
        assert_eq!(s.cwd, "/tmp/x");
        assert_eq!(s.timestamp, 1764032000);
    }

    #[test]
    fn truncated_file_is_refused_and_garbage_too() {
        for cut in [
            &br#"{"tmux_session":"t","status":"done","mess"#[..],
            br#"{"tmux_session":"t","status":"work"#,
            b"{\"tmux_session\":\"t\",\"status\":\"done\",\"message\":\"a \"b\" c\"\n",
        ] {
            let err = SessionInfo::parse(cut, Some("t")).unwrap_err();
            assert!(err.to_string().contains("truncated"), "{err}");
        }
        // A complete object with junk after it is not truncated.
        let s = SessionInfo::parse(b"{\"tmux_session\":\"j\",\"status\":\"done\"}\njunk", None);
        assert_eq!(s.unwrap().status, Status::Done);
        assert!(SessionInfo::parse(b"\x00\xffgarbage", Some("x")).is_err());
        assert!(SessionInfo::parse(b"[1,2]", Some("x")).is_err());
        let garbage = SessionInfo::parse(b"not json at all", Some("x")).unwrap_err();
        assert!(!garbage.to_string().contains("truncated"), "{garbage}");
        let empty = SessionInfo::parse(b" \n", Some("x")).unwrap_err();
        assert_eq!(empty.to_string(), "not a status file: empty file");
    }

    #[test]
    fn byte_order_mark_and_crlf_are_plain_json() {
        let text =
            b"\xef\xbb\xbf{\r\n\"tmux_session\": \"bom\",\r\n\"status\": \"working\"\r\n}\r\n";
        let s = SessionInfo::parse(text, Some("bom")).unwrap();
        assert!(!s.partial, "a BOM alone must not make the file partial");
        assert_eq!(s.tmux_session, "bom");
        assert_eq!(s.status, Status::Working);
        // With the hooks' unescaped quote too: repaired, every field read.
        let text = b"\xef\xbb\xbf{\"tmux_session\":\"q\",\"status\":\"idle\",\"message\":\"a \"b\" c\",\"cwd\":\"/\"}";
        let s = SessionInfo::parse(text, None).unwrap();
        assert!(!s.partial);
        assert_eq!(s.cwd, "/");
        assert_eq!(s.tmux_session, "q");
        assert_eq!(s.message, "a \"b\" c");
    }

    /// When re-escaping the message does not make the JSON valid (here a quote in `cwd`),
    /// the name, status and message are still salvaged, and the session is marked partial.
    #[test]
    fn unrepairable_file_is_salvaged_as_partial() {
        let text = br#"{"tmux_session":"odd","status":"waiting","message":"ok","cwd":"/tmp/a"b","timestamp":5}"#;
        let s = SessionInfo::parse(text, None).unwrap();
        assert!(s.partial);
        assert_eq!(
            (
                s.tmux_session.as_str(),
                s.status.clone(),
                s.message.as_str(),
                s.timestamp
            ),
            ("odd", Status::Waiting, "ok", 5)
        );
    }

    /// The real hook's layout (metrics and team after the message), with a notification
    /// holding quotes, a backslash and a line break: every field survives.
    #[test]
    fn hook_file_with_raw_message_keeps_every_field() {
        let text = "{\n  \"tmux_session\": \"api\",\n  \"session_id\": \"s1\",\n  \"status\": \"permission\",\n  \"message\": \"Claude needs your permission to run \"rm -rf C:\\tmp\"\nreally?\",\n  \"cwd\": \"/srv/api\",\n  \"timestamp\": 1764032100,\n  \"metrics\": {\"time\": {\"started\": 1764030000, \"total_seconds\": 2100}, \"tools\": {\"recent\": [\"Bash\"], \"counts\": {\"Bash\": 3}}},\n  \"team\": {\"name\": \"t\", \"agents\": [{\"name\": \"a\", \"status\": \"waiting\", \"timestamp\": 1764032000}]}\n}\n";
        let s = SessionInfo::parse(text.as_bytes(), Some("api")).unwrap();
        assert!(!s.partial);
        assert_eq!(s.status, Status::Permission);
        assert_eq!(
            s.message,
            "Claude needs your permission to run \"rm -rf C:\\tmp\"\nreally?"
        );
        assert_eq!(s.cwd, "/srv/api");
        assert_eq!(s.session_id.as_deref(), Some("s1"));
        let m = s.metrics.unwrap();
        assert_eq!(m.time.unwrap().total_seconds, Some(2100));
        assert_eq!(m.tools.unwrap().counts.unwrap()["Bash"], 3);
        assert_eq!(s.team.unwrap().agents[0].status, Status::Waiting);
    }

    #[test]
    fn wrong_field_types_lose_only_that_field() {
        let text = br#"{"tmux_session":"w","status":"done","timestamp":"1764032000","git":{"ahead":"lots","branch":"main"},"metrics":7,"team":{"agents":[{"name":"a","status":"waiting"},42]}}"#;
        let s = SessionInfo::parse(text, None).unwrap();
        assert_eq!(s.timestamp, 1764032000);
        let git = s.git.unwrap();
        assert_eq!(git.ahead, None);
        assert_eq!(git.branch.as_deref(), Some("main"));
        assert!(s.metrics.is_none());
        assert_eq!(s.team.unwrap().agents.len(), 1);
    }

    #[test]
    fn timestamps_in_any_common_shape_are_seconds() {
        let ts = |v: &str| {
            let text = format!(r#"{{"tmux_session":"t","timestamp":{v}}}"#);
            SessionInfo::parse(text.as_bytes(), None).unwrap().timestamp
        };
        assert_eq!(ts("1764032100"), 1764032100);
        assert_eq!(ts("1764032100.75"), 1764032100);
        assert_eq!(ts(r#""1764032100""#), 1764032100);
        assert_eq!(ts(r#"" 1764032100.5 ""#), 1764032100);
        assert_eq!(ts("1764032100123"), 1764032100, "milliseconds");
        assert_eq!(ts("1764032100123456"), 1764032100, "microseconds");
        assert_eq!(ts("1764032100123456789"), 1764032100, "nanoseconds");
        assert_eq!(ts(r#""soon""#), 0);
        assert_eq!(ts(r#""NaN""#), 0);
        assert_eq!(ts("null"), 0);
        // The same in a file the hooks broke with an unescaped quote.
        let text = br#"{"tmux_session":"q","message":"a "b"","timestamp":1764032100123}"#;
        let s = SessionInfo::parse(text, None).unwrap();
        assert!(!s.partial, "repaired");
        assert_eq!(s.timestamp, 1764032100);
    }

    #[test]
    fn missing_name_uses_file_stem() {
        let s = SessionInfo::parse(br#"{"status":"idle"}"#, Some("from-file")).unwrap();
        assert_eq!(s.tmux_session, "from-file");
        assert!(SessionInfo::parse(br#"{"status":"idle"}"#, None).is_err());
    }

    #[test]
    fn oversized_file_is_refused() {
        let big = vec![b' '; (MAX_STATUS_FILE_BYTES + 1) as usize];
        assert!(matches!(
            SessionInfo::parse(&big, Some("x")),
            Err(ParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn fast_sort_matches_comparator() {
        let mut v: Vec<SessionInfo> = (0..200u32)
            .map(|i| SessionInfo {
                tmux_session: format!("s{}", (i * 7919) % 13),
                status: Status::from_hook(["working", "done", "waiting", "idle"][(i % 4) as usize]),
                timestamp: i64::from((i * 31) % 17),
                remote: if i % 3 == 0 {
                    None
                } else {
                    Some(format!("r{}", i % 5))
                },
                ..Default::default()
            })
            .collect();
        let mut expected = v.clone();
        expected.sort_by(compare_sessions);
        sort_by_priority(&mut v, |s| s);
        let key = |s: &SessionInfo| (s.tmux_session.clone(), s.remote.clone(), s.timestamp);
        assert_eq!(
            v.iter().map(key).collect::<Vec<_>>(),
            expected.iter().map(key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn sort_order() {
        let mk = |name: &str, status: &str, ts: i64| SessionInfo {
            tmux_session: name.into(),
            status: Status::from_hook(status),
            timestamp: ts,
            ..Default::default()
        };
        let mut v = vec![
            mk("done-new", "done", 50),
            mk("working-old", "working", 1),
            mk("waiting-old", "waiting", 2),
            mk("perm-new", "permission", 40),
            mk("working-new", "working", 30),
        ];
        let mut agent_waits = mk("agent-waits", "working", 3);
        agent_waits.agents = Some(BTreeMap::from([(
            "opencode".to_string(),
            ExternalAgent {
                status: Status::Waiting,
                timestamp: None,
            },
        )]));
        v.push(agent_waits);
        sort_by_priority(&mut v, |s| s);
        let names: Vec<_> = v.iter().map(|s| s.tmux_session.as_str()).collect();
        assert_eq!(
            names,
            [
                "perm-new",
                "agent-waits",
                "waiting-old",
                "working-new",
                "working-old",
                "done-new"
            ]
        );
    }
}
