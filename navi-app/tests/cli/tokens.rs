//! Tokens end to end: `navi hook` reads the transcript it is given, `navi list` shows the
//! counts and the cost with config.yaml's prices.

use super::*;

fn assistant(id: &str, model: &str, input: u64, output: u64, read: u64, write: u64) -> String {
    serde_json::json!({
        "type": "assistant", "sessionId": "s1", "uuid": format!("{id}-x"), "requestId": format!("req_{id}"),
        "message": {"id": id, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "ok"}],
            "usage": {"input_tokens": input, "output_tokens": output,
                "cache_read_input_tokens": read, "cache_creation_input_tokens": write}}
    })
    .to_string()
}

#[test]
fn navi_hook_writes_tokens_from_the_transcript_and_list_prices_them() {
    let env = Env::new();
    let work = env.home.path().join("proj");
    std::fs::create_dir(&work).unwrap();
    let tmux = Tmux::start("tok", &work);
    let sessions = env.home.path().join("sessions");
    let transcript = env.home.path().join("t.jsonl");
    let line = assistant(
        "msg_1",
        "claude-opus-4-5-20251101",
        1_000_000,
        0,
        1_000_000,
        0,
    );
    // The reply written twice (two content blocks), then a line being written.
    std::fs::write(&transcript, format!("{line}\n{line}\n{{\"type\":\"assist")).unwrap();
    let event = serde_json::json!({"hook_event_name": "Stop", "session_id": "s1",
        "transcript_path": dir(&transcript)})
    .to_string();
    let out = hook(&env, &tmux, &sessions, &event);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = sessions.join("tok.json");
    let f: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let t = &f["metrics"]["tokens"];
    assert_eq!(
        (t["input"].clone(), t["output"].clone(), t["total"].clone()),
        (2_000_000.into(), 0.into(), 2_000_000.into()),
        "{f}"
    );
    assert_eq!(t["cache_read"], 1_000_000);
    assert_eq!(t["model"], "claude-opus-4-5-20251101");
    assert!(sessions.join(".navi/tokens/tok.json").is_file());

    // Prices from config.yaml: opus 4.5 at 2 $/M fresh input and 1 $/M cache read = $3.
    let config = env.home.path().join("config.yaml");
    std::fs::write(
        &config,
        "prices:\n  claude-opus-4-5: {input: 2, cache_read: 1}\n",
    )
    .unwrap();
    let list = |args: &[&str]| {
        let mut cmd = env.command(&["list", "--sessions-dir", dir(&sessions)]);
        cmd.args(args).env("NAVI_CONFIG", &config);
        cmd.output().unwrap()
    };
    let out = list(&["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["sessions"][0];
    assert_eq!(s["cost"]["usd"], 3.0, "{s}");
    assert_eq!(s["metrics"]["tokens"]["cache_creation"], 0);
    let out = list(&["--wide"]);
    let text = stdout(&out);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header[3..5], ["TOKENS", "COST"], "{text}");
    assert!(text.contains("2000000  $3.00"), "{text}");

    // A wrong price field: named with the file, the rest still works.
    std::fs::write(&config, "prices:\n  claude-opus-4-5: {inptu: 2}\n").unwrap();
    let out = list(&["--json"]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: field `prices.claude-opus-4-5.inptu`",
            config.display()
        )),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The built-in price: 1M fresh × 5 + 1M read × 0.5.
    assert_eq!(v["sessions"][0]["cost"]["usd"], 5.5);
}
