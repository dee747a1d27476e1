#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The remote scripts (`src/scripts/*.sh`) pass `shellcheck -s sh` as they are: every
//! finding is fixed or disabled inline with its reason. Without shellcheck the test is
//! skipped with a notice, unless `NAVI_REQUIRE_SHELLS=1` (CI), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scripts")
}

/// Every `*.sh` of `src/scripts`, sorted.
fn script_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scripts_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    files.sort();
    files
}

/// `shellcheck`'s path, `None` (with a notice) when it is not installed; a failure
/// under `NAVI_REQUIRE_SHELLS=1`.
fn shellcheck() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join("shellcheck"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !std::env::var("NAVI_REQUIRE_SHELLS").is_ok_and(|v| v == "1"),
            "NAVI_REQUIRE_SHELLS=1 but shellcheck is not installed (apt-get install shellcheck)"
        );
        eprintln!("SKIP: shellcheck not installed, the remote scripts are not checked (set NAVI_REQUIRE_SHELLS=1 to fail instead)");
    }
    found
}

/// Runs `shellcheck -s sh` on `files`: `Err` with its findings when it reports any.
fn check(shellcheck: &Path, files: &[PathBuf]) -> Result<(), String> {
    let out = Command::new(shellcheck)
        .args(["-s", "sh", "-f", "gcc"])
        .args(files)
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

#[test]
fn every_remote_script_passes_shellcheck() {
    let files = script_files();
    assert!(files.len() >= 15, "the scripts are missing: {files:?}");
    let Some(shellcheck) = shellcheck() else {
        return;
    };
    if let Err(findings) = check(&shellcheck, &files) {
        panic!("shellcheck -s sh found problems in the remote scripts:\n{findings}");
    }
}

/// The check can fail: an unquoted operand is a finding.
#[test]
fn shellcheck_reports_a_bad_script() {
    let Some(shellcheck) = shellcheck() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.sh");
    std::fs::write(&bad, "rm -rf $1\n").unwrap();
    let findings = check(&shellcheck, &[bad]).unwrap_err();
    assert!(findings.contains("SC2086"), "{findings}");
}

/// Every script file is one navi sends: none is left behind unused.
#[test]
fn every_script_file_is_included() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut rust = String::new();
    let mut dirs = vec![src];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                rust.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    for f in script_files() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            rust.contains(&format!("scripts/{name}\")")),
            "{name} is not included by any include_str!"
        );
    }
}
