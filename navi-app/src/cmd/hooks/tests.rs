use super::*;
use proptest::prelude::*;
use serde_json::Map;

const CMD: &str = "/usr/local/bin/navi hook";

fn go_settings() -> Value {
    json!({
        "model": "opus",
        "permissions": {"allow": ["Bash(ls:*)"]},
        "hooks": {
            "Stop": [
                {"hooks": [{"type": "command", "command": "~/.claude-sessions/hooks/notify.sh done"}]},
                {"matcher": "", "hooks": [{"type": "command", "command": "say done"}]}
            ],
            "PostToolUse": [{"matcher": "Edit", "hooks": [
                {"type": "command", "command": "~/.claude-sessions/hooks/notify.sh working"},
                {"type": "command", "command": "~/.claude-sessions/hooks/tool-tracker.sh"},
                {"type": "command", "command": "cargo fmt"}
            ]}]
        }
    })
}

#[test]
fn install_replaces_the_go_hooks_and_keeps_everything_else() {
    let (new, changes) = install(&go_settings(), CMD).unwrap();
    assert_eq!(changes.replaced.len(), 3, "{changes:?}");
    assert_eq!(new["model"], "opus");
    assert_eq!(new["permissions"], go_settings()["permissions"]);
    let text = new.to_string();
    assert!(
        !text.contains("notify.sh") && !text.contains("tool-tracker.sh"),
        "{text}"
    );
    assert!(text.contains("say done") && text.contains("cargo fmt"));
    assert_eq!(installed(&new), (EVENTS.to_vec(), Some(CMD.to_string())));
    // The user's PostToolUse group (with its matcher) survives with its own command.
    assert_eq!(new["hooks"]["PostToolUse"][0]["matcher"], "Edit");

    // Twice changes nothing.
    let (again, changes) = install(&new, CMD).unwrap();
    assert_eq!(again, new);
    assert!(changes.replaced.is_empty());

    // Uninstall removes exactly navi's entries (the Go ones are gone for good).
    let removed = uninstall(&new).unwrap();
    assert_eq!(installed(&removed).0, Vec::<&str>::new());
    assert!(removed.to_string().contains("say done"));
    assert!(removed["hooks"].get("SessionStart").is_none());
}

#[test]
fn commands_are_recognised_and_quoted() {
    assert_eq!(
        hook_command(Path::new("/usr/bin/navi"), None),
        "/usr/bin/navi hook"
    );
    let odd = hook_command(Path::new("/home/o'neil/my bin/navi"), None);
    assert_eq!(odd, r"'/home/o'\''neil/my bin/navi' hook");
    let dir = hook_command(
        Path::new("/usr/bin/navi"),
        Some(Path::new("/srv/my sessions")),
    );
    assert_eq!(dir, "/usr/bin/navi --sessions-dir '/srv/my sessions' hook");
    assert!(is_navi(&dir));
    assert!(is_navi(&odd) && is_navi("/usr/bin/navi hook") && is_navi("navi hook"));
    assert!(!is_navi("/usr/bin/navigator hook") && !is_navi("/usr/bin/navi status"));
}

#[test]
fn files_on_disk_invalid_json_is_untouched_and_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, "{\n  \"model\": \"opus\",\n  oops\n}\n").unwrap();
    let err = install_cmd(&path, Path::new("/bin/navi"), None, false, &mut Vec::new()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("line 3") && msg.contains("left untouched"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\n  \"model\": \"opus\",\n  oops\n}\n"
    );

    std::fs::write(&path, go_settings().to_string()).unwrap();
    let mut out = Vec::new();
    install_cmd(&path, Path::new("/bin/navi"), None, true, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("+ ") && out.contains("/bin/navi hook"),
        "{out}"
    );
    assert!(out.contains("- ") && out.contains("notify.sh"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        go_settings().to_string()
    );

    let mut out = Vec::new();
    install_cmd(&path, Path::new("/bin/navi"), None, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("replacing the Go navi's hook on Stop"),
        "{out}"
    );
    assert!(out.contains(".navi-backup"), "{out}");
    let backup = std::fs::read_to_string(dir.path().join("settings.json.navi-backup")).unwrap();
    assert_eq!(backup, go_settings().to_string());
    let after = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    install_cmd(&path, Path::new("/bin/navi"), None, false, &mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("nothing changed"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

    let sessions = dir.path().join("sessions");
    std::fs::create_dir(&sessions).unwrap();
    std::fs::write(sessions.join("api.json"), "{}").unwrap();
    let mut out = Vec::new();
    assert!(status_cmd(&path, &sessions, &mut out).unwrap());
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("installed in") && out.contains("last status file written: api.json"),
        "{out}"
    );
    // The age reads once: "just now" or "5s ago", never "just now ago".
    let age = out
        .lines()
        .find(|l| l.starts_with("last status file"))
        .unwrap();
    assert!(
        (age.ends_with(", just now") || age.ends_with(" ago")) && !age.contains("ago ago"),
        "{age}"
    );

    let mut out = Vec::new();
    uninstall_cmd(&path, false, &mut out).unwrap();
    let mut out = Vec::new();
    assert!(!status_cmd(&path, &sessions, &mut out).unwrap());
    assert!(String::from_utf8(out).unwrap().contains("not installed"));
}

#[test]
fn a_missing_settings_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claude/settings.json");
    install_cmd(&path, Path::new("/bin/navi"), None, false, &mut Vec::new()).unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(installed(&v).0, EVENTS.to_vec());
    assert!(!dir.path().join("claude/settings.json.navi-backup").exists());
    uninstall_cmd(&path, false, &mut Vec::new()).unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v, json!({}));
}

/// Arbitrary JSON without navi's or the Go navi's hook commands.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_hooks() -> impl Strategy<Value = Value> {
    let cmd = prop_oneof![
        "[a-z]{1,8}( --[a-z]{1,4})?",
        Just("navigate hook".to_string())
    ];
    let group = (
        prop::option::of("[A-Za-z|]{0,8}"),
        prop::collection::vec(cmd, 0..3),
    )
        .prop_map(|(matcher, cmds)| {
            let hooks: Vec<Value> = cmds
                .into_iter()
                .map(|c| json!({"type": "command", "command": c}))
                .collect();
            match matcher {
                Some(m) => json!({"matcher": m, "hooks": hooks}),
                None => json!({"hooks": hooks}),
            }
        });
    let event = prop_oneof![
        Just("Stop"),
        Just("PreToolUse"),
        Just("PostToolUse"),
        Just("Custom")
    ];
    prop::collection::btree_map(event, prop::collection::vec(group, 0..3), 0..4).prop_map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_string(), Value::Array(v)))
                .collect(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn install_keeps_the_rest_is_idempotent_and_uninstall_restores(
        extra in prop::collection::btree_map("[a-z]{1,8}", any_json(), 0..5),
        hooks in prop::option::of(any_hooks()),
    ) {
        let mut root: Map<String, Value> = extra.into_iter().filter(|(k, _)| k != "hooks").collect();
        if let Some(h) = hooks {
            root.insert("hooks".into(), h);
        }
        let original = Value::Object(root);
        let (installed_once, _) = install(&original, CMD).unwrap();
        for (k, v) in original.as_object().unwrap() {
            if k != "hooks" {
                prop_assert_eq!(&installed_once[k], v);
            }
        }
        let (twice, _) = install(&installed_once, CMD).unwrap();
        prop_assert_eq!(&twice, &installed_once);
        prop_assert_eq!(installed(&twice).0, EVENTS.to_vec());
        let restored = uninstall(&twice).unwrap();
        prop_assert_eq!(normalize(&restored), normalize(&original));
    }
}

/// The meaning of a settings value: hook events with no commands left are dropped
/// (Claude Code treats an empty list and a missing one alike).
fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(h)) = v.get_mut("hooks") {
        h.retain(|_, groups| groups.as_array().is_none_or(|g| !g.is_empty()));
        if h.is_empty() {
            v.as_object_mut().unwrap().shift_remove("hooks");
        }
    }
    v
}

/// The installer installs exactly the events the hook handles: every event of the one
/// table sets a status `navi hook` applies, and every event a real Claude Code sent that
/// sets a status (the recorded run) is installed. `PreCompact` was handled but never
/// installed before the table.
#[test]
fn the_installed_events_are_the_ones_the_hook_handles() {
    for event in EVENTS {
        let e = serde_json::json!({"hook_event_name": event, "notification_type": "idle_prompt"});
        assert!(
            navi_source_local::hook::status_for(&e).is_some(),
            "{event} is installed but the hook ignores it"
        );
    }
    assert!(EVENTS.contains(&"PreCompact"));
    let recorded = include_str!("../../../tests/fixtures/claude-code-2.1.197.jsonl");
    let mut seen = 0;
    for line in recorded.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let event = v.get("event").unwrap_or(&v);
        if navi_source_local::hook::status_for(event).is_some() {
            let name = event["hook_event_name"].as_str().unwrap();
            assert!(
                EVENTS.contains(&name),
                "{name} sets a status but is not installed"
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "the recorded run has the events it had: {seen}");
}
