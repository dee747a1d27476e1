//! Throwaway local users with a chosen login shell, for real-sshd tests and benchmarks
//! of how navi's remote commands fare under fish, tcsh, ... (needs root).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A user that exists until dropped, with `shell` as login shell and `home` as home
/// (chowned to it). Its password field is `*` (no password, not locked: sshd refuses
/// locked accounts).
#[derive(Debug)]
pub struct TestUser {
    /// The login name.
    pub name: String,
}

impl TestUser {
    /// Creates `navi<tag><pid>`.
    pub fn create(tag: &str, shell: &Path, home: &Path) -> TestUser {
        let name = format!("navi{tag}{}", std::process::id() % 100_000);
        let _ = Command::new("userdel").arg("-f").arg(&name).output();
        let out = Command::new("useradd")
            .args(["-M", "-N", "-p", "*"])
            .arg("-d")
            .arg(home)
            .arg("-s")
            .arg(shell)
            .arg(&name)
            .output()
            .expect("run useradd");
        assert!(
            out.status.success(),
            "useradd {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let chown = Command::new("chown")
            .arg("-R")
            .arg(&name)
            .arg(home)
            .status();
        assert!(chown.is_ok_and(|s| s.success()), "chown {}", home.display());
        TestUser { name }
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg("-f").arg(&self.name).output();
    }
}

/// The first of `names` found on `PATH`.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// Whether users can be created here (root with `useradd`).
pub fn can_create() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    root && (find(&["useradd"]).is_some() || Path::new("/usr/sbin/useradd").exists())
}

/// Whether a test that logs in as throwaway users with these login shells (`name`, found
/// path) can run here: sshd present, root with `useradd`, every shell found. When it
/// cannot, it panics under `NAVI_REQUIRE_SHELLS=1`, else says why it skips.
pub fn can_run(test: &str, shells: &[(&str, Option<&Path>)]) -> bool {
    if !crate::sshd::sshd_or_skip() {
        return false;
    }
    let root = can_create();
    let missing: Vec<&str> = shells
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(n, _)| *n)
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = format!("root with useradd: {root}, missing shells: {missing:?}");
    assert!(
        std::env::var("NAVI_REQUIRE_SHELLS").as_deref() != Ok("1"),
        "NAVI_REQUIRE_SHELLS=1 but the {test} cannot run: {why}"
    );
    eprintln!("skipping the {test} ({why})");
    false
}
