//! The status-file data: [`SessionInfo`], [`Status`] and the optional blocks the hooks write.
//!
//! Every type here is plain data. Reading is tolerant by design: the hooks that write these
//! files are shell scripts, so a field of the wrong type loses that field only, an unknown
//! field is ignored, an unknown status string is kept, and a file that is not valid JSON at
//! all (the hooks do not escape the message) is salvaged by [`SessionInfo::parse`] when its
//! name and status can still be read.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};

mod order;
mod readers;
mod salvage;
#[cfg(test)]
mod tests;

pub(crate) use order::sort_by_priority;
pub use order::{compare_sessions, sort_sessions_arc};
use readers::{
    lenient, lenient_string, lenient_string_opt, lenient_timestamp, lenient_timestamp_required,
    lenient_vec,
};
use salvage::{repair_message, salvage};

use crate::statusdir::liveness::Liveness;

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
            Status::Unknown(s) => s,
            known => known.known_name().unwrap_or_default(),
        }
    }

    /// The status class: the known name, or `"unknown"` for anything else.
    pub fn kind(&self) -> &'static str {
        self.known_name().unwrap_or("unknown")
    }

    /// The name of a known status; `None` for an unknown or missing one.
    fn known_name(&self) -> Option<&'static str> {
        Some(match self {
            Status::Working => "working",
            Status::Waiting => "waiting",
            Status::Permission => "permission",
            Status::Done => "done",
            Status::Idle => "idle",
            Status::Stopped => "stopped",
            Status::Error => "error",
            Status::Offline => "offline",
            Status::Unknown(_) | Status::Missing => return None,
        })
    }

    /// The order of [`SortMode::Status`](crate::SortMode::Status): permission, waiting,
    /// error, working, done, idle, stopped, unknown, offline.
    pub fn rank(&self) -> u8 {
        match self {
            Status::Permission => 0,
            Status::Waiting => 1,
            Status::Error => 2,
            Status::Working => 3,
            Status::Done => 4,
            Status::Idle => 5,
            Status::Stopped => 6,
            Status::Unknown(_) | Status::Missing => 7,
            Status::Offline => 8,
        }
    }

    /// Whether this status asks for the user (permission or waiting).
    pub fn needs_attention(&self) -> bool {
        matches!(self, Status::Permission | Status::Waiting)
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

/// A block of optional fields, each read leniently (a value of the wrong type is that
/// field missing) and left out when writing while it is `None`.
macro_rules! lenient_block {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $( $(#[doc = $fdoc:literal])* $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(
                $(#[doc = $fdoc])*
                #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

lenient_block! {
    /// Git state of the session's working directory.
    pub struct GitInfo {
        /// Current branch.
        branch: String,
        /// Uncommitted changes present.
        dirty: bool,
        /// Commits ahead of upstream.
        ahead: i64,
        /// Commits behind upstream.
        behind: i64,
        /// Last commit, one line.
        last_commit: String,
        /// Upstream remote URL.
        remote: String,
        /// Open pull request number.
        pr_num: i64,
    }
}

lenient_block! {
    /// Where the session runs in tmux, as `navi hook` recorded it (a block the Go navi
    /// does not write and ignores): the server navi asks for the session's liveness and
    /// addresses for every action, and the session's id, stable across renames.
    pub struct TmuxPlace {
        /// The server's socket path (`#{socket_path}`, the first field of `$TMUX`).
        socket: String,
        /// The server's pid (`#{pid}`): a restarted server at the same socket reuses ids.
        server_pid: i64,
        /// tmux's id of the session (`#{session_id}`, `$3`).
        session_id: String,
    }
}

lenient_block! {
    /// Token counts, as the Go navi means them: `input` counts fresh input, cache-read
    /// and cache-creation tokens, `total` is `input + output`. navi's hook adds the cache
    /// split, the last model and the counts per model (fields the Go navi ignores).
    pub struct Tokens {
        /// Input tokens (fresh + cache read + cache creation).
        input: u64,
        /// Output tokens.
        output: u64,
        /// Total tokens.
        total: u64,
        /// Of `input`, tokens read from the prompt cache.
        cache_read: u64,
        /// Of `input`, tokens written to the prompt cache.
        cache_creation: u64,
        /// The model of the last assistant message.
        model: String,
        /// The same counts per model (for a cost across several models).
        models: BTreeMap<String, ModelTokens>,
    }
}

lenient_block! {
    /// One model's share of [`Tokens`] (`input` again counts the cache tokens).
    pub struct ModelTokens {
        /// Input tokens (fresh + cache read + cache creation).
        input: u64,
        /// Output tokens.
        output: u64,
        /// Of `input`, tokens read from the prompt cache.
        cache_read: u64,
        /// Of `input`, tokens written to the prompt cache.
        cache_creation: u64,
    }
}

impl Tokens {
    /// Whether navi's hook wrote these counts from a transcript: only it writes the
    /// cache split (the Go navi's `metrics.tokens` has `input`, `output`, `total`).
    pub fn from_transcript(&self) -> bool {
        self.cache_read.is_some() || self.cache_creation.is_some()
    }
}

lenient_block! {
    /// Time spent in the session.
    pub struct TimeMetrics {
        /// Unix seconds the session started.
        started: i64,
        /// Seconds since start.
        total_seconds: u64,
        /// Seconds spent working.
        working_seconds: u64,
        /// Seconds spent waiting for the user.
        waiting_seconds: u64,
    }
}

lenient_block! {
    /// Tool usage.
    pub struct ToolMetrics {
        /// Most recently used tools.
        recent: Vec<String>,
        /// Uses per tool.
        counts: BTreeMap<String, u64>,
    }
}

lenient_block! {
    /// Resource usage of the Claude process.
    pub struct ResourceMetrics {
        /// Resident set size in bytes.
        rss_bytes: u64,
    }
}

lenient_block! {
    /// The optional `metrics` block.
    pub struct Metrics {
        /// Token counts.
        tokens: Tokens,
        /// Time spent.
        time: TimeMetrics,
        /// Tool usage.
        tools: ToolMetrics,
        /// Resource usage.
        resource: ResourceMetrics,
    }
}

/// What an agent is doing: a team agent's and an external agent's shared fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentState {
    /// Agent status.
    pub status: Status,
    /// Unix seconds of the agent's last update.
    #[serde(
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<i64>,
}

/// One agent of a Claude team: its name and state, side by side in the file
/// (`{"name", "status", "timestamp"}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamAgent {
    /// Agent name.
    #[serde(deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Its status and last update.
    #[serde(flatten)]
    pub state: AgentState,
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

/// What a status file says of the memory a sample overrides (see
/// [`SessionInfo::file_rss`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRss {
    /// No `metrics` block.
    NoMetrics,
    /// A `metrics` block without `resource`.
    NoResource,
    /// `metrics.resource.rss_bytes`, when given.
    Rss(Option<u64>),
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
    /// The coding agent the session's own status is of (`claude`, `codex`, `gemini`,
    /// `opencode`; written by `navi hook --agent`); `None` is Claude Code (files from
    /// before, or the Go navi's). See [`SessionInfo::agent_kind`].
    #[serde(
        deserialize_with = "lenient_string_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub agent: Option<String>,
    /// External agents (e.g. `opencode`) by type; each is only its state.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub agents: Option<BTreeMap<String, AgentState>>,
    /// Claude Code session id.
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The tmux server and session id the hook ran in (navi's hook only).
    #[serde(deserialize_with = "lenient", skip_serializing_if = "Option::is_none")]
    pub tmux: Option<TmuxPlace>,
    /// The machine the session runs on: `None` for local. Set by the aggregator.
    #[serde(skip_deserializing)]
    pub remote: Option<String>,
    /// True when the session is last-known data of a source that is now unavailable.
    #[serde(skip_deserializing)]
    pub stale: bool,
    /// True when the file was not valid JSON and only some fields could be recovered.
    #[serde(skip_deserializing, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Whether its tmux session runs: decided by the source with
    /// [`statusdir::liveness::decide`](crate::statusdir::liveness::decide) (ended only on
    /// positive evidence, unknown when tmux could not be asked), `Stale` when the
    /// aggregator serves last-known data. Ended and stale rows sort after live ones and
    /// never count as needing the user.
    #[serde(skip_deserializing, skip_serializing_if = "Liveness::is_live")]
    pub liveness: Liveness,
    /// The user's marks, read by the source from the marks file beside the status file
    /// (never from the status file itself).
    #[serde(skip)]
    pub marks: crate::Marks,
    /// The session's memory as sampled on its machine (see [`crate::rss`]), never read
    /// from the file; set with [`set_memory`](Self::set_memory).
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub memory: Option<crate::rss::MemorySample>,
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
    /// The agent of the session's own status: [`SessionInfo::agent`] when it names a
    /// known one, Claude Code otherwise (a file without the field is Claude's).
    pub fn agent_kind(&self) -> crate::statusdir::agents::Agent {
        self.agent
            .as_deref()
            .and_then(crate::statusdir::agents::Agent::parse)
            .unwrap_or_default()
    }

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
        // A well-formed object goes straight into the struct: one pass, no JSON tree
        // (busy remotes send several files a second). Anything else (a duplicate key,
        // not an object, not JSON) takes the way below, which says why or salvages
        // what it can. Keys navi does not read are skipped unchecked here (serde_json
        // does not look into them), so a file whose unknown key holds a lone surrogate
        // or a number out of range is read whole, where the tree refused it and only
        // salvaged some fields.
        let object = bytes.trim_ascii_start().starts_with(b"{");
        let direct = object
            .then(|| serde_json::from_slice::<SessionInfo>(bytes).ok())
            .flatten();
        let mut info = match direct {
            Some(info) => info,
            None => Self::parse_tree(bytes)?,
        };
        // The file names the session: actions and paths address the file that was read,
        // never a name written inside it (`"tmux_session": "../victim"`).
        match file_stem {
            Some(stem) if !stem.is_empty() => info.tmux_session = stem.to_string(),
            _ if info.tmux_session.is_empty() => {
                return Err(ParseError::Invalid("no tmux_session".into()))
            }
            _ => {}
        }
        info.remote = None;
        info.stale = false;
        Ok(info)
    }

    /// [`parse`](Self::parse) through a JSON tree: what a file that is not a
    /// well-formed object holds, or why it holds nothing.
    fn parse_tree(bytes: &[u8]) -> Result<SessionInfo, ParseError> {
        let info = match serde_json::from_slice::<serde_json::Value>(bytes) {
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
        Ok(info)
    }

    /// The status that decides the session's place in the list: a waiting or
    /// permission-seeking team agent or external agent lifts the session to attention.
    pub fn attention(&self) -> bool {
        self.status.needs_attention()
            || self
                .team
                .as_ref()
                .is_some_and(|t| t.agents.iter().any(|a| a.state.status.needs_attention()))
            || self
                .agents
                .as_ref()
                .is_some_and(|m| m.values().any(|a| a.status.needs_attention()))
    }

    /// Sort tier: 0 needs attention, 1 working, 2 the rest, 3 stale rows (last-known data
    /// of an unavailable source) and ended ones (no tmux session any more): whatever
    /// they say, they sort after every live row.
    pub fn priority(&self) -> u8 {
        if self.stale || self.is_ended() {
            3
        } else if self.attention() {
            0
        } else if self.status == Status::Working {
            1
        } else {
            2
        }
    }

    /// The status to show for the session as a whole, and the agent it comes from: the
    /// session's own status, unless that does not need the user while one of its agents
    /// does (team agents first, then external agents; permission before waiting). So a
    /// working lead whose tester waits for permission shows as `permission`, by `tester`.
    pub fn combined_status(&self) -> (Status, Option<String>) {
        if self.status.needs_attention() {
            return (self.status.clone(), None);
        }
        let team = self.team.iter().flat_map(|t| t.agents.iter()).map(|a| {
            let name = a.name.clone().unwrap_or_else(|| "agent".into());
            (name, &a.state.status)
        });
        let external = self
            .agents
            .iter()
            .flatten()
            .map(|(kind, a)| (kind.clone(), &a.status));
        let agents: Vec<(String, &Status)> = team.chain(external).collect();
        for wanted in [Status::Permission, Status::Waiting] {
            if let Some((name, status)) = agents.iter().find(|(_, s)| **s == wanted) {
                return (Status::clone(status), Some(name.clone()));
            }
        }
        (self.status.clone(), None)
    }

    /// The coding agent whose status [`combined_status`](Self::combined_status) shows:
    /// a helper of the Go navi's `agents` map when the status is its (`opencode`), else
    /// the session's own agent ([`agent_kind`](Self::agent_kind); a Claude team member's
    /// status is Claude Code's).
    pub fn status_agent(&self) -> String {
        let (status, from) = self.combined_status();
        let Some(from) = from else {
            return self.agent_kind().name().to_string();
        };
        let in_team = self
            .team
            .iter()
            .flat_map(|t| t.agents.iter())
            .any(|a| a.name.as_deref().unwrap_or("agent") == from && a.state.status == status);
        match self.agents.as_ref().filter(|_| !in_team) {
            Some(map) if map.contains_key(&from) => from.to_lowercase(),
            _ => self.agent_kind().name().to_string(),
        }
    }

    /// Every coding agent of the session: its own first, then the helpers of the Go
    /// navi's `agents` map (their kinds as written, lower-cased).
    pub fn agent_names(&self) -> Vec<String> {
        let mut names = vec![self.agent_kind().name().to_string()];
        names.extend(
            self.agents
                .iter()
                .flat_map(|a| a.keys().map(|k| k.to_lowercase())),
        );
        names
    }

    /// Whether the session ended on positive evidence (see [`Liveness`]).
    pub fn is_ended(&self) -> bool {
        self.liveness == Liveness::Ended
    }

    /// The row's liveness as every consumer must read it: [`Liveness::Stale`] for
    /// last-known data of an unavailable source, else what its source decided.
    pub fn row_liveness(&self) -> &Liveness {
        static STALE: Liveness = Liveness::Stale;
        match self.stale {
            true => &STALE,
            false => &self.liveness,
        }
    }

    /// Sets the sampled memory; it overrides `metrics.resource.rss_bytes` (a hook may
    /// write one), so every reader of that field sees the sampled value.
    pub fn set_memory(&mut self, m: crate::rss::MemorySample) {
        self.memory = Some(m);
        let metrics = self.metrics.get_or_insert_with(Metrics::default);
        metrics
            .resource
            .get_or_insert_with(ResourceMetrics::default)
            .rss_bytes = Some(m.rss_bytes);
    }

    /// What [`set_memory`](Self::set_memory) overwrites, as the file has it, so that
    /// [`unset_memory`](Self::unset_memory) can give the row back exactly as read.
    pub fn file_rss(&self) -> FileRss {
        match &self.metrics {
            None => FileRss::NoMetrics,
            Some(m) => match &m.resource {
                None => FileRss::NoResource,
                Some(r) => FileRss::Rss(r.rss_bytes),
            },
        }
    }

    /// Takes back a sampled memory: the row says again what its file says (`file`, from
    /// [`file_rss`](Self::file_rss) before the first [`set_memory`](Self::set_memory)).
    pub fn unset_memory(&mut self, file: FileRss) {
        self.memory = None;
        match file {
            FileRss::NoMetrics => self.metrics = None,
            FileRss::NoResource => {
                if let Some(m) = &mut self.metrics {
                    m.resource = None;
                }
            }
            FileRss::Rss(bytes) => {
                if let Some(r) = self.metrics.as_mut().and_then(|m| m.resource.as_mut()) {
                    r.rss_bytes = bytes;
                }
            }
        }
    }

    /// The session's resident memory: sampled, else what its file says.
    pub fn rss_bytes(&self) -> Option<u64> {
        self.memory.map(|m| m.rss_bytes).or_else(|| {
            self.metrics
                .as_ref()
                .and_then(|m| m.resource.as_ref())
                .and_then(|r| r.rss_bytes)
        })
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
