//! Tokens computed on the session's machine reach navi over SSH with no extra round trip:
//! the remote's `navi hook` (here the hook's library on the scratch remote's status
//! directory) reads the transcript and writes `metrics.tokens`; the SSH source (push
//! loop on a real sshd) shows the counts, and the next turn's counts as a change; the
//! dashboard prices them with its own table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use navi_core::cost::{estimate, PriceTable};
use navi_core::{SessionInfo, SessionSource};
use navi_source_local::hook::{apply, Pane};
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};

fn assistant(id: &str, input: u64, output: u64, read: u64) -> String {
    serde_json::json!({
        "type": "assistant", "sessionId": "s1", "requestId": format!("req_{id}"),
        "message": {"id": id, "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "ok"}],
            "usage": {"input_tokens": input, "output_tokens": output,
                "cache_read_input_tokens": read, "cache_creation_input_tokens": 0}}
    })
    .to_string()
}

/// One `Stop` event of session `api` whose transcript is `transcript`.
fn hook(sessions: &Path, cwd: &Path, transcript: &Path) {
    let pane = Pane {
        session: "api".into(),
        cwd: cwd.to_string_lossy().into_owned(),
        place: None,
    };
    let event = serde_json::json!({"hook_event_name": "Stop", "session_id": "s1",
        "transcript_path": transcript.to_str().unwrap(), "cwd": cwd.to_str().unwrap()});
    apply(sessions, &pane, &event, navi_core::now_seconds(), &|_| None).unwrap();
}

fn source(scratch: &Path, port: u16) -> SshSource {
    sshd::scratch_source(&scratch.join("keys"), &scratch.join("client"), port)
}

/// Polls until `api`'s tokens total `total` (the push loop sends the change), bounded.
async fn api_with_total(s: &SshSource, total: u64) -> SessionInfo {
    for _ in 0..100 {
        let sessions = s.poll().await.unwrap();
        if let Some(api) = sessions.into_iter().find(|x| x.tmux_session == "api") {
            let t = api.metrics.as_ref().and_then(|m| m.tokens.as_ref());
            if t.and_then(|t| t.total) == Some(total) {
                return api;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("api never showed {total} tokens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_sessions_tokens_are_counted_there_and_shown_here() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let sessions = home.join(".claude-sessions");
    let tmux_dir = scratch.path().join("tmux");
    let work: PathBuf = home.join("proj");
    for d in [&sessions, &tmux_dir, &work] {
        std::fs::create_dir_all(d).unwrap();
    }
    let transcript = home.join("t.jsonl");
    // One reply written over two lines (same message id): counted once.
    let first = assistant("msg_1", 1_000, 200, 9_000);
    std::fs::write(&transcript, format!("{first}\n{first}\n")).unwrap();
    hook(&sessions, &work, &transcript);

    let server = Sshd::start_scratch(
        &scratch.path().join("keys"),
        &home,
        &tmux_dir,
        "PATH=/usr/local/bin:/usr/bin:/bin",
    );
    let s = source(scratch.path(), server.port());
    let api = api_with_total(&s, 10_200).await;
    let t = api.metrics.and_then(|m| m.tokens).unwrap();
    assert_eq!(
        (t.input, t.output, t.cache_read),
        (Some(10_000), Some(200), Some(9_000))
    );
    assert_eq!(t.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    let cost = estimate(&t, &PriceTable::default()).unwrap();
    assert!(cost.dollars > 0.0 && cost.unpriced.is_empty(), "{cost:?}");

    // The next turn: only the appended line is read there; the change arrives here.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&transcript)
        .unwrap();
    std::io::Write::write_all(
        &mut f,
        format!("{}\n", assistant("msg_2", 10, 5, 10_000)).as_bytes(),
    )
    .unwrap();
    hook(&sessions, &work, &transcript);
    let api = api_with_total(&s, 10_200 + 10_015).await;
    let t = api.metrics.and_then(|m| m.tokens).unwrap();
    assert_eq!(t.cache_read, Some(19_000));
    drop(server);
}
