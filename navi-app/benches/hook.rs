//! `navi hook` against the Go navi's shell hooks, in one run, inside a private tmux server.
//!
//! `cargo bench -p navi-app --bench hook`. Every run is a new process started from here
//! with the event JSON on stdin, as Claude Code starts a hook. The cases take turns (one
//! run of each per round, each round starting at the next case), so a machine that is
//! busier for a while slows all of them alike and the ratios hold.
//!
//! - `NAVI_BENCH_GO_HOOKS=DIR`: a directory holding the Go navi's `notify.sh` and
//!   `tool-tracker.sh` (they need `bash`, `jq` and `tmux`), for the comparison rows.
//! - `NAVI_BENCH_OLD_NAVI=FILE`: an older `navi` binary, for a before/after row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 101;

/// One benchmarked case: a program, its arguments and the event on its stdin.
struct Case {
    name: String,
    /// One or more processes run one after the other (the Go hooks use two).
    /// Each run: program, arguments, stdin, and the tmux pane it runs in.
    runs: Vec<(String, Vec<String>, String, String)>,
    /// How many hook events those runs are (times are per event).
    events: u32,
    times: Vec<Duration>,
}

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
    let pane = String::from_utf8(tmux(&["list-panes", "-t", "bench", "-F", "#{pane_id}"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    let repo = git_repo(tmp.path());
    let repo_dir = repo.display().to_string();
    // A second session whose pane is in the repository (the older navi asks git about the
    // pane's directory, this one about the event's cwd: both are the repository here).
    let created = tmux(&["new-session", "-d", "-s", "repo", "-c", &repo_dir]);
    assert!(created.status.success());
    let repo_pane =
        String::from_utf8(tmux(&["list-panes", "-t", "repo", "-F", "#{pane_id}"]).stdout)
            .unwrap()
            .trim()
            .to_string();

    let navi = env!("CARGO_BIN_EXE_navi").to_string();
    let prompt =
        r#"{"hook_event_name":"UserPromptSubmit","session_id":"s1","cwd":"/tmp","prompt":"go"}"#;
    let tool = r#"{"hook_event_name":"PostToolUse","session_id":"s1","cwd":"/tmp","tool_name":"Edit","tool_input":{"file_path":"/tmp/x"},"tool_response":{}}"#;
    // In a repository, a prompt and a stop in turn: each changes the status, so each
    // writes the git block.
    let in_repo = |name: &str| {
        serde_json::json!({"hook_event_name": name, "session_id": "s2", "cwd": repo_dir,
            "prompt": "go"})
        .to_string()
    };
    let one = |program: &str, args: &[&str], input: &str| {
        let args = args.iter().map(|a| a.to_string()).collect();
        (program.to_string(), args, input.to_string(), pane.clone())
    };
    let in_repo_run = |program: &str, event: &str| {
        let mut run = one(program, &["hook"], &in_repo(event));
        run.3 = repo_pane.clone();
        run
    };
    let case = |name: &str, runs: Vec<_>| Case {
        name: name.into(),
        events: runs.len() as u32,
        runs,
        times: Vec::new(),
    };

    let mut cases = vec![
        case(
            "`navi hook`, UserPromptSubmit (status working)",
            vec![one(&navi, &["hook"], prompt)],
        ),
        case(
            "`navi hook`, PostToolUse (status + tool count)",
            vec![one(&navi, &["hook"], tool)],
        ),
        case(
            "`navi hook`, prompt then stop in a git repository (each writes the git block)",
            vec![
                in_repo_run(&navi, "UserPromptSubmit"),
                in_repo_run(&navi, "Stop"),
            ],
        ),
    ];
    if let Some(old) = std::env::var_os("NAVI_BENCH_OLD_NAVI") {
        let old = old.to_str().unwrap();
        cases.push(case(
            "older `navi hook` (NAVI_BENCH_OLD_NAVI), UserPromptSubmit",
            vec![one(old, &["hook"], prompt)],
        ));
        cases.push(case(
            "older `navi hook`, prompt then stop in a git repository",
            vec![
                in_repo_run(old, "UserPromptSubmit"),
                in_repo_run(old, "Stop"),
            ],
        ));
    }
    cases.extend([
        case(
            "floor: `/bin/true` (process start)",
            vec![one("/bin/true", &[], prompt)],
        ),
        case(
            "floor: `navi --version` (start of this binary)",
            vec![one(&navi, &["--version"], "")],
        ),
        case(
            "floor: `tmux display-message` (the pane's session name)",
            vec![one(
                "tmux",
                &["display-message", "-p", "-t", &pane, "#{session_name}"],
                "",
            )],
        ),
        case(
            "floor: `git status` in the repository (one run)",
            vec![one(
                "git",
                &["-C", &repo_dir, "status", "--porcelain=v2", "--branch"],
                "",
            )],
        ),
    ]);
    match std::env::var_os("NAVI_BENCH_GO_HOOKS") {
        Some(dir) => {
            let notify = Path::new(&dir).join("notify.sh");
            let tracker = Path::new(&dir).join("tool-tracker.sh");
            let (notify, tracker) = (notify.to_str().unwrap(), tracker.to_str().unwrap());
            cases.push(case(
                "Go `notify.sh working`, UserPromptSubmit",
                vec![one("bash", &[notify, "working"], prompt)],
            ));
            // One event, two scripts: the Go navi runs both for a tool use.
            let mut both = case(
                "Go `notify.sh working` + `tool-tracker.sh`, PostToolUse",
                vec![
                    one("bash", &[notify, "working"], tool),
                    one("bash", &[tracker], tool),
                ],
            );
            both.events = 1;
            cases.push(both);
        }
        None => eprintln!("NAVI_BENCH_GO_HOOKS not set: no Go hook rows"),
    }

    let env = [
        ("HOME", home.display().to_string()),
        ("TMUX", format!("{socket},1,0")),
        ("TMUX_TMPDIR", tmp.path().display().to_string()),
    ];
    let run = |(program, args, input, pane): &(String, Vec<String>, String, String)| {
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("TMUX_PANE", pane)
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
    // One warm-up round, then the cases take turns.
    // Each round starts at another case, so none always runs right after the slow Go
    // hooks (cold caches).
    let n = cases.len();
    for round in 0..=ROUNDS {
        for i in 0..n {
            let case = &mut cases[(round + i) % n];
            let t: Duration = case.runs.iter().map(run).sum();
            if round > 0 {
                case.times.push(t / case.events);
            }
        }
    }
    let _ = tmux(&["kill-server"]);
    // The runs did the work: the repository's session file has its git block.
    let file = home.join(".claude-sessions/repo.json");
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(written["git"]["dirty"], true, "no git block: {written}");

    for case in &mut cases {
        case.times.sort();
    }
    let base = cases[0].times[ROUNDS / 2];
    println!("| hook run (per event) | median | p10 | p90 | median vs `navi hook` (prompt) |");
    println!("| --- | --- | --- | --- | --- |");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for case in &cases {
        let t = &case.times;
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× |",
            case.name,
            ms(t[ROUNDS / 2]),
            ms(t[ROUNDS / 10]),
            ms(t[ROUNDS * 9 / 10]),
            t[ROUNDS / 2].as_secs_f64() / base.as_secs_f64()
        );
    }
}

/// A git repository of 300 small committed files, one of them changed.
fn git_repo(tmp: &Path) -> PathBuf {
    let repo = tmp.join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    for i in 0..300 {
        std::fs::write(repo.join("src").join(format!("f{i}.rs")), format!("{i}\n")).unwrap();
    }
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.name=b", "-c", "user.email=b@b"])
            .args(args)
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "bench"]);
    std::fs::write(repo.join("src/f0.rs"), "changed\n").unwrap();
    repo
}
