//! N OpenSSH sshds on 127.0.0.1, one per simulated remote, all sharing one host key and
//! one authorized key, each with its own port, log and sessions directory
//! (`<base>/r<i>/sessions`). Unlike `navi_tests::sshd::Sshd`, a remote can be stopped and
//! started again on the same port (the reconnect measurement), and they start in batches.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use navi_tests::sshd::{current_user, keygen, SSHD};

use crate::cleanup::{self, Entry};
use crate::dash::Tmux;

/// One simulated remote.
#[derive(Debug)]
pub struct Remote {
    /// `<base>/r<i>`: sshd_config, log, sessions.
    pub dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
    /// Length of the log when sshd was last started (the log is appended to).
    log_offset: usize,
    /// The remote's own tmux server (its sessions' `TMUX_TMPDIR`).
    tmux: Tmux,
}

impl Remote {
    /// The remote's sessions directory (its `sessions_dir`).
    pub fn sessions(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }

    /// The listener's pid, when it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Logins this sshd has accepted so far (its log is appended to across restarts).
    pub fn accepted(&self) -> usize {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .matches("Accepted publickey")
            .count()
    }
}

/// The running sshds and what navi needs to reach them.
#[derive(Debug)]
pub struct Fleet {
    /// The remotes, `r0` first.
    pub remotes: Vec<Remote>,
    /// The client key (`key:` of every remote).
    pub key: PathBuf,
    /// known_hosts with one `[127.0.0.1]:PORT` line per remote.
    pub known_hosts: PathBuf,
    /// The login user.
    pub user: String,
    host_key: PathBuf,
    authorized: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Fleet {
    /// Starts `n` sshds under `base` (in batches of 20, each waited for until it logs that
    /// it listens and accepts a connection). Each remote gets its own tmux server with
    /// the sessions `sessions` (its sessions' `TMUX_TMPDIR`), as a real machine has: the
    /// remote's `tmux list-sessions` sees it, never the user's server nor another
    /// remote's.
    pub fn start(base: &Path, n: usize, sessions: &[String]) -> Fleet {
        std::fs::create_dir_all(base).expect("create the fleet directory");
        let _ = Command::new("install")
            .args(["-d", "-m", "0755", "/run/sshd"])
            .status();
        let host_key = base.join("host_ed25519");
        let host_public = keygen(&host_key, "");
        let key = base.join("id_ed25519");
        let public = keygen(&key, "");
        let authorized = base.join("authorized_keys");
        std::fs::write(&authorized, format!("{public}\n")).expect("write authorized_keys");
        let mut fleet = Fleet {
            remotes: Vec::with_capacity(n),
            key,
            known_hosts: base.join("known_hosts"),
            user: current_user(),
            host_key,
            authorized,
        };
        for i in 0..n {
            let dir = base.join(format!("r{i}"));
            std::fs::create_dir_all(dir.join("sessions")).expect("create a sessions dir");
            // An empty HOME: the login shell must not run the machine's ~/.bashrc (a
            // pyenv or conda hook there costs every poll that starts a shell).
            std::fs::create_dir_all(dir.join("home")).expect("create a home dir");
            let tmux = Tmux::new(&dir);
            tmux.start(sessions);
            fleet.remotes.push(Remote {
                tmux,
                dir,
                port: 0,
                child: None,
                log_offset: 0,
            });
        }
        for batch in (0..n).collect::<Vec<_>>().chunks(20) {
            for attempt in 0..5 {
                let pending: Vec<usize> = batch
                    .iter()
                    .copied()
                    .filter(|&i| fleet.remotes[i].child.is_none())
                    .collect();
                if pending.is_empty() {
                    break;
                }
                assert!(
                    attempt < 4,
                    "sshds {pending:?} did not start (see their sshd.log)"
                );
                for &i in &pending {
                    fleet.remotes[i].port = free_port();
                    fleet.spawn(i);
                }
                for &i in &pending {
                    if !fleet.wait_listening(i, Duration::from_secs(15)) {
                        fleet.stop(i);
                    }
                }
            }
        }
        let algo_key: Vec<&str> = host_public.split_whitespace().take(2).collect();
        let lines: String = fleet
            .remotes
            .iter()
            .map(|r| format!("[127.0.0.1]:{} {}\n", r.port, algo_key.join(" ")))
            .collect();
        std::fs::write(&fleet.known_hosts, lines).expect("write known_hosts");
        fleet
    }

    fn spawn(&mut self, i: usize) {
        let r = &mut self.remotes[i];
        let config = r.dir.join("sshd_config");
        let text = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {host}\nPidFile {pid}\n\
             AuthorizedKeysFile {auth}\nPermitRootLogin prohibit-password\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel INFO\n\
             SetEnv TMUX_TMPDIR={tmux} HOME={home}\n",
            port = r.port,
            host = self.host_key.display(),
            pid = r.dir.join("sshd.pid").display(),
            auth = self.authorized.display(),
            tmux = r.tmux.tmpdir.display(),
            home = r.dir.join("home").display(),
        );
        std::fs::write(&config, text).expect("write sshd_config");
        r.log_offset = std::fs::metadata(r.log()).map_or(0, |m| m.len() as usize);
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(r.log())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        cleanup::register(Entry::Tree(child.id()));
        r.child = Some(child);
    }

    /// Whether sshd `i` listens (its log says so and its port accepts) within `limit`.
    fn wait_listening(&mut self, i: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let r = &mut self.remotes[i];
        let listening = format!("Server listening on 127.0.0.1 port {}", r.port);
        let log = r.log();
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = r.child.as_mut().map(Child::try_wait) {
                return false;
            }
            // The log is appended to across restarts: only this start's lines count.
            let text = std::fs::read(&log).unwrap_or_default();
            let since = String::from_utf8_lossy(text.get(r.log_offset..).unwrap_or_default());
            if since.contains(&listening)
                && std::net::TcpStream::connect(("127.0.0.1", r.port)).is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Kills sshd `i` and its session processes (the connection drops; new ones are
    /// refused until [`restart`](Fleet::restart)).
    pub fn stop(&mut self, i: usize) {
        if let Some(mut child) = self.remotes[i].child.take() {
            cleanup::kill_tree(child.id());
            cleanup::unregister(&Entry::Tree(child.id()));
            let _ = child.wait();
        }
    }

    /// Starts sshd `i` again on its port; whether it listens within 15 s.
    pub fn restart(&mut self, i: usize) -> bool {
        self.stop(i);
        self.spawn(i);
        self.wait_listening(i, Duration::from_secs(15))
    }

    /// Total logins accepted by all sshds so far.
    pub fn accepted(&self) -> Vec<usize> {
        self.remotes.iter().map(Remote::accepted).collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let pids: Vec<u32> = self.remotes.iter().filter_map(Remote::pid).collect();
        cleanup::kill_trees(&pids);
        for r in &mut self.remotes {
            if let Some(mut child) = r.child.take() {
                cleanup::unregister(&Entry::Tree(child.id()));
                let _ = child.wait();
            }
        }
    }
}
