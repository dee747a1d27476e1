//! `navi hook` against the Go navi's shell hooks, in one run, inside a private tmux server.
//!
//! `cargo bench -p navi-app --bench hook`. The Go hooks are not part of this repository:
//! point `NAVI_BENCH_GO_HOOKS` at a directory holding the Go navi's `notify.sh` and
//! `tool-tracker.sh` (they need `bash`, `jq` and `tmux`) to get the comparison rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 101;

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", tmp.path())
            .env_remove("TMUX")
            .output()
            .expect("tmux")
    };
    assert!(tmux(&["new-session", "-d", "-s", "bench", "-c", "/tmp"])
        .status
        .success());
    let socket = String::from_utf8(tmux(&["display-message", "-p", "#{socket_path}"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    let pane = String::from_utf8(tmux(&["list-panes", "-a", "-F", "#{pane_id}"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    let run = |program: &str, args: &[&str], input: &str| -> Duration {
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .env("HOME", &home)
            .env("TMUX", format!("{socket},1,0"))
            .env("TMUX_PANE", &pane)
            .env("TMUX_TMPDIR", tmp.path())
            .env_remove("NAVI_SESSIONS_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // A floor program may exit without reading: a broken pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait().unwrap();
        start.elapsed()
    };
    let navi = env!("CARGO_BIN_EXE_navi");
    let prompt =
        r#"{"hook_event_name":"UserPromptSubmit","session_id":"s1","cwd":"/tmp","prompt":"go"}"#;
    let tool = r#"{"hook_event_name":"PostToolUse","session_id":"s1","cwd":"/tmp","tool_name":"Edit","tool_input":{"file_path":"/tmp/x"},"tool_response":{}}"#;

    let mut rows: Vec<(String, Duration)> = Vec::new();
    rows.push((
        "`navi hook`, UserPromptSubmit (status working)".into(),
        median(|| run(navi, &["hook"], prompt)),
    ));
    rows.push((
        "`navi hook`, PostToolUse (status + tool count)".into(),
        median(|| run(navi, &["hook"], tool)),
    ));
    // Floors: starting any process, and the one tmux query the hook needs.
    rows.push((
        "floor: `/bin/true` (process start)".into(),
        median(|| run("/bin/true", &[], prompt)),
    ));
    let target = pane.clone();
    rows.push((
        "floor: `tmux display-message` (the pane's session name)".into(),
        median(|| {
            run(
                "tmux",
                &["display-message", "-p", "-t", &target, "#{session_name}"],
                "",
            )
        }),
    ));
    match std::env::var_os("NAVI_BENCH_GO_HOOKS") {
        Some(dir) => {
            let notify = Path::new(&dir).join("notify.sh");
            let tracker = Path::new(&dir).join("tool-tracker.sh");
            let (notify, tracker) = (notify.to_str().unwrap(), tracker.to_str().unwrap());
            rows.push((
                "Go `notify.sh working`, UserPromptSubmit".into(),
                median(|| run("bash", &[notify, "working"], prompt)),
            ));
            rows.push((
                "Go `notify.sh working` + `tool-tracker.sh`, PostToolUse".into(),
                median(|| run("bash", &[notify, "working"], tool) + run("bash", &[tracker], tool)),
            ));
        }
        None => eprintln!("NAVI_BENCH_GO_HOOKS not set: no Go hook rows"),
    }
    let _ = tmux(&["kill-server"]);
    let base = rows[0].1;
    println!("| hook run | median | vs `navi hook` (prompt) |");
    println!("| --- | --- | --- |");
    for (name, d) in &rows {
        println!(
            "| {name} | {:.2} ms | {:.1}× |",
            d.as_secs_f64() * 1e3,
            d.as_secs_f64() / base.as_secs_f64()
        );
    }
}

/// The median of [`RUNS`] runs after one warm-up.
fn median(mut f: impl FnMut() -> Duration) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| f()).collect();
    times.sort();
    times[RUNS / 2]
}
