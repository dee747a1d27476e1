//! Writing status files: what `navi hook` does with one Claude Code hook event.
//!
//! The file format and the event rules are the Go navi's (`hooks/notify.sh`,
//! `hooks/tool-tracker.sh`), so either navi reads what the other wrote. Where the shell
//! hooks are wrong this is right: every message is escaped JSON, the write is atomic
//! (hidden temp file, then rename), and the read-modify-write runs under an exclusive
//! lock on a hidden lock file, so hooks that Claude Code runs in parallel never lose each
//! other's updates. Fields this code does not manage (`git` written elsewhere,
//! `current_pbi`, ...) are kept. `metrics.tokens` comes from the session's transcript
//! ([`transcript`]).

mod event;
mod git;
#[cfg(test)]
mod tests;
pub mod transcript;
#[cfg(test)]
mod transcript_tests;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use navi_core::limits::HOOK_BUDGET;
use navi_core::limits::{
    HOOK_LOCK_PATIENCE, LOCK_FIRST_NAP, LOCK_LONGEST_NAP, STALE_TEMP_AGE, TRANSCRIPT_SHARE,
};
use navi_core::statusdir::{agents::Agent, layout, SessionName};
use serde_json::{json, Map, Value};

pub use event::read_event;
pub use git::{git_block, GitQuery};

/// How many tools `metrics.tools.recent` keeps (newest first), as the Go hook.
pub const RECENT_TOOLS: usize = 10;

/// The tmux pane a hook runs in: its session's name and the pane's directory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pane {
    /// The tmux session's name (the status file is `<name>.json`).
    pub session: String,
    /// The pane's current directory.
    pub cwd: String,
    /// The tmux server and session id, written into the file's `tmux` block so navi asks
    /// that server and follows renames (`None`: not known, the block is left as it is).
    pub place: Option<navi_core::TmuxPlace>,
}

/// What one event did to the status directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file was written.
    Written(PathBuf),
    /// The event changes nothing (e.g. a subagent event, or a teammate's stray event).
    Ignored(&'static str),
}

/// Why an event could not be applied (logged by `navi hook`, never shown to Claude).
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// stdin was not a JSON object with `hook_event_name`.
    #[error("the hook event is not a JSON object with a hook_event_name: {0}")]
    BadEvent(String),
    /// The tmux session's name cannot be a file name.
    #[error("tmux session name {0:?} cannot name a status file")]
    BadName(String),
    /// Reading, locking or writing failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The status a Claude Code event sets, as the Go hooks map them; `None` for events that
/// set none. The mapping is the table `navi hooks install` installs from
/// ([`navi_core::statusdir::hook_events`]).
pub fn status_for(event: &Value) -> Option<&'static str> {
    status_for_agent(Agent::Claude, event)
}

/// The status `agent`'s event sets ([`Agent::event_status`]).
pub fn status_for_agent(agent: Agent, event: &Value) -> Option<&'static str> {
    let name = event.get("hook_event_name")?.as_str()?;
    agent.event_status(name, str_of(event, "notification_type"))
}

/// Whether a Claude Code `event` usually changes the lead session's status (so its git
/// block is worth asking for early): a prompt, a stop, a question, a start or an end do; a
/// tool use (the most frequent event) rarely does, and a teammate's or subagent's event
/// never changes the lead's.
pub fn likely_status_change(event: &Value) -> bool {
    likely_status_change_of(Agent::Claude, event)
}

/// [`likely_status_change`] for `agent`'s events: any handled event but a tool use.
pub fn likely_status_change_of(agent: Agent, event: &Value) -> bool {
    let name = str_of(event, "hook_event_name");
    if agent != Agent::Claude {
        return status_for_agent(agent, event).is_some() && !agent.is_tool_use(name);
    }
    !has_teammate(event)
        && matches!(
            name,
            "UserPromptSubmit"
                | "Stop"
                | "TaskCompleted"
                | "Notification"
                | "PermissionRequest"
                | "SessionStart"
                | "SessionEnd"
        )
}

/// Applies one hook `event` (Claude Code's JSON) to `<dir>/<pane.session>.json` at unix
/// time `now`. `git` is asked for the git block of the file's `cwd` only when the status
/// changes. Within [`HOOK_BUDGET`] from now.
pub fn apply(
    dir: &Path,
    pane: &Pane,
    event: &Value,
    now: i64,
    git: &dyn Fn(&str) -> Option<Value>,
) -> Result<Outcome, HookError> {
    apply_by(dir, pane, event, now, git, Instant::now() + HOOK_BUDGET)
}

/// [`apply`], with the run's deadline: the lock is waited for until
/// [`HOOK_LOCK_PATIENCE`] or the deadline, whichever comes first.
pub fn apply_by(
    dir: &Path,
    pane: &Pane,
    event: &Value,
    now: i64,
    git: &dyn Fn(&str) -> Option<Value>,
    deadline: Instant,
) -> Result<Outcome, HookError> {
    apply_agent(dir, pane, Agent::Claude, event, now, git, deadline)
}

/// [`apply_by`] for an event of `agent` (`navi hook --agent X`). The first agent to
/// report in a tmux session leads its file (`status`, `message`, metrics, `agent`); an
/// agent that reports while another one leads and is not offline goes into the Go navi's
/// `agents` map (`agents.<name> = {status, timestamp}`), so both navis read it.
pub fn apply_agent(
    dir: &Path,
    pane: &Pane,
    agent: Agent,
    event: &Value,
    now: i64,
    git: &dyn Fn(&str) -> Option<Value>,
    deadline: Instant,
) -> Result<Outcome, HookError> {
    let Some(status) = status_for_agent(agent, event) else {
        return match event.get("hook_event_name").and_then(Value::as_str) {
            Some(_) => Ok(Outcome::Ignored("this event sets no status")),
            None => Err(HookError::BadEvent("no hook_event_name".into())),
        };
    };
    let name = SessionName::existing(&pane.session)
        .map_err(|_| HookError::BadName(pane.session.clone()))?;
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| HookError::Io { what, path, source }
    };
    crate::private::create_dir(dir).map_err(io("cannot create", dir))?;
    let file = layout::status_file(dir, &name);
    let lock_path = layout::lock_file(dir, &name);
    let lock_by = deadline.min(Instant::now() + HOOK_LOCK_PATIENCE);
    let lock = lock_within(&lock_path, lock_by);
    if lock.is_none() {
        tracing::warn!(lock = %lock_path.display(), "writing without the lock");
    }

    let mut doc = read_existing(&file);
    let changed = match leads(&doc, agent) {
        true => {
            take_lead(&mut doc, agent);
            update(&mut doc, pane, agent, event, status, now)
        }
        false => {
            set_helper(&mut doc, agent, status, now);
            Ok(false)
        }
    };
    let result = match changed {
        Err(why) => Ok(Outcome::Ignored(why)),
        Ok(status_changed) => {
            if agent == Agent::Claude && reads_transcript(&doc, event) {
                let by = deadline.min(Instant::now() + TRANSCRIPT_SHARE);
                set_tokens(dir, &name, str_of(event, "transcript_path"), &mut doc, by);
            }
            if status_changed && !has_teammate(event) {
                // The git block describes the directory the file shows.
                let cwd = doc.get("cwd").and_then(Value::as_str).unwrap_or(&pane.cwd);
                if let Some(Value::Object(block)) = git(cwd) {
                    // Keys written by others (pr_num, remote, ...) stay.
                    object_at(&mut doc, "git").extend(block);
                }
            }
            let written = write_atomic(dir, &file, &Value::Object(doc))
                .map_err(io("cannot write", &file))
                .map(|()| Outcome::Written(file));
            // Once a turn, not on every tool use: the directory read costs 2 % of a run.
            if matches!(status, "done" | "idle" | "offline") {
                clean_stale_temps(dir);
            }
            written
        }
    };
    drop(lock);
    result
}

/// Whether `agent`'s events set the file's own status: the file has no lead yet, its lead
/// is this agent (a file without `agent` is Claude Code's), or its lead is offline.
fn leads(doc: &Map<String, Value>, agent: Agent) -> bool {
    let status = doc.get("status").and_then(Value::as_str).unwrap_or("");
    let lead = doc
        .get("agent")
        .and_then(Value::as_str)
        .and_then(Agent::parse)
        .unwrap_or_default();
    status.is_empty() || status == "offline" || lead == agent
}

/// `agent` leads the file: it is named in `agent`, and its entry in `agents` (from when
/// it was a helper) goes.
fn take_lead(doc: &mut Map<String, Value>, agent: Agent) {
    doc.insert("agent".into(), json!(agent.name()));
    if let Some(Value::Object(map)) = doc.get_mut("agents") {
        map.shift_remove(agent.name());
        if map.is_empty() {
            doc.shift_remove("agents");
        }
    }
}

/// A helper agent's state, in the Go navi's shape: `agents.<name> = {status, timestamp}`.
fn set_helper(doc: &mut Map<String, Value>, agent: Agent, status: &str, now: i64) {
    object_at(doc, "agents").insert(
        agent.name().into(),
        json!({ "status": status, "timestamp": now }),
    );
}

/// Whether the event is the lead session's own (its transcript is the session's): not a
/// teammate's, and with the session id the file shows.
fn reads_transcript(doc: &Map<String, Value>, event: &Value) -> bool {
    let sid = str_of(event, "session_id");
    let stored = doc.get("session_id").and_then(Value::as_str).unwrap_or("");
    !has_teammate(event)
        && !str_of(event, "transcript_path").is_empty()
        && (sid.is_empty() || sid == stored)
}

/// `metrics.tokens` from the transcript's new lines; a transcript that cannot be read
/// leaves the block as it was (and the rest of the file is written all the same).
fn set_tokens(
    dir: &Path,
    name: &SessionName,
    path: &str,
    doc: &mut Map<String, Value>,
    by: Instant,
) {
    match transcript::read_tokens(dir, name, Path::new(path), by) {
        Ok((block, stats)) => {
            if !stats.complete {
                tracing::info!(
                    transcript = path,
                    "transcript read stopped at the deadline; going on next event"
                );
            }
            object_at(object_at(doc, "metrics"), "tokens").extend(block);
        }
        Err(e) => tracing::warn!(error = %e, "tokens not updated"),
    }
}

/// The current file as a JSON object: valid JSON as is; a file the Go hook broke (an
/// unescaped `"` in a message) through navi's salvaging reader; otherwise empty.
fn read_existing(file: &Path) -> Map<String, Value> {
    let Some(bytes) = read_regular(file) else {
        return Map::new();
    };
    if let Ok(Value::Object(m)) = serde_json::from_slice(&bytes) {
        return m;
    }
    let stem = file.file_stem().and_then(|s| s.to_str());
    match navi_core::SessionInfo::parse(&bytes, stem).map(|i| serde_json::to_value(&i)) {
        Ok(Ok(Value::Object(mut m))) => {
            m.shift_remove("partial");
            m
        }
        _ => Map::new(),
    }
}

/// Applies the event to `doc`. `Ok(true)` when the session's own status changed,
/// `Err(why)` when nothing is to be written.
fn update(
    doc: &mut Map<String, Value>,
    pane: &Pane,
    agent: Agent,
    event: &Value,
    status: &'static str,
    now: i64,
) -> Result<bool, &'static str> {
    let name = str_of(event, "hook_event_name");
    let sid = str_of(event, "session_id");
    if name == "UserPromptSubmit" {
        // Only the lead agent submits prompts: drop agents that stopped.
        prune_stopped_agents(doc);
    }
    if !has_teammate(event) {
        let stored = doc.get("session_id").and_then(Value::as_str).unwrap_or("");
        if !sid.is_empty() && !stored.is_empty() && sid != stored {
            // A teammate's process reports with its own session id and no name: it must
            // not overwrite the lead's status. Its end marks its agent stopped.
            match name {
                "Stop" | "SessionEnd" => {
                    set_agents(
                        doc,
                        now,
                        |a| a.get("session_id") == Some(&json!(sid)),
                        "stopped",
                    );
                    return Ok(false);
                }
                "PostToolUse" => return Err("a teammate's tool use"),
                _ => {}
            }
        }
        if matches!(name, "SubagentStart" | "SubagentStop") {
            return Err("subagent events do not change the lead session");
        }
        let before = doc.get("status").and_then(Value::as_str).map(str::to_owned);
        update_lead(doc, pane, event, status, now);
        if agent.is_tool_use(name) {
            count_tool(doc, str_of(event, "tool_name"));
        }
        if agent == Agent::Claude && name == "PostToolUse" {
            infer_agents(doc, event, now);
        }
        return Ok(before.as_deref() != Some(status));
    }
    update_teammate(doc, pane, event, status, now)?;
    Ok(false)
}

fn has_teammate(event: &Value) -> bool {
    !str_of(event, "teammate_name").is_empty()
}

/// A string field of `v`, `""` when absent or not a string.
fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn int_at(v: Option<&Value>) -> i64 {
    v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .unwrap_or(0)
}

/// The lead session's own fields and time metrics, as the Go `notify.sh` keeps them.
fn update_lead(doc: &mut Map<String, Value>, pane: &Pane, event: &Value, status: &str, now: i64) {
    let prev_status = doc
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let prev_ts = int_at(doc.get("timestamp"));
    let time = doc
        .get("metrics")
        .and_then(|m| m.get("time"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut started = int_at(time.get("started"));
    let mut working = int_at(time.get("working_seconds"));
    let mut waiting = int_at(time.get("waiting_seconds"));
    if started == 0 || prev_status == "offline" {
        (started, working, waiting) = (now, 0, 0);
    }
    let elapsed = now - prev_ts;
    if prev_ts > 0 && prev_status != "offline" && elapsed > 0 {
        match prev_status.as_str() {
            "working" | "done" => working += elapsed,
            "waiting" | "permission" => waiting += elapsed,
            _ => {}
        }
    }
    let cwd = match str_of(event, "cwd") {
        "" => pane.cwd.as_str(),
        c => c,
    };
    doc.insert("tmux_session".into(), json!(pane.session));
    set_place(doc, pane);
    let sid = str_of(event, "session_id");
    if !sid.is_empty() || !doc.contains_key("session_id") {
        doc.insert("session_id".into(), json!(sid));
    }
    doc.insert("status".into(), json!(status));
    doc.insert("message".into(), json!(str_of(event, "message")));
    doc.insert("cwd".into(), json!(cwd));
    doc.insert("timestamp".into(), json!(now));
    let metrics = object_at(doc, "metrics");
    metrics.insert(
        "time".into(),
        json!({
            "started": started,
            "total_seconds": (now - started).max(0),
            "working_seconds": working,
            "waiting_seconds": waiting,
        }),
    );
    let tools = object_at(metrics, "tools");
    tools.entry("recent").or_insert_with(|| json!([]));
    tools.entry("counts").or_insert_with(|| json!({}));
}

/// The `tmux` block: where the session runs (kept as it was when the pane's place is
/// not known).
fn set_place(doc: &mut Map<String, Value>, pane: &Pane) {
    if let Some(place) = &pane.place {
        if let Ok(v) = serde_json::to_value(place) {
            doc.insert("tmux".into(), v);
        }
    }
}

/// `doc[key]` as an object, made one if it is missing or not an object.
fn object_at<'a>(doc: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = doc.entry(key).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// `metrics.tools`: one more use of `tool`, and `tool` first in `recent`.
fn count_tool(doc: &mut Map<String, Value>, tool: &str) {
    if tool.is_empty() {
        return;
    }
    let tools = object_at(object_at(doc, "metrics"), "tools");
    let counts = object_at(tools, "counts");
    let n = int_at(counts.get(tool)) + 1;
    counts.insert(tool.into(), json!(n));
    let mut recent: Vec<Value> = match tools.get("recent") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    recent.insert(0, json!(tool));
    recent.truncate(RECENT_TOOLS);
    tools.insert("recent".into(), Value::Array(recent));
}

/// The lead's tool use tells about teammates: a spawned one is working, a message wakes
/// its recipient (or everyone, broadcast), a shutdown request stops it.
fn infer_agents(doc: &mut Map<String, Value>, event: &Value, now: i64) {
    let input = event.get("tool_input").unwrap_or(&Value::Null);
    let response = event.get("tool_response").unwrap_or(&Value::Null);
    match str_of(event, "tool_name") {
        "Task" if str_of(response, "status") == "teammate_spawned" => {
            let name = str_of(input, "name");
            if !name.is_empty() {
                let sid = str_of(response, "session_id");
                upsert_agent(doc, str_of(input, "team_name"), name, "working", sid, now);
            }
        }
        "SendMessage" => {
            let to = str_of(input, "recipient");
            let not_stopped = |a: &Value| str_of(a, "status") != "stopped";
            match str_of(input, "type") {
                "shutdown_request" if !to.is_empty() => {
                    set_agents(doc, now, |a| str_of(a, "name") == to, "stopped");
                }
                "message" if !to.is_empty() => set_agents(
                    doc,
                    now,
                    |a| str_of(a, "name") == to && not_stopped(a),
                    "working",
                ),
                "broadcast" => set_agents(doc, now, not_stopped, "working"),
                _ => {}
            }
        }
        _ => {}
    }
}

/// A teammate's event: upsert its agent in `team.agents`; the lead's status is untouched.
fn update_teammate(
    doc: &mut Map<String, Value>,
    pane: &Pane,
    event: &Value,
    status: &str,
    now: i64,
) -> Result<(), &'static str> {
    let name = str_of(event, "teammate_name");
    let current = agents(doc)
        .and_then(|a| a.iter().find(|a| str_of(a, "name") == name))
        .map(|a| str_of(a, "status").to_owned());
    if status == "idle" && current.as_deref() == Some("stopped") {
        return Err("an idle report after the agent stopped");
    }
    if doc.is_empty() {
        doc.insert("tmux_session".into(), json!(pane.session));
        set_place(doc, pane);
        doc.insert("status".into(), json!("working"));
        doc.insert("message".into(), json!(""));
        doc.insert("cwd".into(), json!(pane.cwd));
        doc.insert("timestamp".into(), json!(now));
    }
    let sid = str_of(event, "session_id");
    upsert_agent(doc, str_of(event, "team_name"), name, status, sid, now);
    Ok(())
}

fn agents(doc: &Map<String, Value>) -> Option<&Vec<Value>> {
    doc.get("team")?.get("agents")?.as_array()
}

fn upsert_agent(
    doc: &mut Map<String, Value>,
    team: &str,
    name: &str,
    status: &str,
    sid: &str,
    now: i64,
) {
    let team_obj = object_at(doc, "team");
    if !team.is_empty() || !team_obj.contains_key("name") {
        team_obj.insert("name".into(), json!(team));
    }
    let list = team_obj.entry("agents").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let Some(list) = list.as_array_mut() else {
        return;
    };
    let agent = match list.iter().position(|a| str_of(a, "name") == name) {
        Some(i) => &mut list[i],
        None => {
            list.push(json!({ "name": name }));
            let last = list.len() - 1;
            &mut list[last]
        }
    };
    if let Value::Object(a) = agent {
        a.insert("status".into(), json!(status));
        a.insert("timestamp".into(), json!(now));
        if !sid.is_empty() {
            a.insert("session_id".into(), json!(sid));
        }
    }
}

/// Sets `status` on every agent `which` selects.
fn set_agents(
    doc: &mut Map<String, Value>,
    now: i64,
    which: impl Fn(&Value) -> bool,
    status: &str,
) {
    let Some(list) = doc
        .get_mut("team")
        .and_then(|t| t.get_mut("agents"))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for a in list.iter_mut().filter(|a| which(a)) {
        if let Value::Object(a) = a {
            a.insert("status".into(), json!(status));
            a.insert("timestamp".into(), json!(now));
        }
    }
}

fn prune_stopped_agents(doc: &mut Map<String, Value>) {
    let Some(Value::Object(team)) = doc.get_mut("team") else {
        return;
    };
    if let Some(Value::Array(list)) = team.get_mut("agents") {
        list.retain(|a| str_of(a, "status") != "stopped");
        if list.is_empty() {
            doc.shift_remove("team");
        }
    }
}

/// Writes `value` to a hidden temp file beside `file` and renames it into place, so a
/// reader sees the old file or the new one, never a part.
fn write_atomic(dir: &Path, file: &Path, value: &Value) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    let tmp = layout::temp_file(dir, "hook");
    let result = (|| {
        // No fsync: a status file is rewritten within seconds, and the rename alone makes
        // readers see the old file or the new one (fsync cost ~10 ms per hook here).
        crate::private::write_new(&tmp, &bytes)?;
        std::fs::rename(&tmp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Opens without blocking (a FIFO or a device at the path must not hold the hook).
pub(crate) fn open_nonblocking(
    options: &mut std::fs::OpenOptions,
    path: &Path,
) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NONBLOCK);
    options.open(path)
}

/// The bytes of `file` when it is a regular file within the readers' size cap; `None`
/// for anything else (missing, a FIFO, a device, `/dev/zero` behind a symlink, too big):
/// the hook then starts the file afresh.
fn read_regular(file: &Path) -> Option<Vec<u8>> {
    let f = open_nonblocking(std::fs::OpenOptions::new().read(true), file).ok()?;
    let meta = f.metadata().ok()?;
    let cap = navi_core::MAX_STATUS_FILE_BYTES;
    if !meta.is_file() || meta.len() > cap {
        tracing::warn!(file = %file.display(), "not a regular status file within the cap; starting afresh");
        return None;
    }
    let mut bytes = Vec::new();
    f.take(cap + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= cap).then_some(bytes)
}

/// The lock file, locked, by `deadline` at most; `None` when it is not a regular file,
/// cannot be opened, or stays locked past the deadline.
fn lock_within(path: &Path, deadline: Instant) -> Option<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let f = open_nonblocking(&mut options, path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut nap = LOCK_FIRST_NAP;
    loop {
        match f.try_lock() {
            Ok(()) => return Some(f),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(LOCK_LONGEST_NAP);
            }
            Err(_) => return None,
        }
    }
}

/// Removes navi writers' temp files (`.tmp.navi.<tag>.<pid>`) whose process is gone and
/// that are older than [`STALE_TEMP_AGE`]: a writer killed mid-write leaves one. Where
/// processes cannot be checked (no `/proc`), nothing is removed.
pub fn clean_stale_temps(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(layout::TEMP_PREFIX))
        else {
            continue;
        };
        let Some(pid) = rest.rsplit('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if old && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
