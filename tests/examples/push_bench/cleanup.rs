//! Everything the benchmark starts is registered here, so that it is stopped whatever
//! way the program ends: normally or by a panic (the [`Guard`]'s `Drop`), or by Ctrl-C /
//! SIGTERM (a signal thread runs the same [`cleanup_all`] and exits).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::procs;

/// Something to stop or remove at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A process and every process below it (an sshd listener and its sessions).
    Tree(u32),
    /// A private tmux server, by socket path (`tmux -S PATH kill-server`).
    Tmux(PathBuf),
    /// A scratch directory, removed last.
    Dir(PathBuf),
}

static REGISTRY: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Registers `entry` for the final clean-up.
pub fn register(entry: Entry) {
    if let Ok(mut r) = REGISTRY.lock() {
        r.push(entry);
    }
}

/// Forgets `entry` (it was stopped by its owner).
pub fn unregister(entry: &Entry) {
    if let Ok(mut r) = REGISTRY.lock() {
        r.retain(|e| e != entry);
    }
}

/// Sends SIGKILL to `pid` and every process below it (found in /proc first).
pub fn kill_tree(pid: u32) {
    kill_trees(&[pid]);
}

/// [`kill_tree`] of each of `roots`, with one look at /proc.
pub fn kill_trees(roots: &[u32]) {
    if roots.is_empty() {
        return;
    }
    let table = procs::table();
    let mut pids = roots.to_vec();
    for &root in roots {
        pids.extend(procs::descendants(&table, root));
    }
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops and removes everything registered (trees, then tmux servers, then directories).
pub fn cleanup_all() {
    let entries = match REGISTRY.lock() {
        Ok(mut r) => std::mem::take(&mut *r),
        Err(_) => return,
    };
    let trees: Vec<u32> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Tree(pid) => Some(*pid),
            _ => None,
        })
        .collect();
    kill_trees(&trees);
    for e in &entries {
        if let Entry::Tmux(sock) = e {
            let _ = Command::new("tmux")
                .arg("-S")
                .arg(sock)
                .arg("kill-server")
                .env_remove("TMUX")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    for e in &entries {
        if let Entry::Dir(dir) = e {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs [`cleanup_all`] when dropped.
#[derive(Debug)]
pub struct Guard;

impl Guard {
    /// The guard, plus a thread that cleans up and exits on Ctrl-C or SIGTERM.
    pub fn install() -> Guard {
        std::thread::spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            });
            eprintln!("push_bench: interrupted; stopping the sshds and the tmux server");
            cleanup_all();
            std::process::exit(130);
        });
        Guard
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        cleanup_all();
    }
}
