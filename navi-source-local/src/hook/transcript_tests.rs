//! The transcript reader against lines in Claude Code's transcript shape.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::transcript::{read_tokens, ReadStats};
use super::*;

const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU: &str = "claude-haiku-4-5-20251001";

fn user(uuid: &str, text: &str) -> String {
    json!({
        "parentUuid": null, "isSidechain": false, "userType": "external",
        "cwd": "/srv/api", "sessionId": "lead-1", "version": "2.0.14", "gitBranch": "main",
        "type": "user", "message": {"role": "user", "content": text},
        "uuid": uuid, "timestamp": "2025-10-10T10:00:00.000Z"
    })
    .to_string()
}

/// One line of an assistant message: one content block, the message's usage.
fn assistant(id: &str, model: &str, usage: [u64; 4], block: Value) -> String {
    let [input, output, read, write] = usage;
    json!({
        "parentUuid": "u1", "isSidechain": false, "userType": "external",
        "cwd": "/srv/api", "sessionId": "lead-1", "version": "2.0.14", "gitBranch": "main",
        "message": {
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [block], "stop_reason": null, "stop_sequence": null,
            "usage": {
                "input_tokens": input,
                "cache_creation_input_tokens": write,
                "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                "output_tokens": output,
                "service_tier": "standard"
            }
        },
        "requestId": format!("req_{id}"), "type": "assistant",
        "uuid": format!("{id}-{}", block["type"].as_str().unwrap_or("x")),
        "timestamp": "2025-10-10T10:00:01.000Z"
    })
    .to_string()
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn tool_use(name: &str) -> Value {
    json!({"type": "tool_use", "id": "toolu_1", "name": name, "input": {"command": "echo \"usage\": {}"}})
}

/// A Task tool's result: a user line whose `toolUseResult` has its own `usage` (the
/// subagent's, not this session's).
fn task_result() -> String {
    json!({
        "type": "user", "sessionId": "lead-1", "uuid": "u9",
        "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"}]},
        "toolUseResult": {"totalTokens": 999, "usage": {"input_tokens": 900, "output_tokens": 99}}
    })
    .to_string()
}

fn compaction() -> Vec<String> {
    vec![
        json!({"type": "summary", "summary": "Fixing the build", "leafUuid": "a1"}).to_string(),
        json!({
            "parentUuid": null, "logicalParentUuid": "a2", "type": "system",
            "subtype": "compact_boundary", "content": "Conversation compacted",
            "compactMetadata": {"trigger": "manual", "preTokens": 123456},
            "uuid": "c1", "timestamp": "2025-10-10T11:00:00.000Z"
        })
        .to_string(),
        json!({
            "type": "user", "isCompactSummary": true, "uuid": "u2",
            "message": {"role": "user", "content": "This session is being continued ... \"usage\""}
        })
        .to_string(),
    ]
}

/// A session: two models, a message written as three lines (the first a streaming
/// snapshot with fewer output tokens), a compaction, a Task result, an API error line.
fn session_lines() -> Vec<String> {
    let mut l = vec![
        user("u1", "fix the build"),
        assistant("msg_A", SONNET, [10, 2, 5000, 1000], text("Looking")),
        assistant("msg_A", SONNET, [10, 40, 5000, 1000], text("Looking at it")),
        assistant("msg_A", SONNET, [10, 40, 5000, 1000], tool_use("Bash")),
        task_result(),
    ];
    l.extend(compaction());
    l.push(assistant("msg_B", HAIKU, [100, 20, 0, 300], text("Done")));
    l.push(assistant(
        "msg_C",
        "<synthetic>",
        [0, 0, 0, 0],
        text("API Error"),
    ));
    l.push(assistant(
        "msg_D",
        SONNET,
        [1, 8, 6000, 0],
        text("All green"),
    ));
    l
}

fn write_lines(path: &Path, lines: &[String], tail: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    f.write_all(tail.as_bytes()).unwrap();
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn name() -> SessionName {
    SessionName::existing("api").unwrap()
}

fn later() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

fn read(dir: &Path, t: &Path) -> (Value, ReadStats) {
    let (block, stats) = read_tokens(dir, &name(), t, later()).unwrap();
    (Value::Object(block), stats)
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    transcript: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    std::fs::create_dir(&dir).unwrap();
    let transcript = tmp.path().join("t.jsonl");
    Fixture {
        dir,
        transcript,
        _tmp: tmp,
    }
}

/// Sonnet: msg_A once (10 fresh, 40 out, 5000 read, 1000 written) + msg_D; Haiku: msg_B.
fn expected_totals() -> Value {
    json!({
        "input": (10 + 5000 + 1000) + (1 + 6000) + (100 + 300),
        "output": 40 + 8 + 20,
        "total": 6010 + 6001 + 400 + 68,
        "cache_read": 11000,
        "cache_creation": 1300,
        "model": SONNET,
        "models": {
            HAIKU: {"input": 400, "output": 20, "cache_read": 0, "cache_creation": 300},
            SONNET: {"input": 12011, "output": 48, "cache_read": 11000, "cache_creation": 1000},
        }
    })
}

#[test]
fn a_transcript_gives_the_go_navis_totals_with_the_split_each_message_once() {
    let f = fixture();
    // The last line is being written: not counted yet.
    let half = assistant("msg_E", SONNET, [1000, 1000, 0, 0], text("more"));
    write_lines(&f.transcript, &session_lines(), &half[..half.len() / 2]);
    let (tokens, stats) = read(&f.dir, &f.transcript);
    assert_eq!(tokens, expected_totals());
    assert!(stats.complete && stats.restarted);
    // Only the lines with "usage" in them were parsed: the 6 assistant lines and the Task
    // result, not the compaction summary's text (its quote is escaped: not a match).
    assert_eq!(stats.lines_parsed, 6 + 1);
}

#[test]
fn the_next_event_reads_only_the_appended_bytes_and_finishes_a_cut_line() {
    let f = fixture();
    let last = assistant("msg_E", SONNET, [1000, 1000, 0, 0], text("more"));
    let (head, tail) = last.split_at(last.len() / 2);
    write_lines(&f.transcript, &session_lines(), head);
    let first_len = std::fs::metadata(&f.transcript).unwrap().len();
    let (_, first) = read(&f.dir, &f.transcript);
    assert_eq!(first.bytes_read, first_len);

    let appended = format!("{tail}\n{}\n", user("u5", "thanks"));
    append(&f.transcript, &appended);
    let (tokens, second) = read(&f.dir, &f.transcript);
    // The cut line is read again whole (its first half) plus what was appended.
    assert_eq!(second.bytes_read, (head.len() + appended.len()) as u64);
    assert!(!second.restarted);
    assert_eq!(tokens["output"], 68 + 1000);
    assert_eq!(tokens["input"], 12411 + 1000);

    // Nothing new: nothing read past the offset, the same totals.
    let (again, third) = read(&f.dir, &f.transcript);
    assert_eq!((third.bytes_read, third.lines_parsed), (0, 0));
    assert_eq!(again, tokens);
}

#[test]
fn a_message_split_across_two_events_is_counted_once() {
    let f = fixture();
    let a1 = assistant("msg_A", SONNET, [10, 40, 5000, 1000], text("Looking"));
    write_lines(&f.transcript, &[user("u1", "go"), a1], "");
    let (one, _) = read(&f.dir, &f.transcript);
    let a2 = assistant("msg_A", SONNET, [10, 40, 5000, 1000], tool_use("Bash"));
    append(&f.transcript, &format!("{a2}\n"));
    let (two, stats) = read(&f.dir, &f.transcript);
    assert_eq!(stats.lines_parsed, 1);
    assert_eq!(two, one);
    assert_eq!(two["total"], 10 + 5000 + 1000 + 40);
}

#[test]
fn a_transcript_that_shrank_or_was_replaced_is_read_from_its_start() {
    let f = fixture();
    write_lines(&f.transcript, &session_lines(), "");
    read(&f.dir, &f.transcript);
    let small = vec![assistant("msg_Z", HAIKU, [1, 2, 0, 0], text("hi"))];

    // Shrank (same file, truncated and rewritten shorter).
    write_lines(&f.transcript, &small, "");
    let (tokens, stats) = read(&f.dir, &f.transcript);
    assert!(stats.restarted);
    assert_eq!(
        (tokens["total"].clone(), tokens["model"].clone()),
        (json!(3), json!(HAIKU))
    );

    // Replaced by another file at the same path (a new inode), longer than the offset.
    let other = f.transcript.with_extension("new");
    let mut longer = session_lines();
    longer.push(assistant("msg_Y", HAIKU, [5, 5, 0, 0], text("x")));
    write_lines(&other, &longer, "");
    std::fs::rename(&other, &f.transcript).unwrap();
    let (tokens, stats) = read(&f.dir, &f.transcript);
    assert!(stats.restarted);
    assert_eq!(tokens["output"], 68 + 5);

    // Rewritten in place, as long as before but with another start: the digest tells.
    let mut lines = longer.clone();
    lines[0] = user("u0", "fix the test");
    write_lines(&f.transcript, &lines, "");
    let (_, stats) = read(&f.dir, &f.transcript);
    assert!(stats.restarted);

    // Another transcript path for the session (a new Claude session in the pane).
    let second = f.transcript.with_extension("second.jsonl");
    write_lines(&second, &small, "");
    let (tokens, stats) = read(&f.dir, &second);
    assert!(stats.restarted);
    assert_eq!(tokens["total"], 3);
}

#[test]
fn a_read_past_its_deadline_stops_at_a_line_and_goes_on_next_time() {
    let f = fixture();
    let filler = user("u3", &"x".repeat(2000));
    let mut lines = Vec::new();
    for i in 0..1500 {
        lines.push(filler.clone());
        lines.push(assistant(
            &format!("msg_{i}"),
            SONNET,
            [1, 1, 0, 0],
            text("ok"),
        ));
    }
    write_lines(&f.transcript, &lines, "");
    let len = std::fs::metadata(&f.transcript).unwrap().len();
    assert!(len > 3 << 20, "more than a few chunks");
    // A deadline already past: one chunk per event.
    let mut rounds = 0;
    let tokens = loop {
        rounds += 1;
        let (block, stats) = read_tokens(&f.dir, &name(), &f.transcript, Instant::now()).unwrap();
        if stats.complete {
            break Value::Object(block);
        }
        assert!(stats.bytes_read > 0 && stats.bytes_read <= 1 << 20);
    };
    assert!(rounds > 3);
    assert_eq!(tokens["total"], 3000);
    assert_eq!(tokens["models"][SONNET]["output"], 1500);
}

#[test]
fn the_hook_writes_tokens_and_a_missing_transcript_leaves_the_file_intact() {
    let f = fixture();
    write_lines(&f.transcript, &session_lines(), "");
    let pane = Pane {
        session: "api".into(),
        cwd: "/srv/api".into(),
        place: None,
    };
    let ev = |name: &str, path: &Path| {
        json!({"hook_event_name": name, "session_id": "lead-1", "cwd": "/srv/api",
               "transcript_path": path.to_str().unwrap(), "tool_name": "Read"})
    };
    let file = f.dir.join("api.json");
    let load = || -> Value { serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap() };
    apply(
        &f.dir,
        &pane,
        &ev("UserPromptSubmit", &f.transcript),
        100,
        &|_| None,
    )
    .unwrap();
    assert_eq!(load()["metrics"]["tokens"], expected_totals());
    assert!(f.dir.join(".navi/tokens/api.json").is_file());

    // Another tool's key in the block stays.
    let mut v = load();
    v["metrics"]["tokens"]["by_other_tool"] = json!(1);
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();

    std::fs::remove_file(&f.transcript).unwrap();
    apply(
        &f.dir,
        &pane,
        &ev("PostToolUse", &f.transcript),
        160,
        &|_| None,
    )
    .unwrap();
    let after = load();
    assert_eq!(after["status"], "working");
    assert_eq!(after["metrics"]["tools"]["counts"]["Read"], 1);
    let mut want = expected_totals();
    want["by_other_tool"] = json!(1);
    assert_eq!(after["metrics"]["tokens"], want);

    // A directory where the transcript should be: not read, nothing else changes.
    std::fs::create_dir(&f.transcript).unwrap();
    apply(&f.dir, &pane, &ev("Stop", &f.transcript), 170, &|_| None).unwrap();
    assert_eq!(load()["status"], "done");
    assert_eq!(load()["metrics"]["tokens"], want);
}

#[test]
fn a_teammates_transcript_is_not_the_sessions() {
    let f = fixture();
    write_lines(&f.transcript, &session_lines(), "");
    let other = f.transcript.with_extension("mate.jsonl");
    write_lines(
        &other,
        &[assistant("m", HAIKU, [1, 1, 0, 0], text("x"))],
        "",
    );
    let pane = Pane {
        session: "api".into(),
        cwd: "/srv/api".into(),
        place: None,
    };
    let lead = json!({"hook_event_name": "UserPromptSubmit", "session_id": "lead-1",
                      "transcript_path": f.transcript.to_str().unwrap()});
    apply(&f.dir, &pane, &lead, 100, &|_| None).unwrap();
    for mate in [
        json!({"hook_event_name": "Stop", "session_id": "mate-1",
               "transcript_path": other.to_str().unwrap()}),
        json!({"hook_event_name": "Stop", "session_id": "mate-1", "teammate_name": "bob",
               "transcript_path": other.to_str().unwrap()}),
    ] {
        apply(&f.dir, &pane, &mate, 110, &|_| None).unwrap();
    }
    let v: Value = serde_json::from_slice(&std::fs::read(f.dir.join("api.json")).unwrap()).unwrap();
    assert_eq!(v["metrics"]["tokens"], expected_totals());
}

/// A transcript Claude Code 2.1.197 wrote (`scripts/live-claude.sh`, against the scripted
/// API): one reply written as two lines (text, tool use) with the same `message.id` and
/// usage and no `requestId`, then a second reply. Counted once each: 2 × (10 in, 5 out).
#[test]
fn a_real_claude_code_transcript_counts_each_reply_once() {
    let f = fixture();
    std::fs::write(&f.transcript, include_str!("fixtures/claude-2.1.197.jsonl")).unwrap();
    let (tokens, stats) = read(&f.dir, &f.transcript);
    assert!(stats.complete);
    assert_eq!(
        (
            tokens["input"].clone(),
            tokens["output"].clone(),
            tokens["total"].clone()
        ),
        (json!(20), json!(10), json!(30))
    );
    assert_eq!(tokens["model"], "claude-sonnet-4-5");
}

#[test]
fn an_empty_transcript_is_not_read_again_and_again() {
    let f = fixture();
    write_lines(&f.transcript, &[], "{\"type\":\"us");
    let (tokens, first) = read(&f.dir, &f.transcript);
    assert!(first.restarted);
    assert_eq!(tokens["total"], 0);
    assert!(tokens.get("model").is_none());
    let (_, second) = read(&f.dir, &f.transcript);
    assert!(!second.restarted);
}
