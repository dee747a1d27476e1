//! One poll of a remote's status directory (25 files), against one loopback OpenSSH
//! `sshd`, four ways, in one run:
//!
//! 1. navi's pooled poll (`SshSource::poll_report` over its long-lived channel),
//! 2. an OpenSSH ControlMaster client (`ssh -S ctl host 'cat …/*.json'`),
//! 3. a fresh `ssh host 'cat …/*.json'` per poll,
//! 4. the same `cat` run locally (the floor).
//!
//! `NAVI_BENCH_FILES=2000` sets the number of status files (default 25).
//!
//! Run: `cargo bench -p navi-tests --bench remote` (needs root and openssh-server). Prints
//! a Markdown table with ratios; the results go into `docs/benchmarks.md`.

// A benchmark panics on a broken setup by design: it is not user input.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use navi_core::SessionSource;
use navi_source_ssh::{Remote, SshSource};
use navi_tests::sshd::{current_user, keygen, sshd_or_skip, Sshd};

/// Status files in the remote directory (`NAVI_BENCH_FILES`, default 25).
fn files() -> usize {
    std::env::var("NAVI_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25)
}

const ROUNDS: usize = 30;

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[0]), ms(v[v.len() / 2]), ms(v[v.len() * 9 / 10]))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.len() > 1000, "{cmd:?} printed the files");
}

fn main() {
    if !sshd_or_skip() {
        return;
    }
    let files = files();
    let scratch = tempfile::tempdir().expect("temp dir");
    let key = scratch.path().join("id_ed25519");
    let public = keygen(&key, "");
    let sshd = Sshd::start(&[public.as_str()]);
    std::fs::create_dir_all(sshd.sessions_dir()).expect("sessions dir");
    for (i, (name, text)) in navi_core::fixtures::FILES
        .iter()
        .cycle()
        .take(files)
        .enumerate()
    {
        let text = text.replacen(
            &format!("\"{}\"", name.trim_end_matches(".json")),
            &format!("\"s{i}\""),
            1,
        );
        sshd.write_session(&format!("s{i}.json"), text.as_bytes());
    }
    let known_hosts = scratch.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", sshd.known_hosts_line())).expect("known_hosts");
    let user = current_user();
    let dest = format!("{user}@127.0.0.1");
    let cat = format!("cat {}/*.json", sshd.sessions_dir().display());
    let base = |c: &mut Command| {
        c.args(["-i"])
            .arg(&key)
            .args(["-p", &sshd.port().to_string()])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
            .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"]);
    };

    // 1. navi's pool.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut remote = Remote::new("bench", "127.0.0.1");
    remote.port = sshd.port();
    remote.user = user.clone();
    remote.keys = vec![key.clone()];
    remote.known_hosts = known_hosts.clone();
    remote.sessions_dir = sshd.sessions_dir().display().to_string();
    let source = SshSource::new(remote);
    let first = Instant::now();
    let warm = rt.block_on(source.poll_report()).expect("first poll");
    let first = first.elapsed();
    assert_eq!(warm.sessions.len(), files);
    let navi: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            let r = rt.block_on(source.poll_report()).expect("poll");
            assert_eq!(r.sessions.len(), files);
            t.elapsed()
        })
        .collect();
    assert_eq!(source.connections_opened(), 1);

    // 2. ControlMaster.
    let ctl = scratch.path().join("ctl");
    let mut master = Command::new("ssh");
    base(&mut master);
    master
        .args(["-M", "-N", "-o", "ControlPersist=no", "-S"])
        .arg(&ctl)
        .arg(&dest);
    let mut master = master
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh -M");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&ctl).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let controlmaster: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            let mut c = Command::new("ssh");
            base(&mut c);
            run_ok(c.arg("-S").arg(&ctl).arg(&dest).arg(&cat));
            t.elapsed()
        })
        .collect();
    let _ = master.kill();
    let _ = master.wait();

    // 3. A fresh ssh per poll.
    let fresh: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            let mut c = Command::new("ssh");
            base(&mut c);
            run_ok(c.args(["-o", "ControlPath=none"]).arg(&dest).arg(&cat));
            t.elapsed()
        })
        .collect();

    // 4. The floor: the same cat, locally.
    let local: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            run_ok(Command::new("sh").arg("-c").arg(&cat));
            t.elapsed()
        })
        .collect();

    let (n, cm, fr, lo) = (
        stats(navi),
        stats(controlmaster),
        stats(fresh),
        stats(local),
    );
    println!("one poll of {files} status files, {ROUNDS} rounds each, loopback sshd\n");
    println!("| method | min | median | p90 | median vs navi |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, s) in [
        ("navi pooled poll (long-lived channel)", n),
        ("OpenSSH ControlMaster (`ssh -S ctl host cat …`)", cm),
        ("fresh `ssh host cat …`", fr),
        ("`cat` run locally (floor)", lo),
    ] {
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× |",
            s.0,
            s.1,
            s.2,
            s.1 / n.1
        );
    }
    println!(
        "\nnavi's first poll (connect + auth + channel + poll): {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "targets: navi ≤ ControlMaster: {}; navi ≥ 3× faster than fresh ssh: {} ({:.1}×)",
        if n.1 <= cm.1 { "met" } else { "MISSED" },
        if fr.1 / n.1 >= 3.0 { "met" } else { "MISSED" },
        fr.1 / n.1
    );
    drop(sshd);
}
