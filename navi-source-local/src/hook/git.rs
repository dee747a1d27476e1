//! The `git` block of a status file (branch, dirty, ahead, behind), found cheaply: no
//! process at all outside a repository, one `git status` inside one.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use navi_core::limits::HOOK_GIT;
use serde_json::{json, Map, Value};

/// The git block for `cwd`, or `None` when `cwd` is not inside a git work tree (or git
/// is not installed).
pub fn git_block(cwd: &str) -> Option<Value> {
    GitQuery::start(cwd)?.finish()
}

/// A `git status` started early, so that it runs while something slower (the tmux
/// query of `navi hook`) does. Dropped unfinished, it is stopped.
#[derive(Debug)]
pub struct GitQuery {
    cwd: String,
    child: Option<Child>,
    deadline: Instant,
}

impl GitQuery {
    /// Starts `git status` in `cwd`; `None` (and no process) outside a repository.
    pub fn start(cwd: &str) -> Option<GitQuery> {
        Self::start_program(OsStr::new("git"), cwd, HOOK_GIT)
    }

    fn start_program(git: &OsStr, cwd: &str, patience: Duration) -> Option<GitQuery> {
        if cwd.is_empty() {
            return None;
        }
        find_git_dir(Path::new(cwd))?;
        let mut cmd = Command::new(git);
        cmd.args(["-C", cwd, "status", "--porcelain=v2", "--branch"])
            // Untracked files count as dirty, as in the Go navi (`git status --porcelain`);
            // `normal`, not a user's `all`, which would list every file.
            .args(["--untracked-files=normal", "--ignore-submodules=all"])
            .env("GIT_OPTIONAL_LOCKS", "0");
        let child = crate::process::spawn(cmd).ok()?;
        Some(GitQuery {
            cwd: cwd.to_string(),
            child: Some(child),
            deadline: Instant::now() + patience,
        })
    }

    /// The directory it runs in.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// Waits for git and its answer, until the deadline at most (reading included:
    /// a child of git that keeps the pipe open does not hold the hook); too slow, git
    /// and everything it started are stopped.
    pub fn finish(mut self) -> Option<Value> {
        let child = self.child.take()?;
        let out = crate::process::finish_within(child, self.deadline).ok()?;
        if !out.status.success() {
            return None;
        }
        Some(Value::Object(parse_status(&String::from_utf8_lossy(
            &out.stdout,
        ))))
    }
}

impl Drop for GitQuery {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            crate::process::kill_group(&mut child);
        }
    }
}

/// The nearest `.git` (directory or file) at or above `dir`.
fn find_git_dir(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .take(64)
        .map(|d| d.join(".git"))
        .find(|g| g.exists())
}

/// Reads `git status --porcelain=v2 --branch` output.
fn parse_status(text: &str) -> Map<String, Value> {
    let mut block = Map::new();
    let mut dirty = false;
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("# branch.head ") {
            let branch = match head {
                "(detached)" => "HEAD",
                b => b,
            };
            block.insert("branch".into(), json!(branch));
        } else if let Some(ab) = line.strip_prefix("# branch.ab ") {
            for part in ab.split_whitespace() {
                let (key, digits) = match part.split_at_checked(1) {
                    Some(("+", d)) => ("ahead", d),
                    Some(("-", d)) => ("behind", d),
                    _ => continue,
                };
                if let Ok(n) = digits.parse::<u64>() {
                    block.insert(key.into(), json!(n));
                }
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            dirty = true;
        }
    }
    block.insert("dirty".into(), json!(dirty));
    block.entry("ahead").or_insert(json!(0));
    block.entry("behind").or_insert(json!(0));
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_v2_is_read() {
        let text = "# branch.oid 0123\n# branch.head feature/x\n# branch.upstream origin/x\n\
                    # branch.ab +2 -1\n1 .M N... 100644 100644 100644 a b src/lib.rs\n";
        let b = parse_status(text);
        assert_eq!(b["branch"], "feature/x");
        assert_eq!(
            (b["ahead"].clone(), b["behind"].clone()),
            (json!(2), json!(1))
        );
        assert_eq!(b["dirty"], true);

        let b = parse_status("# branch.oid 0123\n# branch.head (detached)\n");
        assert_eq!(b["branch"], "HEAD");
        assert_eq!(b["dirty"], false);
        assert_eq!(b["ahead"], 0);
    }

    #[test]
    fn a_real_repository_gives_branch_and_dirty() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c"])
                .arg("init.defaultBranch=trunk")
                .args(args)
                .output()
                .expect("git is needed by this test")
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join("a"), "1").unwrap();
        git(&["add", "a"]);
        git(&["commit", "-q", "-m", "one"]);
        let cwd = dir.path().join("sub");
        std::fs::create_dir(&cwd).unwrap();
        let cwd = cwd.display().to_string();
        let clean = git_block(&cwd).expect("a block inside the work tree");
        assert_eq!(clean["dirty"], false);
        // A new, untracked file makes it dirty (the Go navi's `git status --porcelain`).
        std::fs::write(dir.path().join("new"), "x").unwrap();
        assert_eq!(git_block(&cwd).expect("a block")["dirty"], true);
        std::fs::remove_file(dir.path().join("new")).unwrap();
        let clean = git_block(&cwd).expect("a block");
        assert_eq!(clean["branch"], "trunk");
        assert_eq!(
            (clean["dirty"].clone(), clean["ahead"].clone()),
            (json!(false), json!(0))
        );
        std::fs::write(dir.path().join("a"), "2").unwrap();
        let query = GitQuery::start(&cwd).expect("started");
        assert_eq!(query.cwd(), cwd);
        assert_eq!(query.finish().expect("answer")["dirty"], true);
        // A query dropped unfinished is stopped and reaped, not left running.
        drop(GitQuery::start(&cwd));
    }

    #[test]
    fn a_git_past_its_deadline_is_stopped_and_gives_no_block() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let slow = dir.path().join("slow-git");
        std::fs::write(&slow, "#!/bin/sh\nexec sleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cwd = dir.path().display().to_string();
        let started = Instant::now();
        // Starting a script just written can fail with ETXTBSY while another test thread
        // forks: try again.
        let query = (0..100)
            .find_map(|_| {
                let q = GitQuery::start_program(slow.as_os_str(), &cwd, Duration::from_millis(50));
                if q.is_none() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                q
            })
            .expect("started");
        assert_eq!(query.finish(), None);
        // Stopped, not waited for: far sooner than the 30 s it would take.
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    /// A git that answers at once but leaves a child holding its stdout (a wrapper, an
    /// fsmonitor daemon): the hook does not wait for the child, and the child is killed.
    #[test]
    fn a_git_whose_child_holds_the_output_is_stopped_with_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let pidfile = dir.path().join("child.pid");
        let git = dir.path().join("wrapped-git");
        std::fs::write(
            &git,
            format!(
                "#!/bin/sh
sleep 30 & echo $! > '{}'
echo '# branch.head main'
exit 0
",
                pidfile.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&git, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cwd = dir.path().display().to_string();
        let query = (0..100)
            .find_map(|_| {
                let q = GitQuery::start_program(git.as_os_str(), &cwd, Duration::from_millis(200));
                if q.is_none() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                q
            })
            .expect("started");
        let started = Instant::now();
        assert_eq!(
            query.finish(),
            None,
            "an answer not read to its end is no answer"
        );
        assert!(started.elapsed() < Duration::from_secs(20));
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        let running = || {
            std::fs::read_to_string(&stat).is_ok_and(|s| {
                !s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
            })
        };
        let stopped = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            !running()
        });
        assert!(stopped, "git's child outlived the hook");
    }

    #[test]
    fn outside_a_repository_there_is_no_block() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_block(&dir.path().display().to_string()), None);
        assert_eq!(git_block(""), None);
    }
}
