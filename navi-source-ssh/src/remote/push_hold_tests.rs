#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the push loop sends per write: a file only when it differs from what navi holds,
//! its bytes exactly as on disk (read with the shell's builtins), and a burst of writes
//! once where the shell can hold events (`read -t`).

use std::path::Path;
use std::time::Duration;

use super::push_decode::{Batch, Record};
use super::push_script::push_script_holding;
use super::push_tests::{scan_path, status_json, write_status, Loop};
use super::script_tests::posix_shells;

/// How many times file `name` was sent (an `F` record) in the batches seen.
fn sends(l: &Loop, name: &str) -> usize {
    l.seen
        .iter()
        .filter_map(|b| match b {
            Batch::Delta(r) => Some(r),
            _ => None,
        })
        .flatten()
        .filter(|r| Record::is_file(r, name))
        .count()
}

/// A loop under `argv` watching `dir` with inotify, holding events for `window`
/// seconds; `None` when the shell or `inotifywait` is missing (and not required).
pub(super) fn holding_loop(argv: &[String], dir: &Path, window: &str) -> Option<Loop> {
    let have = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", "command -v \"$1\"", "sh", tool])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for tool in [argv[0].as_str(), "inotifywait"] {
        if !have(tool) {
            assert!(
                std::env::var_os("NAVI_REQUIRE_SHELLS").is_none(),
                "{tool} is required (NAVI_REQUIRE_SHELLS) but not installed"
            );
            eprintln!("skipped: {tool} is not installed");
            return None;
        }
    }
    let script = push_script_holding(&dir.display().to_string(), "0", window);
    let l = Loop::run(argv, &script, None);
    assert_eq!(l.mode, "inotify", "{argv:?}");
    Some(l)
}

/// A file sent once is not sent again while its bytes stay the same: not by the next
/// scans (file times are coarser than scans), not by a tmux check, not when it is
/// rewritten with the same bytes; under every POSIX `sh`, scanning without inotify.
#[test]
fn an_unchanged_file_is_never_sent_again() {
    let tools = tempfile::tempdir().unwrap();
    for argv in posix_shells() {
        let d = tempfile::tempdir().unwrap();
        write_status(d.path(), "a", "working");
        write_status(d.path(), "b", "idle");
        // Older than the snapshot: after a snapshot the loop holds no copies, and a file
        // changed in the snapshot's second (busybox's `-nt` has seconds) is sent once more.
        for name in ["a.json", "b.json"] {
            let f = std::fs::File::options()
                .write(true)
                .open(d.path().join(name))
                .unwrap();
            f.set_modified(std::time::SystemTime::now() - Duration::from_secs(10))
                .unwrap();
        }
        let mut l = Loop::start(&argv, d.path(), "0", Some(&scan_path(tools.path())));
        l.seen.clear();
        write_status(d.path(), "a", "done");
        for _ in 0..3 {
            l.scan();
        }
        l.send("t");
        l.scan();
        assert_eq!(sends(&l, "a.json"), 1, "{argv:?}: {:?}", l.seen);
        assert_eq!(sends(&l, "b.json"), 0, "{argv:?}: {:?}", l.seen);
        // The same bytes again (a new modification time): nothing to send.
        write_status(d.path(), "a", "done");
        l.scan();
        l.scan();
        assert_eq!(sends(&l, "a.json"), 1, "{argv:?}: {:?}", l.seen);
        // Back to an earlier content: sent, navi holds the other one.
        write_status(d.path(), "a", "working");
        l.scan();
        assert_eq!(sends(&l, "a.json"), 2, "{argv:?}: {:?}", l.seen);
        assert!(!l.resync(), "{argv:?}: the digest agrees");
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// The builtin reader sends a file's bytes exactly (the resync's `cksum` agrees): no
/// final newline, blank lines, backslashes, leading blanks, a `-n` line; a file over the
/// cap is reported skipped, as the snapshot reports it; an empty file is an empty record.
#[test]
fn changed_files_are_sent_byte_for_byte() {
    let tools = tempfile::tempdir().unwrap();
    let odd = "{\n  \"tmux_session\": \"x\",\n\n\t\"status\": \"working\",\n  \"message\": \"a\\\\nb \\\\ -n\",\n-n\n\"cwd\": \"/w\", \"timestamp\": 1700000000}";
    for argv in posix_shells() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Loop::start(&argv, d.path(), "0", Some(&scan_path(tools.path())));
        std::fs::write(d.path().join("x.json"), odd).unwrap();
        std::fs::write(d.path().join("y.json"), format!("{odd}\n\n")).unwrap();
        std::fs::write(d.path().join("e.json"), "").unwrap();
        let big = " ".repeat(navi_core::MAX_STATUS_FILE_BYTES as usize + 10);
        std::fs::write(d.path().join("big.json"), format!("{big}\n{{}}\n")).unwrap();
        l.scan();
        let report = l.state.clone().report("/d", "r").unwrap();
        let skipped: Vec<_> = report
            .skipped
            .iter()
            .map(|s| (s.name.clone(), s.reason.clone()))
            .collect();
        assert!(
            skipped
                .iter()
                .any(|(n, r)| n.ends_with("big.json") && r.contains("over the")),
            "{argv:?}: {skipped:?}"
        );
        let sessions = l.sessions();
        assert!(
            sessions.contains(&("x".into(), "working".into()))
                && sessions.contains(&("y".into(), "working".into())),
            "{argv:?}: {sessions:?}"
        );
        assert!(
            !l.resync(),
            "{argv:?}: the bytes sent are the bytes on disk"
        );
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// A status file far over the cap on one line (8 GiB, sparse: no disk) is skipped by its
/// size (`find -size`), never read: the shell's `read` would take it whole, for minutes
/// and gigabytes. Every POSIX sh, with `find` on PATH (every remote has it; where one
/// does not, the sizes come from `head -c` and `wc`, see `send_one`).
#[test]
fn a_huge_one_line_file_is_skipped_unread() {
    let tools = tempfile::tempdir().unwrap();
    let bin = scan_path(tools.path());
    for tool in ["find"] {
        for d in ["/usr/bin", "/bin"] {
            let p = Path::new(d).join(tool);
            if p.exists() {
                let _ = std::os::unix::fs::symlink(&p, bin.join(tool));
                break;
            }
        }
    }
    for argv in posix_shells() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Loop::start(&argv, d.path(), "0", Some(&bin));
        write_status(d.path(), "ok", "working");
        std::fs::File::create(d.path().join("huge.json"))
            .unwrap()
            .set_len(8 << 30)
            .unwrap();
        l.scan();
        let report = l.state.clone().report("/d", "r").unwrap();
        assert!(
            report
                .skipped
                .iter()
                .any(|s| s.name.ends_with("huge.json") && s.reason.contains("over the")),
            "{argv:?}: {:?}",
            report.skipped
        );
        assert_eq!(
            l.sessions(),
            vec![("ok".into(), "working".into())],
            "{argv:?}"
        );
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// A file rewritten many times before the window ends is sent once, with its last
/// bytes, by each shell that holds events. The window (600 s) outlasts the test: the
/// heartbeat ends the hold, whenever the writes' events came.
#[test]
fn a_burst_of_writes_is_sent_once_with_its_last_bytes() {
    let holding: [&[&str]; 3] = [&["bash", "--posix"], &["zsh", "--emulate", "sh"], &["mksh"]];
    for argv in holding {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let d = tempfile::tempdir().unwrap();
        write_status(d.path(), "w", "idle");
        let Some(mut l) = holding_loop(&argv, d.path(), "600") else {
            continue;
        };
        l.seen.clear();
        let statuses = ["working", "permission", "working", "waiting"];
        for i in 0..10 {
            write_status(d.path(), "w", statuses[i % statuses.len()]);
        }
        std::fs::write(d.path().join("w.json"), status_json("w", "done")).unwrap();
        // Held: nothing is sent while no other line comes.
        l.drain_for(Duration::from_millis(300));
        assert_eq!(sends(&l, "w.json"), 0, "{argv:?}: {:?}", l.seen);
        l.sync();
        assert_eq!(sends(&l, "w.json"), 1, "{argv:?}: {:?}", l.seen);
        assert_eq!(l.sessions(), vec![("w".into(), "done".into())], "{argv:?}");
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// A pretty-printed status file rewritten with a few lines changed goes as the lines
/// that changed (under a third of the file), and navi's copy stays byte for byte the
/// file's (the digest agrees); one line more goes whole. Under every POSIX `sh`.
#[test]
fn a_few_changed_lines_go_as_a_difference() {
    let tools = tempfile::tempdir().unwrap();
    for argv in posix_shells() {
        let d = tempfile::tempdir().unwrap();
        pretty_write(d.path(), "a", "idle", 0);
        let mut l = Loop::start(&argv, d.path(), "0", Some(&scan_path(tools.path())));
        // The first write after the snapshot goes whole (navi holds no numbered copy).
        pretty_write(d.path(), "a", "working", 1);
        l.scan();
        for k in 2..6 {
            l.seen.clear();
            pretty_write(d.path(), "a", ["working", "waiting"][k % 2], k);
            let before = l.raw.len();
            l.scan();
            let diffs = l
                .seen
                .iter()
                .filter(|b| matches!(b, Batch::Delta(r) if matches!(r.as_slice(), [Record::Diff { .. }])))
                .count();
            assert_eq!(diffs, 1, "{argv:?}: {:?}", l.seen);
            // What the scan printed, its heartbeat's answer (~90 bytes) included.
            let file = pretty_json("a", "working", k).len();
            assert!((l.raw.len() - before) * 10 < file * 3 + 900, "{argv:?}");
            assert_eq!(l.resends, 0, "{argv:?}");
        }
        let report = l.state.clone().report("/d", "r").unwrap();
        assert_eq!(report.sessions[0].message, "Running tool 5", "{argv:?}");
        let longer = pretty_json("a", "done", 6).replacen("{\n", "{\n  \"x\": 1,\n", 1);
        super::push_tests::write_text(d.path(), "a", &longer);
        l.seen.clear();
        l.scan();
        assert!(
            l.seen.iter().any(
                |b| matches!(b, Batch::Delta(r) if matches!(r.as_slice(), [Record::Sent { .. }]))
            ),
            "{argv:?}: {:?}",
            l.seen
        );
        assert!(!l.resync(), "{argv:?}: the digest agrees");
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// Bytes on the wire and processes started on the remote per status write, for the
/// loop of this navi and (with `NAVI_OLD_PUSH_LOOP` naming an older `push_loop.sh`)
/// the older one, under `strace -f` (processes: `clone`/`fork` calls). Run by hand:
/// `NAVI_OLD_PUSH_LOOP=/tmp/old.sh cargo test -p navi-source-ssh --lib push_bench --
/// --ignored --nocapture`; the numbers go to docs/benchmarks.md.
#[test]
#[ignore = "a measurement, run by hand"]
fn push_bench() {
    let mains = loops_to_measure();
    for (which, main) in &mains {
        for shell in ["dash", "bash", "busybox"] {
            bench_one(which, main, shell);
        }
    }
}

/// Processes started so far: the `clone`/`fork` lines strace wrote.
fn forks(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            (l.contains("clone(") || l.contains("clone3(") || l.contains("fork("))
                && !l.contains("= -1")
        })
        .count()
}

fn bench_one(which: &str, main: &str, shell: &str) {
    const WRITES: usize = 20;
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("strace.log");
    let st = d.path().join("st");
    std::fs::create_dir(&st).unwrap();
    for i in 0..25 {
        bench_write(&st, &format!("s{i}"), "idle");
    }
    let script = super::push_script::push_script_of(main, &st.display().to_string(), "0.030");
    let argv: Vec<String> = [
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=clone,clone3,fork,vfork",
        "-o",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([log.display().to_string(), shell.to_string()])
    .chain((shell == "busybox").then(|| "sh".to_string()))
    .collect();
    let mut l = Loop::run(&argv, &script, None);
    let file = bench_json("s3", "working").len();
    let sent = |l: &Loop| {
        l.seen
            .iter()
            .filter(
                |b| matches!(b, Batch::Delta(r) if r.iter().any(|r| Record::is_file(r, "s3.json"))),
            )
            .count()
    };
    // One write at a time, each waited for (inotify events), then the next tick's scan
    // and a tmux check as navi asks every few heartbeats.
    let (p0, b0) = (forks(&log), l.raw.len());
    for i in 0..WRITES {
        l.seen.clear();
        bench_write(&st, "s3", ["working", "waiting"][i % 2]);
        l.wait_for(
            |b| matches!(b, Batch::Delta(r) if r.iter().any(|r| Record::is_file(r, "s3.json"))),
        );
        l.sync();
    }
    let (p1, b1) = (forks(&log), l.raw.len());
    for i in 0..WRITES {
        bench_write(&st, "s3", ["working", "waiting"][i % 2]);
        l.wait_for(
            |b| matches!(b, Batch::Delta(r) if r.iter().any(|r| Record::is_file(r, "s3.json"))),
        );
        l.scan();
        l.send("t");
        l.sync();
    }
    let (p2, b2) = (forks(&log), l.raw.len());
    // Bursts: ten writes without pause, then a heartbeat.
    l.seen.clear();
    for b in 0..5 {
        for i in 0..10 {
            let last = ["idle", "done"][b % 2];
            bench_write(
                &st,
                "s3",
                if i == 9 {
                    last
                } else {
                    ["working", "waiting"][i % 2]
                },
            );
        }
        l.drain_for(Duration::from_millis(100));
        l.sync();
    }
    let burst_sends = sent(&l);
    let hb = l.raw.len();
    l.sync();
    let per_sync = l.raw.len() - hb;
    let w = WRITES as f64;
    println!(
        "{which} loop, {shell}: file {file} B; per write: {:.0} B on the wire ({:.2} files), {:.1} processes; with the next scan and a tmux check: {:.0} B ({:.2} files), {:.1} processes; 5 bursts of 10 writes: {burst_sends} sends",
        ((b1 - b0) as f64 - w * per_sync as f64) / w,
        ((b1 - b0) as f64 - w * per_sync as f64) / w / file as f64,
        (p1 - p0) as f64 / w,
        ((b2 - b1) as f64 - 2.0 * w * per_sync as f64) / w,
        ((b2 - b1) as f64 - 2.0 * w * per_sync as f64) / w / file as f64,
        (p2 - p1) as f64 / w,
    );
    l.stop();
}

/// A status file of about the size Claude Code's hooks write (~700 bytes).
fn bench_json(name: &str, status: &str) -> String {
    status_json(name, status).replace("\"m\"", &format!("\"{}\"", "m".repeat(600)))
}

fn bench_write(dir: &Path, name: &str, status: &str) {
    let tmp = dir.join(format!(".tmp.{name}"));
    std::fs::write(&tmp, bench_json(name, status)).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

/// CPU ticks (user + system, the reaped children's included) of every process in
/// process group `pgid`.
fn group_ticks(pgid: u32) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // After the command's `)`: state ppid pgrp ... utime(14) stime cutime cstime.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let f: Vec<&str> = rest.split(' ').collect();
        if f.get(2).and_then(|p| p.parse::<u32>().ok()) != Some(pgid) {
            continue;
        }
        total += f[11..15]
            .iter()
            .map(|v| v.parse::<u64>().unwrap_or(0))
            .sum::<u64>();
    }
    total
}

/// Remote CPU per status write of the loop alone (no sshd): every process of its group,
/// for `NAVI_PUSH_CPU_WRITES` (200) writes of a pretty-printed ~700-byte status file
/// (temp file + rename, as navi's hook writes it), each waited for, under dash, bash,
/// busybox, mksh and zsh; for this navi's loop and `NAVI_OLD_PUSH_LOOP`. Also bytes per
/// write. Run by hand: `cargo test -p navi-source-ssh --lib push_cpu -- --ignored
/// --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn push_cpu() {
    let mains = loops_to_measure();
    let writes: usize = std::env::var("NAVI_PUSH_CPU_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let shells: [&[&str]; 5] = [
        &["dash"],
        &["bash", "--posix"],
        &["busybox", "sh"],
        &["mksh"],
        &["zsh", "--emulate", "sh"],
    ];
    let mut shells: Vec<Vec<String>> = shells
        .iter()
        .map(|a| a.iter().map(|s| s.to_string()).collect())
        .collect();
    // One shell command line instead (`strace -f -c -o FILE dash`, to see where it goes).
    if let Ok(argv) = std::env::var("NAVI_PUSH_CPU_ARGV") {
        shells = vec![argv.split(' ').map(str::to_string).collect()];
    }
    for argv in shells {
        for (which, main) in &mains {
            cpu_one(which, main, &argv, writes);
        }
    }
}

fn cpu_one(which: &str, main: &str, argv: &[String], writes: usize) {
    let d = tempfile::tempdir().unwrap();
    let st = d.path().join("st");
    std::fs::create_dir(&st).unwrap();
    for i in 0..25 {
        pretty_write(&st, &format!("s{i}"), "idle", 0);
    }
    let script = super::push_script::push_script_of(main, &st.display().to_string(), "0.030");
    let mut l = Loop::run(argv, &script, None);
    let pgid = l.pid();
    let has =
        |b: &Batch| matches!(b, Batch::Delta(r) if r.iter().any(|r| Record::is_file(r, "s3.json")));
    // Warm up: the copies last sent exist after the first write of each file.
    for i in 0..3 {
        pretty_write(&st, "s3", "working", i);
        l.wait_for(has);
    }
    let file = pretty_json("s3", "working", 7).len();
    let (t0, b0) = (group_ticks(pgid), l.raw.len());
    for i in 0..writes {
        l.seen.clear();
        pretty_write(&st, "s3", ["working", "waiting"][i % 2], i + 10);
        l.wait_for(has);
    }
    let (t1, b1) = (group_ticks(pgid), l.raw.len());
    let tck = 100.0;
    println!(
        "{which} loop, {}: file {file} B; per write {:.2} ms CPU, {:.0} B ({:.2} files)",
        argv.join(" "),
        (t1 - t0) as f64 / tck * 1e3 / writes as f64,
        (b1 - b0) as f64 / writes as f64,
        (b1 - b0) as f64 / writes as f64 / file as f64,
    );
    assert!(!l.resync(), "{argv:?}: the digest agrees");
    l.stop();
}

/// A pretty-printed status file of ~700 bytes as navi's hook writes it; `k` changes the
/// message and the times (a write changes a few lines).
pub(super) fn pretty_json(name: &str, status: &str, k: usize) -> String {
    format!(
        r#"{{
  "tmux_session": "{name}",
  "status": "{status}",
  "message": "Running tool {k}",
  "cwd": "/home/bench/projects/{name}",
  "timestamp": {t},
  "session_id": "3f1c2a9e-6d1b-4c55-9a0e-1b7f5d2c8e11",
  "git": {{
    "branch": "feature/remote-sessions",
    "dirty": true,
    "ahead": 2,
    "behind": 0,
    "last_commit": "a1b2c3d add ssh pool",
    "remote": "git@github.com:bench/{name}.git"
  }},
  "metrics": {{
    "tokens": {{
      "input": {input},
      "output": 20211,
      "total": 202551
    }},
    "time": {{
      "started": 1700000000,
      "total_seconds": 3480,
      "working_seconds": 2900,
      "waiting_seconds": 580
    }},
    "tools": {{
      "recent": [
        "Edit",
        "Bash",
        "Read"
      ]
    }}
  }}
}}
"#,
        t = 1_700_000_000 + k,
        input = 182_340 + 17 * k,
    )
}

/// Writes `pretty_json` atomically (temp file + rename).
pub(super) fn pretty_write(dir: &Path, name: &str, status: &str, k: usize) {
    let tmp = dir.join(format!(".tmp.{name}"));
    std::fs::write(&tmp, pretty_json(name, status, k)).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

/// This navi's push loop ("new") and, when `NAVI_OLD_PUSH_LOOP` names a file, that older
/// loop ("old"): what the measurements compare.
fn loops_to_measure() -> Vec<(&'static str, String)> {
    let mut mains = vec![("new", super::push_script::PUSH_LOOP.to_string())];
    if let Some(old) = std::env::var_os("NAVI_OLD_PUSH_LOOP") {
        mains.push(("old", std::fs::read_to_string(old).unwrap()));
    }
    mains
}
