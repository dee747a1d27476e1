//! Source plugins: a program that speaks JSON lines on stdin/stdout is a source like any
//! other (the protocol is `docs/plugin-protocol.md`). This module holds the protocol's
//! types, [`PluginState`] (what navi keeps of a plugin's lines: a pure function of them,
//! so property tests can hold it to "the plugin's last valid state"), and [`serve`], the
//! helper that turns any [`SessionSource`] into a plugin: a Rust author writes only the
//! source.
//!
//! navi's side (starting the program, bounding its output, restarting it) is
//! `navi_source_local::plugin::PluginSource`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::{
    Action, ActionOutput, AttachContext, Capabilities, SessionInfo, SessionSource, SkippedFile,
};

mod serve;
pub use serve::serve;

#[cfg(test)]
mod tests;

/// The protocol version this navi speaks (the hello's `protocol`).
pub const PROTOCOL_VERSION: u64 = 1;
/// The longest line navi reads from a plugin; a longer one ends the plugin's run.
pub const MAX_LINE: usize = 8 * 1024 * 1024;
/// The most sessions one plugin may hold.
pub const MAX_SESSIONS: usize = 4096;
/// The most bytes of session objects one plugin may hold in navi's memory.
pub const MAX_STATE_BYTES: usize = 32 * 1024 * 1024;
/// Unreadable lines in a row after which a plugin is taken for broken (restarted).
pub const MAX_GARBAGE_RUN: usize = 100;
/// Unreadable lines kept to report in one poll (the rest are counted).
const MAX_SKIPPED_KEPT: usize = 20;
/// Entries a plugin says it could not read that navi keeps (the rest are counted).
pub const MAX_DECLARED_SKIPPED: usize = 100;
/// The longest name or reason of such an entry navi keeps (in characters).
const MAX_SKIPPED_TEXT: usize = 512;

/// The action words of the hello's `actions` and of an action request.
pub const ACTION_WORDS: &[&str] = &[
    "preview",
    "new",
    "kill",
    "rename",
    "dismiss",
    "acknowledge",
    "send",
];

/// What a plugin said about itself in its first line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version it speaks.
    pub protocol: u64,
    /// The actions it runs (requests for others are refused by navi).
    pub actions: Capabilities,
    /// Whether it answers attach requests.
    pub attach: bool,
    /// Action words navi does not know (a newer plugin): ignored.
    pub unknown_actions: Vec<String>,
}

impl Hello {
    /// A hello of this protocol version with `actions` (see [`ACTION_WORDS`]).
    pub fn new(actions: Capabilities, attach: bool) -> Hello {
        Hello {
            protocol: PROTOCOL_VERSION,
            actions,
            attach,
            unknown_actions: Vec::new(),
        }
    }

    /// The hello line.
    pub fn to_line(&self) -> String {
        let words: Vec<&str> = ACTION_WORDS
            .iter()
            .copied()
            .filter(|w| action_for_word(w).is_some_and(|a| self.actions.allows(&a)))
            .collect();
        json!({"type": "hello", "protocol": self.protocol, "actions": words, "attach": self.attach})
            .to_string()
    }
}

/// A representative action per word, to ask [`Capabilities::allows`].
fn action_for_word(word: &str) -> Option<Action> {
    Some(match word {
        "preview" => Action::Preview,
        "new" => Action::New {
            dir: String::new(),
            command: Vec::new(),
            create_dir: false,
        },
        "kill" => Action::Kill,
        "rename" => Action::Rename { to: String::new() },
        "dismiss" => Action::Dismiss,
        "acknowledge" => Action::Acknowledge,
        "send" => Action::Send {
            text: String::new(),
        },
        _ => return None,
    })
}

fn set_capability(caps: &mut Capabilities, word: &str) -> bool {
    let flag = match word {
        "preview" => &mut caps.preview,
        "new" => &mut caps.new,
        "kill" => &mut caps.kill,
        "rename" => &mut caps.rename,
        "dismiss" => &mut caps.dismiss,
        "acknowledge" => &mut caps.acknowledge,
        "send" => &mut caps.send,
        _ => return false,
    };
    *flag = true;
    true
}

/// A plugin's health line: ok, or unavailable with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// It can see its sessions.
    Ok,
    /// It cannot (its daemon is down, its credentials expired): the reason.
    Unavailable(String),
}

impl Health {
    /// The health line.
    pub fn to_line(&self) -> String {
        match self {
            Health::Ok => json!({"type": "health", "ok": true}).to_string(),
            Health::Unavailable(reason) => {
                json!({"type": "health", "ok": false, "reason": reason}).to_string()
            }
        }
    }
}

/// A plugin's answer to the request with `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The request's id.
    pub id: u64,
    /// What it did, or why it could not.
    pub result: Result<Reply, String>,
}

/// The body of a successful answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// A sentence for the status line (`"killed api"`).
    pub message: Option<String>,
    /// A preview's text.
    pub text: Option<String>,
    /// An attach request's command.
    pub argv: Option<Vec<String>>,
}

impl Answer {
    /// The answer line.
    pub fn to_line(&self) -> String {
        match &self.result {
            Ok(r) => {
                let mut m = Map::new();
                m.insert("type".into(), "answer".into());
                m.insert("id".into(), self.id.into());
                m.insert("ok".into(), true.into());
                if let Some(v) = &r.message {
                    m.insert("message".into(), v.clone().into());
                }
                if let Some(v) = &r.text {
                    m.insert("text".into(), v.clone().into());
                }
                if let Some(v) = &r.argv {
                    m.insert("argv".into(), v.clone().into());
                }
                Value::Object(m).to_string()
            }
            Err(e) => json!({"type": "answer", "id": self.id, "ok": false, "error": e}).to_string(),
        }
    }
}

/// One request from navi to a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The user asked for fresh data now.
    RetryNow,
    /// Run `action` on `session`.
    Action {
        /// The session's name.
        session: String,
        /// What to do.
        action: Action,
    },
    /// The argv that attaches to `session` in navi's terminal.
    Attach {
        /// The session's name.
        session: String,
        /// navi runs inside tmux.
        inside_tmux: bool,
    },
    /// A request this side does not know (answered with an error).
    Unknown(String),
}

impl Request {
    /// The request line with `id`.
    pub fn to_line(&self, id: u64) -> String {
        let mut v = match self {
            Request::RetryNow => json!({"type": "retry_now"}),
            Request::Attach {
                session,
                inside_tmux,
            } => json!({"type": "attach", "session": session, "inside_tmux": inside_tmux}),
            Request::Action { session, action } => action_json(session, action),
            Request::Unknown(kind) => json!({"type": kind}),
        };
        if let Some(m) = v.as_object_mut() {
            m.insert("id".into(), id.into());
        }
        v.to_string()
    }

    /// Reads a request line: `(id, request)`; `Err` when it is not one.
    pub fn parse(line: &[u8]) -> Result<(u64, Request), String> {
        let v: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
        let id = v
            .get("id")
            .and_then(Value::as_u64)
            .ok_or("no numeric `id`")?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let kind = text("type");
        let request = match kind.as_str() {
            "retry_now" => Request::RetryNow,
            "attach" => Request::Attach {
                session: text("session"),
                inside_tmux: v.get("inside_tmux").and_then(Value::as_bool) == Some(true),
            },
            "action" => match parse_action(&v) {
                Some(action) => Request::Action {
                    session: text("session"),
                    action,
                },
                None => Request::Unknown(format!("action {}", text("action"))),
            },
            _ => Request::Unknown(kind),
        };
        Ok((id, request))
    }
}

fn action_json(session: &str, action: &Action) -> Value {
    let mut v = json!({"type": "action", "session": session, "action": action.name()});
    let extra = match action {
        Action::New {
            dir,
            command,
            create_dir,
        } => json!({"dir": dir, "command": command, "create_dir": create_dir}),
        Action::Rename { to } => json!({"to": to}),
        Action::Send { text } => json!({"text": text}),
        _ => json!({}),
    };
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    v
}

fn parse_action(v: &Value) -> Option<Action> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(match v.get("action")?.as_str()? {
        "preview" => Action::Preview,
        "kill" => Action::Kill,
        "dismiss" => Action::Dismiss,
        "tidy" => Action::Tidy,
        "acknowledge" => Action::Acknowledge,
        "rename" => Action::Rename { to: text("to")? },
        "send" => Action::Send {
            text: text("text")?,
        },
        "new" => Action::New {
            dir: text("dir").unwrap_or_else(|| "~".into()),
            command: v
                .get("command")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            create_dir: v.get("create_dir").and_then(Value::as_bool) == Some(true),
        },
        _ => return None,
    })
}

/// A full snapshot line: every session, keyed by its name, and the entries the plugin
/// could not read (`skipped`, left out when there are none).
pub fn snapshot_line<S: std::borrow::Borrow<SessionInfo>>(
    sessions: &[S],
    skipped: &[SkippedFile],
) -> String {
    let mut m = Map::new();
    for s in sessions {
        let s: &SessionInfo = s.borrow();
        m.insert(
            s.tmux_session.clone(),
            serde_json::to_value(s).unwrap_or(Value::Null),
        );
    }
    let mut line = json!({"type": "snapshot", "full": true, "sessions": m});
    if let (false, Some(o)) = (skipped.is_empty(), line.as_object_mut()) {
        let list: Vec<Value> = skipped
            .iter()
            .map(|s| json!({"name": s.name, "reason": s.reason}))
            .collect();
        o.insert("skipped".into(), list.into());
    }
    line.to_string()
}

/// What one line did to a [`PluginState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The hello was read.
    Hello,
    /// The sessions (or the health) changed: wake the aggregator.
    Changed,
    /// An answer, for whoever waits for its id.
    Answer(Answer),
    /// Nothing to do (a type this navi does not know: a newer plugin's).
    Nothing,
    /// The line was not readable; it cost only itself.
    Garbage(String),
    /// The plugin cannot go on (no hello, another protocol version, too many sessions,
    /// too much garbage): the reason.
    Fatal(String),
}

/// What navi holds of one plugin's run: a pure function of the lines it wrote.
#[derive(Debug, Clone, Default)]
pub struct PluginState {
    hello: Option<Hello>,
    sessions: BTreeMap<String, (SessionInfo, usize)>,
    bytes: usize,
    health: Option<Health>,
    full_seen: bool,
    garbage_run: usize,
    skipped: Vec<SkippedFile>,
    skipped_more: usize,
    /// What its last snapshot said it could not read (reported by every poll, as a
    /// broken status file is by the local source until it is fixed).
    declared: Vec<SkippedFile>,
    lines: u64,
}

impl PluginState {
    /// The hello, once read.
    pub fn hello(&self) -> Option<&Hello> {
        self.hello.as_ref()
    }

    /// Whether the run's view is complete: a full snapshot came, or (for a plugin that
    /// sends its first view as many change lines) its first health line. A poll before
    /// it waits.
    pub fn is_ready(&self) -> bool {
        self.full_seen || self.health.is_some()
    }

    /// The sessions, by name.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.sessions.values().map(|(s, _)| s.clone()).collect()
    }

    /// The session named `name`.
    pub fn session(&self, name: &str) -> Option<&SessionInfo> {
        self.sessions.get(name).map(|(s, _)| s)
    }

    /// The last health line (none yet: ok).
    pub fn health(&self) -> Health {
        self.health.clone().unwrap_or(Health::Ok)
    }

    /// The bytes of session objects held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// What the plugin's last snapshot said it could not read (its `skipped`).
    pub fn declared_skipped(&self) -> &[SkippedFile] {
        &self.declared
    }

    /// The entries its last snapshot said it could not read, then the unreadable lines
    /// (and session objects) noted since the last call (taken).
    pub fn take_skipped(&mut self) -> Vec<SkippedFile> {
        let mut out = self.declared.clone();
        out.append(&mut self.skipped);
        if self.skipped_more > 0 {
            out.push(SkippedFile {
                name: "plugin output".into(),
                reason: format!("{} more unreadable lines", self.skipped_more),
            });
            self.skipped_more = 0;
        }
        out
    }

    fn note(&mut self, name: String, reason: String) {
        if self.skipped.len() < MAX_SKIPPED_KEPT {
            self.skipped.push(SkippedFile {
                name: crate::text::sanitize(&name).into_owned(),
                reason: crate::text::sanitize(&reason).into_owned(),
            });
        } else {
            self.skipped_more += 1;
        }
    }

    /// Applies one line (without its line break).
    pub fn apply(&mut self, line: &[u8]) -> Applied {
        self.lines += 1;
        let v = match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return self.garbage("not a JSON object".into()),
            Err(e) => return self.garbage(format!("not JSON ({e})")),
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        if self.hello.is_none() {
            return match kind {
                "hello" => self.read_hello(&v),
                _ => Applied::Fatal(
                    "its first line is not a hello (is it a navi plugin?)".to_string(),
                ),
            };
        }
        let applied = match kind {
            "snapshot" => self.read_snapshot(&v),
            "health" => self.read_health(&v),
            "answer" => read_answer(&v),
            "hello" => Err("a second hello".to_string()),
            _ => Ok(Applied::Nothing),
        };
        match applied {
            Ok(a) => {
                self.garbage_run = 0;
                a
            }
            Err(reason) => self.garbage(reason),
        }
    }

    fn garbage(&mut self, reason: String) -> Applied {
        if self.hello.is_none() {
            return Applied::Fatal(format!(
                "its first line is not a hello: {reason} (is it a navi plugin?)"
            ));
        }
        self.garbage_run += 1;
        self.note(format!("plugin output line {}", self.lines), reason.clone());
        if self.garbage_run > MAX_GARBAGE_RUN {
            return Applied::Fatal(format!("{MAX_GARBAGE_RUN} unreadable lines in a row"));
        }
        Applied::Garbage(reason)
    }

    fn read_hello(&mut self, v: &Map<String, Value>) -> Applied {
        let Some(protocol) = v.get("protocol").and_then(Value::as_u64) else {
            return Applied::Fatal("its hello has no numeric `protocol`".into());
        };
        if protocol != PROTOCOL_VERSION {
            return Applied::Fatal(format!(
                "it speaks protocol {protocol}; this navi speaks {PROTOCOL_VERSION}"
            ));
        }
        let mut hello = Hello::new(Capabilities::default(), false);
        hello.attach = v.get("attach").and_then(Value::as_bool) == Some(true);
        for word in v
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let word = word.as_str().unwrap_or("");
            if !set_capability(&mut hello.actions, word) {
                hello
                    .unknown_actions
                    .push(crate::text::sanitize(word).into_owned());
            }
        }
        self.hello = Some(hello);
        Applied::Hello
    }

    fn read_snapshot(&mut self, v: &Map<String, Value>) -> Result<Applied, String> {
        let full = match v.get("full") {
            Some(Value::Bool(b)) => *b,
            None => true,
            Some(_) => return Err("a snapshot whose `full` is not true or false".into()),
        };
        let Some(Value::Object(given)) = v.get("sessions") else {
            return Err("a snapshot without a `sessions` object".into());
        };
        let mut next = match full {
            true => BTreeMap::new(),
            false => self.sessions.clone(),
        };
        for (name, body) in given {
            if body.is_null() {
                next.remove(name);
                continue;
            }
            match parse_session(name, body) {
                Ok(entry) => {
                    next.insert(name.clone(), entry);
                }
                Err(reason) => {
                    next.remove(name);
                    self.note(format!("session {name}"), reason);
                }
            }
        }
        let bytes: usize = next.values().map(|(_, b)| b).sum();
        if next.len() > MAX_SESSIONS || bytes > MAX_STATE_BYTES {
            return Ok(Applied::Fatal(format!(
                "it sent {} sessions ({bytes} bytes); navi holds at most {MAX_SESSIONS} \
                 ({MAX_STATE_BYTES} bytes) of one plugin",
                next.len()
            )));
        }
        if full || v.contains_key("skipped") {
            self.declared = read_declared(v.get("skipped"));
        }
        self.sessions = next;
        self.bytes = bytes;
        self.full_seen |= full;
        Ok(Applied::Changed)
    }

    fn read_health(&mut self, v: &Map<String, Value>) -> Result<Applied, String> {
        let health = match v.get("ok").and_then(Value::as_bool) {
            Some(true) => Health::Ok,
            Some(false) => Health::Unavailable(
                v.get("reason")
                    .and_then(Value::as_str)
                    .map(|r| crate::text::sanitize(r).into_owned())
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| "the plugin says it is unavailable".into()),
            ),
            None => return Err("a health line without `ok: true|false`".into()),
        };
        let changed = self.health.as_ref() != Some(&health);
        self.health = Some(health);
        Ok(match changed {
            true => Applied::Changed,
            false => Applied::Nothing,
        })
    }
}

/// A snapshot's `skipped`: `[{"name": ..., "reason": ...}]`, bounded and sanitised; an
/// entry of another shape is kept as what it is.
fn read_declared(v: Option<&Value>) -> Vec<SkippedFile> {
    let Some(Value::Array(list)) = v else {
        return Vec::new();
    };
    let text = |e: &Value, k: &str| {
        let raw = e.get(k).and_then(Value::as_str).unwrap_or("");
        let cut: String = raw.chars().take(MAX_SKIPPED_TEXT).collect();
        crate::text::sanitize(&cut).into_owned()
    };
    let mut out: Vec<SkippedFile> = list
        .iter()
        .take(MAX_DECLARED_SKIPPED)
        .map(|e| SkippedFile {
            name: text(e, "name"),
            reason: match text(e, "reason") {
                r if r.is_empty() => "the plugin could not read it".into(),
                r => r,
            },
        })
        .collect();
    if list.len() > MAX_DECLARED_SKIPPED {
        out.push(SkippedFile {
            name: "plugin".into(),
            reason: format!(
                "{} more entries it could not read",
                list.len() - MAX_DECLARED_SKIPPED
            ),
        });
    }
    out
}

/// One session object, keyed by `name` (the key wins over the object's `tmux_session`).
fn parse_session(name: &str, body: &Value) -> Result<(SessionInfo, usize), String> {
    if name.is_empty() {
        return Err("an empty session name".into());
    }
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut s = SessionInfo::parse(&bytes, Some(name)).map_err(|e| e.to_string())?;
    s.tmux_session = name.to_string();
    s.remote = None;
    s.stale = false;
    Ok((s, bytes.len()))
}

fn read_answer(v: &Map<String, Value>) -> Result<Applied, String> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or("an answer without a numeric `id`")?;
    let clean = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(|s| crate::text::sanitize(s).into_owned())
    };
    let result = match v.get("ok").and_then(Value::as_bool) {
        Some(true) => Ok(Reply {
            message: clean("message"),
            // A preview keeps its lines; each is cleaned where it is shown.
            text: v
                .get("text")
                .and_then(Value::as_str)
                .map(crate::text::clean_pane),
            argv: match v.get("argv") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) => Some(
                    a.iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or("an answer whose `argv` holds a non-string")?,
                ),
                Some(_) => return Err("an answer whose `argv` is not a list".into()),
            },
        }),
        Some(false) => Err(clean("error").unwrap_or_else(|| "the plugin refused".into())),
        None => return Err("an answer without `ok: true|false`".into()),
    };
    Ok(Applied::Answer(Answer { id, result }))
}

/// What a reply means as an action's output.
pub fn action_output(action: &Action, reply: Reply) -> ActionOutput {
    match (action, reply.text) {
        (Action::Preview, Some(text)) => ActionOutput::Text(text),
        (_, _) => ActionOutput::Done(
            reply
                .message
                .unwrap_or_else(|| format!("{} done", action.name())),
        ),
    }
}

/// Answers one request of navi with `source` (what [`serve`] does per request line).
pub async fn answer<S: SessionSource + ?Sized, R: std::borrow::Borrow<SessionInfo>>(
    source: &S,
    sessions: &[R],
    id: u64,
    request: Request,
) -> Answer {
    let result = match request {
        Request::RetryNow => {
            source.retry_now();
            Ok(Reply::default())
        }
        Request::Attach {
            session,
            inside_tmux,
        } => {
            let s = sessions
                .iter()
                .map(std::borrow::Borrow::borrow)
                .find(|s: &&SessionInfo| s.tmux_session == session)
                .cloned()
                .unwrap_or_else(|| SessionInfo {
                    tmux_session: session.clone(),
                    ..SessionInfo::default()
                });
            source
                .attach(&s, &AttachContext { inside_tmux })
                .map(|cmd| Reply {
                    argv: Some(cmd.argv),
                    ..Reply::default()
                })
                .map_err(|e| e.to_string())
        }
        Request::Action { session, action } => {
            if !source.supports().allows(&action) {
                Err(format!("this plugin cannot {}", action.name()))
            } else {
                let deadline = crate::Deadline::after(crate::limits::ACTION);
                match crate::bounded_act(source, &session, &action, deadline).await {
                    Ok(ActionOutput::Text(t)) => Ok(Reply {
                        text: Some(t),
                        ..Reply::default()
                    }),
                    Ok(ActionOutput::Done(m)) => Ok(Reply {
                        message: Some(m),
                        ..Reply::default()
                    }),
                    Ok(_) => Ok(Reply::default()),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
        Request::Unknown(kind) => Err(format!("unknown request {kind:?}")),
    };
    Answer { id, result }
}
