use super::order::sort_by_priority;
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
    let text = b"\xef\xbb\xbf{\r\n\"tmux_session\": \"bom\",\r\n\"status\": \"working\"\r\n}\r\n";
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
    assert_eq!(s.team.unwrap().agents[0].state.status, Status::Waiting);
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
        AgentState {
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

#[test]
fn team_agents_read_leniently_and_write_back_the_same_shape() {
    let text = br#"{"tmux_session":"t","status":"working","team":{"name":"crew","agents":[
        {"name":"a","status":"waiting","timestamp":"1764032000","extra":[1]},
        {"status":5},
        {"name":7,"timestamp":1764032000123},
        {"name":"b","status":null,"timestamp":{}},
        "not an agent",
        {"name":"c","status":"permission","status":"done"}
    ]},"agents":{"opencode":{"status":"idle","timestamp":1764032001,"x":1}}}"#;
    let s = SessionInfo::parse(text, None).unwrap();
    assert_eq!(
        serde_json::to_string(&s.team).unwrap(),
        r#"{"name":"crew","agents":[{"name":"a","status":"waiting","timestamp":1764032000},{"name":null,"status":"5"},{"name":null,"status":"","timestamp":1764032000},{"name":"b","status":""},{"name":"c","status":"done"}]}"#
    );
    assert_eq!(
        serde_json::to_string(&s.agents).unwrap(),
        r#"{"opencode":{"status":"idle","timestamp":1764032001}}"#
    );
    let team = s.team.unwrap_or_default();
    assert_eq!(team.agents[0].state.status, Status::Waiting);
    assert_eq!(team.agents[1].state.status, Status::Unknown("5".into()));
    assert_eq!(team.agents[3].state.status, Status::Missing);
}

/// A sampled memory taken back leaves the row as its file says, whatever the file had
/// of `metrics.resource`.
#[test]
fn unset_memory_gives_back_what_the_file_says() {
    let sample = crate::rss::MemorySample {
        rss_bytes: 7 << 20,
        sampled_at: 1,
    };
    for metrics in [
        "",
        r#","metrics":{"tokens":{"input":3}}"#,
        r#","metrics":{"resource":{}}"#,
        r#","metrics":{"resource":{"rss_bytes":1024}}"#,
    ] {
        let json = format!(r#"{{"tmux_session":"a","status":"idle"{metrics}}}"#);
        let read = SessionInfo::parse(json.as_bytes(), None).unwrap();
        let file = read.file_rss();
        let mut row = read.clone();
        row.set_memory(sample);
        assert_eq!(row.rss_bytes(), Some(7 << 20), "{json}");
        row.set_memory(crate::rss::MemorySample {
            rss_bytes: 9,
            ..sample
        });
        row.unset_memory(file);
        assert_eq!(row, read, "{json}");
    }
}

/// The one-pass parse of a well-formed object and the parse through a JSON tree read
/// the same session from every file the hooks write and from fields of every wrong type.
#[test]
fn a_well_formed_object_reads_the_same_in_one_pass() {
    let mut files: Vec<String> = crate::fixtures::FILES
        .iter()
        .map(|(_, body)| body.to_string())
        .collect();
    for odd in [
        r#"{"tmux_session":"a","timestamp":"12","status":7,"message":null}"#,
        r#"{"tmux_session":"a","timestamp":1.7e9,"metrics":5,"git":[],"team":"x"}"#,
        r#"{"tmux_session":"a","agents":{"codex":3,"oc":{"status":"waiting","x":[1]}}}"#,
        r#"{"tmux_session":"a","metrics":{"tokens":{"input":"3","output":-1},"resource":[]}}"#,
        r#"{"tmux_session":"\u00e9t\u00e9","cwd":"/tmp/\ud83d\ude00","unknown":{"deep":[{}]}}"#,
        r#"{"tmux_session":"a","git":{"branch":5,"dirty":"yes","ahead":"2"},"tmux":7}"#,
        r#"{"tmux_session":"a","current_pbi":3,"session_id":{"a":1},"agent":false}"#,
        r#"{"tmux_session":"a","team":{"name":1,"agents":[{"name":"t"},3,{"state":{}}]}}"#,
    ] {
        files.push(odd.to_string());
    }
    for body in &files {
        let tree = SessionInfo::parse_tree(body.as_bytes()).map(|mut s| {
            s.tmux_session = "f".into();
            s
        });
        let direct = SessionInfo::parse(body.as_bytes(), Some("f"));
        assert_eq!(direct.ok(), tree.ok(), "{body}");
    }
}

proptest::proptest! {
    /// Any object of the known keys with values of any JSON type reads the same both
    /// ways.
    #[test]
    fn any_object_reads_the_same_in_one_pass(
        fields in proptest::collection::vec((0usize..14, 0u8..7, -3i64..3, "[a-z\"\\\\]{0,4}"), 0..10)
    ) {
        const KEYS: [&str; 14] = [
            "tmux_session", "status", "message", "cwd", "timestamp", "current_pbi", "git",
            "metrics", "team", "agent", "agents", "session_id", "tmux", "x",
        ];
        let mut map = serde_json::Map::new();
        for (k, kind, n, s) in fields {
            let v = match kind {
                0 => serde_json::Value::Null,
                1 => serde_json::json!(n),
                2 => serde_json::json!(n as f64 / 2.0),
                3 => serde_json::json!(s),
                4 => serde_json::json!([n, s]),
                5 => serde_json::json!({ "status": s, "branch": n, "input": n }),
                _ => serde_json::json!(n > 0),
            };
            map.insert(KEYS[k].to_string(), v);
        }
        let body = serde_json::Value::Object(map).to_string();
        let tree = SessionInfo::parse_tree(body.as_bytes()).map(|mut s| {
            s.tmux_session = "f".into();
            s
        });
        let direct = SessionInfo::parse(body.as_bytes(), Some("f"));
        proptest::prop_assert_eq!(direct.ok(), tree.ok(), "{}", body);
    }
}

/// What navi does not read is not checked: a file whose unknown key holds a lone
/// surrogate or a number out of range is read whole (the tree refuses it and salvages).
#[test]
fn an_unknown_key_that_is_not_valid_json_text_costs_nothing() {
    for odd in [r#""\ud800""#, "1e400"] {
        let body = format!(r#"{{"tmux_session":"a","status":"waiting","x":{odd}}}"#);
        let s = SessionInfo::parse(body.as_bytes(), Some("a")).unwrap();
        assert!(!s.partial, "{body}");
        assert_eq!(s.status, Status::Waiting, "{body}");
        let tree = SessionInfo::parse_tree(body.as_bytes());
        assert!(
            !matches!(tree, Ok(s) if !s.partial),
            "{body}: the tree reads it whole"
        );
    }
}
