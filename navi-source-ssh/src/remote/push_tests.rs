#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The push loop run through a real local `sh` (and every other shell that is
//! installed as `sh` would be), driven line by line as navi drives it, its batches read
//! with navi's own reader and applied to navi's own state.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::push_decode::{Batch, BatchReader};
use super::push_script::push_script;
use super::PushState;

/// A push loop running in a local shell over a temp status directory.
pub(super) struct Loop {
    child: Child,
    /// Kills the loop's process group if the test ends before `stop` (a failed
    /// assertion): a loop stuck in a long read would outlive it otherwise.
    group: Group,
    stdin: std::process::ChildStdin,
    chunks: mpsc::Receiver<Vec<u8>>,
    reader: BatchReader,
    pub(super) nonce: String,
    pub(super) state: PushState,
    pub(super) mode: String,
    /// Batches received and not yet looked at.
    pub(super) seen: Vec<Batch>,
    /// Every byte received (for failure messages).
    pub(super) raw: Vec<u8>,
    /// Snapshots asked for because a difference did not apply.
    pub(super) resends: usize,
}

impl Loop {
    /// Starts `push_script(dir, tick)` under the shell `argv` (`["/bin/sh"]`,
    /// `["busybox", "sh"]`, ...) with `PATH` = `path` (when given).
    pub(super) fn start(argv: &[String], dir: &Path, tick: &str, path: Option<&Path>) -> Loop {
        Loop::run(argv, &push_script(&dir.display().to_string(), tick), path)
    }

    /// Starts the push loop `script` under the shell `argv` with `PATH` = `path` (when
    /// given).
    pub(super) fn run(argv: &[String], script: &str, path: Option<&Path>) -> Loop {
        let mut cmd = Command::new(super::script_tests::which(&argv[0]));
        cmd.args(&argv[1..]);
        if let Some(path) = path {
            cmd.env("PATH", path);
        }
        let mut child = cmd
            .arg("-c")
            .arg(script)
            .env("TMPDIR", std::env::temp_dir())
            // Never the user's tmux server: the default one is unreachable here.
            .env("TMUX_TMPDIR", "/nonexistent/navi-push-tests")
            .env_remove("TMUX")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so a failed test can stop all of it (see Group).
            .process_group(0)
            .spawn()
            .unwrap();
        let group = Group(Some(child.id()));
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let nonce = super::new_nonce();
        let mut l = Loop {
            child,
            group,
            stdin,
            chunks,
            reader: BatchReader::new(&nonce),
            nonce,
            state: PushState::default(),
            mode: String::new(),
            seen: Vec::new(),
            raw: Vec::new(),
            resends: 0,
        };
        let first = format!("{}\n", l.nonce);
        l.stdin.write_all(first.as_bytes()).unwrap();
        l.send("s");
        l.wait_for(|b| matches!(b, Batch::Full(_)));
        l
    }

    /// Sends command `cmd` (`s`, `h<token>`, `t`, `d`).
    pub(super) fn send(&mut self, cmd: &str) {
        let line = format!("{}:{cmd}\n", self.nonce);
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a line that is not a command (what the ticker or inotify would write).
    pub(super) fn poke(&mut self) {
        self.send("k");
    }

    pub(super) fn send_raw(&mut self, raw: &str) {
        self.stdin.write_all(raw.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Applies every batch that arrives until one matches `want` (within 10 s).
    pub(super) fn wait_for(&mut self, want: impl Fn(&Batch) -> bool) -> Batch {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.seen.iter().position(&want) {
                return self.seen.remove(i);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(chunk) = self.chunks.recv_timeout(left) else {
                panic!(
                    "no matching batch in 10 s; state {:?}; received {:?}",
                    self.state,
                    String::from_utf8_lossy(&self.raw)
                );
            };
            self.raw.extend_from_slice(&chunk);
            for b in self.reader.push(&chunk).unwrap() {
                self.apply(&b);
                self.seen.push(b);
            }
        }
    }

    /// Applies every batch that arrives within `d` (nothing has to).
    pub(super) fn drain_for(&mut self, d: Duration) {
        let deadline = std::time::Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(chunk) = self.chunks.recv_timeout(left) else {
                return;
            };
            self.raw.extend_from_slice(&chunk);
            for b in self.reader.push(&chunk).unwrap() {
                self.apply(&b);
                self.seen.push(b);
            }
        }
    }

    fn apply(&mut self, b: &Batch) {
        match b.clone() {
            Batch::Full(r) => self.state = PushState::from_full_after(r, &self.state),
            Batch::Delta(r) => {
                self.state.apply_delta(r);
                if self.state.take_resend() {
                    self.resends += 1;
                    self.send("s");
                }
            }
            Batch::Mode(m) => self.mode = m,
            _ => {}
        }
    }

    /// A scan, as a tick or an event asks for it, and every batch it causes. A scan
    /// that finds nothing answers nothing, so a heartbeat after it marks the end.
    pub(super) fn scan(&mut self) {
        self.poke();
        self.sync();
    }

    /// Waits until the loop has handled everything sent so far.
    pub(super) fn sync(&mut self) {
        let token = format!("{:x}", super::random_u64());
        self.send(&format!("h{token}"));
        self.wait_for(|b| matches!(b, Batch::Heartbeat(t) if *t == token));
    }

    /// The resync: the digest, and a full snapshot if it differs. `true` when it did.
    pub(super) fn resync(&mut self) -> bool {
        self.send("d");
        let Batch::Sums { files, marks } = self.wait_for(|b| matches!(b, Batch::Sums { .. }))
        else {
            unreachable!()
        };
        if self.state.matches(&files, &marks) {
            return false;
        }
        self.send("s");
        self.wait_for(|b| matches!(b, Batch::Full(_)));
        true
    }

    /// Session names and statuses navi holds.
    pub(super) fn sessions(&self) -> Vec<(String, String)> {
        let report = self.state.clone().report("/d", "r").unwrap();
        let mut v: Vec<_> = report
            .sessions
            .iter()
            .map(|s| (s.tmux_session.clone(), s.status.as_str().to_string()))
            .collect();
        v.sort();
        v
    }

    /// The loop's pid (also its process group's id).
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends the loop as navi does (EOF on stdin) and waits for it.
    pub(super) fn stop(mut self) -> std::process::ExitStatus {
        drop(self.stdin);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                self.group.0 = None;
                return st;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the loop did not end on EOF"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A status file's bytes.
pub(super) fn status_json(name: &str, status: &str) -> String {
    format!(
        "{{\"tmux_session\":\"{name}\",\"status\":\"{status}\",\"message\":\"m\",\"cwd\":\"/w\",\"timestamp\":1700000000}}\n"
    )
}

/// Writes a status file as the hooks do: a hidden temp file, renamed into place.
pub(super) fn write_status(dir: &Path, name: &str, status: &str) {
    write_text(dir, name, &status_json(name, status));
}

/// Writes `text` as status file `name` as the hooks do.
pub(super) fn write_text(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".tmp.{name}"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

pub(super) fn sh() -> Vec<String> {
    vec!["sh".to_string()]
}

/// How the loop under test finds changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Watch {
    /// No `inotifywait` on `PATH`: scans on ticks (here: on `k`).
    Scan,
    /// With `inotifywait` (the test is skipped where it is missing, unless CI requires
    /// it).
    Inotify,
}

/// Starts a loop over `dir` watching as `watch` says; `None` when inotify is wanted
/// but missing (and not required).
pub(super) fn start(watch: Watch, dir: &Path, tools: &Path) -> Option<Loop> {
    match watch {
        Watch::Scan => Some(Loop::start(&sh(), dir, "0", Some(&scan_path(tools)))),
        Watch::Inotify => {
            let have = std::process::Command::new("sh")
                .args(["-c", "command -v inotifywait"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !have {
                assert!(
                    std::env::var_os("NAVI_REQUIRE_SHELLS").is_none(),
                    "inotifywait is missing (apt-get install inotify-tools)"
                );
                eprintln!("skipped: inotifywait is not installed");
                return None;
            }
            let l = Loop::start(&sh(), dir, "0", None);
            assert_eq!(l.mode, "inotify");
            Some(l)
        }
    }
}

/// A `PATH` with what the loop needs and no `inotifywait`, made once under `root`.
pub(super) fn scan_path(root: &Path) -> PathBuf {
    let bin = root.join("bin");
    if !bin.exists() {
        super::script_tests::bin_dir(
            root,
            // printf too: mksh has no builtin one.
            &[
                "cat", "awk", "wc", "head", "dd", "mkdir", "rm", "cksum", "sleep", "tr", "printf",
                "sed",
            ],
            &[],
        );
    }
    bin
}

/// What the directory holds: (session, status) of each valid status file.
pub(super) fn on_disk(dir: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') || !e.file_type().unwrap().is_file() {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        if let Ok(s) = navi_core::SessionInfo::parse(&bytes, Some(stem)) {
            v.push((s.tmux_session, s.status.as_str().to_string()));
        }
    }
    v.sort();
    v
}

#[test]
fn the_loop_sends_a_full_snapshot_then_only_changes() {
    for watch in [Watch::Scan, Watch::Inotify] {
        only_changes(watch);
    }
}

fn only_changes(watch: Watch) {
    let d = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    write_status(d.path(), "a", "working");
    write_status(d.path(), "b", "waiting");
    let Some(mut l) = start(watch, d.path(), tools.path()) else {
        return;
    };
    assert_eq!(
        l.sessions(),
        vec![
            ("a".into(), "working".into()),
            ("b".into(), "waiting".into())
        ]
    );
    // Nothing changed: a scan answers nothing at all.
    l.seen.clear();
    l.scan();
    assert!(
        l.seen.iter().all(|b| !matches!(b, Batch::Delta(_))),
        "an idle scan sends nothing: {:?}",
        l.seen
    );
    // One file changed: deltas with that file only.
    std::thread::sleep(Duration::from_millis(20));
    write_status(d.path(), "a", "done");
    l.seen.clear();
    l.scan();
    let deltas: Vec<_> = l
        .seen
        .iter()
        .filter_map(|b| match b {
            Batch::Delta(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert!(!deltas.is_empty(), "{:?}", l.seen);
    assert!(
        deltas
            .iter()
            .flatten()
            .all(|r| super::push_decode::Record::is_file(r, "a.json")),
        "only the changed file is sent: {deltas:?}"
    );
    assert_eq!(
        l.sessions(),
        vec![("a".into(), "done".into()), ("b".into(), "waiting".into())]
    );
    // A removed file is a D record; the hooks' hidden temp files are never sent.
    std::fs::remove_file(d.path().join("b.json")).unwrap();
    std::fs::write(d.path().join(".tmp.x"), "{").unwrap();
    l.seen.clear();
    l.scan();
    assert_eq!(l.sessions(), vec![("a".into(), "done".into())]);
    assert!(
        l.seen.iter().any(|b| matches!(b, Batch::Delta(r) if r.contains(&super::push_decode::Record::Gone("b.json".into())))),
        "{:?}",
        l.seen
    );
    assert!(
        format!("{:?}", l.seen).find(".tmp").is_none(),
        "{:?}",
        l.seen
    );
    // The digest agrees with what navi holds.
    assert!(!l.resync(), "nothing to heal");
    assert!(l.stop().success());
}

/// The loop works the same whichever shell is the remote's `sh`: dash, bash, busybox,
/// mksh, ksh93 and zsh as `sh` (each required when `NAVI_REQUIRE_SHELLS` is set).
#[test]
fn every_sh_runs_the_loop() {
    let candidates: [&[&str]; 6] = [
        &["dash"],
        &["bash", "--posix"],
        &["busybox", "sh"],
        &["mksh"],
        &["ksh93"],
        &["zsh", "--emulate", "sh"],
    ];
    for argv in candidates {
        let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .any(|d| d.join(argv[0]).is_file());
        if !on_path {
            assert!(
                std::env::var_os("NAVI_REQUIRE_SHELLS").is_none(),
                "{} is required (NAVI_REQUIRE_SHELLS) but not installed",
                argv[0]
            );
            eprintln!("skipped {}: not installed", argv[0]);
            continue;
        }
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        eprintln!("shell {argv:?}");
        let d = tempfile::tempdir().unwrap();
        let tools = tempfile::tempdir().unwrap();
        write_status(d.path(), "a b", "working");
        write_status(d.path(), "*", "waiting");
        let mut l = Loop::start(&argv, d.path(), "0", Some(&scan_path(tools.path())));
        assert_eq!(l.mode, "scan", "{argv:?}");
        assert_eq!(
            l.sessions(),
            vec![
                ("*".into(), "waiting".into()),
                ("a b".into(), "working".into())
            ],
            "{argv:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
        write_status(d.path(), "*", "done");
        write_status(d.path(), "-n", "working");
        std::fs::remove_file(d.path().join("a b.json")).unwrap();
        l.scan();
        assert_eq!(l.sessions(), on_disk(d.path()), "{argv:?}");
        assert!(!l.resync(), "{argv:?}: the digest agrees");
        assert!(l.stop().success(), "{argv:?}: ends on EOF");
    }
}

/// A request that comes right after events the loop held for its coalescing window is
/// answered under every `sh` (zsh's `read -t` left the last event in `$line` when it
/// timed out, and the next request was taken for the rest of that event: lost).
#[test]
fn a_request_after_held_events_is_answered_under_every_sh() {
    for argv in super::script_tests::posix_shells() {
        let d = tempfile::tempdir().unwrap();
        write_status(d.path(), "a", "idle");
        let mut l = Loop::start(&argv, d.path(), "0", None);
        for (i, status) in ["working", "waiting", "done"].into_iter().enumerate() {
            write_status(d.path(), "a", status);
            l.wait_for(|b| {
                matches!(b, Batch::Delta(r) if r.iter().any(|r| super::push_decode::Record::is_file(r, "a.json")))
            });
            // The events were held (and scanned when the window passed): the request
            // that follows is read whole.
            let token = format!("beef{i}");
            l.send(&format!("h{token}"));
            let b = l.wait_for(|b| matches!(b, Batch::Heartbeat(_)));
            assert_eq!(b, Batch::Heartbeat(token), "{argv:?} ({})", l.mode);
        }
        assert_eq!(l.sessions(), on_disk(d.path()), "{argv:?}");
        assert!(!l.resync(), "{argv:?}: the digest agrees");
        assert!(l.stop().success(), "{argv:?}: ends on EOF");
    }
}

#[test]
fn heartbeats_are_answered_with_their_token_and_the_mode_is_announced() {
    let d = tempfile::tempdir().unwrap();
    let mut l = Loop::start(&sh(), d.path(), "0", None);
    l.send("hbeef");
    let b = l.wait_for(|b| matches!(b, Batch::Heartbeat(_)));
    assert_eq!(b, Batch::Heartbeat("beef".into()));
    assert!(l.mode == "inotify" || l.mode == "scan", "{}", l.mode);
    // A line without the nonce is never taken for a command.
    l.send_raw("s\nhdead\n00:s\n");
    l.sync();
    assert!(
        l.seen
            .iter()
            .all(|b| !matches!(b, Batch::Full(_))
                && !matches!(b, Batch::Heartbeat(t) if t == "dead")),
        "{:?}",
        l.seen
    );
    l.stop();
}

#[test]
fn a_change_the_scan_cannot_see_is_healed_by_the_resync() {
    let d = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    write_status(d.path(), "a", "working");
    let mut l = start(Watch::Scan, d.path(), tools.path()).unwrap();
    assert_eq!(l.mode, "scan");
    // Rewrite the file but give it an old modification time: no scan can see it.
    std::fs::write(d.path().join("a.json"), status_json("a", "waiting")).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let f = std::fs::File::options()
        .write(true)
        .open(d.path().join("a.json"))
        .unwrap();
    f.set_modified(old).unwrap();
    l.scan();
    assert_eq!(l.sessions(), vec![("a".into(), "working".into())]);
    assert!(l.resync(), "the digest differs");
    assert_eq!(l.sessions(), vec![("a".into(), "waiting".into())]);
    l.stop();
}

/// One thing done to the status directory.
#[derive(Debug, Clone)]
enum Op {
    /// The hooks' way: temp file, then rename.
    Write(usize, usize),
    /// Rewritten in place.
    Overwrite(usize, usize),
    Remove(usize),
    /// `mv a b`: b replaced by a's file (whose time is a's).
    Rename(usize, usize),
    /// Rewritten with an old modification time: no scan can see it (a missed event).
    Hidden(usize, usize),
    /// The hooks' way, a pretty-printed file of ~700 bytes whose message and times
    /// follow `k`: a few lines change, so the loop sends the difference.
    Pretty(usize, usize, usize),
    /// The same with one line more (or, `false`, as `Pretty`): not a difference.
    Longer(usize, usize, bool),
    /// The loop scans (a tick or an event).
    Scan,
}

const NAMES: [&str; 4] = ["a", "b", "c d", "e'f"];
const STATUSES: [&str; 4] = ["working", "waiting", "done", "permission"];

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let n = 0..NAMES.len();
    let s = 0..STATUSES.len();
    prop_oneof![
        3 => (n.clone(), s.clone()).prop_map(|(n, s)| Op::Write(n, s)),
        2 => (n.clone(), s.clone()).prop_map(|(n, s)| Op::Overwrite(n, s)),
        1 => n.clone().prop_map(Op::Remove),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (n.clone(), s.clone()).prop_map(|(n, s)| Op::Hidden(n, s)),
        4 => (n.clone(), s.clone(), 0..4usize).prop_map(|(n, s, k)| Op::Pretty(n, s, k)),
        1 => (n, s, any::<bool>()).prop_map(|(n, s, b)| Op::Longer(n, s, b)),
        3 => Just(Op::Scan),
    ]
}

fn apply_op(dir: &Path, op: &Op) -> bool {
    let path = |n: usize| dir.join(format!("{}.json", NAMES[n]));
    match *op {
        Op::Write(n, s) => write_status(dir, NAMES[n], STATUSES[s]),
        Op::Overwrite(n, s) => std::fs::write(path(n), status_json(NAMES[n], STATUSES[s])).unwrap(),
        Op::Remove(n) => {
            let _ = std::fs::remove_file(path(n));
        }
        Op::Rename(a, b) => {
            // Over an existing file, the name stays and the time is the older file's:
            // only the resync can tell (and it must).
            let replaces = a != b && path(a).exists() && path(b).exists();
            let _ = std::fs::rename(path(a), path(b));
            return replaces;
        }
        Op::Hidden(n, s) => {
            std::fs::write(path(n), status_json(NAMES[n], STATUSES[s])).unwrap();
            let f = std::fs::File::options().write(true).open(path(n)).unwrap();
            f.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
                .unwrap();
            return true;
        }
        Op::Pretty(n, s, k) => {
            let text = super::push_hold_tests::pretty_json(NAMES[n], STATUSES[s], k);
            write_text(dir, NAMES[n], &text);
        }
        Op::Longer(n, s, longer) => {
            let text = super::push_hold_tests::pretty_json(NAMES[n], STATUSES[s], 9);
            let text = if longer {
                text.replacen("{\n", "{\n  \"extra\": 1,\n", 1)
            } else {
                text
            };
            write_text(dir, NAMES[n], &text);
        }
        Op::Scan => {}
    }
    false
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(std::env::var("NAVI_PUSH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)))]

    /// Any interleaving of writes (whole files and pretty-printed ones that go as
    /// differences, with as many lines or one more), renames, removals and scans: after a
    /// final scan navi holds exactly what is on disk (the digest agrees byte for byte),
    /// every difference applied, unless a change was made invisible to scans (an old
    /// modification time, as a missed event); then the resync heals it.
    #[test]
    fn no_change_is_ever_lost(ops in proptest::collection::vec(op(), 1..14)) {
        let d = tempfile::tempdir().unwrap();
        let tools = tempfile::tempdir().unwrap();
        let l = start(Watch::Scan, d.path(), tools.path()).unwrap();
        run_ops(l, d.path(), &ops)?;
    }

    /// The same with events held (coalesced) by a shell that has `read -t`: the events
    /// of the writes between two scans are held for a window longer than the test, so
    /// the scan (or the heartbeat) that ends the hold sends them.
    #[test]
    fn no_change_is_ever_lost_while_events_are_held(ops in proptest::collection::vec(op(), 1..14)) {
        let d = tempfile::tempdir().unwrap();
        let Some(l) = super::push_hold_tests::holding_loop(&bash(), d.path(), "600") else {
            return Ok(());
        };
        run_ops(l, d.path(), &ops)?;
    }
}

/// `bash --posix`, a shell whose `read -t` holds events.
fn bash() -> Vec<String> {
    vec!["bash".to_string(), "--posix".to_string()]
}

/// Applies `ops` to `dir`, scanning where they say and once at the end: navi then holds
/// what is on disk (unless a change was hidden from scans: the resync heals it).
fn run_ops(
    mut l: Loop,
    dir: &Path,
    ops: &[Op],
) -> Result<(), proptest::test_runner::TestCaseError> {
    let mut hidden = false;
    for op in ops {
        hidden |= apply_op(dir, op);
        if matches!(op, Op::Scan) {
            l.scan();
        }
    }
    l.scan();
    if !hidden {
        proptest::prop_assert_eq!(l.sessions(), on_disk(dir), "after a scan");
    }
    let healed = l.resync();
    proptest::prop_assert!(
        hidden || !healed,
        "a resync found a change the scans missed"
    );
    // Every difference applied to what navi held (none asked for a snapshot).
    proptest::prop_assert_eq!(
        l.resends,
        0,
        "a difference did not apply: {:?}",
        String::from_utf8_lossy(&l.raw)
    );
    proptest::prop_assert_eq!(l.sessions(), on_disk(dir), "after the resync");
    l.stop();
    Ok(())
}

/// Without navi asking: the ticker's scans (no inotify) and inotify's events each
/// bring a change by themselves, and a loop whose watcher ends says it now scans.
#[test]
fn changes_arrive_by_themselves() {
    let d = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    let mut ticking = Loop::start(&sh(), d.path(), "0.1", Some(&scan_path(tools.path())));
    assert_eq!(ticking.mode, "scan");
    write_status(d.path(), "t", "working");
    ticking.wait_for(|b| matches!(b, Batch::Delta(_)));
    assert_eq!(ticking.sessions(), vec![("t".into(), "working".into())]);
    assert!(ticking.stop().success());

    let Some(mut watching) = start(Watch::Inotify, d.path(), tools.path()) else {
        return;
    };
    write_status(d.path(), "u", "waiting");
    watching.wait_for(|b| matches!(b, Batch::Delta(_)));
    assert_eq!(
        watching.sessions(),
        vec![
            ("t".into(), "working".into()),
            ("u".into(), "waiting".into())
        ]
    );
    // The watched directory goes away: inotifywait ends, the ticker takes over.
    watching.seen.clear();
    std::fs::remove_dir_all(d.path()).unwrap();
    // (Its marks directory goes first: the loop may watch the directory again for the
    // moment it is still there, and say so, before it is gone.)
    let mode = watching.wait_for(|b| matches!(b, Batch::Mode(m) if m == "scan"));
    assert_eq!(mode, Batch::Mode("scan".into()));
    assert!(watching.stop().success());
}

/// A write as the hooks make it (a temp file, then a rename or a swap) is sent once: the
/// temp file's own events start no scan, and a name that went forces nothing.
#[test]
fn one_hook_write_is_sent_once() {
    let d = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    write_status(d.path(), "w", "idle");
    let Some(mut l) = start(Watch::Inotify, d.path(), tools.path()) else {
        return;
    };
    let sends_w = |b: &Batch| {
        matches!(b, Batch::Delta(r) if r.iter().any(
            |r| super::push_decode::Record::is_file(r, "w.json")))
    };
    let statuses = [
        "working",
        "permission",
        "working",
        "done",
        "waiting",
        "idle",
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        l.seen.clear();
        match i % 3 {
            0 => write_status(d.path(), "w", status), // a hidden temp file, renamed
            1 => {
                // The Go hook's way: `w.json.tmp`, not hidden, then renamed.
                let tmp = d.path().join("w.json.tmp");
                std::fs::write(&tmp, status_json("w", status)).unwrap();
                std::fs::rename(&tmp, d.path().join("w.json")).unwrap();
            }
            _ => swap_status(d.path(), "w", status),
        }
        l.wait_for(sends_w);
        l.drain_for(Duration::from_millis(400));
        assert_eq!(l.sessions(), vec![("w".into(), status.into())]);
        let again = l.seen.iter().filter(|b| sends_w(b)).count();
        assert_eq!(again, 0, "w.json sent again for one write: {:?}", l.seen);
    }
    assert!(l.stop().success());
}

/// Writes a status file as a writer that swaps does: a hidden temp file swapped with the
/// old one (`renameat2` `RENAME_EXCHANGE`), which is then removed.
#[cfg(target_os = "linux")]
fn swap_status(dir: &Path, name: &str, status: &str) {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    let tmp = dir.join(format!(".tmp.navi.{name}"));
    std::fs::write(&tmp, status_json(name, status)).unwrap();
    renameat_with(
        CWD,
        &tmp,
        CWD,
        dir.join(format!("{name}.json")),
        RenameFlags::EXCHANGE,
    )
    .unwrap();
    std::fs::remove_file(&tmp).unwrap();
}

#[cfg(not(target_os = "linux"))]
fn swap_status(dir: &Path, name: &str, status: &str) {
    write_status(dir, name, status);
}

/// The tmux records of every batch, as (server, listed names or the reason).
fn tmux_records(batches: &[Batch]) -> Vec<Vec<super::push_decode::Record>> {
    batches
        .iter()
        .filter_map(|b| match b {
            Batch::Delta(r) | Batch::Full(r) => Some(
                r.iter()
                    .filter(|r| matches!(r, super::push_decode::Record::Tmux(..)))
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// The push loop sends the tmux check only when an answer changed (a session on a
/// recorded server, a new recorded server, a server that went), under every POSIX `sh`,
/// against real tmux servers; navi's state follows, and each row is decided from its
/// own server.
#[test]
fn tmux_answers_are_sent_only_when_they_change() {
    use navi_core::Liveness;

    use super::decode_tests::status_on;
    use super::script_tests::{bin_dir, posix_shells, TmuxServerAt};
    let tools = tempfile::tempdir().unwrap();
    let bin = bin_dir(
        tools.path(),
        &[
            "cat", "awk", "wc", "head", "dd", "mkdir", "rm", "cksum", "sleep", "tr", "printf",
            "sed", "tmux",
        ],
        &[],
    );
    for argv in posix_shells() {
        let d = tempfile::tempdir().unwrap();
        let sockets = tempfile::tempdir().unwrap();
        let work = TmuxServerAt::start(&sockets.path().join("work"), &["a"]);
        let work_s = work.socket.to_str().unwrap().to_string();
        std::fs::write(d.path().join("a.json"), status_on("a", Some(&work_s))).unwrap();
        let mut l = Loop::start(&argv, d.path(), "0", Some(&bin));
        let liveness = |l: &Loop, name: &str| {
            let mut r = l.state.clone().report("/d", "r").unwrap();
            r.decide_liveness();
            r.sessions
                .iter()
                .find(|s| s.tmux_session == name)
                .map(|s| s.liveness.clone())
                .unwrap()
        };
        assert_eq!(liveness(&l, "a"), Liveness::Live, "{argv:?}");
        // Nothing changed: a tmux check sends nothing.
        l.seen.clear();
        l.send("t");
        l.sync();
        assert!(tmux_records(&l.seen).is_empty(), "{argv:?}: {:?}", l.seen);
        // A session more on the recorded server: the check is sent, once.
        work.tmux(&["new-session", "-d", "-s", "b", "cat"]);
        l.seen.clear();
        l.send("t");
        l.send("t");
        l.sync();
        assert_eq!(tmux_records(&l.seen).len(), 1, "{argv:?}: {:?}", l.seen);
        // A file recording another server: its records come with the file.
        let other = TmuxServerAt::start(&sockets.path().join("other"), &["c"]);
        let other_s = other.socket.to_str().unwrap().to_string();
        std::fs::write(d.path().join("c.json"), status_on("c", Some(&other_s))).unwrap();
        l.scan();
        assert_eq!(liveness(&l, "c"), Liveness::Live, "{argv:?}");
        // That server goes: its rows are unknown, never ended.
        drop(other);
        l.send("t");
        l.sync();
        let c = liveness(&l, "c");
        assert!(
            c.reason().is_some_and(|why| why.contains(&other_s)),
            "{argv:?}: {c:?}"
        );
        // The session ends on a server that still answers: ended.
        work.tmux(&["kill-session", "-t", "=a"]);
        l.send("t");
        l.sync();
        assert_eq!(liveness(&l, "a"), Liveness::Ended, "{argv:?}");
        assert!(l.stop().success(), "{argv:?}");
    }
}

/// A loop whose channel closes at once (navi gave up on it) ends, and leaves no child
/// behind: no `inotifywait` nor `sleep` holding its output open (the ticker can be told
/// to stop before it knows its child's pid).
#[test]
fn a_loop_whose_stdin_ends_at_once_leaves_nothing_running() {
    let d = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    write_status(d.path(), "a", "idle");
    let scan = scan_path(tools.path());
    for i in 0..40 {
        // With inotify (the real PATH) and without (ticking, and waiting forever).
        let (path, tick) = match i % 3 {
            0 => (None, "0"),
            1 => (Some(scan.as_path()), "0"),
            _ => (Some(scan.as_path()), "0.2"),
        };
        let mut cmd = Command::new(super::script_tests::which("sh"));
        if let Some(p) = path {
            cmd.env("PATH", p);
        }
        let mut child = cmd
            .arg("-c")
            .arg(push_script(&d.path().display().to_string(), tick))
            .env("TMUX_TMPDIR", "/nonexistent/navi-push-tests")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"0123456789abcdef0123456789abcdef\n")
            .unwrap();
        drop(stdin);
        let mut stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stdout.read_to_end(&mut all);
            let _ = tx.send(all);
        });
        // The output ends only when no process holds it any more.
        let ended = rx.recv_timeout(Duration::from_secs(10));
        if ended.is_err() {
            let _ = child.kill();
        }
        let _ = child.wait();
        assert!(
            ended.is_ok(),
            "run {i}: something still holds the loop's output"
        );
    }
}

/// Applies batches until `cond` holds of the loop (within 10 s); nothing is asked of it.
fn until(l: &mut Loop, what: &str, cond: impl Fn(&Loop) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cond(l) {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 10 s; mode {}, sessions {:?}",
            l.mode,
            l.sessions()
        );
        l.drain_for(Duration::from_millis(100));
    }
}

/// The skipped names of a report, sorted.
fn skipped_names(report: &navi_core::PollReport) -> Vec<String> {
    let mut v: Vec<String> = report.skipped.iter().map(|s| s.name.clone()).collect();
    v.sort();
    v
}

/// Every kind of entry a snapshot reports skipped, made while a loop runs: the loop
/// reports the same ones (so the dashboard's header and `navi remotes` agree), and
/// reads no FIFO or device on the way.
#[test]
fn a_scan_reports_every_skipped_entry_the_snapshot_reports() {
    for watch in [Watch::Scan, Watch::Inotify] {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("st");
        std::fs::create_dir_all(dir.join(".navi/marks")).unwrap();
        write_status(&dir, "api", "idle");
        let tools = tempfile::tempdir().unwrap();
        let Some(mut l) = start(watch, &dir, tools.path()) else {
            continue;
        };
        std::fs::write(dir.join("broken.json"), b"{\"tmux_sess").unwrap();
        std::fs::write(dir.join("empty.json"), b"").unwrap();
        std::fs::create_dir(dir.join("subdir.json")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.join("fifo.json"))
            .status()
            .unwrap();
        assert!(fifo.success());
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.json")).unwrap();
        std::fs::write(dir.join("new\nline.json"), status_json("nl", "idle")).unwrap();
        std::fs::write(dir.join(".navi/marks/api.json"), b"{garbage").unwrap();
        l.drain_for(Duration::from_millis(300));
        l.scan();
        let pushed = skipped_names(&l.state.clone().report("/d", "r").unwrap());
        let n = "0123456789abcdef0123456789abcdef";
        let out = Command::new("sh")
            .arg("-c")
            .arg(super::script::snapshot_script(
                &dir.display().to_string(),
                n,
            ))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let polled = skipped_names(&super::decode::decode_snapshot(&out.stdout, n, "/d").unwrap());
        assert_eq!(polled.len(), 8, "{polled:?}");
        assert_eq!(pushed, polled, "{watch:?}");
        // Each is sent once, not on every scan; a name that goes is no longer skipped.
        std::fs::remove_dir(dir.join("subdir.json")).unwrap();
        std::fs::remove_file(dir.join("fifo.json")).unwrap();
        l.drain_for(Duration::from_millis(300));
        l.scan();
        let after = skipped_names(&l.state.clone().report("/d", "r").unwrap());
        assert_eq!(after.len(), 6, "{after:?}");
        l.seen.clear();
        l.scan();
        assert!(
            !l.seen.iter().any(|b| matches!(b, Batch::Delta(_))),
            "{watch:?}: a scan that finds nothing new sends nothing: {:?}",
            l.seen
        );
        l.stop();
    }
}

/// The watched directory moved away and recreated (and later removed and made again)
/// under a running loop: changes in the new directory arrive by themselves, with no
/// reconnect and no scan asked for, and the mode says how the loop watches.
#[test]
fn a_directory_moved_away_and_recreated_is_watched_again() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir_all(&dir).unwrap();
    write_status(&dir, "api", "idle");
    let tools = tempfile::tempdir().unwrap();
    let Some(mut l) = start(Watch::Inotify, &dir, tools.path()) else {
        return;
    };
    let has = |name: &'static str, status: &'static str| {
        move |l: &Loop| {
            l.sessions()
                .contains(&(name.to_string(), status.to_string()))
        }
    };
    // Moved away, and a new directory made at once in its place.
    std::fs::rename(&dir, home.path().join("st.old")).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    write_status(&dir, "web", "working");
    until(&mut l, "the new directory's file", has("web", "working"));
    until(&mut l, "watching the new directory", |l| {
        l.mode == "inotify"
    });
    assert_eq!(l.sessions(), [("web".to_string(), "working".to_string())]);
    // Then a change in it arrives by itself: inotify watches the new directory.
    write_status(&dir, "web", "waiting");
    until(
        &mut l,
        "a change in the new directory",
        has("web", "waiting"),
    );
    // A write to the old directory is no longer seen.
    write_status(&home.path().join("st.old"), "ghost", "idle");
    l.drain_for(Duration::from_millis(300));
    assert!(!l.sessions().iter().any(|(n, _)| n == "ghost"));

    // Removed: scanning while it is gone, and says so; back: watched again.
    std::fs::remove_dir_all(&dir).unwrap();
    until(&mut l, "the removal", |l| {
        l.sessions().is_empty() && l.mode == "scan"
    });
    std::fs::create_dir_all(&dir).unwrap();
    write_status(&dir, "db", "idle");
    until(&mut l, "the directory made again", has("db", "idle"));
    until(&mut l, "watching it again", |l| l.mode == "inotify");
    write_status(&dir, "db", "working");
    until(&mut l, "a change after it came back", has("db", "working"));
    assert!(l.stop().success());
}

#[test]
fn a_batch_past_the_budget_of_all_remotes_stops_its_reader_only() {
    use crate::budget::Budget;
    static SMALL: Budget = Budget::new(200);
    let beat = |token: &str| {
        let mut b = format!("\nNAVI-ab H {token}\n").into_bytes();
        b.extend(crate::remote::end_marker("ab"));
        b
    };
    let mut stalled = BatchReader::within("ab", &SMALL);
    let mut other = BatchReader::within("ab", &SMALL);
    // One remote holds most of the budget with a batch in progress.
    assert_eq!(stalled.push(&[b'x'; 150]).unwrap(), Vec::new());
    // Another's small batches still fit, and give their bytes back once read.
    assert_eq!(
        other.push(&beat("1")).unwrap(),
        vec![Batch::Heartbeat("1".into())]
    );
    assert_eq!(
        other.push(&beat("2")).unwrap(),
        vec![Batch::Heartbeat("2".into())]
    );
    // One that does not fit stops that reader with an error naming the budget.
    let e = other.push(&[b'y'; 100]).unwrap_err();
    assert!(
        e.contains("memory budget for remote output (200 bytes, all remotes together)"),
        "{e}"
    );
    // The stalled reader gone (its loop restarted), the budget is whole again.
    drop(stalled);
    drop(other);
    assert_eq!(SMALL.used(), 0);
    let mut again = BatchReader::within("ab", &SMALL);
    assert_eq!(
        again.push(&beat("3")).unwrap(),
        vec![Batch::Heartbeat("3".into())]
    );
}

/// A process group killed when dropped, unless taken back (`None`) once it ended.
pub(super) struct Group(Option<u32>);

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}
