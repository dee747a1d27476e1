#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The attach argv: its words, quoting through the local and the remote shell, and
//! option-like destinations.

use std::process::Command;

use proptest::prelude::*;

use super::*;
use crate::test_support::remote;
use crate::JumpHost;

#[test]
fn attach_argv_plain() {
    let cmd = attach_argv(&remote("dev", "dev.example.com"), "my app", None).unwrap();
    assert_eq!(
        cmd.argv,
        [
            "ssh",
            "-t",
            "-i",
            "/home/sean/.ssh/id_rsa",
            "-o",
            "UserKnownHostsFile=/home/sean/.ssh/known_hosts",
            "sean@dev.example.com",
            // One word for the remote login shell, whatever it is (see crate::shell);
            // what it runs is checked by `any_session_name_is_one_remote_word`.
            &crate::attach::remote_command("my app", None)
                .to_command_line()
                .unwrap(),
        ]
    );
}

#[test]
fn attach_argv_port_and_jump_host() {
    let mut r = remote("st", "10.0.0.7");
    r.port = 2222;
    r.jump = Some(JumpHost {
        host: "bastion.example.com".into(),
        port: 2200,
        user: "ops".into(),
        keys: Vec::new(),
    });
    let argv = attach_argv(&r, "x", None).unwrap().argv;
    assert_eq!(&argv[4..6], ["-p", "2222"]);
    let proxy = argv
        .iter()
        .find(|a| a.starts_with("ProxyCommand="))
        .unwrap();
    assert_eq!(
        proxy,
        "ProxyCommand=ssh -i '/home/sean/.ssh/id_rsa' -p 2200 -o 'UserKnownHostsFile=/home/sean/.ssh/known_hosts' -W %h:%p 'ops@bastion.example.com'"
    );
    assert!(!argv.iter().any(|a| a == "-J"), "-J would not get -i/-o");
    let command = crate::attach::remote_command("x", None)
        .to_command_line()
        .unwrap();
    assert_eq!(argv[argv.len() - 2], "sean@10.0.0.7");
    assert_eq!(argv[argv.len() - 1], command.as_str());
}

/// ssh's %-token expansion for ProxyCommand (%h, %p, %%).
fn ssh_expand(s: &str, host: &str, port: u16) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(host),
            Some('p') => out.push_str(&port.to_string()),
            Some('%') => out.push('%'),
            Some(o) => panic!("unexpected token %{o}"),
            None => panic!("trailing %"),
        }
    }
    out
}

/// Runs `sh -c script` with a fake `NAME` on PATH that prints its argv NUL-separated.
fn run_with_fake(program: &str, script: &str) -> Vec<String> {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join(program);
    std::fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut words: Vec<String> = text.split('\0').map(str::to_owned).collect();
    words.pop();
    words
}

#[test]
fn proxy_command_words_survive_the_local_shell() {
    let mut r = remote("st", "target.example.com");
    r.keys = vec!["/tmp/my keys/id 100%'s".into()];
    r.known_hosts = "/tmp/kh dir/known \"hosts\"".into();
    r.jump = Some(JumpHost {
        host: "bastion".into(),
        port: 2200,
        user: "o'p".into(),
        keys: Vec::new(),
    });
    let argv = attach_argv(&r, "x", None).unwrap().argv;
    let proxy = argv
        .iter()
        .find_map(|a| a.strip_prefix("ProxyCommand="))
        .unwrap();
    // ssh runs `exec <ProxyCommand>` with the user's shell after expanding tokens.
    let script = format!("exec {}", ssh_expand(proxy, "target.example.com", 22));
    let words = run_with_fake("ssh", &script);
    assert_eq!(
        words,
        [
            "-i",
            "/tmp/my keys/id 100%%'s",
            "-p",
            "2200",
            "-o",
            "UserKnownHostsFile=\"/tmp/kh dir/known \\\"hosts\\\"\"",
            "-W",
            "target.example.com:22",
            "o'p@bastion",
        ],
        "ssh itself turns %% back into % in -i and -o values"
    );
    // The direct -i gets the same %-escaping.
    assert!(argv.iter().any(|a| a == "/tmp/my keys/id 100%%'s"));
}

#[test]
fn attach_refuses_option_like_destinations() {
    assert_eq!(
        attach_argv(&remote("x", "-oProxyCommand=evil"), "s", None)
            .unwrap_err()
            .kind(),
        "config"
    );
    let mut r = remote("x", "h");
    r.user = "-oProxyCommand=evil".into();
    assert_eq!(attach_argv(&r, "s", None).unwrap_err().kind(), "config");
}

fn session_name() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("$(touch pwned)".to_string()),
            Just("`touch pwned`".to_string()),
            Just("\n".to_string()),
            Just(" ".to_string()),
            Just("\\".to_string()),
            Just("é☃".to_string()),
            Just("*".to_string()),
            Just(";".to_string()),
            Just("$HOME".to_string()),
            Just("\t".to_string()),
            "[a-z]{1,4}",
            "[^\\x00]{1,3}",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any session name reaches the remote `tmux` as the same single word: ssh joins the
    /// remote words with spaces and the remote shell parses them again.
    #[test]
    fn any_session_name_is_one_remote_word(name in session_name(), on_socket in any::<bool>()) {
        prop_assume!(navi_core::SessionName::existing(&name).is_ok());
        let socket = on_socket.then_some("/tmp/tmux 0/my 'work'");
        let argv = attach_argv(&remote("dev", "dev.example.com"), &name, socket).unwrap().argv;
        let at = argv.iter().position(|a| a == "sean@dev.example.com").unwrap();
        let joined = argv[at + 1..].join(" ");
        let words = run_with_fake("tmux", &joined);
        // A trailing `;` reaches tmux escaped (tmux reads it back as `;`).
        let server: Vec<String> = socket
            .map(|s| vec!["-S".to_string(), s.to_string()])
            .unwrap_or_default();
        let mut expected = server.clone();
        expected.extend(["has-session".to_string(), "-t".to_string(), navi_core::tmux_target(&name)]);
        // -u: the attach draws UTF-8 whatever the remote's locale says.
        expected.push("-u".to_string());
        expected.extend(server);
        expected.extend(["attach-session".to_string(), "-t".to_string(), navi_core::tmux_arg(&name)]);
        prop_assert_eq!(words, expected);
    }
}
