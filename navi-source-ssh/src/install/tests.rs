#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

/// A small "program": a shell script that answers `--version`.
const PROGRAM: &[u8] = b"#!/bin/sh\necho 'navi 0.0.0'\n";

/// Runs the install of `bytes` (its digests) with `stdin` fed instead, under `home`
/// with `path` as PATH; (exit status, stdout, stderr).
fn install(home: &Path, path: &str, bytes: &[u8], stdin: &[u8]) -> (i32, String, String) {
    let line = install_command("~/.local/bin", "navi", bytes)
        .to_command_line()
        .unwrap();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("echo 'Welcome'; {line}"))
        .env("HOME", home)
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The script may stop reading early: a broken pipe is what it should cause.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A PATH directory with links to `tools` (those this machine has).
fn tools(dir: &Path, tools: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for t in tools {
        for d in ["/usr/bin", "/bin"] {
            let p = Path::new(d).join(t);
            if p.exists() {
                let _ = std::os::unix::fs::symlink(&p, dir.join(t));
                break;
            }
        }
    }
    dir.to_str().unwrap().to_string()
}

const BASE: &[&str] = &["sh", "mkdir", "cat", "wc", "chmod", "mv", "rm"];

fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn a_verified_copy_is_renamed_into_place_and_leftovers_of_dead_writers_go() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let bin = home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A leftover whose writer is gone (no pid this high), and a live one (this test).
    std::fs::write(bin.join(".navi.tmp.4194999"), "part").unwrap();
    let live = bin.join(format!(".navi.tmp.{}", std::process::id()));
    std::fs::write(&live, "part").unwrap();
    let mut list = BASE.to_vec();
    list.push("sha256sum");
    let path = tools(&scratch.path().join("t"), &list);
    let (status, out, err) = install(&home, &path, PROGRAM, PROGRAM);
    assert_eq!(status, 0, "{out}{err}");
    let got = Installed::parse(out.as_bytes()).unwrap();
    assert_eq!(got.path, format!("{}/navi", bin.display()));
    assert_eq!(got.verified_with, "sha256sum");
    assert_eq!(std::fs::read(bin.join("navi")).unwrap(), PROGRAM);
    assert_eq!(
        hidden(&bin),
        [format!(".navi.tmp.{}", std::process::id())],
        "only the live writer's temp is kept"
    );
}

#[test]
fn a_short_or_different_copy_is_never_installed() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let bin = home.join(".local/bin");
    let mut list = BASE.to_vec();
    list.push("sha256sum");
    let path = tools(&scratch.path().join("t"), &list);
    // Cut short: what a killed navi leaves the remote `cat` (an early end of input).
    let (status, _, err) = install(&home, &path, PROGRAM, &PROGRAM[..10]);
    assert_eq!(status, 1);
    assert!(
        err.contains(&format!("10 of {} bytes", PROGRAM.len())),
        "{err}"
    );
    assert!(!bin.join("navi").exists());
    // Same size, other bytes.
    let mut other = PROGRAM.to_vec();
    other[12] = b'X';
    let (status, _, err) = install(&home, &path, PROGRAM, &other);
    assert_eq!(status, 1);
    assert!(
        err.contains("does not match what was sent (sha256sum"),
        "{err}"
    );
    assert!(!bin.join("navi").exists());
    assert!(hidden(&bin).is_empty(), "{:?}", hidden(&bin));
}

#[test]
fn cksum_checks_the_copy_when_no_sha256_tool_exists_and_no_tool_refuses() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let bin = home.join(".local/bin");
    let mut list = BASE.to_vec();
    list.push("cksum");
    let path = tools(&scratch.path().join("t"), &list);
    let mut other = PROGRAM.to_vec();
    other[12] = b'X';
    let (status, _, err) = install(&home, &path, PROGRAM, &other);
    assert_eq!(status, 1);
    assert!(err.contains("(cksum: "), "{err}");
    let (status, out, err) = install(&home, &path, PROGRAM, PROGRAM);
    assert_eq!(status, 0, "{out}{err}");
    assert_eq!(
        Installed::parse(out.as_bytes()).unwrap().verified_with,
        "cksum"
    );
    std::fs::remove_file(bin.join("navi")).unwrap();
    let bare = tools(&scratch.path().join("bare"), BASE);
    let (status, _, err) = install(&home, &bare, PROGRAM, PROGRAM);
    assert_eq!(status, 1);
    assert!(err.contains("no tool to check the copy"), "{err}");
    assert!(!bin.join("navi").exists());
    assert!(hidden(&bin).is_empty());
}

#[test]
fn the_remote_error_of_a_failed_write_is_what_the_script_says() {
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let bin = home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // The target directory is a file: mkdir fails with its own words.
    std::fs::remove_dir(&bin).unwrap();
    std::fs::write(&bin, "").unwrap();
    let path = tools(&scratch.path().join("t"), BASE);
    let (status, _, err) = install(&home, &path, PROGRAM, PROGRAM);
    assert_eq!(status, 1);
    assert!(err.contains("mkdir"), "{err}");
}
