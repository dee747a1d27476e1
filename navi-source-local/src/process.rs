//! Child processes that cannot hold navi up: every one runs under a deadline that covers
//! both its exit and the reading of its output (a grandchild that keeps the output pipe
//! open, as git's fsmonitor daemons and wrapper scripts do, must not stall the reader),
//! in its own process group, and past the deadline the whole group is killed.

use navi_core::limits::{CHILD_FIRST_NAP, CHILD_LONGEST_NAP, PROCESS_READ_GRACE};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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
///
/// The output is awaited first: its end (the pipes closing) is what a quick child's exit
/// looks like from here, so the common case wakes the moment the child is done, with no
/// polling delay and no thread (a hook run is a few milliseconds; both cost some of it).
pub fn finish_within(mut child: Child, deadline: Instant) -> std::io::Result<Output> {
    let left = || deadline.saturating_duration_since(Instant::now());
    let (stdout, stderr) = match read_both(&mut child, deadline) {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            return Err(stop(child, "did not finish"))
        }
        Err(e) => {
            kill_group(&mut child);
            return Err(e);
        }
    };
    let mut nap = CHILD_FIRST_NAP;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return Ok(Output {
                    status,
                    stdout,
                    stderr,
                })
            }
            // It closed its output but runs on: give it until the deadline to exit.
            Ok(None) if !left().is_zero() => {
                std::thread::sleep(nap.min(left()));
                nap = (nap * 2).min(CHILD_LONGEST_NAP);
            }
            Ok(None) => return Err(stop(child, "closed its output but did not exit")),
            Err(e) => {
                kill_group(&mut child);
                return Err(e);
            }
        }
    }
}

/// Both output pipes to their end (each capped), waiting with `poll` until `deadline`
/// (at least [`READ_GRACE`], so a caller that comes late still gets what is there).
#[cfg(unix)]
fn read_both(child: &mut Child, deadline: Instant) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    use rustix::event::{poll, PollFd, PollFlags};
    let grace_until = Instant::now() + PROCESS_READ_GRACE;
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let (mut out_bytes, mut err_bytes) = (Vec::new(), Vec::new());
    let mut buf = [0u8; 8192];
    while out.is_some() || err.is_some() {
        let until = deadline.max(grace_until);
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        let timeout = rustix::time::Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let (out_ready, err_ready) = {
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(2);
            if let Some(o) = &out {
                fds.push(PollFd::new(o, PollFlags::IN));
            }
            if let Some(e) = &err {
                fds.push(PollFd::new(e, PollFlags::IN));
            }
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let ready = |i: usize| fds.get(i).is_some_and(|f| !f.revents().is_empty());
            match (&out, &err) {
                (Some(_), Some(_)) => (ready(0), ready(1)),
                (Some(_), None) => (ready(0), false),
                (None, _) => (false, ready(0)),
            }
        };
        for (ready, pipe, bytes) in [
            (out_ready, &mut out as &mut dyn PipeSlot, &mut out_bytes),
            (err_ready, &mut err as &mut dyn PipeSlot, &mut err_bytes),
        ] {
            if !ready {
                continue;
            }
            match pipe.read_some(&mut buf) {
                Ok(0) => pipe.close(),
                Ok(n) => {
                    if (bytes.len() as u64) < MAX_OUTPUT {
                        bytes.extend_from_slice(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => pipe.close(),
            }
        }
    }
    Ok((out_bytes, err_bytes))
}

/// A pipe that may be closed already (stdout and stderr have different types).
#[cfg(unix)]
trait PipeSlot {
    fn read_some(&mut self, buf: &mut [u8]) -> std::io::Result<usize>;
    fn close(&mut self);
}

#[cfg(unix)]
impl<R: std::io::Read> PipeSlot for Option<R> {
    fn read_some(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
    }
    fn close(&mut self) {
        *self = None;
    }
}

#[cfg(not(unix))]
fn read_both(child: &mut Child, _deadline: Instant) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    Ok((
        read_all(child.stdout.take().map(|p| Box::new(p) as _)),
        read_all(child.stderr.take().map(|p| Box::new(p) as _)),
    ))
}

#[cfg(not(unix))]
fn read_all(pipe: Option<Box<dyn std::io::Read + Send>>) -> Vec<u8> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    if let Some(p) = pipe {
        let _ = p.take(MAX_OUTPUT).read_to_end(&mut bytes);
    }
    bytes
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
