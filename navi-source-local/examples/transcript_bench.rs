//! How long `navi hook` takes to read a long transcript: a 100 MB transcript in Claude
//! Code's shape, read first under the hook's budget (event after event until it is
//! caught up), then whole in one read, then an incremental event after one more reply.
//!
//! `cargo run --release -p navi-source-local --example transcript_bench [-- MB]`
//! (`NAVI_BENCH_REPLIES=1`: replies instead of tool output make up the transcript)
//! (results in docs/benchmarks.md; timing is never asserted in tests).

use std::io::Write as _;
use std::time::{Duration, Instant};

use navi_core::limits::TRANSCRIPT_SHARE;
use navi_core::statusdir::SessionName;
use navi_source_local::hook::transcript::read_tokens;
use serde_json::json;

fn user_result(i: usize, size: usize) -> String {
    json!({
        "parentUuid": format!("a{i}"), "isSidechain": false, "userType": "external",
        "cwd": "/home/u/project", "sessionId": "5c0ffee0-0000-4000-8000-000000000000",
        "version": "2.0.14", "gitBranch": "main", "type": "user",
        "message": {"role": "user", "content": [{"tool_use_id": format!("toolu_{i}"),
            "type": "tool_result", "content": "x".repeat(size)}]},
        "uuid": format!("u{i}"), "timestamp": "2025-10-10T10:00:00.000Z",
        "toolUseResult": {"stdout": "y".repeat(size / 2), "stderr": "", "interrupted": false}
    })
    .to_string()
}

fn assistant(i: usize, block: serde_json::Value) -> String {
    json!({
        "parentUuid": format!("u{i}"), "isSidechain": false, "userType": "external",
        "cwd": "/home/u/project", "sessionId": "5c0ffee0-0000-4000-8000-000000000000",
        "version": "2.0.14", "gitBranch": "main",
        "message": {"id": format!("msg_{i:024}"), "type": "message", "role": "assistant",
            "model": if i.is_multiple_of(5) { "claude-haiku-4-5-20251001" } else { "claude-sonnet-4-5-20250929" },
            "content": [block], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 4, "cache_creation_input_tokens": 1200,
                "cache_read_input_tokens": 50_000 + i as u64,
                "cache_creation": {"ephemeral_5m_input_tokens": 1200, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 300, "service_tier": "standard"}},
        "requestId": format!("req_{i:024}"), "type": "assistant", "uuid": format!("a{i}"),
        "timestamp": "2025-10-10T10:00:01.000Z"
    })
    .to_string()
}

/// One turn: a reply in two lines (text, tool use) and the tool's result. With
/// `NAVI_BENCH_REPLIES=1` the replies are long and the results short: nearly every byte
/// is on a line that must be parsed (the scan's worst case).
fn turn(i: usize) -> String {
    let heavy = std::env::var_os("NAVI_BENCH_REPLIES").is_some_and(|v| v == "1");
    let (repeat, result) = match heavy {
        true => (300, 50),
        false => (8, 2000 + (i * 7919) % 9000),
    };
    let text =
        json!({"type": "text", "text": "I'll look at the failing test first. ".repeat(repeat)});
    let tool = json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": "Bash",
                      "input": {"command": "cargo test -p navi-core", "description": "run tests"}});
    format!(
        "{}\n{}\n{}\n",
        assistant(i, text),
        assistant(i, tool),
        user_result(i, result)
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> std::io::Result<()> {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("sessions");
    std::fs::create_dir(&dir)?;
    let path = tmp.path().join("transcript.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let (mut size, mut turns) = (0u64, 0usize);
    while size < mb << 20 {
        let t = turn(turns);
        size += t.len() as u64;
        f.write_all(t.as_bytes())?;
        turns += 1;
    }
    f.flush()?;
    drop(f);
    let name = SessionName::existing("bench").map_err(std::io::Error::other)?;
    let state = dir.join(".navi/tokens/bench.json");
    println!(
        "transcript: {:.1} MB, {turns} turns, {} lines",
        size as f64 / 1048576.0,
        turns * 3
    );

    // First read as the hook does it: each event gets TRANSCRIPT_SHARE.
    let mut events = Vec::new();
    loop {
        let t0 = Instant::now();
        let (_, stats) = read_tokens(&dir, &name, &path, t0 + TRANSCRIPT_SHARE)
            .map_err(std::io::Error::other)?;
        events.push(t0.elapsed());
        if stats.complete {
            break;
        }
    }
    println!(
        "first read under the budget ({} ms per event): {} events, longest {}, total {}",
        TRANSCRIPT_SHARE.as_millis(),
        events.len(),
        ms(*events.iter().max().unwrap_or(&Duration::ZERO)),
        ms(events.iter().sum())
    );

    // The whole transcript in one read (no deadline), 5 runs.
    let mut whole = Vec::new();
    let mut total = serde_json::Value::Null;
    for _ in 0..5 {
        std::fs::remove_file(&state)?;
        let t0 = Instant::now();
        let (block, stats) = read_tokens(&dir, &name, &path, t0 + Duration::from_secs(3600))
            .map_err(std::io::Error::other)?;
        whole.push(t0.elapsed());
        assert!(stats.complete);
        total = block["total"].clone();
    }
    println!(
        "whole transcript in one read: median {} (min {}), total tokens {total}",
        ms(median(whole.clone())),
        ms(*whole.iter().min().unwrap_or(&Duration::ZERO))
    );

    // Incremental events: one more turn appended, then read; 50 runs.
    let mut inc = Vec::new();
    let mut read_bytes = 0;
    for i in 0..50 {
        let t = turn(turns + i);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)?
            .write_all(t.as_bytes())?;
        let t0 = Instant::now();
        let (_, stats) = read_tokens(&dir, &name, &path, t0 + TRANSCRIPT_SHARE)
            .map_err(std::io::Error::other)?;
        inc.push(t0.elapsed());
        assert!(stats.complete && !stats.restarted && stats.bytes_read == t.len() as u64);
        read_bytes = stats.bytes_read;
    }
    let mut sorted = inc.clone();
    sorted.sort();
    println!(
        "incremental event (one turn, {read_bytes} bytes appended): median {}, p90 {}, max {}",
        ms(median(inc)),
        ms(sorted[sorted.len() * 9 / 10]),
        ms(sorted[sorted.len() - 1])
    );
    // An event with nothing new (no state to save): the floor of an event.
    let mut idle = Vec::new();
    for _ in 0..50 {
        let t0 = Instant::now();
        let (_, stats) = read_tokens(&dir, &name, &path, t0 + TRANSCRIPT_SHARE)
            .map_err(std::io::Error::other)?;
        idle.push(t0.elapsed());
        assert_eq!(stats.bytes_read, 0);
    }
    println!("event with nothing appended: median {}", ms(median(idle)));
    Ok(())
}
