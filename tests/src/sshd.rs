//! A real OpenSSH `sshd` on loopback, for interoperability tests.
//!
//! [`Sshd::start`] runs `/usr/sbin/sshd -D -f <cfg> -E <log>` on a free port of
//! 127.0.0.1 with a fresh host key, public-key auth only, and an `authorized_keys` in its
//! own temporary directory; dropping the [`Sshd`] kills it (and the session processes
//! it forked). Tests first call [`sshd_or_skip`]: without `/usr/sbin/sshd` it returns
//! `false` (the test prints why and passes), unless `NAVI_REQUIRE_SSHD=1`, in which case
//! it panics — CI sets that so the interop tests cannot silently vanish.
//!
//! sshd runs as the current user (root in CI), so it can only log in as that user; a
//! test points its remote's `sessions_dir` at [`Sshd::sessions_dir`], an absolute
//! temporary path, instead of the user's real home. Unless a test sets the login's
//! environment itself (a `SetEnv` line of its own), the login gets `HOME` and
//! `TMUX_TMPDIR` in the server's temporary directory ([`Sshd::home`]): the real user's
//! shell start-up files (a `pyenv init` waiting 60 s on a lock a killed login left, say)
//! and tmux server are never reached.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the sshd binary must be (sshd refuses to re-exec from a relative path).
pub const SSHD: &str = "/usr/sbin/sshd";

/// Whether the real-sshd tests can run. Without `/usr/sbin/sshd`: panics when
/// `NAVI_REQUIRE_SSHD=1`, else prints `skipping: /usr/sbin/sshd not found` and returns
/// `false`.
pub fn sshd_or_skip() -> bool {
    let require = std::env::var("NAVI_REQUIRE_SSHD").ok();
    gate(Path::new(SSHD), require.as_deref())
}

/// The decision of [`sshd_or_skip`] for an sshd at `sshd` and a `NAVI_REQUIRE_SSHD`
/// value: run when the binary exists; otherwise fail when required (`"1"`), else skip.
pub fn gate(sshd: &Path, require: Option<&str>) -> bool {
    if sshd.exists() {
        return true;
    }
    if require == Some("1") {
        panic!(
            "NAVI_REQUIRE_SSHD=1 but {} does not exist: install openssh-server \
             (apt-get install openssh-server) or unset NAVI_REQUIRE_SSHD to skip",
            sshd.display()
        );
    }
    eprintln!("skipping: {} not found", sshd.display());
    false
}

/// Runs a command to completion; panics with its output when it fails.
fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ssh-keygen -q -t ed25519 -N <passphrase> -f <path>`: a key pair at `path` and
/// `path.pub`. Returns the public key line (`ssh-ed25519 AAAA… comment`).
pub fn keygen(path: &Path, passphrase: &str) -> String {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "navi-test",
            "-N",
            passphrase,
            "-f",
        ])
        .arg(path));
    let public = PathBuf::from(format!("{}.pub", path.display()));
    std::fs::read_to_string(&public)
        .unwrap_or_else(|e| panic!("read {}: {e}", public.display()))
        .trim()
        .to_owned()
}

/// Hashes the host names of a known_hosts file in place (`ssh-keygen -H -f path`).
pub fn hash_known_hosts(path: &Path) {
    run(Command::new("ssh-keygen").arg("-H").arg("-f").arg(path));
}

/// The user sshd will log in as: the current one.
pub fn current_user() -> String {
    run(Command::new("id").arg("-un")).trim().to_owned()
}

/// A free port on 127.0.0.1 (bound, read, released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

/// A running sshd. Killed on drop.
#[derive(Debug)]
pub struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    host_public: String,
}

impl Sshd {
    /// Starts sshd on a free port of 127.0.0.1, accepting the given public key lines
    /// (`ssh-ed25519 AAAA…`). Waits (bounded) until the port accepts connections.
    pub fn start(authorized_keys: &[&str]) -> Sshd {
        Sshd::start_inner(authorized_keys, None, "")
    }

    /// [`start`](Sshd::start) with extra `sshd_config` lines (e.g. `SetEnv HOME=/tmp/x`
    /// to give the remote user a scratch home).
    pub fn start_with(authorized_keys: &[&str], extra_config: &str) -> Sshd {
        Sshd::start_inner(authorized_keys, None, extra_config)
    }

    /// A scratch remote: a new key `keys/id_ed25519`, an sshd that accepts it and gives
    /// the remote user `HOME=home` and `TMUX_TMPDIR=tmux_dir` (`SetEnv`, then `extra`
    /// more of it), and `keys/known_hosts` trusting the server.
    pub fn start_scratch(keys: &Path, home: &Path, tmux_dir: &Path, extra: &str) -> Sshd {
        std::fs::create_dir_all(keys).unwrap_or_else(|e| panic!("mkdir {}: {e}", keys.display()));
        let public = keygen(&keys.join("id_ed25519"), "");
        let server = Sshd::start_with(
            &[&public],
            &format!(
                "SetEnv HOME={} TMUX_TMPDIR={} {extra}",
                home.display(),
                tmux_dir.display()
            ),
        );
        let line = server.known_hosts_line() + "\n";
        std::fs::write(keys.join("known_hosts"), line)
            .unwrap_or_else(|e| panic!("write known_hosts: {e}"));
        server
    }

    /// Like [`start`](Self::start), and the host key also comes as a host certificate
    /// (`HostCertificate`) signed by the CA key at `ca` (`ssh-keygen -s ca -I navi-test
    /// -h -n principals`), so clients that ask for `*-cert-v01@openssh.com` get it.
    pub fn start_with_host_certificate(
        authorized_keys: &[&str],
        ca: &Path,
        principals: &str,
    ) -> Sshd {
        Sshd::start_inner(authorized_keys, Some((ca, principals)), "")
    }

    fn start_inner(
        authorized_keys: &[&str],
        certificate: Option<(&Path, &str)>,
        extra_config: &str,
    ) -> Sshd {
        run(Command::new("install").args(["-d", "-m", "0755", "/run/sshd"]));
        let dir = tempfile::tempdir().expect("create a temporary sshd directory");
        let host_key = dir.path().join("host_ed25519");
        let host_public = keygen(&host_key, "");
        let mut host_certificate = String::new();
        if let Some((ca, principals)) = certificate {
            run(Command::new("ssh-keygen")
                .args(["-q", "-s"])
                .arg(ca)
                .args(["-I", "navi-test", "-h", "-n", principals])
                .arg(dir.path().join("host_ed25519.pub")));
            host_certificate = format!(
                "HostCertificate {}\n",
                dir.path().join("host_ed25519-cert.pub").display()
            );
        }
        let authorized = dir.path().join("authorized_keys");
        let mut keys = authorized_keys.join("\n");
        keys.push('\n');
        std::fs::write(&authorized, keys).expect("write authorized_keys");
        std::fs::create_dir(dir.path().join("sessions")).expect("create the sessions dir");
        // The login's own HOME and tmux directory, unless the test chose its environment
        // (sshd uses only the first `SetEnv` line).
        let mut scratch_env = String::new();
        if !extra_config.contains("SetEnv") {
            let home = dir.path().join("home");
            let tmux = dir.path().join("tmux");
            std::fs::create_dir(&home).expect("create the login's home");
            std::fs::create_dir(&tmux).expect("create the login's tmux directory");
            scratch_env = format!(
                "SetEnv HOME={} TMUX_TMPDIR={}\n",
                home.display(),
                tmux.display()
            );
        }

        let mut last_log = String::new();
        // A port picked by binding :0 can be taken again before sshd binds it: retry.
        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("sshd_config");
            let log = dir.path().join("sshd.log");
            let _ = std::fs::remove_file(&log);
            let text = format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {host}\n\
                 PidFile {pid}\n\
                 AuthorizedKeysFile {authorized}\n\
                 PermitRootLogin prohibit-password\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 AllowTcpForwarding yes\n\
                 LogLevel VERBOSE\n\
                 {host_certificate}\
                 {scratch_env}\
                 {extra_config}\n",
                host = host_key.display(),
                pid = dir.path().join("sshd.pid").display(),
                authorized = authorized.display(),
            );
            std::fs::write(&config, text).expect("write sshd_config");
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut stderr);
                    }
                    last_log = format!(
                        "sshd exited ({status}): {stderr}{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                // Ready once sshd itself says it listens (a port grabbed by someone else
                // in the meantime would also accept connections).
                let listening = format!("Server listening on 127.0.0.1 port {port}");
                if std::fs::read_to_string(&log).is_ok_and(|l| l.contains(&listening))
                    && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                {
                    return Sshd {
                        dir,
                        port,
                        child,
                        host_public,
                    };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_log = format!(
                        "sshd did not accept on port {port} within 15s: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("cannot start sshd: {last_log}");
    }

    /// The listening port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host public key line (`ssh-ed25519 AAAA… comment`).
    pub fn host_public_key(&self) -> &str {
        &self.host_public
    }

    /// `[127.0.0.1]:PORT ssh-ed25519 AAAA…`, the known_hosts line that trusts this sshd.
    pub fn known_hosts_line(&self) -> String {
        let mut fields = self.host_public.split_whitespace();
        let algorithm = fields.next().unwrap_or_default();
        let key = fields.next().unwrap_or_default();
        format!("[127.0.0.1]:{} {algorithm} {key}", self.port)
    }

    /// The login's HOME when the test did not set the environment itself (see the module
    /// documentation); it exists only then.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The temporary directory holding the config, keys and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An empty, absolute sessions directory for the remote's `sessions_dir`.
    pub fn sessions_dir(&self) -> PathBuf {
        self.dir.path().join("sessions")
    }

    /// Writes one status file into [`sessions_dir`](Self::sessions_dir).
    pub fn write_session(&self, name: &str, contents: &[u8]) {
        let path = self.sessions_dir().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The sshd log (`-E`) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The processes the sshd runs for its sessions (its descendants): pid and command
    /// name (`comm`), from /proc.
    pub fn session_processes(&self) -> Vec<(u32, String)> {
        descendants(self.child.id())
            .into_iter()
            .filter_map(|pid| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                Some((pid, comm.trim().to_string()))
            })
            .collect()
    }

    /// Lines of the log that record a successful public-key login.
    pub fn accepted_publickey(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("Accepted publickey"))
            .count()
    }
}

/// Every process below `pid` (children first discovered, deepest last), from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(p) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may contain spaces, so split after ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
                parents.push((p, ppid));
            }
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        for (p, pp) in &parents {
            if *pp == parent && !found.contains(p) {
                found.push(*p);
            }
        }
        i += 1;
    }
    found.remove(0);
    found
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // The listener first (no new sessions), then the session processes it forked.
        let children = descendants(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !children.is_empty() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .args(children.iter().map(u32::to_string))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The SSH source of a scratch remote ([`Sshd::start_scratch`]) listening on `port`: the
/// remote `dev` as the current user, with the key and known_hosts in `keys`, and the
/// client's own HOME `client_home` (created), so nothing of the real user's is read.
pub fn scratch_source(keys: &Path, client_home: &Path, port: u16) -> navi_source_ssh::SshSource {
    std::fs::create_dir_all(client_home).unwrap();
    let yaml = format!(
        "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {port}\n    user: {}\n    key: {}\n    \
         known_hosts: {}\n",
        current_user(),
        keys.join("id_ed25519").display(),
        keys.join("known_hosts").display()
    );
    let env = navi_source_ssh::Env {
        home: Some(client_home.to_path_buf()),
        ssh_config: None,
        user: Some(current_user()),
    };
    let remote = navi_source_ssh::load_remotes_from_str(Path::new("remotes.yaml"), &yaml, &env)
        .remotes
        .into_iter()
        .next()
        .unwrap();
    navi_source_ssh::SshSource::new(remote)
}
