//! navi's pooled poll (25 status files) for remote users whose login shell is bash, fish
//! or tcsh, against one loopback OpenSSH `sshd`, in one run: the login shell only starts
//! the long-lived loop, so every poll should cost the same.
//!
//! Run: `cargo bench -p navi-tests --bench shells` (needs root, openssh-server and the
//! shells; `.ci/run` installs them). Prints a Markdown table for `docs/benchmarks.md`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use navi_core::SessionSource;
use navi_source_ssh::{load_remotes_from_str, Env, SshSource};
use navi_tests::sshd::{keygen, sshd_or_skip, Sshd};
use navi_tests::users::{can_create, find, TestUser};

const FILES: usize = 25;
const ROUNDS: usize = 50;

fn main() {
    if !sshd_or_skip() || !can_create() {
        eprintln!("needs sshd and root");
        return;
    }
    let mut rows = Vec::new();
    for shell_name in ["bash", "fish", "tcsh"] {
        let Some(shell) = find(&[shell_name]) else {
            eprintln!("{shell_name} not installed: skipped");
            continue;
        };
        let scratch = tempfile::tempdir().unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = scratch.path().join("home");
        let dir = home.join(".claude-sessions");
        std::fs::create_dir_all(&dir).unwrap();
        for (i, (name, text)) in navi_core::fixtures::FILES
            .iter()
            .cycle()
            .take(FILES)
            .enumerate()
        {
            let text = text.replacen(
                &format!("\"{}\"", name.trim_end_matches(".json")),
                &format!("\"s{i}\""),
                1,
            );
            std::fs::write(dir.join(format!("s{i}.json")), text).unwrap();
        }
        let user = TestUser::create(&shell_name[..2], &shell, &home);
        let keys = scratch.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let public = keygen(&keys.join("id_ed25519"), "");
        let server = Sshd::start(&[&public]);
        for (p, mode) in [
            (server.dir().to_path_buf(), 0o755),
            (server.dir().join("authorized_keys"), 0o644),
        ] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let known_hosts = keys.join("known_hosts");
        std::fs::write(&known_hosts, server.known_hosts_line() + "\n").unwrap();
        let yaml = format!(
            "remotes:\n  - name: {shell_name}\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    \
             key: {}\n    known_hosts: {}\n",
            server.port(),
            user.name,
            keys.join("id_ed25519").display(),
            known_hosts.display()
        );
        let env = Env {
            home: Some(scratch.path().to_path_buf()),
            ssh_config: None,
            user: Some(user.name.clone()),
        };
        let remote = load_remotes_from_str(Path::new("remotes.yaml"), &yaml, &env)
            .remotes
            .into_iter()
            .next()
            .unwrap();
        let source = SshSource::new(remote);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let first = Instant::now();
        assert_eq!(
            rt.block_on(source.poll_report()).unwrap().sessions.len(),
            FILES
        );
        let first = first.elapsed();
        let mut times: Vec<Duration> = (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                assert_eq!(
                    rt.block_on(source.poll_report()).unwrap().sessions.len(),
                    FILES
                );
                t.elapsed()
            })
            .collect();
        times.sort();
        let sessions = server
            .log()
            .lines()
            .filter(|l| l.contains("Starting session"))
            .count();
        rows.push((shell_name, first, times, sessions));
        drop(source);
        drop(rt);
        drop(server);
        drop(user);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let base = rows
        .first()
        .map(|r| r.2[ROUNDS / 2])
        .unwrap_or(Duration::from_millis(1));
    println!("| login shell | first poll (connect) | min | median | p90 | median vs bash | session channels opened |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (shell, first, t, sessions) in &rows {
        println!(
            "| {shell} | {:.1} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× | {sessions} |",
            ms(*first),
            ms(t[0]),
            ms(t[ROUNDS / 2]),
            ms(t[ROUNDS * 9 / 10]),
            t[ROUNDS / 2].as_secs_f64() / base.as_secs_f64()
        );
    }
}
