//! The JSON shapes of `navi list --json` and `navi remotes --json` (documented in
//! `navi-app/README.md`; change both together).

use navi_core::cost::PriceTable;
use navi_core::{SessionInfo, Snapshot, SourceHealth};
use navi_source_ssh::Remote;
use serde_json::{json, Map, Value};

use crate::format::unix_seconds;
use crate::sources::ConfigProblem;

/// `{"sessions": [...], "sources": [...]}`; each session's `cost` priced by `prices`.
pub fn list(snapshot: &Snapshot, prices: &PriceTable) -> Value {
    json!({
        "sessions": snapshot.sessions.iter().map(|s| {
            let mut v = session(s);
            if let Value::Object(m) = &mut v {
                m.insert("cost".into(), cost(s, prices));
            }
            v
        }).collect::<Vec<_>>(),
        "sources": snapshot.sources.iter().map(source).collect::<Vec<_>>(),
    })
}

/// A session: the status file's fields as read, plus `remote`, `stale`, `status_kind`,
/// `liveness` (`live`, `ended`, `unknown`, `stale`) with `liveness_reason`, its marks
/// (`bookmarked`, `tags`, `note`), and `memory` (`{rss_bytes, sampled_at}` as sampled on
/// its machine, which `metrics.resource.rss_bytes` then also holds; `null` when not
/// sampled).
pub fn session(s: &SessionInfo) -> Value {
    let mut obj = match serde_json::to_value(s) {
        Ok(Value::Object(m)) => m,
        // SessionInfo is plain data and always serializes to an object; keep the essentials
        // should that ever change.
        _ => Map::from_iter([
            ("tmux_session".to_string(), json!(s.tmux_session)),
            ("status".to_string(), json!(s.status.as_str())),
        ]),
    };
    obj.insert("status_kind".into(), json!(s.status.kind()));
    // Whether its tmux session runs (live, ended, unknown, stale), and why it is
    // unknown; `ended` stays for scripts written before `liveness`.
    let liveness = s.row_liveness();
    obj.insert("liveness".into(), json!(liveness.as_str()));
    obj.insert("liveness_reason".into(), json!(liveness.reason()));
    obj.insert("ended".into(), json!(s.is_ended()));
    obj.insert("bookmarked".into(), json!(s.marks.bookmarked));
    obj.insert("tags".into(), json!(s.marks.tags));
    obj.insert("note".into(), json!(s.marks.note));
    obj.insert("memory".into(), json!(s.memory));
    Value::Object(obj)
}

/// `{"usd": 3.17, "unpriced": [models]}`: the estimated cost of the session's tokens at
/// list prices (`null` when its counts have no cache split or model).
fn cost(s: &SessionInfo, prices: &PriceTable) -> Value {
    let tokens = s.metrics.as_ref().and_then(|m| m.tokens.as_ref());
    match tokens.and_then(|t| navi_core::cost::estimate(t, prices)) {
        Some(c) => json!({"usd": (c.dollars * 1e4).round() / 1e4, "unpriced": c.unpriced}),
        None => Value::Null,
    }
}

/// A source's health.
pub fn source(h: &SourceHealth) -> Value {
    json!({
        "name": h.name,
        "state": h.state.as_str(),
        "reason": h.reason.as_ref().map(ToString::to_string),
        "reason_kind": h.reason.as_ref().map(|r| r.kind()),
        "latency_ms": h.latency.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        "last_ok": h.last_ok.map(unix_seconds),
        "sessions": h.sessions,
        "note": h.note.as_ref().map(ToString::to_string),
        "mode": h.mode.as_ref().map(ToString::to_string),
        "skipped": h.skipped.iter().map(|f| json!({"name": f.name, "reason": f.reason})).collect::<Vec<_>>(),
    })
}

/// `{"file", "remotes": [...], "errors": [...]}`: `navi remotes --json`.
pub fn remotes(file: Option<String>, remotes: Vec<Value>, errors: &[ConfigProblem]) -> Value {
    json!({
        "file": file,
        "remotes": remotes,
        "errors": errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// A remote's health ([`source`]) plus its resolved `host`, `port`, `user`, `jump` and
/// `sessions_dir` when it is a configured remote.
pub fn remote(h: &SourceHealth, r: Option<&Remote>) -> Value {
    let mut v = source(h);
    if let (Value::Object(m), Some(r)) = (&mut v, r) {
        m.insert("host".into(), json!(r.host));
        m.insert("port".into(), json!(r.port));
        m.insert("user".into(), json!(r.user));
        m.insert(
            "jump".into(),
            json!(r.jump.as_ref().map(crate::cmd::remotes::jump_address)),
        );
        m.insert("sessions_dir".into(), json!(r.sessions_dir));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::{SkippedFile, SourceError, SourceState, Status};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn session_fields_and_status_kind() {
        let s = SessionInfo {
            tmux_session: "legacy".into(),
            status: Status::from_hook("compacting"),
            remote: Some("dev".into()),
            timestamp: 5,
            ..Default::default()
        };
        let v = session(&s);
        assert_eq!(v["tmux_session"], "legacy");
        assert_eq!(v["status"], "compacting");
        assert_eq!(v["status_kind"], "unknown");
        assert_eq!(v["remote"], "dev");
        assert_eq!(v["stale"], false);
        assert_eq!(v["timestamp"], 5);
        assert!(v.get("partial").is_none());
        assert_eq!(
            (&v["bookmarked"], &v["tags"], &v["note"]),
            (&json!(false), &json!([]), &Value::Null)
        );
        let mut s = s;
        s.marks.bookmarked = true;
        s.marks.tags = vec!["wip".into()];
        s.marks.note = Some("n".into());
        let v = session(&s);
        assert_eq!(
            (&v["bookmarked"], &v["tags"], &v["note"]),
            (&json!(true), &json!(["wip"]), &json!("n"))
        );
        assert!(v.get("marks").is_none());
    }

    #[test]
    fn source_fields() {
        let mut h = SourceHealth::connecting(Some("dev".into()));
        h.state = SourceState::Unavailable;
        h.reason = Some(SourceError::Auth("no key".into()));
        h.latency = Some(Duration::from_millis(42));
        h.last_ok = Some(UNIX_EPOCH + Duration::from_secs(1000));
        h.sessions = 2;
        h.skipped = vec![SkippedFile {
            name: "x.json".into(),
            reason: "bad".into(),
        }];
        let v = source(&h);
        assert_eq!(
            v,
            json!({"name": "dev", "state": "unavailable", "reason": "authentication failed: no key",
                   "reason_kind": "auth", "latency_ms": 42, "last_ok": 1000, "sessions": 2,
                   "note": null, "mode": null,
                   "skipped": [{"name": "x.json", "reason": "bad"}]})
        );
        h.mode = Some(navi_core::PollMode::Push(navi_core::PushWatch::Inotify));
        h.note = Some(navi_core::PollNote::MissingDir {
            dir: "~/.claude-sessions".into(),
            remote: Some("dev".into()),
        });
        let v = source(&h);
        assert_eq!(v["mode"], "push (inotify)");
        assert_eq!(
            v["note"],
            "~/.claude-sessions does not exist on dev (`navi remotes setup dev` creates it)"
        );
        let local = source(&SourceHealth::connecting(None));
        assert_eq!(local["name"], Value::Null);
        assert_eq!(local["state"], "connecting");
        assert_eq!(local["reason_kind"], Value::Null);
        assert_eq!(local["latency_ms"], Value::Null);
    }
}
