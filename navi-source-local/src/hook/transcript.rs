//! Token counts from Claude Code's transcript, read incrementally by `navi hook`.
//!
//! Claude Code appends one JSON line per event to the transcript (`transcript_path` in
//! every hook event). Each API response is one or more `"type":"assistant"` lines whose
//! `message` carries `id`, `model` and `usage` (`input_tokens`, `output_tokens`,
//! `cache_creation_input_tokens`, `cache_read_input_tokens`). A response with several
//! content blocks is written as one line per block, each repeating the same `message.id`
//! and usage; a streamed response may first write a snapshot with a smaller
//! `output_tokens`. So a message id is counted once, at its largest usage.
//!
//! The hook keeps, per session, how far it read (only whole lines), the file's identity
//! (device, inode, a digest of its first bytes) and what it counted, in
//! `.navi/tokens/NAME.json` of the status directory. The next event reads only what was
//! appended; a transcript that shrank or was replaced is read again from its start. A
//! read that would pass its deadline stops at a line boundary and goes on next event.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use memchr::memmem;
use navi_core::statusdir::{layout, SessionName};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How much is read at a time (the deadline is checked between reads).
const CHUNK: usize = 1 << 20;
/// How many bytes of the file's start identify it.
const HEAD: u64 = 4096;
/// How many recent message ids are remembered across events (the lines of one message
/// are next to each other; a few dozen covers parallel tool calls between them).
const RECENT_IDS: usize = 64;
/// The state file's format.
const VERSION: u32 = 1;

/// One model's counts, as the API reports them (`input` is fresh input only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Fresh (uncached) input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Tokens read from the prompt cache.
    pub cache_read: u64,
    /// Tokens written to the prompt cache.
    pub cache_creation: u64,
}

impl Usage {
    fn add(&mut self, o: &Usage) {
        self.input = self.input.saturating_add(o.input);
        self.output = self.output.saturating_add(o.output);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_creation = self.cache_creation.saturating_add(o.cache_creation);
    }

    /// What `new` has beyond `self`, field by field (a later snapshot of one message).
    fn growth(&self, new: &Usage) -> Usage {
        Usage {
            input: new.input.saturating_sub(self.input),
            output: new.output.saturating_sub(self.output),
            cache_read: new.cache_read.saturating_sub(self.cache_read),
            cache_creation: new.cache_creation.saturating_sub(self.cache_creation),
        }
    }

    fn max(&self, o: &Usage) -> Usage {
        Usage {
            input: self.input.max(o.input),
            output: self.output.max(o.output),
            cache_read: self.cache_read.max(o.cache_read),
            cache_creation: self.cache_creation.max(o.cache_creation),
        }
    }

    /// `input` in the Go navi's meaning: fresh, cache-read and cache-creation tokens.
    fn all_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_creation)
    }
}

/// A message counted recently, with the usage counted for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Seen {
    id: String,
    model: String,
    usage: Usage,
}

/// What the hook keeps between events (`.navi/tokens/NAME.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct State {
    version: u32,
    transcript: String,
    dev: u64,
    ino: u64,
    /// Bytes consumed: always the end of a whole line.
    offset: u64,
    /// How many of the first bytes `head_digest` covers.
    head_len: u64,
    head_digest: u64,
    model: Option<String>,
    models: BTreeMap<String, Usage>,
    recent: Vec<Seen>,
}

/// What one read did (for tests and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Transcript bytes read past the offset reached before.
    pub bytes_read: u64,
    /// Bytes read again to check the file's identity.
    pub head_bytes: u64,
    /// Lines parsed as JSON (those that can hold usage).
    pub lines_parsed: u64,
    /// The transcript was read from its start (new, shrunk or replaced).
    pub restarted: bool,
    /// The read reached the transcript's last whole line (not stopped by the deadline).
    pub complete: bool,
}

/// Why the transcript was not read (the status file keeps its tokens as they were).
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// It cannot be opened or read.
    #[error("transcript {path}: {source}")]
    Io {
        /// The transcript.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// It is not a regular file (a FIFO or a device would hold the hook).
    #[error("transcript {0} is not a regular file")]
    NotAFile(String),
}

/// Reads what was appended to `transcript` since the last event of session `name` (state
/// in `dir`), by `deadline`, and returns the `metrics.tokens` block for the status file.
pub fn read_tokens(
    dir: &Path,
    name: &SessionName,
    transcript: &Path,
    deadline: Instant,
) -> Result<(Map<String, Value>, ReadStats), TranscriptError> {
    let shown = transcript.display().to_string();
    let io = |source| TranscriptError::Io {
        path: shown.clone(),
        source,
    };
    let mut file = open_regular(transcript).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(TranscriptError::NotAFile(shown));
    }
    let state_file = layout::tokens_state_file(dir, name);
    let before = load_state(&state_file);
    let (dev, ino) = identity(&meta);
    let mut stats = ReadStats::default();
    let mut state = before.clone();
    let same = state.version == VERSION
        && state.transcript == shown
        && (state.dev, state.ino) == (dev, ino)
        && meta.len() >= state.offset
        && digest_of(&mut file, state.head_len, &mut stats).map_err(io)? == state.head_digest;
    if !same {
        stats.restarted = true;
        state = State {
            version: VERSION,
            transcript: shown.clone(),
            dev,
            ino,
            ..State::default()
        };
    }
    consume(&mut file, &mut state, &mut stats, deadline).map_err(io)?;
    let head_len = state.offset.min(HEAD);
    if stats.restarted || head_len != state.head_len {
        state.head_digest = digest_of(&mut file, head_len, &mut stats).map_err(io)?;
        state.head_len = head_len;
    }
    if state != before {
        if let Err(e) = save_state(dir, &state_file, &state) {
            tracing::warn!(file = %state_file.display(), error = %e, "cannot save the transcript offset");
        }
    }
    Ok((block(&state), stats))
}

fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    super::open_nonblocking(&mut options, path)
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// FNV-1a of the file's first `len` bytes (a replaced transcript starts otherwise: its
/// first line names its own session and time).
fn digest_of(file: &mut std::fs::File, len: u64, stats: &mut ReadStats) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = Vec::new();
    file.by_ref().take(len).read_to_end(&mut head)?;
    stats.head_bytes += head.len() as u64;
    if (head.len() as u64) < len {
        return Ok(!0); // shorter than before: not the same file
    }
    Ok(head.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    }))
}

/// Reads whole lines from the offset on, counting their usage, until the end of the file
/// or the deadline (checked between chunks). A last line without its newline is left for
/// the next event: Claude may be writing it.
fn consume(
    file: &mut std::fs::File,
    state: &mut State,
    stats: &mut ReadStats,
    deadline: Instant,
) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(state.offset))?;
    let finder = memmem::Finder::new(b"\"usage\"");
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    loop {
        let have = buf.len();
        buf.resize(have + CHUNK, 0);
        let n = read_some(file, &mut buf[have..])?;
        buf.truncate(have + n);
        stats.bytes_read += n as u64;
        if n == 0 {
            stats.complete = true;
            return Ok(());
        }
        // Whole lines only; the rest waits for the next read.
        let Some(last_newline) = memchr::memrchr(b'\n', &buf[have..]).map(|i| have + i) else {
            if Instant::now() >= deadline {
                return Ok(()); // a long line: read again, whole, next time
            }
            continue;
        };
        count_lines(&buf[..=last_newline], &finder, state, stats);
        state.offset += last_newline as u64 + 1;
        buf.drain(..=last_newline);
        if Instant::now() >= deadline {
            return Ok(());
        }
    }
}

fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts the lines of `buf` (whole lines) that can hold usage: only a line with
/// `"usage"` in it is parsed, found by a substring search over the whole buffer.
fn count_lines(buf: &[u8], finder: &memmem::Finder, state: &mut State, stats: &mut ReadStats) {
    let mut pos = 0;
    while pos < buf.len() {
        let Some(hit) = finder.find(&buf[pos..]).map(|i| pos + i) else {
            return;
        };
        let start = memchr::memrchr(b'\n', &buf[pos..hit]).map_or(pos, |i| pos + i + 1);
        let end = memchr::memchr(b'\n', &buf[hit..]).map_or(buf.len(), |i| hit + i);
        stats.lines_parsed += 1;
        count_line(&buf[start..end], state);
        pos = end + 1;
    }
}

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<Message>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    id: Option<String>,
    model: Option<String>,
    usage: Option<RawUsage>,
}

#[derive(Deserialize)]
struct RawUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

/// One assistant line: its usage, counted once per message id.
fn count_line(line: &[u8], state: &mut State) {
    let Ok(line) = serde_json::from_slice::<Line>(line) else {
        return;
    };
    if line.kind.as_deref() != Some("assistant") {
        return;
    }
    let Some(msg) = line.message else { return };
    let (Some(raw), Some(model)) = (msg.usage, msg.model) else {
        return;
    };
    // Claude Code's own lines (API errors, interruptions) carry model `<synthetic>`.
    if model.starts_with('<') {
        return;
    }
    let usage = Usage {
        input: raw.input_tokens.unwrap_or(0),
        output: raw.output_tokens.unwrap_or(0),
        cache_read: raw.cache_read_input_tokens.unwrap_or(0),
        cache_creation: raw.cache_creation_input_tokens.unwrap_or(0),
    };
    let id = msg.id.or(line.request_id).unwrap_or_default();
    let add = match state
        .recent
        .iter_mut()
        .find(|s| !id.is_empty() && s.id == id)
    {
        Some(seen) => {
            let more = seen.usage.growth(&usage);
            seen.usage = seen.usage.max(&usage);
            more
        }
        None => {
            if !id.is_empty() {
                state.recent.push(Seen {
                    id,
                    model: model.clone(),
                    usage,
                });
                if state.recent.len() > RECENT_IDS {
                    state.recent.remove(0);
                }
            }
            usage
        }
    };
    state.models.entry(model.clone()).or_default().add(&add);
    state.model = Some(model);
}

/// The `metrics.tokens` block: the Go navi's `input`/`output`/`total`, the cache split,
/// the last model and the counts per model.
fn block(state: &State) -> Map<String, Value> {
    let mut sum = Usage::default();
    let mut models = Map::new();
    for (model, u) in &state.models {
        sum.add(u);
        models.insert(
            model.clone(),
            json!({
                "input": u.all_input(),
                "output": u.output,
                "cache_read": u.cache_read,
                "cache_creation": u.cache_creation,
            }),
        );
    }
    let input = sum.all_input();
    let mut m = Map::new();
    m.insert("input".into(), json!(input));
    m.insert("output".into(), json!(sum.output));
    m.insert("total".into(), json!(input.saturating_add(sum.output)));
    m.insert("cache_read".into(), json!(sum.cache_read));
    m.insert("cache_creation".into(), json!(sum.cache_creation));
    if let Some(model) = &state.model {
        m.insert("model".into(), json!(model));
    }
    m.insert("models".into(), Value::Object(models));
    m
}

/// The saved state; anything unreadable is no state (the transcript is read afresh).
fn load_state(file: &Path) -> State {
    let Ok(f) = open_regular(file) else {
        return State::default();
    };
    let mut bytes = Vec::new();
    if f.take(1 << 20).read_to_end(&mut bytes).is_err() {
        return State::default();
    }
    serde_json::from_slice(&bytes).unwrap_or_default()
}

fn save_state(dir: &Path, file: &Path, state: &State) -> std::io::Result<()> {
    crate::private::create_dir(&layout::tokens_dir(dir))?;
    let bytes = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    // The temp file sits in the status directory, where dead writers' temps are cleaned.
    let tmp = layout::temp_file(dir, "tokens");
    let result = crate::private::write_new(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, file));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
