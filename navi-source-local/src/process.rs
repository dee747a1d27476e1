//! Child processes that cannot hold navi up: every one runs under a deadline that covers
//! both its exit and the reading of its output (a grandchild that keeps the output pipe
//! open, as git's fsmonitor daemons and wrapper scripts do, must not stall the reader),
//! in its own process group, and past the deadline the whole group is killed.

use std::io::Read as _;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the output of a child that has exited is waited for at least.
const READ_GRACE: Duration = Duration::from_millis(50);

/// The most of one output stream kept (tmux and git answers are a few KB).
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// Starts `cmd` with stdin closed, stdout and stderr piped, in a new process group (so
/// [`finish_within`] can stop its children too).
pub fn spawn(mut cmd: Command) -> std::io::Result<Child> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
}

/// Runs `cmd` (see [`spawn`]) and collects its output by `limit` from now.
pub fn output_within(cmd: Command, limit: Duration) -> std::io::Result<Output> {
    finish_within(spawn(cmd)?, Instant::now() + limit)
}

/// Waits for `child` and its output until `deadline`; past it kills the child's process
/// group and answers `TimedOut`. Nothing is left running either way.
pub fn finish_within(mut child: Child, deadline: Instant) -> std::io::Result<Output> {
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let mut nap = Duration::from_micros(100);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(nap.min(deadline.saturating_duration_since(Instant::now())));
                nap = (nap * 2).min(Duration::from_millis(5));
            }
            Ok(None) => return Err(stop(child, "did not exit")),
            Err(e) => {
                kill_group(&mut child);
                return Err(e);
            }
        }
    };
    // The readers may not have run yet when the child is seen exited (the caller came
    // late): a short grace past the deadline lets them hand over what is already there.
    let wait = |rx: &mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(READ_GRACE),
        )
    };
    match (wait(&out), wait(&err)) {
        (Ok(stdout), Ok(stderr)) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        // It exited, but something it started still holds its output open.
        _ => Err(stop(child, "exited, but its children kept its output open")),
    }
}

fn stop(mut child: Child, what: &str) -> std::io::Error {
    kill_group(&mut child);
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} in time; stopped it and its children"),
    )
}

/// Kills the child's process group (every process it started), then the child, and
/// reaps it.
pub fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a pipe to its end on a thread (capped), handing the bytes over a channel.
fn drain(pipe: Option<Box<dyn std::io::Read + Send>>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(MAX_OUTPUT).read_to_end(&mut bytes);
        }
        let _ = tx.send(bytes);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_keeps_the_output_open_is_stopped_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "sleep 30 & echo $! > '{}'; echo hi",
            pidfile.display()
        ));
        let e = output_within(cmd, Duration::from_millis(300)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
        assert!(e.to_string().contains("children"), "{e}");
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        // Killed with its group (a zombie at most until init reaps it).
        let gone = (0..100).any(|_| {
            let alive = std::fs::read_to_string(&stat).is_ok_and(|s| {
                !s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
            });
            if alive {
                std::thread::sleep(Duration::from_millis(20));
            }
            !alive
        });
        assert!(gone, "the grandchild still runs");
    }

    #[test]
    fn a_quick_child_answers() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("echo out; echo err >&2; exit 3");
        let out = output_within(cmd, Duration::from_secs(5)).unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
    }
}
