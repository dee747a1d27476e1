//! "Changes pushed, not polled" (issue 12): freshness, idle bytes, CPU and RSS of one or
//! more `navi` binaries, measured in the same run against the same loopback OpenSSH sshds.
//!
//! ```text
//! cargo run --release -p navi-tests --example push_bench -- \
//!     --navi old=/work/tgt-old/release/navi --navi new=target/release/navi \
//!     [--remotes 200] [--files 10] [--seconds 30] [--rounds 20] [--outage 40] [--list-runs 1]
//!     [--busy 0] [--busy-writes 100] [--settle 30] [--actions 0]
//! ```
//!
//! Needs root (sshd logs in as the current user), `/usr/sbin/sshd`, tmux and `ss`. Not run
//! by CI. It starts `--remotes` sshds on 127.0.0.1 (one host key, one client key, one
//! sessions directory each with `--files` status files, one tmux server each holding the
//! sessions the files name), a private tmux server for the dashboard whose socket is the
//! default one for `TMUX_TMPDIR=<scratch>/tmux` (never the user's), and for each binary in
//! turn:
//!
//! 1. the dashboard with no remotes: local change → on screen, idle CPU and RSS;
//! 2. the dashboard with every remote: remote change → on screen, local change → on
//!    screen, then an idle window: TCP payload bytes (`ss -tinp` of navi's sockets), remote
//!    CPU (each sshd listener and all its descendants, reaped children included), navi's
//!    CPU and RSS; with `--busy S`, a busy period: `--busy-writes` status rewrites a
//!    second spread over every remote for S seconds, then `--settle` idle seconds
//!    (dashboard CPU, remote CPU per write, RSS before, peak, high-water mark, after);
//!    then remote r0 is killed for `--outage` seconds and restarted on the same
//!    port: time to its next login (sshd's log) and to a change made meanwhile on screen;
//! 3. `navi list --json` with every remote (dashboard stopped);
//! 4. with `--actions N`, N rounds of `navi new`, `navi send` and `navi kill --yes` of a
//!    fresh session, on this machine and on r0, each timed (wall).
//!
//! Everything (sshds and their sessions, the tmux server, the scratch directory) is
//! stopped and removed at the end, on a panic, and on Ctrl-C.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[path = "push_bench/cleanup.rs"]
mod cleanup;
#[path = "push_bench/dash.rs"]
mod dash;
#[path = "push_bench/files.rs"]
mod files;
#[path = "push_bench/fleet.rs"]
mod fleet;
#[path = "push_bench/measure.rs"]
mod measure;
#[path = "push_bench/procs.rs"]
mod procs;
#[path = "push_bench/report.rs"]
mod report;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use measure::{Options, Results, Setup};

const USAGE: &str = "usage: push_bench --navi LABEL=PATH [--navi LABEL=PATH ...] \
[--remotes N (200)] [--files N (10)] [--seconds S (30)] [--rounds N (20)] \
[--outage S (40; 0 skips the reconnect)] [--list-runs N (1)] \
[--busy S (0: none)] [--busy-writes N per s (100)] [--settle S (30)] [--actions N (0)]";

fn parse_args() -> (Vec<(String, PathBuf)>, Options) {
    let mut navis = Vec::new();
    let mut o = Options {
        remotes: 200,
        files: 10,
        seconds: 30,
        rounds: 20,
        outage: 40,
        list_runs: 1,
        busy: 0,
        busy_writes: 100,
        settle: 30,
        actions: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{a} needs a value\n{USAGE}"))
        };
        let number = |v: String| -> u64 {
            v.parse()
                .unwrap_or_else(|_| panic!("not a number: {v}\n{USAGE}"))
        };
        match a.as_str() {
            "--navi" => {
                let v = value();
                let (label, path) = v.split_once('=').unwrap_or(("navi", &v));
                let path = PathBuf::from(path);
                assert!(path.is_file(), "no navi binary at {}", path.display());
                navis.push((label.to_owned(), path));
            }
            "--remotes" => o.remotes = number(value()) as usize,
            "--files" => o.files = number(value()) as usize,
            "--seconds" => o.seconds = number(value()),
            "--rounds" => o.rounds = number(value()) as usize,
            "--outage" => o.outage = number(value()),
            "--list-runs" => o.list_runs = number(value()) as usize,
            "--busy" => o.busy = number(value()),
            "--busy-writes" => o.busy_writes = number(value()),
            "--settle" => o.settle = number(value()),
            "--actions" => o.actions = number(value()) as usize,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            // `cargo bench`/`cargo run` may pass --bench; ignore it.
            "--bench" => {}
            _ => panic!("unknown argument {a}\n{USAGE}"),
        }
    }
    assert!(!navis.is_empty(), "{USAGE}");
    assert!(
        o.remotes >= 1 && o.files >= 1,
        "--remotes and --files must be at least 1"
    );
    (navis, o)
}

fn step(what: &str) {
    eprintln!("push_bench: {what}");
}

fn run_binary(
    navi: &std::path::Path,
    label: &str,
    o: &Options,
    tmux: &dash::Tmux,
    fleet: &mut fleet::Fleet,
    setup: &Setup,
) -> Results {
    let mut r = Results::default();
    let size = (200, 50);

    step(&format!("[{label}] local only: dashboard"));
    let env = setup.env(tmux, &setup.no_remotes_yaml, &format!("{label}-local.log"));
    let pid = tmux.start_navi(navi, &env, &[], size);
    let ready = "pb-ready-local";
    files::write(&setup.local, "s0", "permission", ready);
    if tmux
        .wait_for(ready, Instant::now(), Duration::from_secs(30))
        .is_none()
    {
        eprintln!(
            "push_bench: [{label}] the local dashboard never showed its ready row; screen:\n{}",
            tmux.capture()
        );
    }
    files::write(&setup.local, "s0", "idle", "Waiting for the next prompt");
    std::thread::sleep(Duration::from_secs(3));
    let local = [setup.local.clone()];
    r.local_only_latency = measure::latency(tmux, &local, o.files, o.rounds, "lo");
    std::thread::sleep(Duration::from_secs(3));
    step(&format!("[{label}] local only: idle {} s", o.seconds));
    r.local_only_idle = measure::idle(pid, None, o.seconds);
    tmux.stop_navi(pid);

    step(&format!("[{label}] {} remotes: dashboard", o.remotes));
    let env = setup.env(tmux, &setup.remotes_yaml, &format!("{label}-remotes.log"));
    let before = fleet.accepted();
    let pid = tmux.start_navi(navi, &env, &[], size);
    let limit = Duration::from_secs(60 + o.remotes as u64);
    r.connect_all_s = measure::wait_connected(fleet, &before, limit).map(|d| d.as_secs_f64());
    if r.connect_all_s.is_none() {
        eprintln!("push_bench: [{label}] not every remote logged in within {limit:?}");
    }
    // Every remote polled at least once: a change on the last one shows.
    let last = fleet.remotes.len() - 1;
    let ready = "pb-ready-remote";
    files::write(&fleet.remotes[last].sessions(), "s0", "permission", ready);
    if tmux
        .wait_for(ready, Instant::now(), Duration::from_secs(60))
        .is_none()
    {
        eprintln!(
            "push_bench: [{label}] the last remote's row never showed; screen:\n{}",
            tmux.capture()
        );
    }
    files::write(
        &fleet.remotes[last].sessions(),
        "s0",
        "idle",
        "Waiting for the next prompt",
    );
    std::thread::sleep(Duration::from_secs(5));
    step(&format!("[{label}] remote change -> on screen"));
    let dirs: Vec<PathBuf> = fleet.remotes.iter().map(fleet::Remote::sessions).collect();
    r.remote_latency = measure::latency(tmux, &dirs, o.files, o.rounds, "re");
    step(&format!("[{label}] local change -> on screen"));
    r.local_latency = measure::latency(tmux, &local, o.files, o.rounds, "lc");
    std::thread::sleep(Duration::from_secs(5));
    step(&format!(
        "[{label}] {} remotes: idle {} s",
        o.remotes, o.seconds
    ));
    r.idle = measure::idle(pid, Some(fleet), o.seconds);
    if o.busy > 0 {
        step(&format!(
            "[{label}] busy: {} status writes/s for {} s, then {} s idle",
            o.busy_writes, o.busy, o.settle
        ));
        r.busy = Some(measure::busy(pid, fleet, o));
    }
    if o.outage > 0 {
        step(&format!(
            "[{label}] reconnect: r0 down for {} s, then restarted",
            o.outage
        ));
        r.reconnect = Some(measure::reconnect(tmux, fleet, o.outage));
    }
    tmux.stop_navi(pid);

    for k in 0..o.list_runs {
        step(&format!(
            "[{label}] navi list --json ({}/{})",
            k + 1,
            o.list_runs
        ));
        let env = setup.env(tmux, &setup.remotes_yaml, &format!("{label}-list.log"));
        let (wall, connected) = measure::list(navi, &env);
        r.list_s.push(wall);
        r.list_connected = connected;
    }
    if o.actions > 0 {
        step(&format!(
            "[{label}] one-shot actions ({} rounds)",
            o.actions
        ));
        let env = setup.env(tmux, &setup.remotes_yaml, &format!("{label}-actions.log"));
        r.actions = Some(measure::actions(navi, &env, o.actions));
    }
    r
}

fn main() {
    let (navis, o) = parse_args();
    let _guard = cleanup::Guard::install();
    let scratch = tempfile::Builder::new()
        .prefix("navi-push-bench.")
        .tempdir()
        .expect("create a scratch directory")
        .keep();
    cleanup::register(cleanup::Entry::Dir(scratch.clone()));
    step(&format!("scratch directory {}", scratch.display()));

    let tmux = dash::Tmux::new(&scratch);
    let sessions: Vec<String> = (0..o.files).map(files::session).collect();
    tmux.start(&sessions);
    let started = Instant::now();
    step(&format!("starting {} sshds", o.remotes));
    let mut fleet = fleet::Fleet::start(&scratch.join("fleet"), o.remotes, &sessions);
    step(&format!(
        "{} sshds listening after {:.1} s",
        o.remotes,
        started.elapsed().as_secs_f64()
    ));
    let setup = Setup::write(&scratch, &fleet, o.files);

    let mut results = Vec::new();
    for (label, navi) in &navis {
        let r = run_binary(navi, label, &o, &tmux, &mut fleet, &setup);
        results.push((label.clone(), r));
    }
    print!("{}", report::markdown(&o, &results));
}
