use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// One thing a plugin may write.
#[derive(Debug, Clone)]
enum Line {
    Full(Vec<(String, String)>),
    Changes(Vec<(String, Option<String>)>),
    Health(Option<String>),
    Answer(u64, bool),
    Garbage(Vec<u8>),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,4}",
        Just("my session".to_string()),
        Just("q\"uote".to_string()),
        Just("\u{1b}[2Jx".to_string()),
    ]
}

fn status() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("working".to_string()),
        Just("waiting".to_string()),
        Just("done".to_string()),
        Just("compacting".to_string()),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        proptest::collection::vec((name(), status()), 0..5).prop_map(Line::Full),
        proptest::collection::vec((name(), proptest::option::of(status())), 0..5)
            .prop_map(Line::Changes),
        proptest::option::of("[ -~]{0,12}").prop_map(Line::Health),
        (any::<u64>(), any::<bool>()).prop_map(|(id, ok)| Line::Answer(id, ok)),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_filter("no line break", |b| !b.contains(&b'\n'))
            .prop_map(Line::Garbage),
        Just(Line::Garbage(
            b"{\"type\":\"snapshot\",\"sessions\":[1]}".to_vec()
        )),
        Just(Line::Garbage(b"{\"type\":\"health\"}".to_vec())),
        Just(Line::Garbage(b"[1,2]".to_vec())),
    ]
}

fn body(name: &str, status: &str) -> Value {
    json!({"tmux_session": name, "status": status, "message": "", "cwd": "/", "timestamp": 1})
}

fn text(line: &Line) -> Vec<u8> {
    match line {
        Line::Full(s) => {
            let m: Map<String, Value> = s.iter().map(|(n, st)| (n.clone(), body(n, st))).collect();
            json!({"type": "snapshot", "full": true, "sessions": m})
                .to_string()
                .into_bytes()
        }
        Line::Changes(s) => {
            let m: Map<String, Value> = s
                .iter()
                .map(|(n, st)| (n.clone(), st.as_ref().map_or(Value::Null, |st| body(n, st))))
                .collect();
            json!({"type": "snapshot", "full": false, "sessions": m})
                .to_string()
                .into_bytes()
        }
        Line::Health(None) => Health::Ok.to_line().into_bytes(),
        Line::Health(Some(r)) => Health::Unavailable(r.clone()).to_line().into_bytes(),
        Line::Answer(id, ok) => Answer {
            id: *id,
            result: match ok {
                true => Ok(Reply::default()),
                false => Err("no".into()),
            },
        }
        .to_line()
        .into_bytes(),
        Line::Garbage(b) => b.clone(),
    }
}

/// The plugin's own view: what its last valid lines said.
#[derive(Default)]
struct Truth {
    sessions: BTreeMap<String, String>,
    health: Option<String>,
}

impl Truth {
    fn apply(&mut self, line: &Line) {
        match line {
            Line::Full(s) => {
                // A JSON object keeps the last value of a repeated key.
                self.sessions = s.iter().cloned().collect();
            }
            Line::Changes(s) => {
                let mut next = self.sessions.clone();
                let mut seen = BTreeMap::new();
                for (n, st) in s {
                    seen.insert(n.clone(), st.clone());
                }
                for (n, st) in seen {
                    match st {
                        Some(st) => next.insert(n, st),
                        None => next.remove(&n),
                    };
                }
                self.sessions = next;
            }
            Line::Health(h) => {
                self.health = h.as_ref().map(|r| {
                    let r = crate::text::sanitize(r).into_owned();
                    match r.trim().is_empty() {
                        true => "the plugin says it is unavailable".to_string(),
                        false => r,
                    }
                })
            }
            Line::Answer(..) | Line::Garbage(_) => {}
        }
    }
}

fn hello() -> Vec<u8> {
    Hello::new(Capabilities::default(), true)
        .to_line()
        .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any interleaving of snapshots, health, answers and garbage: navi's state is the
    /// plugin's last valid state, answers come out with their ids, nothing panics.
    #[test]
    fn navi_holds_the_plugins_last_valid_state(lines in proptest::collection::vec(line(), 0..60)) {
        let mut state = PluginState::default();
        prop_assert_eq!(state.apply(&hello()), Applied::Hello);
        let mut truth = Truth::default();
        for l in &lines {
            let applied = state.apply(&text(l));
            truth.apply(l);
            match (l, &applied) {
                (Line::Garbage(_), Applied::Garbage(_) | Applied::Nothing) => {}
                (Line::Answer(id, ok), Applied::Answer(a)) => {
                    prop_assert_eq!(a.id, *id);
                    prop_assert_eq!(a.result.is_ok(), *ok);
                }
                (Line::Full(_) | Line::Changes(_), Applied::Changed) => {}
                (Line::Health(_), Applied::Changed | Applied::Nothing) => {}
                (l, other) => prop_assert!(false, "{:?} gave {:?}", l, other),
            }
            let got: BTreeMap<String, String> = state
                .sessions()
                .into_iter()
                .map(|s| (s.tmux_session.clone(), s.status.to_string()))
                .collect();
            prop_assert_eq!(&got, &truth.sessions);
            let health = match state.health() {
                Health::Ok => None,
                Health::Unavailable(r) => Some(r),
            };
            prop_assert_eq!(&health, &truth.health);
        }
    }

    /// Requests survive their line: what navi writes, a plugin reads back.
    #[test]
    fn requests_round_trip(id in any::<u64>(), session in name(), text in "[ -~]{0,20}") {
        for request in [
            Request::RetryNow,
            Request::Attach { session: session.clone(), inside_tmux: true },
            Request::Action { session: session.clone(), action: Action::Send { text: text.clone() } },
            Request::Action { session: session.clone(), action: Action::Rename { to: text.clone() } },
            Request::Action { session: session.clone(), action: Action::New { dir: text.clone(), command: vec![text.clone()], create_dir: true } },
            Request::Action { session: session.clone(), action: Action::Kill },
        ] {
            let line = request.to_line(id);
            prop_assert_eq!(Request::parse(line.as_bytes()), Ok((id, request)));
        }
    }
}

#[test]
fn the_first_line_must_be_a_hello_of_this_version() {
    let mut s = PluginState::default();
    assert!(matches!(s.apply(b"hello world"), Applied::Fatal(r) if r.contains("not a hello")));
    let mut s = PluginState::default();
    let r = s.apply(br#"{"type":"hello","protocol":2}"#);
    assert_eq!(
        r,
        Applied::Fatal("it speaks protocol 2; this navi speaks 1".into())
    );
    let mut s = PluginState::default();
    s.apply(br#"{"type":"hello","protocol":1,"actions":["kill","teleport"],"attach":true}"#);
    let hello = s.hello().cloned().unwrap_or_default();
    assert!(hello.actions.kill && !hello.actions.send && hello.attach);
    assert_eq!(hello.unknown_actions, ["teleport"]);
}

#[test]
fn a_bad_session_object_costs_only_itself_and_too_much_garbage_is_fatal() {
    let mut s = PluginState::default();
    s.apply(&hello());
    let line = br#"{"type":"snapshot","sessions":{"a":{"status":"working"},"b":[1],"":{}}}"#;
    assert_eq!(s.apply(line), Applied::Changed);
    assert_eq!(s.sessions().len(), 1);
    assert_eq!(s.take_skipped().len(), 2);
    for _ in 0..MAX_GARBAGE_RUN {
        assert!(matches!(s.apply(b"junk"), Applied::Garbage(_)));
    }
    assert!(matches!(s.apply(b"junk"), Applied::Fatal(_)));
}

#[test]
fn the_hello_line_names_the_declared_actions() {
    let caps = Capabilities {
        kill: true,
        send: true,
        ..Capabilities::default()
    };
    let line = Hello::new(caps, false).to_line();
    assert_eq!(
        line,
        r#"{"type":"hello","protocol":1,"actions":["kill","send"],"attach":false}"#
    );
}

#[test]
fn what_a_snapshot_says_it_could_not_read_is_reported_by_every_poll_until_replaced() {
    let mut s = PluginState::default();
    s.apply(&hello());
    let line = b"{\"type\":\"snapshot\",\"sessions\":{\"a\":{\"status\":\"working\"}},\"skipped\":[{\"name\":\"b.json\",\"reason\":\"not JSON \\u001b[2J\"},{\"name\":7}]}";
    assert_eq!(s.apply(line), Applied::Changed);
    let expected = vec![
        SkippedFile {
            name: "b.json".into(),
            reason: "not JSON ".into(),
        },
        SkippedFile {
            name: String::new(),
            reason: "the plugin could not read it".into(),
        },
    ];
    assert_eq!(s.take_skipped(), expected);
    assert_eq!(s.take_skipped(), expected, "still broken: still reported");
    // A change line without `skipped` keeps them; a full snapshot without it clears.
    s.apply(br#"{"type":"snapshot","full":false,"sessions":{"c":{"status":"idle"}}}"#);
    assert_eq!(s.declared_skipped(), expected.as_slice());
    s.apply(br#"{"type":"snapshot","sessions":{"a":{"status":"idle"}}}"#);
    assert!(s.take_skipped().is_empty());
    let many: Vec<String> = (0..MAX_DECLARED_SKIPPED + 5)
        .map(|i| format!(r#"{{"name":"f{i}","reason":"r"}}"#))
        .collect();
    let line = format!(
        r#"{{"type":"snapshot","sessions":{{}},"skipped":[{}]}}"#,
        many.join(",")
    );
    s.apply(line.as_bytes());
    let kept = s.take_skipped();
    assert_eq!(kept.len(), MAX_DECLARED_SKIPPED + 1, "bounded");
    assert!(kept[MAX_DECLARED_SKIPPED].reason.starts_with("5 more"));
}

#[test]
fn a_snapshot_line_carries_what_the_source_skipped() {
    let skipped = [SkippedFile {
        name: "x.json".into(),
        reason: "too large".into(),
    }];
    let mut s = PluginState::default();
    s.apply(&hello());
    s.apply(snapshot_line::<SessionInfo>(&[], &skipped).as_bytes());
    assert_eq!(s.take_skipped(), skipped);
    assert!(!snapshot_line::<SessionInfo>(&[], &[]).contains("skipped"));
}
