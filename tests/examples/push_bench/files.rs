//! The status files the benchmark writes: realistic (~650 bytes, git and metrics blocks,
//! in the shape of `fixtures/sessions/hyperion.json`), pretty-printed as `navi hook`
//! writes them (serde_json's pretty form, ~1 KB), rewritten atomically (temp file +
//! rename, as the hooks do).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The tmux session (and file stem) of file `f`: `s<f>`.
pub fn session(f: usize) -> String {
    format!("s{f}")
}

/// A status file's text, pretty-printed as `navi hook` writes it.
pub fn status_json(session: &str, status: &str, message: &str) -> String {
    let line = status_line(session, status, message);
    serde_json::from_str::<serde_json::Value>(&line)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(line)
}

/// The same on one line.
fn status_line(session: &str, status: &str, message: &str) -> String {
    let t = now();
    format!(
        r#"{{"tmux_session":"{session}","status":"{status}","message":"{message}","cwd":"/home/bench/projects/{session}","timestamp":{t},"session_id":"3f1c2a9e-6d1b-4c55-9a0e-1b7f5d2c8e11","git":{{"branch":"feature/remote-sessions","dirty":true,"ahead":2,"behind":0,"last_commit":"a1b2c3d add ssh pool","remote":"git@github.com:bench/{session}.git"}},"metrics":{{"tokens":{{"input":182340,"output":20211,"total":202551}},"time":{{"started":{started},"total_seconds":3480,"working_seconds":2900,"waiting_seconds":580}},"tools":{{"recent":["Edit","Bash","Read"],"counts":{{"Bash":41,"Edit":18,"Read":77}}}}}}}}"#,
        started = t.saturating_sub(3480),
    )
}

/// Writes `<dir>/<session>.json` atomically.
pub fn write(dir: &Path, session: &str, status: &str, message: &str) {
    let tmp = dir.join(format!(".tmp.{session}"));
    let path = dir.join(format!("{session}.json"));
    std::fs::write(&tmp, status_json(session, status, message))
        .unwrap_or_else(|e| panic!("write {}: {e}", tmp.display()));
    std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("rename {}: {e}", path.display()));
}

/// Writes `files` idle status files `s0.json`… into `dir`.
pub fn populate(dir: &Path, files: usize) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    for f in 0..files {
        write(dir, &session(f), "idle", "Waiting for the next prompt");
    }
}

/// A small xorshift generator (the moments and files of the changes; no crate needed).
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock.
    pub fn new() -> Rng {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Rng(seed)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
