//! Real sshd, remote users whose login shell is fish or tcsh (the shells that read POSIX
//! quoting differently) or busybox `ash` (with busybox as the remote's `sh`): the push
//! loop runs on one channel, hostile session names reach tmux as one exact word, and
//! nothing they contain is executed.
//!
//! Needs root (it creates two throwaway users with `useradd`, removed on drop) and the
//! shells (`.ci/run` installs them); skipped otherwise unless `NAVI_REQUIRE_SSHD=1` /
//! `NAVI_REQUIRE_SHELLS=1`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use navi_core::SessionSource;
use navi_source_ssh::{load_remotes_from_str, Env, SshSource};
use navi_tests::sshd::{self, Sshd};
use navi_tests::users::{can_run, find, TestUser};

#[test]
fn fish_and_tcsh_users_poll_through_the_loop_and_attach_exactly() {
    // busybox: its `ash` as the login shell and its `sh` as the remote's `sh` (an
    // Alpine-like remote).
    let shells = [
        ("fish", find(&["fish"])),
        ("tcsh", find(&["tcsh"])),
        ("busybox", find(&["busybox"])),
    ];
    let found: Vec<(&str, Option<&Path>)> =
        shells.iter().map(|(n, p)| (*n, p.as_deref())).collect();
    if !can_run("login-shell sshd test", &found) {
        return;
    }
    // A row is named after its status file, so the names are file names (no `/`): what
    // they would run lands in the remote user's home.
    let hostile = [
        "\\'; touch pwned #".to_string(),
        "!#;touch pwned;#".to_string(),
        "fix!bug".to_string(),
        "it's \"quoted\" $(touch x) `touch y`".to_string(),
    ];
    for (shell_name, shell) in &shells {
        let shell = shell.as_ref().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let stub_bin = scratch.path().join("bin");
        std::fs::create_dir_all(home.join(".claude-sessions")).unwrap();
        std::fs::create_dir_all(&stub_bin).unwrap();
        // tmux that records each call's argv (NUL-separated, one call per line).
        let log = scratch.path().join("tmux.log");
        let stub = stub_bin.join("tmux");
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> '{}'\necho >> '{}'\n",
                log.display(),
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        for name in &hostile {
            let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
            let body = format!(r#"{{"tmux_session":"{quoted}","status":"waiting"}}"#);
            std::fs::write(home.join(format!(".claude-sessions/{name}.json")), body).unwrap();
        }
        std::fs::write(&log, b"").unwrap();
        // The remote user is not root: it must reach its home, the stub and the log.
        let open = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        open(scratch.path(), 0o755);
        open(&log, 0o666);
        let shell = if *shell_name == "busybox" {
            let ash = stub_bin.join("ash");
            std::os::unix::fs::symlink(shell, &ash).unwrap();
            std::os::unix::fs::symlink(shell, stub_bin.join("sh")).unwrap();
            ash
        } else {
            shell.clone()
        };
        let user = TestUser::create(&shell_name[..2], &shell, &home);

        let keys = scratch.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let public = sshd::keygen(&keys.join("id_ed25519"), "");
        let server = Sshd::start_with(
            &[&public],
            &format!("SetEnv PATH={}:/usr/bin:/bin", stub_bin.display()),
        );
        // sshd reads authorized_keys as the user.
        open(server.dir(), 0o755);
        open(&server.dir().join("authorized_keys"), 0o644);
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
        let loaded = load_remotes_from_str(Path::new("remotes.yaml"), &yaml, &env);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let remote = loaded.remotes.into_iter().next().unwrap();
        let source = SshSource::new(remote);

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (sessions, mode) = runtime.block_on(async {
            let mut last = navi_core::PollReport::default();
            for i in 0..5 {
                last =
                    tokio::time::timeout(std::time::Duration::from_secs(20), source.poll_report())
                        .await
                        .unwrap_or_else(|_| panic!("{shell_name}: poll {i} hung"))
                        .unwrap_or_else(|e| panic!("{shell_name}: poll {i}: {e}"));
            }
            (last.sessions, last.mode)
        });
        assert!(
            matches!(mode, Some(navi_core::PollMode::Push(_))),
            "{shell_name}: the push loop runs under this login shell: {mode:?}"
        );
        let mut names: Vec<String> = sessions.iter().map(|s| s.tmux_session.clone()).collect();
        names.sort();
        let mut want = hostile.to_vec();
        want.sort();
        assert_eq!(names, want, "{shell_name}: every hostile name listed");
        // Five polls, one session channel: the push loop ran (the exec fallback opens
        // one session per poll).
        let sessions_started = server
            .log()
            .lines()
            .filter(|l| l.contains("Starting session"))
            .count();
        assert_eq!(
            sessions_started,
            1,
            "{shell_name}: polls went through the long-lived loop\n{}",
            server.log()
        );

        // Attach with the system ssh, exactly as the dashboard would.
        for s in &sessions {
            let cmd = source
                .attach(s, &navi_core::AttachContext::default())
                .unwrap();
            std::fs::write(&log, b"").unwrap();
            open(&log, 0o666);
            let out = Command::new(&cmd.argv[0])
                .args(&cmd.argv[1..])
                .env("HOME", scratch.path())
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{shell_name}: attach {:?}: {}",
                s.tmux_session,
                String::from_utf8_lossy(&out.stderr)
            );
            let calls: Vec<Vec<String>> = std::fs::read(&log)
                .unwrap()
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| {
                    l.split(|b| *b == 0)
                        .filter(|w| !w.is_empty())
                        .map(|w| String::from_utf8_lossy(w).into_owned())
                        .collect::<Vec<String>>()
                })
                // The push loop's own tmux checks (`-u [-S SOCKET] list-sessions`) and
                // memory samples (`-u list-panes`) may land here too.
                .filter(|call| {
                    !call
                        .iter()
                        .any(|a| a == "list-sessions" || a == "list-panes")
                })
                .collect();
            let name = &s.tmux_session;
            assert_eq!(
                calls,
                [
                    vec!["has-session".to_string(), "-t".into(), format!("={name}")],
                    // `-u`: the pane's UTF-8 reaches the terminal whatever the remote's locale.
                    vec![
                        "-u".to_string(),
                        "attach-session".into(),
                        "-t".into(),
                        name.clone()
                    ],
                ],
                "{shell_name}: tmux got the exact name"
            );
        }
        assert!(
            !home.join("pwned").exists(),
            "{shell_name}: a hostile name ran a command"
        );
        assert!(!home.join("x").exists() && !home.join("y").exists());
        drop(source);
        drop(runtime);
        drop(server);
        drop(user);
    }
}
