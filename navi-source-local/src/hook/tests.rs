use super::*;
use serde_json::json;

fn pane() -> Pane {
    Pane {
        session: "api".into(),
        cwd: "/srv/api".into(),
        place: None,
    }
}

fn no_git(_: &str) -> Option<Value> {
    None
}

fn event(name: &str, extra: Value) -> Value {
    let mut v = json!({
        "hook_event_name": name,
        "session_id": "lead-1",
        "cwd": "/srv/api",
        "transcript_path": "/home/u/.claude/projects/x.jsonl",
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

fn run(dir: &Path, ev: &Value, now: i64) -> Value {
    apply(dir, &pane(), ev, now, &no_git).unwrap();
    read(dir)
}

fn read(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("api.json")).unwrap()).unwrap()
}

#[test]
fn every_event_sets_the_go_hooks_status() {
    let cases = [
        ("UserPromptSubmit", json!({}), Some("working")),
        ("PostToolUse", json!({"tool_name": "Read"}), Some("working")),
        ("Stop", json!({}), Some("done")),
        ("PermissionRequest", json!({}), Some("permission")),
        (
            "Notification",
            json!({"message": "Claude needs your input"}),
            Some("waiting"),
        ),
        (
            "Notification",
            json!({"notification_type": "permission_prompt"}),
            Some("permission"),
        ),
        (
            "Notification",
            json!({"notification_type": "idle_prompt", "message": "waiting for input"}),
            Some("waiting"),
        ),
        (
            "Notification",
            json!({"notification_type": "auth_success"}),
            None,
        ),
        ("SessionEnd", json!({}), Some("offline")),
        ("TaskCompleted", json!({}), Some("done")),
        ("SessionStart", json!({}), Some("idle")),
        ("SomethingNew", json!({}), None),
    ];
    for (name, extra, want) in cases {
        assert_eq!(status_for(&event(name, extra)), want, "{name}");
    }
}

#[test]
fn a_session_lifecycle_writes_the_go_shape_and_accumulates_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = run(d, &event("UserPromptSubmit", json!({})), 1000);
    assert_eq!(f["tmux_session"], "api");
    assert_eq!(f["session_id"], "lead-1");
    assert_eq!(f["status"], "working");
    assert_eq!(f["message"], "");
    assert_eq!(f["cwd"], "/srv/api");
    assert_eq!(f["timestamp"], 1000);
    assert_eq!(
        f["metrics"],
        json!({"time": {"started": 1000, "total_seconds": 0, "working_seconds": 0,
            "waiting_seconds": 0}, "tools": {"recent": [], "counts": {}}})
    );

    let f = run(d, &event("PostToolUse", json!({"tool_name": "Bash"})), 1010);
    assert_eq!(f["metrics"]["time"]["working_seconds"], 10);
    assert_eq!(f["metrics"]["tools"]["counts"], json!({"Bash": 1}));
    assert_eq!(f["metrics"]["tools"]["recent"], json!(["Bash"]));

    let f = run(d, &event("PermissionRequest", json!({})), 1030);
    assert_eq!(f["status"], "permission");
    assert_eq!(f["metrics"]["time"]["working_seconds"], 30);

    let f = run(d, &event("UserPromptSubmit", json!({})), 1090);
    assert_eq!(f["metrics"]["time"]["waiting_seconds"], 60);
    assert_eq!(f["metrics"]["time"]["total_seconds"], 90);
    assert_eq!(
        f["metrics"]["tools"]["counts"],
        json!({"Bash": 1}),
        "tools kept"
    );

    let f = run(d, &event("SessionEnd", json!({})), 1100);
    assert_eq!(f["status"], "offline");
    // Back from offline: a new session's clock.
    let f = run(d, &event("UserPromptSubmit", json!({})), 2000);
    assert_eq!(f["metrics"]["time"]["started"], 2000);
    assert_eq!(f["metrics"]["time"]["working_seconds"], 0);

    // What navi reads back is what was written.
    let bytes = std::fs::read(d.join("api.json")).unwrap();
    let info = navi_core::SessionInfo::parse(&bytes, Some("api")).unwrap();
    assert_eq!(info.tmux_session, "api");
    assert_eq!(info.status, navi_core::Status::Working);
    assert!(!info.partial);
}

#[test]
fn hostile_messages_round_trip_as_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    let msg = "say \"hi\" \\ back\nslash \u{1b}[2J\u{7} tab\t end";
    let f = run(
        dir.path(),
        &event("Notification", json!({ "message": msg })),
        5,
    );
    assert_eq!(f["message"], msg);
    assert_eq!(f["status"], "waiting");
}

#[test]
fn recent_tools_are_capped_and_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..15 {
        let tool = format!("T{i}");
        run(
            dir.path(),
            &event("PostToolUse", json!({ "tool_name": tool })),
            10 + i,
        );
    }
    let f = read(dir.path());
    let recent = f["metrics"]["tools"]["recent"].as_array().unwrap();
    assert_eq!(recent.len(), RECENT_TOOLS);
    assert_eq!(recent[0], "T14");
    assert_eq!(f["metrics"]["tools"]["counts"]["T3"], 1);
}

#[test]
fn teammates_upsert_agents_and_never_touch_the_lead() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &event("UserPromptSubmit", json!({})), 100);
    let mate = |name: &str, extra: Value| {
        let mut e = event(name, extra);
        e["teammate_name"] = json!("researcher");
        e["team_name"] = json!("squad");
        e["session_id"] = json!("mate-1");
        e
    };
    let f = run(d, &mate("PostToolUse", json!({"tool_name": "Read"})), 110);
    assert_eq!(f["status"], "working");
    assert_eq!(f["timestamp"], 100, "the lead's row is untouched");
    assert_eq!(f["team"]["name"], "squad");
    assert_eq!(
        f["team"]["agents"],
        json!([{"name": "researcher", "status": "working", "timestamp": 110,
            "session_id": "mate-1"}])
    );
    assert_eq!(
        f["metrics"]["tools"]["counts"],
        json!({}),
        "teammate tools not counted"
    );

    let f = run(d, &mate("TeammateIdle", json!({})), 120);
    assert_eq!(f["team"]["agents"][0]["status"], "idle");

    // The teammate's own process ends without its name: marked stopped, lead untouched.
    let mut end = event("SessionEnd", json!({}));
    end["session_id"] = json!("mate-1");
    let f = run(d, &end, 130);
    assert_eq!(f["status"], "working");
    assert_eq!(f["team"]["agents"][0]["status"], "stopped");
    // An idle after the stop does not revive it.
    assert_eq!(
        apply(d, &pane(), &mate("TeammateIdle", json!({})), 140, &no_git).unwrap(),
        Outcome::Ignored("an idle report after the agent stopped")
    );
    // A stray tool use under another session id is ignored.
    let mut stray = event("PostToolUse", json!({"tool_name": "Read"}));
    stray["session_id"] = json!("mate-1");
    assert!(matches!(
        apply(d, &pane(), &stray, 150, &no_git).unwrap(),
        Outcome::Ignored(_)
    ));
    // The next prompt drops stopped agents (and the empty team).
    let f = run(d, &event("UserPromptSubmit", json!({})), 160);
    assert!(f.get("team").is_none(), "{f}");
}

#[test]
fn the_leads_tool_use_infers_teammates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spawn = event(
        "PostToolUse",
        json!({"tool_name": "Task",
            "tool_input": {"name": "writer", "team_name": "docs"},
            "tool_response": {"status": "teammate_spawned", "session_id": "w-1"}}),
    );
    let f = run(d, &spawn, 10);
    assert_eq!(f["team"]["agents"][0]["name"], "writer");
    assert_eq!(f["team"]["agents"][0]["status"], "working");
    let stop = event(
        "PostToolUse",
        json!({"tool_name": "SendMessage",
            "tool_input": {"type": "shutdown_request", "recipient": "writer"}}),
    );
    let f = run(d, &stop, 20);
    assert_eq!(f["team"]["agents"][0]["status"], "stopped");
    let wake = event(
        "PostToolUse",
        json!({"tool_name": "SendMessage", "tool_input": {"type": "broadcast"}}),
    );
    let f = run(d, &wake, 30);
    assert_eq!(
        f["team"]["agents"][0]["status"], "stopped",
        "stopped stays stopped"
    );
}

#[test]
fn subagent_events_and_unknown_events_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["SubagentStart", "SubagentStop", "PreToolUse"] {
        let out = apply(dir.path(), &pane(), &event(name, json!({})), 1, &no_git).unwrap();
        assert!(matches!(out, Outcome::Ignored(_)), "{name}");
    }
    assert!(!dir.path().join("api.json").exists());
    assert!(matches!(
        apply(dir.path(), &pane(), &json!({"x": 1}), 1, &no_git),
        Err(HookError::BadEvent(_))
    ));
}

#[test]
fn hostile_session_names_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["", "../escape", "a/b", ".hidden"] {
        let p = Pane {
            session: name.into(),
            cwd: "/".into(),
            place: None,
        };
        let r = apply(dir.path(), &p, &event("Stop", json!({})), 1, &no_git);
        assert!(matches!(r, Err(HookError::BadName(_))), "{name:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_file_the_go_hook_broke_is_continued_and_other_fields_kept() {
    let dir = tempfile::tempdir().unwrap();
    // The Go hook does not escape quotes in messages.
    let broken = "{\n  \"tmux_session\": \"api\",\n  \"session_id\": \"lead-1\",\n  \
        \"status\": \"waiting\",\n  \"message\": \"say \"hi\"\",\n  \"cwd\": \"/srv/api\",\n  \
        \"timestamp\": 50,\n  \"metrics\": {\"time\": {\"started\": 40, \"total_seconds\": 10, \
        \"working_seconds\": 5, \"waiting_seconds\": 0}, \"tools\": {\"recent\": [\"Edit\"], \
        \"counts\": {\"Edit\": 3}}}\n}\n";
    std::fs::write(dir.path().join("api.json"), broken).unwrap();
    let f = run(dir.path(), &event("UserPromptSubmit", json!({})), 60);
    assert_eq!(f["status"], "working");
    assert_eq!(f["metrics"]["time"]["started"], 40);
    assert_eq!(f["metrics"]["time"]["waiting_seconds"], 10);

    // Valid files keep fields navi does not manage.
    let mut v = f.clone();
    v["current_pbi"] = json!("PBI-7");
    v["metrics"]["tokens"] = json!({"input": 1, "output": 2, "total": 3});
    std::fs::write(dir.path().join("api.json"), v.to_string()).unwrap();
    let f = run(dir.path(), &event("Stop", json!({})), 70);
    assert_eq!(f["current_pbi"], "PBI-7");
    assert_eq!(f["metrics"]["tokens"]["total"], 3);
}

#[test]
fn the_git_block_is_merged_when_the_status_changes() {
    let dir = tempfile::tempdir().unwrap();
    let asked = std::cell::RefCell::new(Vec::new());
    let git = |cwd: &str| {
        asked.borrow_mut().push(cwd.to_string());
        Some(json!({"branch": "main", "dirty": true, "ahead": 1, "behind": 0}))
    };
    // The event's cwd (what the file shows) is the one asked about, not the pane's.
    let ev = event("UserPromptSubmit", json!({"cwd": "/srv/api/sub"}));
    apply(dir.path(), &pane(), &ev, 1, &git).unwrap();
    assert_eq!(*asked.borrow(), ["/srv/api/sub"]);
    // No status change, no git.
    apply(
        dir.path(),
        &pane(),
        &event("PostToolUse", json!({})),
        1,
        &git,
    )
    .unwrap();
    assert_eq!(asked.borrow().len(), 1);
    let mut f = read(dir.path());
    assert_eq!(f["git"]["branch"], "main");
    f["git"]["pr_num"] = json!(42);
    std::fs::write(dir.path().join("api.json"), f.to_string()).unwrap();
    apply(dir.path(), &pane(), &event("Stop", json!({})), 2, &git).unwrap();
    let f = read(dir.path());
    assert_eq!(f["git"]["pr_num"], 42, "keys written by others stay");
    assert_eq!(f["git"]["dirty"], true);
}

#[test]
fn concurrent_events_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    run(&d, &event("UserPromptSubmit", json!({})), 1);
    let threads: Vec<_> = (0..40)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || {
                let ev = event("PostToolUse", json!({"tool_name": "Edit"}));
                apply(&d, &pane(), &ev, 2, &no_git).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let f = read(&d);
    assert_eq!(f["metrics"]["tools"]["counts"]["Edit"], 40);
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_write_leaves_only_the_file_and_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    // The first write renames into place, the next ones replace an existing file.
    run(dir.path(), &event("UserPromptSubmit", json!({})), 1);
    run(dir.path(), &event("Stop", json!({})), 2);
    let f = run(dir.path(), &event("UserPromptSubmit", json!({})), 3);
    assert_eq!(f["status"], "working");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".api.lock", "api.json"]);
}

#[test]
fn a_directory_where_the_file_goes_is_an_error_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("api.json")).unwrap();
    let r = apply(dir.path(), &pane(), &event("Stop", json!({})), 1, &no_git);
    assert!(matches!(r, Err(HookError::Io { .. })), "{r:?}");
    assert!(dir.path().join("api.json").is_dir());
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
