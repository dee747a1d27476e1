//! What the benchmark reads about processes and sockets: CPU ticks and parents from
//! `/proc/<pid>/stat`, VmRSS from `/proc/<pid>/status`, TCP payload byte counters from
//! `ss -tinp`.

use std::collections::HashMap;
use std::process::Command;

/// One process: its parent and its CPU time in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct Proc {
    /// Parent pid.
    pub ppid: u32,
    /// utime + stime.
    pub own: u64,
    /// cutime + cstime: children that ended and were waited for.
    pub children: u64,
}

/// Parses `/proc/<pid>/stat`.
pub fn stat(pid: u32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and ')', so split at the last ')'.
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    let n = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    Some(Proc {
        ppid: u32::try_from(n(1)?).ok()?,
        own: n(11)? + n(12)?,
        children: n(13)? + n(14)?,
    })
}

/// Every process of /proc.
pub fn table() -> HashMap<u32, Proc> {
    let mut t = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|n| n.parse().ok()) {
                if let Some(p) = stat(pid) {
                    t.insert(pid, p);
                }
            }
        }
    }
    t
}

/// Every process below `root` in `table` (not `root` itself).
pub fn descendants(table: &HashMap<u32, Proc>, root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, p) in table {
        children.entry(p.ppid).or_default().push(*pid);
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        if let Some(c) = children.get(&found[i]) {
            found.extend(c);
        }
        i += 1;
    }
    found.remove(0);
    found
}

/// CPU ticks of `root` and everything below it, ended-and-reaped children included.
pub fn tree_ticks(table: &HashMap<u32, Proc>, root: u32) -> u64 {
    std::iter::once(root)
        .chain(descendants(table, root))
        .filter_map(|pid| table.get(&pid))
        .map(|p| p.own + p.children)
        .sum()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// VmRSS of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// VmHWM (the highest VmRSS so far) of `pid` in KiB.
pub fn hwm_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// TCP payload counters of one process's sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpBytes {
    /// Established TCP sockets of the process.
    pub sockets: usize,
    /// Sum of `bytes_sent` (payload, retransmissions included; none on loopback).
    pub sent: u64,
    /// Sum of `bytes_received` (payload).
    pub received: u64,
}

/// The TCP counters of `pid`'s established sockets, from `ss -tinp` (the socket line
/// names the owner as `pid=N,`, the indented line after it has the counters).
pub fn tcp_bytes(pid: u32) -> TcpBytes {
    let Ok(out) = Command::new("ss")
        .args(["-H", "-t", "-i", "-n", "-p", "state", "established"])
        .output()
    else {
        return TcpBytes::default();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let owner = format!("pid={pid},");
    let mut total = TcpBytes::default();
    let mut mine = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) {
            mine = line.contains(&owner);
            if mine {
                total.sockets += 1;
            }
            continue;
        }
        if !mine {
            continue;
        }
        for field in line.split_whitespace() {
            if let Some(v) = field.strip_prefix("bytes_sent:") {
                total.sent += v.parse::<u64>().unwrap_or(0);
            } else if let Some(v) = field.strip_prefix("bytes_received:") {
                total.received += v.parse::<u64>().unwrap_or(0);
            }
        }
    }
    total
}
