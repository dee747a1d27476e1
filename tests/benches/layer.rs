//! Benchmarks of the local layer: parsing status files, one aggregator merge, one TUI frame.
//!
//! Run: `cargo bench -p navi-tests --bench layer`. Prints a Markdown table of medians; the
//! figures and the machine go into `docs/benchmarks.md`. Timing lives here, never in tests.

// A benchmark panics on broken fixture data by design: it is not user input.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::{Aggregator, MemorySource, Model, SessionInfo};

fn median(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2], v[v.len() * 9 / 10])
}

fn measure<F: FnMut()>(iters: usize, mut f: F) -> (Duration, Duration, Duration) {
    f(); // warm-up
    median(
        (0..iters)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn row(name: &str, target_ms: f64, (min, med, p90): (Duration, Duration, Duration)) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let verdict = if ms(med) < target_ms { "met" } else { "MISSED" };
    println!(
        "| {name} | {:.3} ms | {:.3} ms | {:.3} ms | < {target_ms} ms | {verdict} |",
        ms(min),
        ms(med),
        ms(p90)
    );
}

/// A realistic status file: the hyperion fixture (git, metrics) with a distinct name.
fn status_file(i: usize) -> String {
    format!(
        r#"{{"tmux_session":"session-{i}","status":"{}","message":"Implementing feature number {i}...","cwd":"/home/sean/projects/p{i}","timestamp":{},"session_id":"3f1c2a9e-6d1b-4c55-9a0e-{i:012}","git":{{"branch":"feature/remote-{i}","dirty":true,"ahead":2,"behind":0,"last_commit":"a1b2c3d add ssh pool","remote":"git@github.com:sean/hyperion.git"}},"metrics":{{"tokens":{{"input":182340,"output":20211,"total":202551}},"time":{{"started":1764028800,"total_seconds":3480,"working_seconds":2900,"waiting_seconds":580}},"tools":{{"recent":["Edit","Bash","Read"],"counts":{{"Bash":41,"Edit":18,"Read":77}}}}}}}}"#,
        ["working", "waiting", "done", "idle", "permission"][i % 5],
        1_764_032_280 - i as i64
    )
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..1000 {
        std::fs::write(dir.path().join(format!("session-{i}.json")), status_file(i))
            .expect("write");
    }
    let bytes: Vec<(String, Vec<u8>)> = (0..1000)
        .map(|i| (format!("session-{i}"), status_file(i).into_bytes()))
        .collect();

    println!("| operation | min | median | p90 | target | |");
    println!("| --- | --- | --- | --- | --- | --- |");

    row(
        "parse 1,000 status files (in memory, `SessionInfo::parse`)",
        20.0,
        measure(50, || {
            let n = bytes
                .iter()
                .filter(|(stem, b)| SessionInfo::parse(b, Some(stem)).is_ok())
                .count();
            assert_eq!(n, 1000);
        }),
    );
    row(
        "read + parse 1,000 status files from disk (`LocalSource` directory read)",
        20.0,
        measure(50, || {
            let r = navi_source_local::read_dir(dir.path()).expect("read dir");
            assert_eq!(r.sessions.len(), 1000);
        }),
    );

    // One merge of 10,000 sessions from 5 sources (1 local + 4 remotes).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let mut agg = Aggregator::new();
    for s in 0..5 {
        let label = (s > 0).then(|| format!("remote-{s}"));
        let sessions: Vec<SessionInfo> = (0..2000)
            .map(|i| SessionInfo::parse(status_file(s * 2000 + i).as_bytes(), None).expect("parse"))
            .collect();
        agg.add_source(
            Arc::new(MemorySource::new(label.as_deref(), sessions)),
            navi_core::testing::OPTIONS,
        );
    }
    rt.block_on(agg.poll_once());
    row(
        "aggregator merge of 10,000 sessions (`Aggregator::snapshot`: label, sort, health)",
        5.0,
        measure(50, || {
            let snap = agg.snapshot();
            assert_eq!(snap.sessions.len(), 10_000);
        }),
    );
    row(
        "full poll + merge of 10,000 sessions (`poll_once` over 5 in-memory sources)",
        20.0,
        measure(20, || {
            let snap = rt.block_on(agg.poll_once());
            assert_eq!(snap.sessions.len(), 10_000);
        }),
    );
    let snap = Arc::new(agg.snapshot());
    row(
        "model update of 10,000 sessions (`Model::update`: filter, keep selection)",
        5.0,
        measure(50, || {
            let mut m = Model::new();
            m.update(snap.clone());
            assert_eq!(m.len(), 10_000);
        }),
    );
}
