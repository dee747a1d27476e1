#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `~/.ssh/config` structure: Include, Host patterns, Match, first obtained value.

use std::path::{Path, PathBuf};

use super::*;

fn parse(text: &str, home: &Path) -> (SshFile, Vec<FileProblem>) {
    SshFile::from_str(&home.join(".ssh/config"), text, Some(home))
}

fn user(f: &SshFile, alias: &str) -> Option<String> {
    f.query(alias).params.user
}

#[test]
fn host_patterns_wildcards_negation_and_case() {
    let home = tempfile::tempdir().unwrap();
    let (f, problems) = parse(
        "Host *.prod !db.prod\n  User ops\nHost db.prod\n  User dba\n\
         Host web? Web-X\n  User webby\nHost *\n  User fallback\n",
        home.path(),
    );
    assert_eq!(problems, vec![]);
    assert_eq!(user(&f, "api.prod").as_deref(), Some("ops"));
    assert_eq!(user(&f, "db.prod").as_deref(), Some("dba"), "negated");
    assert_eq!(
        user(&f, "web1").as_deref(),
        Some("webby"),
        "`?` is one character"
    );
    assert_eq!(user(&f, "web12").as_deref(), Some("fallback"));
    assert_eq!(
        user(&f, "WEB-x").as_deref(),
        Some("webby"),
        "names match case-insensitively"
    );
    assert_eq!(user(&f, "other").as_deref(), Some("fallback"));
}

#[test]
fn first_obtained_value_wins_and_identity_files_accumulate() {
    let home = tempfile::tempdir().unwrap();
    let (f, _) = parse(
        "Port 2000\nHost box\n  Port 2200\n  User=alice\n  IdentityFile ~/.ssh/a\n\
         Host *\n  User bob\n  IdentityFile ~/.ssh/b\n",
        home.path(),
    );
    let v = f.query("box");
    assert_eq!(
        v.params.port,
        Some(2000),
        "an option before any Host applies first"
    );
    assert_eq!(v.params.user.as_deref(), Some("alice"));
    assert_eq!(
        v.params.identity_file,
        Some(vec![home.path().join(".ssh/a"), home.path().join(".ssh/b")])
    );
    let origin = &v.option("user").unwrap().origin;
    assert_eq!(origin.line, 4);
}

#[test]
fn include_globs_relative_paths_and_scope() {
    let home = tempfile::tempdir().unwrap();
    let ssh = home.path().join(".ssh");
    std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
    std::fs::write(
        ssh.join("conf.d/10-work.conf"),
        "Host work\n  HostName work.example.com\n  User worker\n",
    )
    .unwrap();
    std::fs::write(
        ssh.join("conf.d/20-home.conf"),
        "Host work\n  User ignored-later-value\nHost home\n  HostName home.example.com\n",
    )
    .unwrap();
    std::fs::write(ssh.join("conf.d/readme.txt"), "Host work\n  Port 1\n").unwrap();
    // Included inside a Host block: its lines apply only under that block too.
    std::fs::write(
        ssh.join("scoped"),
        "Port 2222\nHost *\n  ConnectTimeout 7\n",
    )
    .unwrap();
    let abs = home.path().join("absolute.conf");
    std::fs::write(&abs, "Host abs\n  User absolute\n").unwrap();
    let text = format!(
        "Include conf.d/*.conf\nHost scopedhost\n  Include scoped\n  User scoped\n\
         Host *\n  Include {} ~/missing/*.conf\n",
        abs.display()
    );
    let (f, problems) = parse(&text, home.path());
    assert_eq!(problems, vec![]);
    let work = f.query("work");
    assert_eq!(work.params.host_name.as_deref(), Some("work.example.com"));
    assert_eq!(
        work.params.user.as_deref(),
        Some("worker"),
        "files in glob order"
    );
    assert_eq!(work.params.port, None, "only *.conf files are included");
    assert_eq!(
        f.query("home").params.host_name.as_deref(),
        Some("home.example.com")
    );
    let scoped = f.query("scopedhost");
    assert_eq!(scoped.params.port, Some(2222));
    assert_eq!(
        scoped.params.connect_timeout,
        Some(std::time::Duration::from_secs(7))
    );
    assert_eq!(
        scoped.params.user.as_deref(),
        Some("scoped"),
        "the block goes on after the Include"
    );
    assert_eq!(
        f.query("work").params.connect_timeout,
        None,
        "an Include inside `Host scopedhost` applies to that host only, even its `Host *`"
    );
    assert_eq!(user(&f, "abs").as_deref(), Some("absolute"));
    assert_eq!(
        work.option("user").unwrap().origin.file,
        ssh.join("conf.d/10-work.conf"),
        "an option knows the file it came from"
    );
}

#[test]
fn include_cycles_and_depth_are_reported_not_followed_forever() {
    let home = tempfile::tempdir().unwrap();
    let ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("a"), "Include b\nHost x\n  User fromA\n").unwrap();
    std::fs::write(ssh.join("b"), "Include a\n").unwrap();
    let config = ssh.join("config");
    std::fs::write(&config, "Include a\n").unwrap();
    let (f, problems) = SshFile::load(&config, Some(home.path())).unwrap().unwrap();
    assert_eq!(user(&f, "x").as_deref(), Some("fromA"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("would include itself again"),
        "{problems:?}"
    );
}

#[test]
fn match_blocks_apply_where_they_should() {
    let home = tempfile::tempdir().unwrap();
    let (f, problems) = parse(
        "Host box\n  HostName box.example.com\n\
         Match host box,!other\n  Port 2201\n\
         Match originalhost nothing\n  User never\n\
         Match exec \"test -n $X\"\n  IdentityAgent ~/.1password/agent.sock\n  User exec-user\n\
         Match all\n  User everyone\n",
        home.path(),
    );
    let v = f.query("box");
    assert_eq!(v.params.port, Some(2201));
    assert_eq!(
        v.params.user.as_deref(),
        Some("everyone"),
        "options under a Match navi cannot evaluate go to no host (not to `Host box`)"
    );
    assert!(v.option("identityagent").is_none());
    assert_eq!(f.query("other").params.port, None);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("line 7: `Match exec` is not supported"),
        "{problems:?}"
    );
}

#[test]
fn unreadable_lines_are_reported_with_their_line_and_skipped() {
    let home = tempfile::tempdir().unwrap();
    let (f, problems) = parse(
        "Host box\n  Port banana\n  Port 2200\n  User \"quoted user\"\n",
        home.path(),
    );
    assert_eq!(f.query("box").params.port, Some(2200));
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .starts_with("line 2: `Port` cannot be read"),
        "{problems:?}"
    );
    assert_eq!(
        f.query("box").option("user").unwrap().args,
        vec!["quoted user".to_string()]
    );
}

#[test]
fn split_line_forms() {
    let s = |l: &str| split_line(l);
    assert_eq!(s("  # comment"), None);
    assert_eq!(s(""), None);
    assert_eq!(
        s("Port=22"),
        Some(("Port".to_string(), vec!["22".to_string()]))
    );
    assert_eq!(
        s("Port = 22"),
        Some(("Port".to_string(), vec!["22".to_string()]))
    );
    assert_eq!(
        s("Port =22 # c"),
        Some(("Port".to_string(), vec!["22".to_string()]))
    );
    assert_eq!(
        s("IdentityFile \"a b\" c"),
        Some((
            "IdentityFile".to_string(),
            vec!["a b".to_string(), "c".to_string()]
        ))
    );
    let _ = PathBuf::new();
}
