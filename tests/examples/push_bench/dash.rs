//! The dashboard under test: a private tmux server (`tmux -S <base>/tmux/tmux-UID/default`,
//! which is also the default socket for anything run with `TMUX_TMPDIR=<base>/tmux`, so
//! navi's and the remotes' `tmux list-sessions` see it and never the user's server), the
//! tmux sessions the status files name, and `navi` in a pane whose screen is read with
//! `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cleanup::{self, Entry};

/// The private tmux server.
#[derive(Debug)]
pub struct Tmux {
    /// Its socket.
    pub sock: PathBuf,
    /// `TMUX_TMPDIR` that makes `sock` the default socket.
    pub tmpdir: PathBuf,
}

/// Quotes `s` for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// The server's paths under `base` (nothing started yet).
    pub fn new(base: &Path) -> Tmux {
        let tmpdir = base.join("tmux");
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|_| "0".into());
        let dir = tmpdir.join(format!("tmux-{uid}"));
        std::fs::create_dir_all(&dir).expect("create the tmux directory");
        let _ = Command::new("chmod").arg("700").arg(&dir).status();
        Tmux {
            sock: dir.join("default"),
            tmpdir,
        }
    }

    /// Runs `tmux -S sock ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(args)
            .env_remove("TMUX")
            .env("TMUX_TMPDIR", &self.tmpdir)
            .stdin(Stdio::null())
            .output()
            .expect("run tmux")
    }

    /// Starts the server with one detached session per name (each runs `sleep`), so the
    /// status files naming them belong to live tmux sessions.
    pub fn start(&self, sessions: &[String]) {
        cleanup::register(Entry::Tmux(self.sock.clone()));
        for name in sessions {
            let out = self.run(&["new-session", "-d", "-s", name, "sleep 100000000"]);
            assert!(
                out.status.success(),
                "tmux new-session {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Runs `navi` (with `env` and `args`) in a new `width`x`height` session `dash`; returns
    /// navi's pid (the pane's process: the command `exec`s navi).
    pub fn start_navi(
        &self,
        navi: &Path,
        env: &[(String, String)],
        args: &[&str],
        size: (u16, u16),
    ) -> u32 {
        let mut cmd = String::from("exec env");
        for (k, v) in env {
            cmd.push_str(&format!(" {k}={}", sh_quote(v)));
        }
        cmd.push(' ');
        cmd.push_str(&sh_quote(&navi.display().to_string()));
        for a in args {
            cmd.push(' ');
            cmd.push_str(&sh_quote(a));
        }
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let out = self.run(&["new-session", "-d", "-s", "dash", "-x", &w, "-y", &h, &cmd]);
        assert!(
            out.status.success(),
            "tmux new-session dash: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self.run(&["display-message", "-p", "-t", "=dash:", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the pane's pid")
    }

    /// Ends the `dash` session (navi gets SIGHUP) and waits (bounded) until `pid` is gone.
    pub fn stop_navi(&self, pid: u32) {
        let _ = self.run(&["kill-session", "-t", "=dash"]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if Path::new(&format!("/proc/{pid}")).exists() {
            cleanup::kill_tree(pid);
        }
    }

    /// The dashboard's screen as text.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "=dash:"]).stdout)
            .into_owned()
    }

    /// Polls the screen every `every` until it contains `text`; the time from `since`,
    /// or `None` after `limit`.
    pub fn wait_for(&self, text: &str, since: Instant, limit: Duration) -> Option<Duration> {
        let every = Duration::from_millis(10);
        loop {
            if self.capture().contains(text) {
                return Some(since.elapsed());
            }
            if since.elapsed() > limit {
                return None;
            }
            std::thread::sleep(every);
        }
    }
}
