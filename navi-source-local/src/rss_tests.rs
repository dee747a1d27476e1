#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Memory per session against a real tmux on a private socket (never the user's server):
//! a pane whose child allocates and touches 64 MiB and has a grandchild, beside a pane
//! that holds almost nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use navi_core::SessionSource as _;

use crate::actions::Tmux;
use crate::rss::Sampler;
use crate::LocalSource;

const MIB: u64 = 1024 * 1024;

/// What the big pane runs (as a child of the pane's shell): 64 MiB of `a` in a shell
/// variable (written, so resident), a `sleep` grandchild, then its pid in `$1`.
const ALLOC: &str = "x=$(head -c 67108864 /dev/zero | tr '\\000' a)\n\
                     sleep 600 &\n\
                     echo \"$! ${#x}\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n\
                     wait\n";

/// A private tmux server (`test_tmux`) whose "big job" pane allocates (see [`ALLOC`]),
/// beside a "small" one.
struct Server {
    tmux: crate::test_tmux::Server,
    /// Holds the allocating script and its ready file.
    _dir: tempfile::TempDir,
    ready: PathBuf,
}

impl Server {
    fn start() -> Option<Server> {
        if std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_err()
        {
            eprintln!("tmux not installed: skipping");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("alloc.sh");
        std::fs::write(&script, ALLOC).unwrap();
        let ready = dir.path().join("ready");
        let tmux = crate::test_tmux::Server::start(&["small"]);
        // `; :` keeps the pane's shell as the parent (no exec of the last command).
        let big = format!("sh {} {}; :", script.display(), ready.display());
        tmux.tmux(&["new-session", "-d", "-s", "big job", "sh", "-c", &big]);
        Some(Server {
            tmux,
            _dir: dir,
            ready,
        })
    }

    fn tmux(&self, args: &[&str]) -> String {
        self.tmux.tmux(args)
    }

    /// The grandchild's pid once the child has allocated.
    fn wait_ready(&self) -> i32 {
        for _ in 0..600 {
            if let Ok(text) = std::fs::read_to_string(&self.ready) {
                let (pid, len) = text.trim().split_once(' ').unwrap();
                assert_eq!(len, "67108864", "the child holds 64 MiB");
                return pid.parse().unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the allocating child never got ready");
    }

    /// A status file as `navi hook` writes it in session `name` of this server.
    fn hook_file(&self, dir: &Path, name: &str) {
        self.tmux.hook_file(dir, name, "working");
    }
}

/// The grandchild first; the tmux server goes with `tmux` (killed when dropped).
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(text) = std::fs::read_to_string(&self.ready) {
            if let Some(pid) = text.split(' ').next() {
                let _ = std::process::Command::new("kill").arg(pid).status();
            }
        }
    }
}

fn rss_of(report: &navi_core::PollReport, name: &str) -> Option<u64> {
    let row = report.sessions.iter().find(|s| s.tmux_session == name)?;
    row.memory.map(|m| m.rss_bytes)
}

#[tokio::test]
async fn a_pane_tree_of_known_size_is_sampled_and_attributed_to_its_session() {
    let Some(work) = Server::start() else { return };
    work.wait_ready();
    let status = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    work.hook_file(status.path(), "big job");
    work.hook_file(status.path(), "small");
    let src = LocalSource::new(status.path())
        .with_tmux(vec![
            "tmux".into(),
            "-S".into(),
            empty.path().join("default").display().to_string(),
        ])
        .with_tmux_check();
    let report = src.poll_report().await.unwrap();
    let big = rss_of(&report, "big job").expect("the big session was sampled");
    let small = rss_of(&report, "small").expect("the small session was sampled");
    assert!(big >= 64 * MIB, "big: {big} bytes");
    assert!(
        small < 32 * MIB,
        "small: {small} bytes (the 64 MiB are not its)"
    );
    let row = report
        .sessions
        .iter()
        .find(|s| s.tmux_session == "big job")
        .unwrap();
    assert_eq!(
        row.rss_bytes(),
        Some(big),
        "it is the value every reader sees"
    );
    assert!(row.memory.unwrap().sampled_at > 0);
}

/// The sampler takes a sample at most every `MEMORY_SAMPLE`: a session killed since the
/// last sample keeps its value until the next one is due, then loses it.
#[test]
fn samples_are_taken_at_most_every_ten_seconds() {
    let Some(work) = Server::start() else { return };
    work.wait_ready();
    let status = tempfile::tempdir().unwrap();
    work.hook_file(status.path(), "big job");
    let mut rows = crate::read_dir(status.path()).unwrap().sessions;
    let tmux = Tmux {
        argv: vec!["tmux".into()],
    };
    let mut sampler = Sampler::default();
    let t0 = Instant::now();
    sampler.attach(&tmux, &mut rows, t0);
    let first = rows[0].memory.expect("sampled");
    assert!(first.rss_bytes >= 64 * MIB, "{first:?}");
    work.tmux(&["kill-session", "-t", "=big job"]);
    let mut again = crate::read_dir(status.path()).unwrap().sessions;
    sampler.attach(&tmux, &mut again, t0 + Duration::from_secs(9));
    assert_eq!(again[0].memory, Some(first), "not due: the value held");
    let mut later = crate::read_dir(status.path()).unwrap().sessions;
    sampler.attach(&tmux, &mut later, t0 + navi_core::limits::MEMORY_SAMPLE);
    assert_eq!(later[0].memory, None, "sampled again: the session is gone");
}
