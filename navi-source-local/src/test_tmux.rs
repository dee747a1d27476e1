//! A tmux server on a private socket for tests (`-S` in a temp dir, never the user's
//! server), killed when dropped.

use std::path::Path;

/// The server: its socket, and the temp dir that holds it.
pub(crate) struct Server {
    _dir: tempfile::TempDir,
    pub(crate) socket: String,
}

impl Server {
    pub(crate) fn start(sessions: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("work").display().to_string();
        let s = Server { _dir: dir, socket };
        for name in sessions {
            s.tmux(&["new-session", "-d", "-s", name, "cat"]);
        }
        s
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A status file of `status` recording this server, as `navi hook` writes it.
    pub(crate) fn hook_file(&self, dir: &Path, name: &str, status: &str) {
        let answer = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &format!("={name}:"),
            "#{pid}\t#{session_id}",
        ]);
        let (pid, id) = answer.trim_end().split_once('\t').unwrap();
        let json = serde_json::json!({
            "tmux_session": name, "status": status, "cwd": "/", "timestamp": 1,
            "tmux": {"socket": self.socket, "server_pid": pid.parse::<i64>().unwrap(),
                     "session_id": id},
        });
        std::fs::write(dir.join(format!("{name}.json")), json.to_string()).unwrap();
    }

    pub(crate) fn clients(&self) -> String {
        self.tmux(&["list-clients", "-F", "#{client_pid} #{client_control_mode}"])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}
