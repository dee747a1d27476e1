//! The Markdown table: one column per binary, the target, and the ratio of the last
//! binary to the first (same run).

use crate::measure::{Latency, Options, Results};

/// A table cell: the number the ratio uses and the text shown.
struct Cell {
    value: Option<f64>,
    text: String,
}

fn cell(value: Option<f64>, text: String) -> Cell {
    Cell { value, text }
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

fn latency(l: &Latency) -> Cell {
    let Some(m) = median(&l.ms) else {
        return cell(None, format!("never shown ({} timeouts)", l.timeouts));
    };
    let max = l.ms.iter().copied().fold(0.0, f64::max);
    let timeouts = if l.timeouts > 0 {
        format!(", {} not shown in 30 s", l.timeouts)
    } else {
        String::new()
    };
    cell(
        Some(m),
        format!(
            "median {m:.0} ms / max {max:.0} ms (n={}{timeouts})",
            l.ms.len()
        ),
    )
}

fn seconds(v: Option<f64>) -> Cell {
    match v {
        Some(s) => cell(Some(s), format!("{s:.2} s")),
        None => cell(None, "not within 180 s".into()),
    }
}

fn mib(v: Option<f64>) -> Cell {
    match v {
        Some(m) => cell(Some(m), format!("{m:.1} MiB")),
        None => cell(None, "skipped".into()),
    }
}

fn times(v: Option<&Vec<f64>>) -> Cell {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return cell(None, "not run".into());
    };
    let m = median(v).unwrap_or(0.0);
    let max = v.iter().copied().fold(0.0, f64::max);
    cell(
        Some(m),
        format!("median {m:.0} ms / max {max:.0} ms (n={})", v.len()),
    )
}

/// The results of every binary as a Markdown table.
pub fn markdown(o: &Options, results: &[(String, Results)]) -> String {
    type Row = (&'static str, &'static str, fn(&Results) -> Cell);
    let rows: Vec<Row> = vec![
        ("remote change → on screen", "median ≤ 300 ms", |r| {
            latency(&r.remote_latency)
        }),
        (
            "local change → on screen (with the remotes)",
            "median ≤ 100 ms",
            |r| latency(&r.local_latency),
        ),
        (
            "local change → on screen (local only)",
            "median ≤ 100 ms",
            |r| latency(&r.local_only_latency),
        ),
        (
            "idle TCP payload per remote, both directions",
            "≤ 200 B/s",
            |r| {
                let v = r.idle.sent_per_remote + r.idle.received_per_remote;
                cell(
                    Some(v),
                    format!(
                        "{v:.0} B/s ({:.0} sent, {:.0} received; sockets {}→{})",
                        r.idle.sent_per_remote,
                        r.idle.received_per_remote,
                        r.idle.sockets.0,
                        r.idle.sockets.1
                    ),
                )
            },
        ),
        ("remote CPU per idle remote", "≤ 200 ms/min", |r| {
            let v = r.idle.remote_cpu_ms_per_min;
            cell(Some(v), format!("{v:.0} ms/min"))
        }),
        ("dashboard CPU, N idle remotes", "< 3 % of a core", |r| {
            cell(Some(r.idle.cpu_pct), format!("{:.2} %", r.idle.cpu_pct))
        }),
        ("dashboard CPU, local only", "< 0.2 % of a core", |r| {
            let v = r.local_only_idle.cpu_pct;
            cell(Some(v), format!("{v:.2} %"))
        }),
        ("dashboard RSS, N remotes", "< 50 MB", |r| {
            cell(Some(r.idle.rss_mib), format!("{:.1} MiB", r.idle.rss_mib))
        }),
        ("busy: status writes (all remotes)", "", |r| match r.busy {
            Some(b) => cell(Some(b.writes as f64), format!("{}", b.writes)),
            None => cell(None, "skipped".into()),
        }),
        ("busy: dashboard CPU", "≤ 3 % of a core", |r| {
            match r.busy {
                Some(b) => cell(Some(b.cpu_pct), format!("{:.2} %", b.cpu_pct)),
                None => cell(None, "skipped".into()),
            }
        }),
        (
            "busy: remote CPU per status write",
            "≤ 1 ms",
            |r| match r.busy {
                Some(b) => cell(
                    Some(b.remote_cpu_ms_per_write),
                    format!("{:.2} ms", b.remote_cpu_ms_per_write),
                ),
                None => cell(None, "skipped".into()),
            },
        ),
        (
            "busy: bytes received per status write (× the file)",
            "≤ 1.1 ×, ≤ 0.3 × as a difference",
            |r| match r.busy {
                Some(b) => cell(
                    Some(b.bytes_per_write),
                    format!(
                        "{:.0} B ({:.2} ×)",
                        b.bytes_per_write,
                        b.bytes_per_write / b.file_bytes.max(1.0)
                    ),
                ),
                None => cell(None, "skipped".into()),
            },
        ),
        ("busy: RSS just before", "< 50 MB", |r| {
            mib(r.busy.map(|b| b.rss_before_mib))
        }),
        ("busy: RSS peak (sampled each second)", "< 50 MB", |r| {
            mib(r.busy.map(|b| b.rss_peak_mib))
        }),
        ("busy: VmHWM (high-water mark since start)", "", |r| {
            mib(r.busy.map(|b| b.hwm_mib))
        }),
        ("busy: RSS after, settled", "< 50 MB, no growth", |r| {
            mib(r.busy.map(|b| b.rss_after_mib))
        }),
        ("dashboard RSS, local only", "", |r| {
            let v = r.local_only_idle.rss_mib;
            cell(Some(v), format!("{v:.1} MiB"))
        }),
        ("dashboard start → every remote logged in", "", |r| {
            seconds(r.connect_all_s)
        }),
        (
            "`navi list --json`, N remotes (wall)",
            "",
            |r| match median(&r.list_s) {
                Some(m) => cell(
                    Some(m),
                    format!(
                        "{m:.2} s (median of {}; {} remotes connected)",
                        r.list_s.len(),
                        r.list_connected
                    ),
                ),
                None => cell(None, "not run".into()),
            },
        ),
        ("`navi new`, local (wall)", "", |r| {
            times(r.actions.as_ref().map(|a| &a.new_ms[0]))
        }),
        ("`navi send`, local (wall)", "≤ new/kill", |r| {
            times(r.actions.as_ref().map(|a| &a.send_ms[0]))
        }),
        ("`navi kill --yes`, local (wall)", "", |r| {
            times(r.actions.as_ref().map(|a| &a.kill_ms[0]))
        }),
        ("`navi new`, remote r0 (wall)", "", |r| {
            times(r.actions.as_ref().map(|a| &a.new_ms[1]))
        }),
        ("`navi send`, remote r0 (wall)", "≤ new/kill", |r| {
            times(r.actions.as_ref().map(|a| &a.send_ms[1]))
        }),
        ("`navi kill --yes`, remote r0 (wall)", "", |r| {
            times(r.actions.as_ref().map(|a| &a.kill_ms[1]))
        }),
        (
            "reconnect: restart → next login",
            "≤ 5 s",
            |r| match r.reconnect {
                Some(c) => seconds(c.login_s),
                None => cell(None, "skipped".into()),
            },
        ),
        (
            "reconnect: restart → change made during the outage on screen",
            "≤ 5 s",
            |r| match r.reconnect {
                Some(c) => seconds(c.screen_s),
                None => cell(None, "skipped".into()),
            },
        ),
    ];
    let mut s = format!(
        "\n{} remotes, {} status files each, idle windows of {} s, {} timed changes, outage {} s, \
         busy {} s at {} writes/s then {} s settle\n\n",
        o.remotes, o.files, o.seconds, o.rounds, o.outage, o.busy, o.busy_writes, o.settle
    );
    let ratio = results.len() >= 2;
    s.push_str("| measurement | target |");
    for (label, _) in results {
        s.push_str(&format!(" {label} |"));
    }
    if ratio {
        s.push_str(&format!(
            " {} / {} |",
            results[results.len() - 1].0,
            results[0].0
        ));
    }
    s.push_str("\n| --- | --- |");
    for _ in 0..results.len() + usize::from(ratio) {
        s.push_str(" --- |");
    }
    s.push('\n');
    for (name, target, f) in rows {
        let cells: Vec<Cell> = results.iter().map(|(_, r)| f(r)).collect();
        s.push_str(&format!("| {name} | {target} |"));
        for c in &cells {
            s.push_str(&format!(" {} |", c.text));
        }
        if ratio {
            let first = cells.first().and_then(|c| c.value);
            let last = cells.last().and_then(|c| c.value);
            match (first, last) {
                (Some(a), Some(b)) if a > 0.0 => s.push_str(&format!(" {:.2}× |", b / a)),
                _ => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}
