use super::*;

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

fn go_text() -> String {
    serde_json::to_string_pretty(&go_settings()).unwrap() + "\n"
}

fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn install_replaces_the_go_hooks_and_keeps_everything_else() {
    let (new, changes) = install(&go_text(), CMD).unwrap();
    assert_eq!(changes.replaced.len(), 3, "{changes:?}");
    assert!(
        !new.contains("notify.sh") && !new.contains("tool-tracker.sh"),
        "{new}"
    );
    assert!(new.contains("say done") && new.contains("cargo fmt"));
    let new_v = value(&new);
    assert_eq!(new_v["model"], "opus");
    assert_eq!(new_v["permissions"], go_settings()["permissions"]);
    assert_eq!(installed(&new_v), (EVENTS.to_vec(), Some(CMD.to_string())));
    // The user's PostToolUse group (with its matcher) survives with its own command.
    assert_eq!(new_v["hooks"]["PostToolUse"][0]["matcher"], "Edit");

    // Twice changes nothing.
    let (again, changes) = install(&new, CMD).unwrap();
    assert_eq!(again, new);
    assert!(changes.replaced.is_empty());

    // Uninstall removes exactly navi's entries (the Go ones are gone for good).
    let removed = value(&uninstall(&new).unwrap());
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

    // A structure navi cannot edit: the error names the file and the field.
    std::fs::write(&path, r#"{"hooks": {"Stop": {}}}"#).unwrap();
    let err = install_cmd(&path, Path::new("/bin/navi"), None, false, &mut Vec::new()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("{} was left untouched", path.display()))
            && msg.contains("\"Stop\" in the settings is not a list"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        r#"{"hooks": {"Stop": {}}}"#
    );

    std::fs::write(&path, go_text()).unwrap();
    let mut out = Vec::new();
    install_cmd(&path, Path::new("/bin/navi"), None, true, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("+ ") && out.contains("/bin/navi hook"),
        "{out}"
    );
    assert!(out.contains("- ") && out.contains("notify.sh"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), go_text());

    let mut out = Vec::new();
    install_cmd(&path, Path::new("/bin/navi"), None, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("replacing the Go navi's hook on Stop"),
        "{out}"
    );
    assert!(out.contains(".navi-backup"), "{out}");
    let backup = std::fs::read_to_string(dir.path().join("settings.json.navi-backup")).unwrap();
    assert_eq!(backup, go_text());
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
    // Created private: a settings file soon holds API keys.
    assert_eq!(super::file_tests::mode(&path), 0o600);
    uninstall_cmd(&path, false, &mut Vec::new()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
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

#[test]
fn each_agents_command_is_recognised_as_its_own() {
    use navi_core::statusdir::agents::Agent;
    for agent in Agent::ALL {
        let c = hook_command_for(Path::new("/a b/navi"), Some(Path::new("/s")), agent);
        assert_eq!(command_agent(&c), Some(agent), "{c}");
    }
    assert_eq!(
        hook_command_for(Path::new("/usr/bin/navi"), None, Agent::Codex),
        "/usr/bin/navi hook --agent codex"
    );
    assert_eq!(command_agent("/usr/bin/navi hook --agent nope"), None);
    assert_eq!(command_agent("/usr/bin/navigator hook --agent codex"), None);
}

#[test]
fn gemini_entries_are_named_and_codex_files_get_only_hooks() {
    use navi_core::statusdir::agents::Agent;
    let cmd = "/usr/bin/navi hook --agent gemini";
    let (new, _) = install_for("", cmd, Agent::Gemini).unwrap();
    let v = value(&new);
    assert_eq!(v["hooks"]["AfterAgent"][0]["hooks"][0]["name"], "navi");
    assert_eq!(v["hooks"]["Notification"][0]["hooks"][0]["command"], cmd);
    // Codex refuses a hooks.json root with anything but `description` and `hooks`.
    let (new, _) = install_for("", "/usr/bin/navi hook --agent codex", Agent::Codex).unwrap();
    let v = value(&new);
    assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["hooks"]);
    assert_eq!(
        v["hooks"].as_object().unwrap().keys().collect::<Vec<_>>(),
        events_of(Agent::Codex)
    );
    // A Claude Code entry in the same file is not Codex's: uninstall leaves it.
    let both = install_for(&new, "/usr/bin/navi hook", Agent::Claude)
        .unwrap()
        .0;
    let only_claude = value(&uninstall_for(&both, Agent::Codex).unwrap());
    assert_eq!(
        installed(&only_claude).1.as_deref(),
        Some("/usr/bin/navi hook")
    );
    assert_eq!(installed_for(&only_claude, Agent::Codex).1, None);
}
