//! The measurements of one navi binary against the fleet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::dash::Tmux;
use crate::files::{self, Rng};
use crate::fleet::Fleet;
use crate::procs;

/// What the program was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Simulated remotes.
    pub remotes: usize,
    /// Status files per remote (and in the local directory).
    pub files: usize,
    /// Seconds of each idle window.
    pub seconds: u64,
    /// Changes timed per latency measurement.
    pub rounds: usize,
    /// Seconds a remote stays down in the reconnect measurement (0: skip it).
    pub outage: u64,
    /// Runs of `navi list --json`.
    pub list_runs: usize,
    /// Seconds of the busy period (0: skip it).
    pub busy: u64,
    /// Status writes per second during the busy period, all remotes together.
    pub busy_writes: u64,
    /// Seconds idle after the busy period before RSS is read again.
    pub settle: u64,
    /// Rounds of one-shot actions timed (`navi new`, `send`, `kill`; 0: none).
    pub actions: usize,
}

/// Wall times (ms) of one-shot actions, on this machine and on remote r0.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    /// `navi new NAME --command 'sleep …'`, local then remote.
    pub new_ms: [Vec<f64>; 2],
    /// `navi send NAME TEXT`.
    pub send_ms: [Vec<f64>; 2],
    /// `navi kill NAME --yes`.
    pub kill_ms: [Vec<f64>; 2],
    /// Actions that failed (their stderr was printed).
    pub failed: usize,
}

/// The busy period's numbers: status files rewritten on every remote in turn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Busy {
    /// Status writes made.
    pub writes: u64,
    /// Dashboard CPU during the period, % of one core.
    pub cpu_pct: f64,
    /// Remote CPU (every sshd tree) per status write, ms.
    pub remote_cpu_ms_per_write: f64,
    /// TCP payload the dashboard received per status write, bytes (heartbeats included).
    pub bytes_per_write: f64,
    /// The size of one status file written, bytes.
    pub file_bytes: f64,
    /// VmRSS just before the period, MiB.
    pub rss_before_mib: f64,
    /// Highest VmRSS sampled (every second) during the period, MiB.
    pub rss_peak_mib: f64,
    /// VmHWM at the end of the period (the kernel's high-water mark), MiB.
    pub hwm_mib: f64,
    /// VmRSS after the period and `settle` idle seconds, MiB.
    pub rss_after_mib: f64,
}

/// Latencies of the timed changes (ms) and how many never showed.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Each change that showed, in ms.
    pub ms: Vec<f64>,
    /// Changes not on screen within 30 s.
    pub timeouts: usize,
}

/// An idle window's numbers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Idle {
    /// Dashboard CPU (navi and its reaped children), % of one core.
    pub cpu_pct: f64,
    /// Dashboard VmRSS at the end, MiB.
    pub rss_mib: f64,
    /// TCP payload bytes/s per remote, navi → remotes.
    pub sent_per_remote: f64,
    /// TCP payload bytes/s per remote, remotes → navi.
    pub received_per_remote: f64,
    /// navi's established TCP sockets at the start and at the end.
    pub sockets: (usize, usize),
    /// Remote CPU (sshd + session processes and their children) per remote, ms/minute.
    pub remote_cpu_ms_per_min: f64,
}

/// The reconnect measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reconnect {
    /// From the restarted sshd listening to its next accepted login (s).
    pub login_s: Option<f64>,
    /// From the restart to a change made during the outage being on screen (s).
    pub screen_s: Option<f64>,
}

/// Everything measured for one binary.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Local only: local change → on screen.
    pub local_only_latency: Latency,
    /// Local only: idle window (no remote numbers).
    pub local_only_idle: Idle,
    /// N remotes: remote change → on screen.
    pub remote_latency: Latency,
    /// N remotes: local change → on screen.
    pub local_latency: Latency,
    /// N remotes: idle window.
    pub idle: Idle,
    /// `navi list --json` wall times (s) and connected sources of the last run.
    pub list_s: Vec<f64>,
    /// Remotes `navi list --json` reported connected (last run).
    pub list_connected: usize,
    /// Reconnect after an outage.
    pub reconnect: Option<Reconnect>,
    /// Seconds until every remote had logged navi in, at dashboard start.
    pub connect_all_s: Option<f64>,
    /// The busy period, when run.
    pub busy: Option<Busy>,
    /// One-shot actions, when timed.
    pub actions: Option<Actions>,
}

/// The files and environment shared by every run.
#[derive(Debug)]
pub struct Setup {
    /// Scratch directory.
    pub base: PathBuf,
    /// The local sessions directory.
    pub local: PathBuf,
    /// remotes.yaml with every remote.
    pub remotes_yaml: PathBuf,
    /// remotes.yaml with none.
    pub no_remotes_yaml: PathBuf,
    /// config.yaml: compact rows, priority sort, no notifications, ended rows kept.
    pub config: PathBuf,
}

impl Setup {
    /// Writes the configuration files under `base`.
    pub fn write(base: &Path, fleet: &Fleet, files: usize) -> Setup {
        let local = base.join("local");
        files::populate(&local, files);
        for r in &fleet.remotes {
            files::populate(&r.sessions(), files);
        }
        let mut yaml = String::from("remotes:\n");
        for (i, r) in fleet.remotes.iter().enumerate() {
            yaml.push_str(&format!(
                "  - name: r{i}\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: {}\n    known_hosts: {}\n    sessions_dir: {}\n",
                r.port,
                fleet.user,
                fleet.key.display(),
                fleet.known_hosts.display(),
                r.sessions().display()
            ));
        }
        let remotes_yaml = base.join("remotes.yaml");
        std::fs::write(&remotes_yaml, yaml).expect("write remotes.yaml");
        let no_remotes_yaml = base.join("no-remotes.yaml");
        std::fs::write(&no_remotes_yaml, "remotes: []\n").expect("write no-remotes.yaml");
        let config = base.join("config.yaml");
        std::fs::write(
            &config,
            "layout: compact\nsort: priority\nicons: ascii\nshow_offline: true\n\
             keep_ended_rows: true\nnotify:\n  on: []\n  bell: false\n  desktop: false\n  \
             title: false\n  sound: false\n",
        )
        .expect("write config.yaml");
        std::fs::create_dir_all(base.join("home/.config")).expect("create home");
        std::fs::create_dir_all(base.join("logs")).expect("create logs");
        Setup {
            base: base.to_path_buf(),
            local,
            remotes_yaml,
            no_remotes_yaml,
            config,
        }
    }

    /// navi's environment: a scratch HOME and XDG dirs, the given remotes file, the
    /// benchmark's tmux, a log file per run.
    pub fn env(&self, tmux: &Tmux, remotes: &Path, log: &str) -> Vec<(String, String)> {
        let home = self.base.join("home");
        let p = |p: &Path| p.display().to_string();
        vec![
            ("HOME".into(), p(&home)),
            ("XDG_CONFIG_HOME".into(), p(&home.join(".config"))),
            ("XDG_STATE_HOME".into(), p(&home.join(".local/state"))),
            ("NAVI_SESSIONS_DIR".into(), p(&self.local)),
            ("NAVI_REMOTES".into(), p(remotes)),
            ("NAVI_CONFIG".into(), p(&self.config)),
            ("NAVI_LOG_FILE".into(), p(&self.base.join("logs").join(log))),
            ("TMUX_TMPDIR".into(), p(&tmux.tmpdir)),
            ("TERM".into(), "xterm-256color".into()),
            ("SSH_AUTH_SOCK".into(), String::new()),
        ]
    }
}

const SHOW_LIMIT: Duration = Duration::from_secs(30);

/// Rewrites a random file of a random directory of `dirs` at a random moment
/// (0.3–2.3 s after the previous change showed, so the change falls anywhere in a poll
/// interval) to status `permission` with a unique message, which priority sort puts at
/// the top of the screen; times it until the message is on screen; then sets it back to
/// idle.
pub fn latency(tmux: &Tmux, dirs: &[PathBuf], files: usize, rounds: usize, tag: &str) -> Latency {
    let mut rng = Rng::new();
    let mut out = Latency::default();
    for k in 0..rounds {
        let dir = &dirs[rng.below(dirs.len() as u64) as usize];
        let session = files::session(rng.below(files as u64) as usize);
        std::thread::sleep(Duration::from_millis(300 + rng.below(2000)));
        let token = format!("pb-{tag}-{k}-{}", rng.below(1_000_000));
        files::write(dir, &session, "permission", &token);
        let t = Instant::now();
        match tmux.wait_for(&token, t, SHOW_LIMIT) {
            Some(d) => out.ms.push(d.as_secs_f64() * 1e3),
            None => out.timeouts += 1,
        }
        files::write(dir, &session, "idle", "Waiting for the next prompt");
    }
    out
}

/// CPU ticks of every sshd listener's process tree (the remotes' side).
fn remote_ticks(listeners: &[u32]) -> u64 {
    let t = procs::table();
    listeners.iter().map(|&l| procs::tree_ticks(&t, l)).sum()
}

/// CPU ticks of the dashboard and its reaped children.
fn navi_ticks(pid: u32) -> u64 {
    procs::stat(pid).map_or(0, |p| p.own + p.children)
}

/// One idle window of `seconds` with the dashboard `pid` running and nothing changing.
pub fn idle(pid: u32, fleet: Option<&Fleet>, seconds: u64) -> Idle {
    let tck = procs::clk_tck();
    let listeners: Vec<u32> = fleet
        .map(|f| f.remotes.iter().filter_map(|r| r.pid()).collect())
        .unwrap_or_default();
    let remote_ticks = || remote_ticks(&listeners);
    let navi_ticks = || navi_ticks(pid);
    let (r0, n0, b0, t0) = (
        remote_ticks(),
        navi_ticks(),
        procs::tcp_bytes(pid),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(seconds));
    let (r1, n1, b1) = (remote_ticks(), navi_ticks(), procs::tcp_bytes(pid));
    let secs = t0.elapsed().as_secs_f64();
    let n = listeners.len().max(1) as f64;
    Idle {
        cpu_pct: (n1.saturating_sub(n0)) as f64 / tck / secs * 100.0,
        rss_mib: procs::rss_kib(pid).unwrap_or(0) as f64 / 1024.0,
        sent_per_remote: b1.sent.saturating_sub(b0.sent) as f64 / secs / n,
        received_per_remote: b1.received.saturating_sub(b0.received) as f64 / secs / n,
        sockets: (b0.sockets, b1.sockets),
        remote_cpu_ms_per_min: r1.saturating_sub(r0) as f64 / tck * 1e3 / (secs / 60.0) / n,
    }
}

/// Status files rewritten for `o.busy` seconds, `o.busy_writes` a second spread over
/// every remote in turn (the first 10 files of each, status `working`, a new message
/// each time), the same files set back to idle at the same rate, then `o.settle` idle
/// seconds; the dashboard's RSS before, during (sampled every second), and after.
pub fn busy(pid: u32, fleet: &Fleet, o: &Options) -> Busy {
    let tck = procs::clk_tck();
    let listeners: Vec<u32> = fleet.remotes.iter().filter_map(|r| r.pid()).collect();
    let remote_ticks = || remote_ticks(&listeners);
    let navi_ticks = || navi_ticks(pid);
    let rss = || procs::rss_kib(pid).unwrap_or(0) as f64 / 1024.0;
    let dirs: Vec<PathBuf> = fleet.remotes.iter().map(|r| r.sessions()).collect();
    let per_dir = o.files.min(10);
    let every = Duration::from_secs_f64(1.0 / o.busy_writes.max(1) as f64);
    let mut out = Busy {
        rss_before_mib: rss(),
        ..Busy::default()
    };
    let (r0, n0, t0) = (remote_ticks(), navi_ticks(), Instant::now());
    let b0 = procs::tcp_bytes(pid);
    out.file_bytes = files::status_json(&files::session(0), "working", "pb-busy-0").len() as f64;
    let total = o.busy * o.busy_writes.max(1);
    // The busy writes, then as many setting the same files back to idle.
    let resets = (dirs.len() * per_dir) as u64;
    let mut sampled = Instant::now();
    for k in 0..total + resets {
        let (dir, file) = if k < total {
            let d = (k as usize) % dirs.len();
            (d, (k as usize / dirs.len()) % per_dir)
        } else {
            let j = (k - total) as usize;
            (j % dirs.len(), j / dirs.len())
        };
        let session = files::session(file);
        if k < total {
            files::write(&dirs[dir], &session, "working", &format!("pb-busy-{k}"));
        } else {
            files::write(&dirs[dir], &session, "idle", "Waiting for the next prompt");
        }
        out.writes += 1;
        if sampled.elapsed() >= Duration::from_secs(1) {
            out.rss_peak_mib = out.rss_peak_mib.max(rss());
            sampled = Instant::now();
        }
        let next = t0 + every * u32::try_from(k + 1).unwrap_or(u32::MAX);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    // Let the last writes arrive before the CPU is read.
    std::thread::sleep(Duration::from_secs(2));
    let (r1, n1) = (remote_ticks(), navi_ticks());
    let secs = t0.elapsed().as_secs_f64();
    out.cpu_pct = n1.saturating_sub(n0) as f64 / tck / secs * 100.0;
    out.remote_cpu_ms_per_write = r1.saturating_sub(r0) as f64 / tck * 1e3 / out.writes as f64;
    let b1 = procs::tcp_bytes(pid);
    out.bytes_per_write = b1.received.saturating_sub(b0.received) as f64 / out.writes as f64;
    out.rss_peak_mib = out.rss_peak_mib.max(rss());
    out.hwm_mib = procs::hwm_kib(pid).unwrap_or(0) as f64 / 1024.0;
    std::thread::sleep(Duration::from_secs(o.settle));
    out.rss_after_mib = rss();
    out
}

/// Waits until every remote has accepted a login since `before` (bounded).
pub fn wait_connected(fleet: &Fleet, before: &[usize], limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < limit {
        if fleet.accepted().iter().zip(before).all(|(a, b)| a > b) {
            return Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// Stops remote 0 for `outage` seconds (a change is written meanwhile), starts it again
/// on the same port and times, from the moment it listens, its next login and the change
/// on screen.
pub fn reconnect(tmux: &Tmux, fleet: &mut Fleet, outage: u64) -> Reconnect {
    fleet.stop(0);
    let before = fleet.remotes[0].accepted();
    std::thread::sleep(Duration::from_secs(outage / 2));
    let token = format!("pb-back-{}", Rng::new().below(1_000_000));
    files::write(&fleet.remotes[0].sessions(), "s0", "permission", &token);
    std::thread::sleep(Duration::from_secs(outage - outage / 2));
    let mut out = Reconnect::default();
    if !fleet.restart(0) {
        eprintln!("push_bench: remote r0 did not restart");
        return out;
    }
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(180) {
        if out.login_s.is_none() && fleet.remotes[0].accepted() > before {
            out.login_s = Some(t.elapsed().as_secs_f64());
        }
        if out.screen_s.is_none() && tmux.capture().contains(&token) {
            out.screen_s = Some(t.elapsed().as_secs_f64());
        }
        if out.login_s.is_some() && out.screen_s.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    files::write(
        &fleet.remotes[0].sessions(),
        "s0",
        "idle",
        "Waiting for the next prompt",
    );
    out
}

/// `navi ARGS` once: its wall time in ms, `None` (stderr printed) when it failed.
fn timed(navi: &Path, env: &[(String, String)], args: &[&str]) -> Option<f64> {
    let t = Instant::now();
    let out = Command::new(navi)
        .args(args)
        .env_remove("TMUX")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run navi");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if out.status.success() {
        return Some(ms);
    }
    eprintln!(
        "push_bench: navi {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    None
}

/// `rounds` times, on this machine and on r0 in turn: `navi new` (a session running
/// `sleep`), `navi send` to it, `navi kill --yes` of it; each one's wall time.
pub fn actions(navi: &Path, env: &[(String, String)], rounds: usize) -> Actions {
    let mut out = Actions::default();
    let mut rng = Rng::new();
    for k in 0..rounds {
        for (w, place) in ["", "r0:"].iter().enumerate() {
            let name = format!("{place}pbact{k}x{}", rng.below(1_000_000));
            let text = format!("pb send {k} to {name}");
            let steps: [(&[&str], usize); 3] = [
                (
                    &["new", &name, "--dir", "/tmp", "--command", "sleep 100000"],
                    0,
                ),
                (&["send", &name, &text], 1),
                (&["kill", &name, "--yes"], 2),
            ];
            for (args, which) in steps {
                let slot = match which {
                    0 => &mut out.new_ms[w],
                    1 => &mut out.send_ms[w],
                    _ => &mut out.kill_ms[w],
                };
                match timed(navi, env, args) {
                    Some(ms) => slot.push(ms),
                    None => out.failed += 1,
                }
            }
        }
    }
    out
}

/// `navi list --json` once: wall time (s) and how many remote sources were connected.
pub fn list(navi: &Path, env: &[(String, String)]) -> (f64, usize) {
    let t = Instant::now();
    let out = Command::new(navi)
        .args(["list", "--json"])
        .env_remove("TMUX")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run navi list --json");
    let wall = t.elapsed().as_secs_f64();
    if !out.stderr.is_empty() {
        eprintln!(
            "push_bench: navi list stderr: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let connected = json["sources"].as_array().map_or(0, |s| {
        s.iter()
            .filter(|s| s["name"].as_str().is_some_and(|n| n != "local"))
            .filter(|s| s["state"] == "connected")
            .count()
    });
    (wall, connected)
}
