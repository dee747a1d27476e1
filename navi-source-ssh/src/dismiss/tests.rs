#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The dismiss's last check, run through a local `sh` as the remote runs it, against
//! real tmux servers on sockets of their own.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// Runs the removal ([`REMOVE`]) for `name` in `dir`, its server `socket` (`""`: the default one),
/// with `PATH=path`; (exit status, stderr).
fn remove(dir: &Path, name: &str, socket: &str, path: &str) -> (Option<i32>, String) {
    let n = SessionName::existing(name).unwrap();
    let cmd = RemoteCommand::new(&remove_script())
        .arg(dir.to_str().unwrap())
        .arg(layout::status_rel(&n))
        .arg(layout::lock_rel(&n))
        .arg(layout::marks_rel(&n))
        .arg(layout::marks_lock_rel(&n))
        .arg(n.target())
        .arg(socket)
        .arg(name)
        .arg(format!("the tmux server at {socket}"));
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd.to_command_line().unwrap())
        .env("PATH", path)
        .env("TMUX_TMPDIR", "/nonexistent/navi-dismiss-tests")
        .env_remove("TMUX")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A directory holding the tools the script uses and, when `tmux` is given, a `tmux`
/// script with that body (else no tmux at all).
fn bin(root: &Path, tmux: Option<&str>) -> PathBuf {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["sh", "rm", "flock", "printf"] {
        if let Some(p) = which(tool) {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
    if let Some(body) = tmux {
        let p = bin.join("tmux");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn tmux(socket: &Path, args: &[&str]) {
    let ok = Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .env_remove("TMUX")
        .status()
        .unwrap()
        .success();
    assert!(ok, "tmux {args:?}");
}

#[test]
fn the_file_goes_only_when_its_own_server_answers_without_the_session() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("st");
    let marks = dir.join(".navi/marks");
    std::fs::create_dir_all(&marks).unwrap();
    let write = || {
        std::fs::write(dir.join("a b.json"), "{}").unwrap();
        std::fs::write(marks.join("a b.json"), "{}").unwrap();
    };
    let there = || dir.join("a b.json").exists() && marks.join("a b.json").exists();
    write();
    let socket = d.path().join("sock");
    let socket_s = socket.to_str().unwrap();
    let real_path = std::env::var("PATH").unwrap();

    // No tmux on PATH: refused, saying so.
    let none = bin(&d.path().join("none"), None);
    let (st, err) = remove(&dir, "a b", socket_s, none.to_str().unwrap());
    assert_eq!(st, Some(3), "{err}");
    assert!(err.contains("tmux: not found"), "{err}");
    assert!(there());
    // A tmux that fails every command: refused with its words.
    let failing = bin(
        &d.path().join("failing"),
        Some("echo 'protocol version mismatch (client 8, server 7)' >&2; exit 1"),
    );
    let (st, err) = remove(&dir, "a b", socket_s, failing.to_str().unwrap());
    assert_eq!(st, Some(3), "{err}");
    assert!(err.contains("protocol version mismatch"), "{err}");
    assert!(there());
    // No server at the recorded socket: refused.
    let (st, err) = remove(&dir, "a b", socket_s, &real_path);
    assert_eq!(st, Some(3), "{err}");
    assert!(
        err.contains(socket_s) && err.contains("did not answer"),
        "{err}"
    );
    assert!(there());
    // The session runs there: refused.
    tmux(&socket, &["new-session", "-d", "-s", "a b", "cat"]);
    tmux(&socket, &["new-session", "-d", "-s", "other", "cat"]);
    let (st, err) = remove(&dir, "a b", socket_s, &real_path);
    assert_eq!(st, Some(3), "{err}");
    assert!(err.contains("still running"), "{err}");
    assert!(there());
    // Its server answers without it: the file, the marks and the locks go.
    tmux(&socket, &["kill-session", "-t", "=a b"]);
    let (st, err) = remove(&dir, "a b", socket_s, &real_path);
    tmux(&socket, &["kill-server"]);
    assert_eq!(st, Some(0), "{err}");
    assert!(!dir.join("a b.json").exists() && !marks.join("a b.json").exists());
    assert!(!dir.join(".a b.lock").exists());
    // No status file: an error, not a success.
    let (st, err) = remove(&dir, "a b", socket_s, &real_path);
    assert_eq!(st, Some(3));
    assert!(err.contains("no session named a b"), "{err}");
}
