#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Memory per session on a remote: the awk of a sample on recorded input (every awk
//! installed, hostile lines included), and the push loop under every POSIX `sh` against
//! a real tmux on a private socket whose pane's child holds 64 MiB.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use navi_core::statusdir::liveness::TmuxServer;

use super::push_decode::{memory_lines, Batch, Record};
use super::push_script::MEMORY_AWK;
use super::push_tests::Loop;
use super::script_tests::{posix_shells, which, TmuxServerAt};

const MIB: u64 = 1024 * 1024;

/// The awks found here (argv before the program).
fn awks() -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for argv in [
        &["mawk"][..],
        &["gawk"],
        &["nawk"],
        &["original-awk"],
        &["busybox", "awk"],
    ] {
        let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .any(|d| d.join(argv[0]).is_file());
        if on_path {
            found.push(argv.iter().map(|s| s.to_string()).collect());
        }
    }
    assert!(!found.is_empty(), "no awk installed");
    found
}

/// Runs the sample's awk on `input` with the state files of `dir`: what it printed.
fn run_awk(awk: &[String], dir: &Path, input: &str) -> String {
    run_awk_paged(awk, dir, input, 0)
}

/// [`run_awk`] with `page` KiB per page (`/proc/PID/stat` lines are read; 0: not).
fn run_awk_paged(awk: &[String], dir: &Path, input: &str, page: u64) -> String {
    let (prev, out) = (dir.join("prev"), dir.join("out"));
    if !prev.exists() {
        std::fs::write(&prev, "").unwrap();
    }
    // As the loop does (`: > "$memnew"`): a sample that finds no session writes nothing.
    std::fs::write(&out, "").unwrap();
    let mut child = Command::new(which(&awk[0]))
        .args(&awk[1..])
        .arg("-v")
        .arg(format!("prev={}", prev.display()))
        .arg("-v")
        .arg(format!("out={}", out.display()))
        .arg("-v")
        .arg(format!("abs={}", navi_core::rss::NOTICEABLE_BYTES))
        .arg("-v")
        .arg(format!("pct={}", navi_core::rss::NOTICEABLE_PERCENT))
        .arg("-v")
        .arg(format!("page={page}"))
        .arg(MEMORY_AWK)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{awk:?}: {o:?}");
    std::fs::rename(&out, &prev).unwrap();
    String::from_utf8(o.stdout).unwrap()
}

fn sorted(lines: Vec<(TmuxServer, String, Option<u64>)>) -> Vec<(TmuxServer, String, Option<u64>)> {
    let mut l = lines;
    l.sort();
    l
}

/// Recorded `ps -A -o pid= -o ppid= -o rss=` (macOS pads the columns) with hostile lines
/// around it, and panes of two servers whose session names hold spaces, tabs, a `P`
/// and what looks like a header.
const PANES: &str = "S\t-\n100 api\n200 my\tweb app\nnot a pane\n\
                     S\t/tmp/s p/work\n300 P\n400 S\tx\n";
const PS: &str = "  PID  PPID   RSS\n  100     1  1000\n  101   100 65536\n  102   101    12\n\
                  200 1 10\n201 200 abc\n202 200 1 2\n-5 200 9\n\
                  300 1 20\n301 300 30\n400 1 1\n500 1 999999\n600 601 5\n601 600 5\n";

/// A `/proc/PID/stat` line as Linux writes it: RSS (`rss` pages) is its 24th field.
fn stat_line(pid: u32, comm: &str, ppid: u32, rss: u64) -> String {
    format!(
        "{pid} ({comm}) S {ppid} 1 1 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 100 123456 {rss} \
         18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
    )
}

/// The process table as `/proc/*/stat` lines (what the loop reads on Linux: one line a
/// process where `status` has some 50): each pane's tree is summed in pages of `page`
/// KiB, whatever the command names hold (spaces, `) `), and a name with a newline that
/// forges another process's line makes that pid count for nothing (never for the
/// forger's numbers; a pane's pid that comes twice leaves its session's memory unknown).
/// Without `page`, stat lines are not read at all.
#[test]
fn the_awk_reads_stat_lines_and_a_forged_line_counts_for_nothing() {
    let panes = "S\t-\n100 api\n200 web\n";
    let procs = [
        stat_line(2, "kthreadd", 0, 0),
        stat_line(100, "bash", 1, 250),
        stat_line(101, "my prog", 100, 16384),
        stat_line(102, "a) b) S 7 7", 101, 3),
        // 103 names itself "x\n200 (y": its line becomes "103 (x" and a forged line for 200.
        stat_line(103, "x\n200 (y", 100, 99_999),
        stat_line(200, "node", 1, 77_777),
        stat_line(201, "worker", 200, 5),
        "not a line\n12 (short) S 1 2\n".to_string(),
    ]
    .concat();
    let input = format!("{panes}P\n{procs}");
    for awk in awks() {
        let dir = tempfile::tempdir().unwrap();
        let got = sorted(memory_lines(
            run_awk_paged(&awk, dir.path(), &input, 4).as_bytes(),
        ));
        assert_eq!(
            got,
            vec![
                // 100, 101, 102 (103's line was cut by its newline: not read).
                (
                    TmuxServer::Default,
                    "api".into(),
                    Some((250 + 16384 + 3) * 4 * 1024)
                ),
                // 200 (web's pane) came twice: web's memory is not known, rather
                // than wrong.
            ],
            "{awk:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(run_awk_paged(&awk, dir.path(), &input, 0), "", "{awk:?}");
    }
}

#[test]
fn the_awk_sums_each_pane_tree_and_sends_only_noticeable_changes() {
    let mk = |pane_input: &str, procs: &str| format!("{pane_input}P\n{procs}");
    let socket = || TmuxServer::Socket("/tmp/s p/work".into());
    for awk in awks() {
        let dir = tempfile::tempdir().unwrap();
        let first = sorted(memory_lines(
            run_awk(&awk, dir.path(), &mk(PANES, PS)).as_bytes(),
        ));
        assert_eq!(
            first,
            vec![
                (TmuxServer::Default, "api".into(), Some(66548 * 1024)),
                (TmuxServer::Default, "my\tweb app".into(), Some(10 * 1024)),
                (socket(), "P".into(), Some(50 * 1024)),
                (socket(), "S\tx".into(), Some(1024)),
            ],
            "{awk:?}"
        );
        // The same again, and a change of a few pages: nothing to send.
        let small = PS.replace("  101   100 65536", "  101   100 66000");
        assert_eq!(run_awk(&awk, dir.path(), &mk(PANES, &small)), "", "{awk:?}");
        // api grows by 40 MiB (over 32 MiB); `P` ends; the rest hold still.
        let grown = small
            .replace("  101   100 66000", "  101   100 106960")
            .replace("301 300 30\n", "")
            .replace("300 1 20\n", "");
        let next = sorted(memory_lines(
            run_awk(&awk, dir.path(), &mk(PANES, &grown)).as_bytes(),
        ));
        assert_eq!(
            next,
            vec![
                (
                    TmuxServer::Default,
                    "api".into(),
                    Some((1000 + 106960 + 12) * 1024)
                ),
                (socket(), "P".into(), None),
            ],
            "{awk:?}"
        );
        // Changes are measured from the value last sent: 8 MiB more (under 10 %) is not
        // sent, 8 MiB more again (16 MiB from it, over 10 %) is.
        let more = grown.replace("  101   100 106960", "  101   100 115152");
        assert_eq!(run_awk(&awk, dir.path(), &mk(PANES, &more)), "", "{awk:?}");
        let again = grown.replace("  101   100 106960", "  101   100 123344");
        let sent = sorted(memory_lines(
            run_awk(&awk, dir.path(), &mk(PANES, &again)).as_bytes(),
        ));
        assert_eq!(
            sent,
            vec![(
                TmuxServer::Default,
                "api".into(),
                Some((1000 + 123344 + 12) * 1024)
            )],
            "{awk:?}"
        );
    }
}

/// `/proc/*/status` text (what `cat` gives on Linux): kernel threads without `VmRSS`, a
/// process name that says `Pid:`.
#[test]
fn the_awk_reads_proc_status_text() {
    let status = "Name:\tclaude\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t10\nPid:\t10\n\
                  PPid:\t1\nVmRSS:\t  2048 kB\n\
                  Name:\tPid: 99\nPid:\t11\nPPid:\t10\nVmPeak:\t 9 kB\nVmRSS:\t     512 kB\n\
                  Name:\tkthreadd\nPid:\t2\nPPid:\t0\n";
    for awk in awks() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_awk(
            &awk,
            dir.path(),
            &format!("S\t-\n10 api\n2 kernel\nP\n{status}"),
        );
        assert_eq!(
            sorted(memory_lines(out.as_bytes())),
            vec![
                (TmuxServer::Default, "api".into(), Some(2560 * 1024)),
                (TmuxServer::Default, "kernel".into(), Some(0)),
            ],
            "{awk:?}"
        );
    }
}

/// What the big pane runs (as a child of the pane's shell): 64 MiB of `a` in a shell
/// variable (written, so resident), a `sleep` grandchild, its pid in `$1`.
pub(crate) const ALLOC: &str = "x=$(head -c 67108864 /dev/zero | tr '\\000' a)\n\
                                sleep 600 &\n\
                                echo \"$! ${#x}\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n\
                                wait\n";

/// A tmux server on a private socket: session `big job` whose pane's child holds 64 MiB
/// (with a grandchild), session `small` running `cat`.
struct Tree {
    server: TmuxServerAt,
    ready: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tree {
    fn start() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("alloc.sh");
        std::fs::write(&script, ALLOC).unwrap();
        let ready = dir.path().join("ready");
        let server = TmuxServerAt::start(&dir.path().join("work"), &["small"]);
        let big = format!("sh {} {}; :", script.display(), ready.display());
        server.tmux(&["new-session", "-d", "-s", "big job", "sh", "-c", &big]);
        for _ in 0..600 {
            if ready.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(ready.exists(), "the allocating child never got ready");
        Tree {
            server,
            ready,
            _dir: dir,
        }
    }

    /// Status files recording this server, as `navi hook` writes them.
    fn status_files(&self, dir: &Path) {
        for name in ["big job", "small"] {
            let answer = self.server.tmux(&[
                "display-message",
                "-p",
                "-t",
                &format!("={name}:"),
                "#{pid}\t#{session_id}",
            ]);
            let (pid, id) = answer.trim_end().split_once('\t').unwrap();
            let json = serde_json::json!({
                "tmux_session": name, "status": "working", "message": "", "cwd": "/",
                "timestamp": 1,
                "tmux": {"socket": self.server.socket, "server_pid": pid.parse::<i64>().unwrap(),
                         "session_id": id},
            });
            let text = serde_json::to_string_pretty(&json).unwrap();
            std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        if let Ok(text) = std::fs::read_to_string(&self.ready) {
            if let Some(pid) = text.split(' ').next() {
                let _ = Command::new("kill").arg(pid).status();
            }
        }
    }
}

/// The memory records of the batches a `r` caused (up to the heartbeat after it).
fn sample(l: &mut Loop) -> Vec<Vec<(TmuxServer, String, Option<u64>)>> {
    l.seen.clear();
    l.send("r");
    l.sync();
    l.seen
        .iter()
        .filter_map(|b| match b {
            Batch::Delta(records) => Some(records),
            _ => None,
        })
        .flatten()
        .filter_map(|r| match r {
            Record::Memory(lines) => Some(lines.clone()),
            _ => None,
        })
        .collect()
}

fn rss_of(l: &Loop, name: &str) -> Option<u64> {
    let report = l.state.clone().report("/d", "r").unwrap();
    let row = report.sessions.iter().find(|s| s.tmux_session == name)?;
    row.memory.map(|m| m.rss_bytes)
}

#[test]
fn the_push_loop_samples_memory_per_session_and_resends_only_changes() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let tree = Tree::start();
    for argv in posix_shells() {
        let dir = tempfile::tempdir().unwrap();
        tree.status_files(dir.path());
        let mut l = Loop::start(&argv, dir.path(), "0", None);
        let first = sample(&mut l);
        assert_eq!(first.len(), 1, "{argv:?}: one R record: {first:?}");
        let big = rss_of(&l, "big job").expect("big job sampled");
        let small = rss_of(&l, "small").expect("small sampled");
        assert!(big >= 64 * MIB, "{argv:?}: big job {big}");
        assert!(small < 32 * MIB, "{argv:?}: small {small}");
        // Nothing moved noticeably since: nothing is sent.
        assert_eq!(sample(&mut l), Vec::<Vec<_>>::new(), "{argv:?}");
        // A full snapshot keeps the values (it carries none).
        l.send("s");
        l.wait_for(|b| matches!(b, Batch::Full(_)));
        assert_eq!(rss_of(&l, "big job"), Some(big), "{argv:?}");
        l.stop();
    }
}

#[test]
fn a_session_that_ends_loses_its_memory() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux not installed: skipping");
        return;
    }
    let tree = Tree::start();
    let dir = tempfile::tempdir().unwrap();
    tree.status_files(dir.path());
    let mut l = Loop::start(&super::push_tests::sh(), dir.path(), "0", None);
    assert_eq!(sample(&mut l).len(), 1);
    assert!(rss_of(&l, "small").is_some());
    tree.server.tmux(&["kill-session", "-t", "=small"]);
    let gone = sample(&mut l);
    assert_eq!(
        gone,
        vec![vec![(
            TmuxServer::Socket(tree.server.socket.display().to_string()),
            "small".to_string(),
            None
        )]]
    );
    assert_eq!(rss_of(&l, "small"), None);
    assert!(rss_of(&l, "big job").is_some());
    l.stop();
}
