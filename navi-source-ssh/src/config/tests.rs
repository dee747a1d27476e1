#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Configuration: remotes.yaml entries, `~/.ssh/config` resolution, single values.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::environment::account_for_uid;
use super::values::{parse_duration, parse_jump_spec, JumpSpec};
use super::*;
use crate::test_support::RemoteBuilder;

fn env(home: &Path) -> Env {
    Env {
        home: Some(home.to_path_buf()),
        ssh_config: None,
        user: Some("me".into()),
    }
}

fn load(yaml: &str, env: &Env) -> LoadedRemotes {
    load_remotes_from_str(Path::new("/cfg/remotes.yaml"), yaml, env)
}

const SEED: &str = "\
remotes:
  - name: dev-server
    host: dev.example.com
    user: sean
    key: ~/.ssh/id_rsa
    sessions_dir: ~/.claude-sessions  # default

  - name: staging
    host: staging.example.com
    user: deploy
    key: ~/.ssh/deploy_key
    jump_host: bastion.example.com
";

/// A remote with navi's defaults spelled out: port 22, `~/.claude-sessions`, 10 s
/// timeout, 2 s interval.
fn seeded(name: &str, host: &str) -> RemoteBuilder {
    RemoteBuilder::new(name, host)
        .port(22)
        .sessions_dir("~/.claude-sessions")
        .timeout(Duration::from_secs(10))
        .poll_interval(Duration::from_secs(2))
}

/// OpenSSH's other known_hosts files when nothing configures them.
fn default_other(home: &std::path::Path) -> Vec<PathBuf> {
    vec![
        home.join(".ssh/known_hosts2"),
        "/etc/ssh/ssh_known_hosts".into(),
        "/etc/ssh/ssh_known_hosts2".into(),
    ]
}

#[test]
fn seed_example_loads_exactly() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("remotes.yaml");
    std::fs::write(&path, SEED).unwrap();
    let loaded = load_remotes_with(&path, &env(home.path()));
    assert_eq!(loaded.errors, vec![]);
    let h = home.path();
    assert_eq!(
        loaded.remotes,
        vec![
            seeded("dev-server", "dev.example.com")
                .user("sean")
                .keys([h.join(".ssh/id_rsa")])
                .known_hosts(h.join(".ssh/known_hosts"))
                .other_known_hosts(default_other(h))
                .build(),
            seeded("staging", "staging.example.com")
                .user("deploy")
                .keys([h.join(".ssh/deploy_key")])
                .jump(JumpHost {
                    host: "bastion.example.com".into(),
                    port: 22,
                    user: "deploy".into(),
                    keys: Vec::new(),
                })
                .known_hosts(h.join(".ssh/known_hosts"))
                .other_known_hosts(default_other(h))
                .build(),
        ]
    );
}

#[test]
fn optional_fields_load() {
    let home = tempfile::tempdir().unwrap();
    let yaml = "\
remotes:
  - name: box
    host: 10.0.0.5
    port: 2222
    user: ops
    jump_host: admin@gate.example.com:2200
    timeout: 500ms
    poll_interval: 5
    known_hosts: ~/kh
    sessions_dir: /srv/status dir
  - name: box2
    host: box2.example.com
    jump_host: gate.example.com
    jump_user: jumper
    timeout: 1.5
    poll_interval: \"2m\"
";
    let loaded = load(yaml, &env(home.path()));
    assert_eq!(loaded.errors, vec![]);
    let b = &loaded.remotes[0];
    assert_eq!(b.port, 2222);
    assert_eq!(b.user, "ops");
    assert_eq!(
        b.jump,
        Some(JumpHost {
            host: "gate.example.com".into(),
            port: 2200,
            user: "admin".into(),
            keys: Vec::new(),
        })
    );
    assert_eq!(b.timeout, Duration::from_millis(500));
    assert_eq!(b.poll_interval, Duration::from_secs(5));
    assert_eq!(b.known_hosts, home.path().join("kh"));
    assert_eq!(b.sessions_dir, "/srv/status dir");
    let b2 = &loaded.remotes[1];
    assert_eq!(b2.user, "me", "the default user is $USER");
    assert_eq!(
        b2.jump.as_ref().map(|j| (j.user.as_str(), j.port)),
        Some(("jumper", 22))
    );
    assert_eq!(b2.timeout, Duration::from_millis(1500));
    assert_eq!(b2.poll_interval, Duration::from_secs(120));
}

#[test]
fn default_keys_are_the_standard_ones_that_exist() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_rsa"), "x").unwrap();
    std::fs::write(home.path().join(".ssh/id_ed25519"), "x").unwrap();
    let loaded = load(
        "remotes:\n  - name: a\n    host: a.example.com\n",
        &env(home.path()),
    );
    assert_eq!(
        loaded.remotes[0].keys,
        vec![
            home.path().join(".ssh/id_ed25519"),
            home.path().join(".ssh/id_rsa")
        ]
    );
}

/// One bad entry (after a good one): (entry lines, field, remote, message part).
const BAD_ENTRIES: &[(&str, &str, &str, &str)] = &[
    ("host: h1.example.com", "name", "#2", "missing"),
    ("name: \"\"\n    host: h", "name", "#2", "empty"),
    ("name: 5\n    host: h", "name", "#2", "number"),
    ("name: nohost", "host", "nohost", "missing"),
    ("name: x\n    host: \"\"", "host", "x", "empty"),
    ("name: x\n    host: a b", "host", "x", "contains ` `"),
    ("name: x\n    host: sean@h", "host", "x", "`user`"),
    (
        "name: x\n    host: -oProxyCommand=evil",
        "host",
        "x",
        "starts with `-`",
    ),
    ("name: x\n    host: [a, b]", "host", "x", "a list"),
    (
        "name: x\n    host: h\n    port: 0",
        "port",
        "x",
        "0 is not a port",
    ),
    (
        "name: x\n    host: h\n    port: 70000",
        "port",
        "x",
        "over 65535",
    ),
    (
        "name: x\n    host: h\n    port: abc",
        "port",
        "x",
        "not a number",
    ),
    (
        "name: x\n    host: h\n    port: [22]",
        "port",
        "x",
        "a list",
    ),
    (
        "name: x\n    host: h\n    jump_host: \"a@\"",
        "jump_host",
        "x",
        "no host",
    ),
    (
        "name: x\n    host: h\n    jump_host: b:99999",
        "jump_host",
        "x",
        "over 65535",
    ),
    (
        "name: x\n    host: h\n    jump_host: \"\"",
        "jump_host",
        "x",
        "empty",
    ),
    (
        "name: x\n    host: h\n    jump_host: a,,b",
        "jump_host",
        "x",
        "empty hop",
    ),
    (
        "name: x\n    host: h\n    jump_user: j",
        "jump_user",
        "x",
        "no `jump_host`",
    ),
    (
        "name: x\n    host: h\n    timeout: fast",
        "timeout",
        "x",
        "not a duration",
    ),
    (
        "name: x\n    host: h\n    timeout: 0",
        "timeout",
        "x",
        "more than zero",
    ),
    (
        "name: x\n    host: h\n    poll_interval: -1",
        "poll_interval",
        "x",
        "more than zero",
    ),
    (
        "name: x\n    host: h\n    poll_interval: 5parsecs",
        "poll_interval",
        "x",
        "not a duration",
    ),
    (
        "name: x\n    host: h\n    poll_interval: true",
        "poll_interval",
        "x",
        "boolean",
    ),
    ("name: x\n    host: h\n    user: [a]", "user", "x", "a list"),
    (
        "name: x\n    host: h\n    user: -oProxyCommand=x",
        "user",
        "x",
        "starts with `-`",
    ),
    ("name: x\n    host: h\n    key: \"\"", "key", "x", "empty"),
    (
        "name: x\n    host: h\n    known_hosts: 5",
        "known_hosts",
        "x",
        "number",
    ),
    (
        "name: x\n    host: h\n    sessions_dir: \"a\\nb\"",
        "sessions_dir",
        "x",
        "control",
    ),
];

/// The Go navi ignored unknown keys, so a file written for it loads unchanged: an unknown
/// key is reported (file, remote, field, a likely fix) and the remote still loads.
#[test]
fn unknown_field_is_a_warning_and_the_remote_loads() {
    let home = tempfile::tempdir().unwrap();
    let yaml = "remotes:\n  - name: x\n    host: h.example.com\n    jumphost: b\n    colour: red\n";
    let loaded = load(yaml, &env(home.path()));
    let names: Vec<&str> = loaded.remotes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["x"]);
    assert_eq!(
        loaded.remotes[0].jump, None,
        "the misspelt key is not guessed"
    );
    let fields: Vec<&str> = loaded.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["jumphost", "colour"]);
    let first = loaded.errors[0].to_string();
    assert!(first.contains("/cfg/remotes.yaml"), "{first}");
    assert!(first.contains("\"x\""), "{first}");
    assert!(
        first.contains("unknown field `jumphost` is ignored; did you mean `jump_host`?"),
        "{first}"
    );
}

#[test]
fn every_invalid_field_is_named_and_skipped_alone() {
    let home = tempfile::tempdir().unwrap();
    for (entry, field, remote, part) in BAD_ENTRIES {
        let yaml = format!(
            "remotes:\n  - name: good\n    host: good.example.com\n  - {entry}\n  - name: after\n    host: after.example.com\n"
        );
        let loaded = load(&yaml, &env(home.path()));
        let names: Vec<&str> = loaded.remotes.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["good", "after"],
            "{entry:?}: the valid remotes still load"
        );
        assert_eq!(
            loaded.errors.len(),
            1,
            "{entry:?}: one error: {:?}",
            loaded.errors
        );
        let e = &loaded.errors[0];
        assert_eq!(e.file, Path::new("/cfg/remotes.yaml"), "{entry:?}");
        assert_eq!(e.field, *field, "{entry:?}: {e}");
        assert_eq!(e.remote, *remote, "{entry:?}: {e}");
        assert!(e.message.contains(part), "{entry:?}: {e}");
        let shown = e.to_string();
        assert!(
            shown.contains("remotes.yaml") && shown.contains(field),
            "{shown}"
        );
    }
}

#[test]
fn a_non_mapping_entry_is_one_error() {
    let home = tempfile::tempdir().unwrap();
    let loaded = load(
        "remotes:\n  - just-a-host\n  - name: ok\n    host: ok.example.com\n",
        &env(home.path()),
    );
    assert_eq!(loaded.remotes.len(), 1);
    assert_eq!(loaded.errors.len(), 1);
    assert_eq!(loaded.errors[0].remote, "#1");
    assert_eq!(loaded.errors[0].field, "remotes");
}

#[test]
fn duplicate_names_keep_the_first() {
    let home = tempfile::tempdir().unwrap();
    let loaded = load(
        "remotes:\n  - name: a\n    host: one.example.com\n  - name: a\n    host: two.example.com\n",
        &env(home.path()),
    );
    assert_eq!(loaded.remotes.len(), 1);
    assert_eq!(loaded.remotes[0].host, "one.example.com");
    assert_eq!(loaded.errors.len(), 1);
    assert_eq!(loaded.errors[0].field, "name");
    assert_eq!(loaded.errors[0].remote, "a");
    assert!(loaded.errors[0].message.contains("duplicate"));
}

#[test]
fn file_level_problems_are_one_remotes_error() {
    let home = tempfile::tempdir().unwrap();
    for (yaml, part) in [
        ("remotes:\n  - name: a\n   host: [\n", "not valid YAML"),
        ("hosts:\n  - name: a\n", "no `remotes:`"),
        ("remotes: dev.example.com\n", "must be a list"),
        ("- name: a\n  host: b\n", "top level"),
    ] {
        let loaded = load(yaml, &env(home.path()));
        assert!(loaded.remotes.is_empty(), "{yaml:?}");
        assert_eq!(loaded.errors.len(), 1, "{yaml:?}: {:?}", loaded.errors);
        assert_eq!(loaded.errors[0].field, "remotes", "{yaml:?}");
        assert!(
            loaded.errors[0].message.contains(part),
            "{yaml:?}: {}",
            loaded.errors[0]
        );
    }
}

#[test]
fn missing_or_empty_file_is_no_remotes_and_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path());
    assert_eq!(
        load_remotes_with(&dir.path().join("nope.yaml"), &e),
        LoadedRemotes::default()
    );
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    assert_eq!(load_remotes_with(&empty, &e), LoadedRemotes::default());
    assert_eq!(load("remotes:\n", &e), LoadedRemotes::default());
}

#[test]
fn ssh_config_alias_resolution_and_yaml_overrides() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("ssh_config");
    std::fs::write(
        &cfg,
        "\
Host dev
  HostName dev.internal.example.com
  Port 2200
  User alice
  IdentityFile ~/.ssh/dev_key
  ProxyJump jumper@gate:2222
  UserKnownHostsFile ~/.ssh/known_hosts_dev

Host gate
  HostName gate.internal.example.com
  IdentityFile ~/.ssh/gate_key

Host *
  User fallback
",
    )
    .unwrap();
    let e = Env {
        ssh_config: Some(cfg),
        ..env(home.path())
    };
    let yaml = "\
remotes:
  - name: a
    host: dev
  - name: b
    host: dev
    port: 22
    user: bob
    key: ~/k
    jump_host: other.example.com
    known_hosts: /kh
  - name: c
    host: plain.example.com
";
    let loaded = load(yaml, &e);
    assert_eq!(loaded.errors, vec![]);
    let h = home.path();
    let a = &loaded.remotes[0];
    assert_eq!(
        (
            a.host.as_str(),
            a.host_alias.as_str(),
            a.port,
            a.user.as_str()
        ),
        ("dev.internal.example.com", "dev", 2200, "alice")
    );
    assert_eq!(a.keys, vec![h.join(".ssh/dev_key")]);
    assert_eq!(
        a.jump,
        Some(JumpHost {
            host: "gate.internal.example.com".into(),
            port: 2222,
            user: "jumper".into(),
            keys: vec![h.join(".ssh/gate_key")],
        })
    );
    assert_eq!(a.known_hosts, h.join(".ssh/known_hosts_dev"));
    assert_eq!(
        a.other_known_hosts,
        vec![
            PathBuf::from("/etc/ssh/ssh_known_hosts"),
            PathBuf::from("/etc/ssh/ssh_known_hosts2")
        ],
        "one UserKnownHostsFile replaces both default user files"
    );

    let b = &loaded.remotes[1];
    assert_eq!(b.host, "dev.internal.example.com", "HostName still applies");
    assert_eq!((b.port, b.user.as_str()), (22, "bob"));
    assert_eq!(b.keys, vec![h.join("k")]);
    assert_eq!(
        b.jump,
        Some(JumpHost {
            host: "other.example.com".into(),
            port: 22,
            user: "bob".into(),
            keys: Vec::new(),
        })
    );
    assert_eq!(b.known_hosts, PathBuf::from("/kh"));
    assert_eq!(b.known_hosts_files().len(), 3, "/kh, then the global files");

    let c = &loaded.remotes[2];
    assert_eq!(c.user, "fallback", "`Host *` applies to every host");
    assert_eq!(c.host, "plain.example.com");
}

#[test]
fn jump_host_specs() {
    let ok = |s: &str, user: Option<&str>, host: &str, port: Option<u16>| {
        assert_eq!(
            parse_jump_spec(s),
            Ok(JumpSpec {
                user: user.map(str::to_owned),
                host: host.into(),
                port
            }),
            "{s}"
        );
    };
    ok("bastion.example.com", None, "bastion.example.com", None);
    ok("ops@bastion", Some("ops"), "bastion", None);
    ok("ops@bastion:2222", Some("ops"), "bastion", Some(2222));
    ok("bastion:2222", None, "bastion", Some(2222));
    ok("[::1]:2222", None, "::1", Some(2222));
    ok("u@[fe80::1]", Some("u"), "fe80::1", None);
    ok("2001:db8::1", None, "2001:db8::1", None);
    ok("ssh://u@h:22", Some("u"), "h", Some(22));
    ok("  h  ", None, "h", None);
    for bad in [
        "",
        "@h",
        "u@",
        "u@h@x",
        "h:0",
        "h:x",
        "h:70000",
        "[::1",
        "[::1]x",
        "a b",
        "a,b",
        "a,,b",
        "-oProxyCommand=x",
        "h;rm",
        "u@$(x)",
    ] {
        assert!(parse_jump_spec(bad).is_err(), "{bad:?} should be rejected");
    }
}

#[test]
fn durations() {
    for (s, d) in [
        ("5", Duration::from_secs(5)),
        ("5s", Duration::from_secs(5)),
        ("500ms", Duration::from_millis(500)),
        (" 1.5s ", Duration::from_millis(1500)),
        ("2m", Duration::from_secs(120)),
        ("1h", Duration::from_secs(3600)),
        ("0.25", Duration::from_millis(250)),
    ] {
        assert_eq!(parse_duration(s), Ok(d), "{s}");
    }
    for bad in [
        "",
        "0",
        "0s",
        "-1s",
        "fast",
        "5 parsecs",
        "1e3",
        "2d",
        "90000",
        "NaN",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let e = Env { home: Some("/home/me".into()), ssh_config: None, user: Some("me".into()) };
        let _ = load_remotes_from_str(Path::new("r.yaml"), &text, &e);
    }

    #[test]
    fn random_entries_never_panic(
        lines in prop::collection::vec(
            (
                prop_oneof![
                    Just("name".to_string()), Just("host".to_string()), Just("port".to_string()), Just("user".to_string()), Just("key".to_string()),
                    Just("jump_host".to_string()), Just("jump_user".to_string()), Just("timeout".to_string()),
                    Just("poll_interval".to_string()), Just("known_hosts".to_string()), Just("sessions_dir".to_string()),
                    "[a-z_]{1,10}",
                ],
                prop_oneof![
                    Just("\"\"".to_string()), Just("[1, 2]".to_string()), Just("{a: b}".to_string()),
                    Just("~".to_string()), Just("-1".to_string()), Just("65536".to_string()),
                    "[ -~]{0,20}",
                ],
            ),
            0..8,
        )
    ) {
        let mut yaml = String::from("remotes:\n  - name: fixed\n    host: fixed.example.com\n  -");
        for (k, v) in &lines {
            yaml.push_str(&format!(" {k}: {v}\n   "));
        }
        let e = Env { home: Some("/home/me".into()), ssh_config: None, user: Some("me".into()) };
        let loaded = load_remotes_from_str(Path::new("r.yaml"), &yaml, &e);
        // Whatever the second entry is, it costs at most itself (and a file-level
        // syntax error costs all).
        // Unknown keys are warnings (the remote still loads), not failures.
        let failures = loaded.errors.iter().filter(|e| !e.message.contains("is ignored")).count();
        let ok = failures <= 1 && (loaded.remotes.len() + loaded.errors.len()) >= 1;
        prop_assert!(ok, "{:?}", loaded);
    }
}

#[test]
fn passwd_lookup() {
    let passwd =
        "root:x:0:0:root:/root:/bin/bash\n\nbroken\nsean:x:1000:1000::/home/sean:/bin/sh\n";
    assert_eq!(account_for_uid(passwd, 0).as_deref(), Some("root"));
    assert_eq!(account_for_uid(passwd, 1000).as_deref(), Some("sean"));
    assert_eq!(account_for_uid(passwd, 7), None);
}

#[test]
fn several_known_hosts_files_come_from_ssh_config() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("ssh_config");
    std::fs::write(
        &cfg,
        "\
Host many
  UserKnownHostsFile ~/.ssh/kh_a /srv/kh_b
  GlobalKnownHostsFile /etc/kh_global

Host noglobal
  GlobalKnownHostsFile none
",
    )
    .unwrap();
    let e = Env {
        ssh_config: Some(cfg),
        ..env(home.path())
    };
    let yaml = "\
remotes:
  - name: a
    host: many
  - name: b
    host: noglobal
";
    let loaded = load(yaml, &e);
    assert_eq!(loaded.errors, vec![]);
    let h = home.path();
    let a = &loaded.remotes[0];
    assert_eq!(
        a.known_hosts,
        h.join(".ssh/kh_a"),
        "trust writes the first file"
    );
    assert_eq!(
        a.known_hosts_files(),
        vec![
            h.join(".ssh/kh_a"),
            PathBuf::from("/srv/kh_b"),
            PathBuf::from("/etc/kh_global")
        ]
    );
    let b = &loaded.remotes[1];
    assert_eq!(
        b.known_hosts_files(),
        vec![h.join(".ssh/known_hosts"), h.join(".ssh/known_hosts2")],
        "GlobalKnownHostsFile none reads no global file"
    );
}

fn with_ssh_config(home: &Path, text: &str) -> Env {
    let cfg = home.join(".ssh/config");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(&cfg, text).unwrap();
    Env {
        ssh_config: Some(cfg),
        ..env(home)
    }
}

fn hop(host: &str, port: u16, user: &str, keys: Vec<PathBuf>) -> JumpHost {
    JumpHost {
        host: host.into(),
        port,
        user: user.into(),
        keys,
    }
}

#[test]
fn multi_hop_proxy_jump_resolves_every_hop_from_its_own_block() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let e = with_ssh_config(
        h,
        "\
Host deep
  HostName 10.0.0.9
  User alice
  ProxyJump outer,ops@inner:2201

Host outer
  HostName outer.example.com
  User gatekeeper
  IdentityFile ~/.ssh/outer_key
  ProxyJump edge
  IdentitiesOnly yes
  ServerAliveInterval 5

Host inner
  HostName 10.0.0.2
  Port 2299
  User ignored-for-explicit-user
  IdentityAgent none

Host edge
  HostName edge.example.com
  ConnectTimeout 4
",
    );
    let loaded = load("remotes:\n  - name: deep\n    host: deep\n", &e);
    assert_eq!(loaded.errors, vec![]);
    let r = &loaded.remotes[0];
    assert_eq!(r.user, "alice");
    assert_eq!(
        r.jump,
        Some(hop("edge.example.com", 22, "me", Vec::new())),
        "the first hop's own ProxyJump comes first; no User: the local user (as ssh)"
    );
    assert_eq!(
        r.further_jumps,
        vec![
            hop(
                "outer.example.com",
                22,
                "gatekeeper",
                vec![h.join(".ssh/outer_key")]
            ),
            hop("10.0.0.2", 2201, "ops", Vec::new()),
        ]
    );
    let opts: Vec<SshOptions> = r.jump_hosts().into_iter().map(|(_, o)| o).collect();
    assert_eq!(opts[0].connect_timeout, Some(Duration::from_secs(4)));
    assert!(opts[1].identities_only);
    assert_eq!(opts[1].server_alive_interval, Duration::from_secs(5));
    assert_eq!(opts[2].identity_agent, IdentityAgent::None);
    assert_eq!(r.options, SshOptions::default());
}

#[test]
fn proxy_jump_none_and_loops() {
    let home = tempfile::tempdir().unwrap();
    let e = with_ssh_config(
        home.path(),
        "\
Host direct
  ProxyJump none
Host loopy
  ProxyJump a
Host a
  ProxyJump b
Host b
  ProxyJump a
Host *
  ProxyJump gate
",
    );
    let loaded = load(
        "remotes:\n  - name: d\n    host: direct\n  - name: l\n    host: loopy\n  - name: o\n    host: other\n  - name: g\n    host: gate\n",
        &e,
    );
    let names: Vec<&str> = loaded.remotes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["d", "o", "g"], "{:?}", loaded.errors);
    assert_eq!(
        loaded.remotes[2].jump, None,
        "a ProxyJump to the host itself is skipped, as ssh does"
    );
    assert_eq!(
        loaded.remotes[0].jump, None,
        "`ProxyJump none` wins: it comes first"
    );
    assert_eq!(
        loaded.remotes[1].jump.as_ref().map(|j| j.host.as_str()),
        Some("gate")
    );
    assert_eq!(loaded.errors.len(), 1);
    assert_eq!(loaded.errors[0].remote, "l");
    assert!(
        loaded.errors[0].message.contains("a loop of jump hosts"),
        "{}",
        loaded.errors[0]
    );
}

#[test]
fn yaml_jump_host_lists_several_hops() {
    let home = tempfile::tempdir().unwrap();
    let loaded = load(
        "remotes:\n  - name: x\n    host: t\n    user: u\n    jump_host: a,root@b:2200\n    jump_user: j\n",
        &env(home.path()),
    );
    assert_eq!(loaded.errors, vec![]);
    let r = &loaded.remotes[0];
    assert_eq!(r.jump, Some(hop("a", 22, "j", Vec::new())));
    assert_eq!(r.further_jumps, vec![hop("b", 2200, "root", Vec::new())]);
    assert_eq!(r.jump_hosts().len(), 2);
}

#[test]
fn connection_settings_come_from_ssh_config() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::env::set_var("NAVI_TEST_AGENT_SOCK", "/run/agent-from-var.sock");
    let e = with_ssh_config(
        h,
        "\
Host tuned
  IdentitiesOnly yes
  IdentityAgent ~/.agent/%u.sock
  ConnectTimeout 3
  ServerAliveInterval 1
  ServerAliveCountMax 2
Host quiet
  ServerAliveInterval 0
  IdentityAgent $NAVI_TEST_AGENT_SOCK
Host envagent
  IdentityAgent SSH_AUTH_SOCK
  IdentitiesOnly banana
",
    );
    let loaded = load(
        "remotes:\n  - name: t\n    host: tuned\n  - name: q\n    host: quiet\n  - name: e\n    host: envagent\n  - name: d\n    host: default\n",
        &e,
    );
    let by = |n: &str| {
        loaded
            .remotes
            .iter()
            .find(|r| r.name == n)
            .unwrap()
            .options
            .clone()
    };
    assert_eq!(
        by("t"),
        SshOptions {
            identities_only: true,
            identity_agent: IdentityAgent::Socket(h.join(".agent/me.sock")),
            connect_timeout: Some(Duration::from_secs(3)),
            server_alive_interval: Duration::from_secs(1),
            server_alive_count_max: 2,
        }
    );
    let q = by("q");
    assert_eq!(
        q.server_alive_interval,
        Duration::ZERO,
        "0 turns keepalives off"
    );
    assert_eq!(
        q.identity_agent,
        IdentityAgent::Socket("/run/agent-from-var.sock".into())
    );
    assert_eq!(by("e").identity_agent, IdentityAgent::FromEnv);
    assert!(!by("e").identities_only);
    let d = by("d");
    assert_eq!(
        (d.server_alive_interval, d.server_alive_count_max),
        (Duration::from_secs(15), 3),
        "navi's keepalive default stays 15 s x 3"
    );
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    assert_eq!(loaded.errors[0].field, "IdentitiesOnly");
    assert!(
        loaded.errors[0].message.contains("line 12"),
        "{}",
        loaded.errors[0]
    );
}

#[test]
fn unsupported_options_are_named_once_per_remote() {
    let home = tempfile::tempdir().unwrap();
    let e = with_ssh_config(
        home.path(),
        "\
IgnoreUnknown UseRoaming,Future*
Host box
  ProxyCommand ssh -W %h:%p gate
  LocalForward 8080 localhost:80
  ControlMaster auto
  ControlPath ~/.ssh/cm-%r@%h:%p
  UseRoaming no
  FutureThing yes
  NotAKeyword 1
  ForwardAgent yes
  ProxyJump gate
Host gate
  CertificateFile ~/.ssh/id-cert.pub
  HostKeyAlias bastion
Host *
  ControlMaster no
  StrictHostKeyChecking no
",
    );
    let loaded = load(
        "remotes:\n  - name: a\n    host: box\n  - name: b\n    host: plain\n",
        &e,
    );
    assert_eq!(loaded.remotes.len(), 2);
    let of = |remote: &str| -> Vec<String> {
        loaded
            .errors
            .iter()
            .filter(|e| e.remote == remote)
            .map(|e| e.field.clone())
            .collect()
    };
    assert_eq!(
        of("a"),
        [
            "ProxyCommand",
            "LocalForward",
            "ControlMaster",
            "ControlPath",
            "NotAKeyword",
            "StrictHostKeyChecking",
            "CertificateFile",
            "HostKeyAlias",
        ],
        "{:#?}",
        loaded.errors
    );
    assert_eq!(of("b"), ["StrictHostKeyChecking"]);
    let proxy = &loaded.errors[0];
    assert_eq!(proxy.file, home.path().join(".ssh/config"));
    assert!(
        proxy
            .message
            .starts_with("line 3: `ProxyCommand` is not supported by navi"),
        "{proxy}"
    );
    let cert = loaded
        .errors
        .iter()
        .find(|e| e.field == "CertificateFile")
        .unwrap();
    assert!(cert.message.contains("jump host gate"), "{cert}");
}
