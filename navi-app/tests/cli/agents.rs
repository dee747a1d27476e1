//! `navi hook --agent codex|gemini|opencode` in a tmux pane on a private server: each
//! agent's recorded events, replayed in order, and the status file after each step.
//!
//! Where the event shapes come from:
//! * Codex: the generated input schemas of `openai/codex`,
//!   `codex-rs/hooks/schema/generated/{session-start,user-prompt-submit,post-tool-use,
//!   permission-request,stop}.command.input.schema.json` (every required field present:
//!   `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `model`,
//!   `permission_mode`, `turn_id`, and the event's own).
//! * Gemini CLI: `google-gemini/gemini-cli` `docs/hooks/reference.md` ("Base input
//!   schema": `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `timestamp`;
//!   `BeforeAgent.prompt`, `AfterTool.tool_name/tool_input/tool_response`,
//!   `Notification.notification_type = "ToolPermission"/message/details`,
//!   `AfterAgent.prompt_response/stop_hook_active`, `SessionEnd.reason`).
//! * OpenCode: what navi's own plugin sends (`plugin_js` in navi-app's hooks module):
//!   OpenCode's bus event type as `hook_event_name`, its `sessionID`, the directory.

use super::*;

/// Runs `navi hook --agent AGENT` from the tmux pane, `event` on stdin.
fn agent_hook(env: &Env, tmux: &Tmux, sessions: &Path, agent: &str, event: &str) -> Output {
    use std::io::Write as _;
    let mut cmd = env.command(&["hook", "--agent", agent]);
    cmd.env("TMUX", format!("{},1,0", tmux.socket))
        .env("TMUX_PANE", tmux.first_pane())
        .env("TMUX_TMPDIR", tmux.tmpdir.path())
        .env("NAVI_SESSIONS_DIR", sessions)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Replays `steps` (event, status after it) of `agent` in a fresh tmux session and
/// returns the final file.
fn replay(agent: &str, reply: &str, steps: &[(String, &str)]) -> Value {
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("agent run", &work);
    let sessions = env.home.path().join("sessions");
    let file = sessions.join("agent run.json");
    for (event, status) in steps {
        let out = agent_hook(&env, &tmux, &sessions, agent, event);
        assert!(out.status.success(), "{event}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim_end(), reply, "{agent} {event}: stdout");
        let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(f["status"], *status, "{agent} after {event}: {f}");
        assert_eq!(f["agent"], agent, "{f}");
        assert_eq!(f["tmux_session"], "agent run");
    }
    // navi lists it with its agent.
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&sessions)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"][0]["agent"], agent, "{v}");
    // The table tags the row with the agent.
    let out = env.navi(&["list", "--sessions-dir", dir(&sessions)]);
    let tag = navi_core::statusdir::agents::Agent::parse(agent)
        .unwrap()
        .tag();
    assert!(
        stdout(&out).contains(&format!("agent run {{{tag}}}")),
        "{}",
        stdout(&out)
    );
    serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap()
}

fn codex(event: &str, extra: Value) -> String {
    let mut v = serde_json::json!({
        "session_id": "019d036d-c7fa-72d2-b6fd-78878bfe34e4", "transcript_path": null,
        "cwd": "/srv/proj", "hook_event_name": event, "model": "gpt-5-codex",
        "permission_mode": "default", "turn_id": "019d036d-0000-7000-8000-000000000001"
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v.to_string()
}

#[test]
fn recorded_codex_events_give_navis_statuses() {
    let steps = [
        (
            codex("SessionStart", serde_json::json!({"source": "startup"})),
            "idle",
        ),
        (
            codex(
                "UserPromptSubmit",
                serde_json::json!({"prompt": "fix the build"}),
            ),
            "working",
        ),
        (
            codex(
                "PermissionRequest",
                serde_json::json!({"tool_name": "Bash", "tool_input": {"command": "cargo test", "description": "run"}}),
            ),
            "permission",
        ),
        (
            codex(
                "PostToolUse",
                serde_json::json!({"tool_name": "Bash", "tool_use_id": "c1", "tool_input": {"command": "cargo test"}, "tool_response": "ok"}),
            ),
            "working",
        ),
        (
            codex(
                "Stop",
                serde_json::json!({"stop_hook_active": false, "last_assistant_message": "done"}),
            ),
            "done",
        ),
    ];
    let f = replay("codex", "", &steps);
    assert_eq!(f["metrics"]["tools"]["counts"]["Bash"], 1, "{f}");
    assert_eq!(f["session_id"], "019d036d-c7fa-72d2-b6fd-78878bfe34e4");
    assert_eq!(f["cwd"], "/srv/proj");
}

fn gemini(event: &str, extra: Value) -> String {
    let mut v = serde_json::json!({
        "session_id": "g-1", "transcript_path": "/h/.gemini/tmp/x/chats/session.json",
        "cwd": "/srv/proj", "hook_event_name": event, "timestamp": "2026-01-01T00:00:00Z"
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v.to_string()
}

#[test]
fn recorded_gemini_events_give_navis_statuses_and_the_reply_is_json() {
    let steps = [
        (
            gemini("SessionStart", serde_json::json!({"source": "startup"})),
            "idle",
        ),
        (
            gemini("BeforeAgent", serde_json::json!({"prompt": "hi"})),
            "working",
        ),
        (
            gemini(
                "Notification",
                serde_json::json!({"notification_type": "ToolPermission", "message": "Allow run_shell_command?", "details": {"tool": "run_shell_command"}}),
            ),
            "permission",
        ),
        (
            gemini(
                "AfterTool",
                serde_json::json!({"tool_name": "run_shell_command", "tool_input": {"command": "ls"}, "tool_response": {"llmContent": "a", "returnDisplay": "a"}}),
            ),
            "working",
        ),
        (
            gemini(
                "AfterAgent",
                serde_json::json!({"prompt": "hi", "prompt_response": "hello", "stop_hook_active": false}),
            ),
            "done",
        ),
        (
            gemini("SessionEnd", serde_json::json!({"reason": "exit"})),
            "offline",
        ),
    ];
    let f = replay("gemini", "{}", &steps);
    assert_eq!(f["metrics"]["tools"]["counts"]["run_shell_command"], 1);
}

fn opencode(event: &str) -> String {
    serde_json::json!({"hook_event_name": event, "session_id": "ses_1", "cwd": "/srv/proj"})
        .to_string()
}

#[test]
fn opencode_plugin_events_give_navis_statuses() {
    let steps = [
        (opencode("session.created"), "idle"),
        (opencode("chat.message"), "working"),
        (opencode("permission.asked"), "permission"),
        (opencode("permission.replied"), "working"),
        (opencode("session.idle"), "done"),
        (opencode("session.error"), "error"),
    ];
    replay("opencode", "", &steps);
}

/// Claude Code leads, an OpenCode helper reports beside it in the Go navi's `agents` map,
/// and the lead's status is untouched by the helper.
#[test]
fn a_helper_agent_goes_into_the_go_navis_agents_map() {
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("pair", &work);
    let sessions = env.home.path().join("sessions");
    let file = sessions.join("pair.json");
    let read = || -> Value { serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap() };
    let out = hook(
        &env,
        &tmux,
        &sessions,
        r#"{"hook_event_name":"UserPromptSubmit","session_id":"c1"}"#,
    );
    assert!(out.status.success());
    let out = agent_hook(
        &env,
        &tmux,
        &sessions,
        "opencode",
        &opencode("session.idle"),
    );
    assert!(out.status.success());
    let f = read();
    assert_eq!(
        (f["status"].clone(), f["agent"].clone()),
        (serde_json::json!("working"), serde_json::json!("claude")),
        "{f}"
    );
    assert_eq!(f["agents"]["opencode"]["status"], "done", "{f}");
    assert!(f["agents"]["opencode"]["timestamp"].is_i64(), "{f}");
    // The Go navi's reader (navi's own, which reads its shape) sees both.
    let out = env.navi(&["list", "--json", "--sessions-dir", dir(&sessions)]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"][0]["agents"]["opencode"]["status"], "done");
    // Once Claude Code ends, the next agent to report leads.
    hook(
        &env,
        &tmux,
        &sessions,
        r#"{"hook_event_name":"SessionEnd","session_id":"c1"}"#,
    );
    agent_hook(
        &env,
        &tmux,
        &sessions,
        "opencode",
        &opencode("chat.message"),
    );
    let f = read();
    assert_eq!(
        (f["status"].clone(), f["agent"].clone()),
        (serde_json::json!("working"), serde_json::json!("opencode")),
        "{f}"
    );
    assert!(f.get("agents").is_none(), "no longer a helper: {f}");
}

#[test]
fn an_unknown_agent_is_a_usage_error_and_gemini_gets_json_outside_tmux() {
    let env = Env::new();
    let out = env.navi(&["hook", "--agent", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown agent"), "{}", stderr(&out));
    use std::io::Write as _;
    let mut child = env
        .command(&["hook", "--agent=gemini"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"hook_event_name\":\"BeforeAgent\"}")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), "{}\n");
}

/// `navi hooks install --agent X` edits each agent's own file in a temp HOME; `status`
/// explains Codex's trust step; OpenCode's Go navi plugin is replaced and kept aside.
#[test]
fn hooks_install_for_each_agent_in_a_temp_home() {
    let env = Env::new();
    let home = env.home.path();
    let gemini = home.join(".gemini/settings.json");
    std::fs::create_dir_all(gemini.parent().unwrap()).unwrap();
    std::fs::write(&gemini, "{\n  \"theme\": \"GitHub\",\n  \"n\": 1e2\n}\n").unwrap();
    let go_plugin = "const STATUS_DIR = path.join(homedir(), \".claude-sessions\")\nconst OPENCODE_AGENT_KEY = \"opencode\"\n";
    let plugin = home.join(".config/opencode/plugins/navi.js");
    std::fs::create_dir_all(plugin.parent().unwrap()).unwrap();
    std::fs::write(&plugin, go_plugin).unwrap();

    let out = env.navi(&["hooks", "install", "--agent", "codex"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("/hooks"), "{}", stdout(&out));
    let codex: Value =
        serde_json::from_slice(&std::fs::read(home.join(".codex/hooks.json")).unwrap()).unwrap();
    let cmd = codex["hooks"]["PermissionRequest"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.ends_with(" hook --agent codex"), "{cmd}");
    let out = env.navi(&["hooks", "status", "--agent", "codex"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("trust"), "{}", stdout(&out));

    let out = env.navi(&["hooks", "install", "--agent", "gemini"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&gemini).unwrap();
    assert!(
        text.starts_with("{\n  \"theme\": \"GitHub\",\n  \"n\": 1e2,"),
        "{text}"
    );
    assert!(text.contains("hook --agent gemini"), "{text}");

    let out = env.navi(&["hooks", "install", "--agent", "opencode"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Go navi's OpenCode plugin"),
        "{}",
        stdout(&out)
    );
    let ours = std::fs::read_to_string(&plugin).unwrap();
    assert!(ours.starts_with("// navi-opencode-plugin:"), "{ours}");
    assert_eq!(
        std::fs::read_to_string(plugin.with_extension("js.navi-backup")).unwrap(),
        go_plugin
    );
    let out = env.navi(&["hooks", "status", "--agent", "opencode"]);
    assert!(out.status.success(), "{}", stdout(&out));

    // Uninstall gives the user's files back.
    for agent in ["codex", "gemini", "opencode"] {
        let out = env.navi(&["hooks", "uninstall", "--agent", agent]);
        assert!(out.status.success(), "{agent}: {}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(&gemini).unwrap(),
        "{\n  \"theme\": \"GitHub\",\n  \"n\": 1e2\n}\n"
    );
    assert!(!plugin.exists());
    let out = env.navi(&["hooks", "status", "--agent", "gemini"]);
    assert_eq!(out.status.code(), Some(1));

    // A plugin that is neither navi's nor the Go navi's is never overwritten.
    std::fs::write(&plugin, "export const Mine = async () => ({})\n").unwrap();
    let out = env.navi(&["hooks", "install", "--agent", "opencode"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not navi's plugin"),
        "{}",
        stderr(&out)
    );
}

/// `--all` installs for the agents whose program is on PATH.
#[test]
fn hooks_install_all_finds_the_agents_on_path() {
    let env = Env::new();
    let bin = env.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for prog in ["codex", "gemini"] {
        let p = bin.join(prog);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = env
        .command(&["hooks", "install", "--all"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(
        s.contains("Claude Code:") && s.contains("Codex:") && s.contains("Gemini CLI:"),
        "{s}"
    );
    assert!(!s.contains("OpenCode:"), "{s}");
    assert!(env.home.path().join(".codex/hooks.json").exists());
    assert!(env.home.path().join(".gemini/settings.json").exists());
}

/// navi's OpenCode plugin, loaded by node as OpenCode would load it, hands each event to
/// `navi hook --agent opencode` in a tmux pane (skipped where node is missing).
#[test]
fn the_opencode_plugin_reports_through_navi_hook() {
    let Ok(node) = which("node") else {
        eprintln!("no node on PATH: skipped");
        return;
    };
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("oc", &work);
    let sessions = env.home.path().join("sessions");
    let out = env
        .command(&[
            "--sessions-dir",
            dir(&sessions),
            "hooks",
            "install",
            "--agent",
            "opencode",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plugin = env.home.path().join(".config/opencode/plugins/navi.js");
    let module = env.home.path().join("navi-plugin.mjs");
    std::fs::copy(&plugin, &module).unwrap();
    let file = sessions.join("oc.json");
    let created_child = (
        "event",
        r#"{"event":{"type":"session.created","properties":{"info":{"id":"c1","parentID":"s1"}}}}"#,
    );
    // Each step is one node process (one plugin instance): a subagent's session is
    // remembered within it, and its events are dropped.
    let steps: [(&[(&str, &str)], &str); 6] = [
        (
            &[(
                "event",
                r#"{"event":{"type":"session.created","properties":{"info":{"id":"s1"}}}}"#,
            )],
            "idle",
        ),
        (&[("chat.message", r#"{"sessionID":"s1"}"#)], "working"),
        (
            &[
                created_child,
                (
                    "event",
                    r#"{"event":{"type":"session.idle","properties":{"sessionID":"c1"}}}"#,
                ),
            ],
            "working",
        ),
        (
            &[(
                "event",
                r#"{"event":{"type":"permission.asked","properties":{"sessionID":"s1"}}}"#,
            )],
            "permission",
        ),
        (
            &[("tool.execute.after", r#"{"sessionID":"s1","tool":"bash"}"#)],
            "working",
        ),
        (
            &[(
                "event",
                r#"{"event":{"type":"session.status","properties":{"sessionID":"s1","status":{"type":"idle"}}}}"#,
            )],
            "done",
        ),
    ];
    for (calls, status) in steps {
        let mut script = format!(
            "import {{ NaviPlugin }} from {module:?}\nconst h = await NaviPlugin({{ directory: {work:?} }})\n",
            module = module.display().to_string(),
            work = dir(&work),
        );
        for (hook, arg) in calls {
            script.push_str(&format!("await h[{hook:?}]({arg})\n"));
        }
        let out = Command::new(&node)
            .args(["--input-type=module", "-e", &script])
            .env("TMUX", format!("{},1,0", tmux.socket))
            .env("TMUX_PANE", tmux.first_pane())
            .env("TMUX_TMPDIR", tmux.tmpdir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{calls:?}: {}", stderr(&out));
        let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(f["status"], status, "after {calls:?}: {f}");
        assert_eq!(f["agent"], "opencode");
    }
    let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(f["metrics"]["tools"]["counts"]["bash"], 1, "{f}");
}

fn which(prog: &str) -> Result<PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
        .ok_or(())
}

/// `navi remotes setup` against a real sshd (scratch HOME) whose PATH has stub `codex`
/// and `gemini`: navi's hooks go into Claude Code's, Codex's and Gemini CLI's files
/// there, and the check reads all of them back.
#[test]
fn remotes_setup_installs_for_every_agent_found_there() {
    use navi_tests::sshd::{self, Sshd};
    if !sshd::sshd_or_skip() {
        return;
    }
    let env = Env::new();
    let home = env.home.path();
    let scratch = tempfile::tempdir().unwrap();
    let rhome = scratch.path().join("home");
    let bin = scratch.path().join("bin");
    let tmux_dir = scratch.path().join("tmux");
    for d in [&rhome, &bin, &tmux_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    for prog in ["codex", "gemini"] {
        let p = bin.join(prog);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let keys = home.join("keys");
    let path = format!("PATH={}:/usr/bin:/bin", bin.display());
    let dev = Sshd::start_scratch(&keys, &rhome, &tmux_dir, &path);
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::copy(keys.join("known_hosts"), home.join(".ssh/known_hosts")).unwrap();
    let remotes_file = home.join("remotes.yaml");
    std::fs::write(
        &remotes_file,
        format!(
            "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: {}\n",
            dev.port(),
            sshd::current_user(),
            keys.join("id_ed25519").display()
        ),
    )
    .unwrap();
    let out = env
        .command(&["remotes", "setup", "dev"])
        .env("NAVI_REMOTES", &remotes_file)
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("hooks:          installed"),
        "{}",
        stdout(&out)
    );
    let copied = rhome.join(".local/bin/navi");
    let read = |p: &str| -> Value {
        serde_json::from_slice(&std::fs::read(rhome.join(p)).unwrap()).unwrap()
    };
    let claude = read(".claude/settings.json");
    assert_eq!(
        claude["hooks"]["Stop"][0]["hooks"][0]["command"],
        format!("{} hook", copied.display())
    );
    let codex = read(".codex/hooks.json");
    assert_eq!(
        codex["hooks"]["Stop"][0]["hooks"][0]["command"],
        format!("{} hook --agent codex", copied.display())
    );
    let gemini = read(".gemini/settings.json");
    assert_eq!(
        gemini["hooks"]["AfterAgent"][0]["hooks"][0]["command"],
        format!("{} hook --agent gemini", copied.display())
    );
    assert!(
        !rhome.join(".config/opencode/plugins/navi.js").exists(),
        "no opencode there"
    );
}
