//! git and `gh` on this machine, for the `G` dialog: the report of a working tree, its
//! diff, its pull request (in the tree, or by `--repo` for a remote session whose
//! machine has no usable `gh`), and opening the pull request's page in the browser.
//! Every program runs bounded in time and is reaped with its children
//! ([`crate::process`]); none can prompt (stdin is closed, `gh` prompts are off).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use navi_core::git::{self, GitReport, PrStatus};
use navi_core::limits::{BROWSER_OPEN, BROWSER_OPEN_CHECK, GH_COMMAND, GIT_COMMAND};

/// `cwd` as a directory here (`~` is this user's home); `Err` says it is missing.
fn dir_of(cwd: &str) -> Result<PathBuf, String> {
    let home = std::env::home_dir();
    let dir = navi_core::text::expand_home(std::path::Path::new(cwd), home.as_deref());
    match dir.is_dir() {
        true => Ok(dir),
        false => Err(format!("no such directory: {cwd}")),
    }
}

/// git in `dir`, never taking the index lock (the session's own git may be busy) and
/// in the C locale (the output is read, not shown).
fn git(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0");
    cmd
}

/// Runs `cmd`: its stdout when it exits 0, else its first line of stderr.
fn run(cmd: Command, limit: Duration, what: &str) -> Result<String, String> {
    let out = crate::process::output_within(cmd, limit).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{what}: not installed on this machine"),
        _ => format!("{what}: {e}"),
    })?;
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Err(format!(
                "{what}: {}",
                match line.trim() {
                    "" => format!("exit status {}", out.status.code().unwrap_or(-1)),
                    l => navi_core::text::sanitize(l).into_owned(),
                }
            ))
        }
    }
}

/// The git report of the working tree at `cwd`.
pub fn report(cwd: &str) -> Result<GitReport, String> {
    let dir = dir_of(cwd)?;
    let status = run(
        git(
            &dir,
            &[
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=normal",
            ],
        ),
        GIT_COMMAND,
        "git status",
    )?;
    let mut report = GitReport::default();
    git::read_status(&mut report, &status);
    // Before the first commit there is no log; without a remote no URL.
    if let Ok(log) = run(
        git(&dir, &["log", "-1", git::LOG_FORMAT]),
        GIT_COMMAND,
        "git log",
    ) {
        report.last_commit = git::read_log(&log);
    }
    if let Ok(url) = run(git(&dir, &["ls-remote", "--get-url"]), GIT_COMMAND, "git") {
        report.remote_url = git::read_url(&url);
    }
    Ok(report)
}

/// `git diff` of the working tree at `cwd` with git's colours, made fit to show
/// ([`git::clean_diff`]).
pub fn diff(cwd: &str) -> Result<String, String> {
    let dir = dir_of(cwd)?;
    let out = run(
        git(
            &dir,
            &[
                "-c",
                "color.ui=always",
                "diff",
                "--color=always",
                "--no-ext-diff",
            ],
        ),
        GIT_COMMAND,
        "git diff",
    )?;
    Ok(git::clean_diff(out.as_bytes(), false))
}

/// `gh` that cannot prompt, print colours or check for updates.
fn gh(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("GH_PROMPT_DISABLED", "1")
        .env("GH_NO_UPDATE_NOTIFIER", "1")
        .env("GH_SPINNER_DISABLED", "1")
        .env("NO_COLOR", "1")
        .env("CLICOLOR", "0");
    cmd
}

/// The pull request of the branch checked out at `cwd`, from `gh` here.
pub fn pull_request(cwd: &str) -> PrStatus {
    pull_request_with("gh", cwd)
}

pub(crate) fn pull_request_with(program: &str, cwd: &str) -> PrStatus {
    let dir = match dir_of(cwd) {
        Ok(d) => d,
        Err(e) => return PrStatus::Failed(e),
    };
    let mut cmd = gh(program);
    cmd.current_dir(dir)
        .args(["pr", "view", "--json", git::PR_FIELDS]);
    run_gh(cmd)
}

/// The pull request of `branch` in GitHub repository `repo` (`HOST/OWNER/NAME`, from
/// [`git::repo_of_url`]), from `gh` here: for a remote session whose machine has no
/// usable `gh`.
pub fn pull_request_of(repo: &str, branch: &str) -> PrStatus {
    pull_request_of_with("gh", repo, branch)
}

pub(crate) fn pull_request_of_with(program: &str, repo: &str, branch: &str) -> PrStatus {
    let mut cmd = gh(program);
    cmd.args(["pr", "view", "--json", git::PR_FIELDS])
        .arg(format!("--repo={repo}"))
        .arg("--")
        .arg(branch);
    run_gh(cmd)
}

fn run_gh(cmd: Command) -> PrStatus {
    match crate::process::output_within(cmd, GH_COMMAND) {
        Ok(out) => git::read_pr(out.status.code(), &out.stdout, &out.stderr, "here"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => git::read_pr(None, b"", b"", "here"),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => PrStatus::Failed(format!(
            "gh here did not answer within {} s",
            GH_COMMAND.as_secs()
        )),
        Err(e) => PrStatus::Failed(format!("gh here could not run: {e}")),
    }
}

/// The program that opens a URL in the browser here.
pub fn opener() -> &'static str {
    match cfg!(target_os = "macos") {
        true => "open",
        false => "xdg-open",
    }
}

/// Opens `url` (http or https only) in this machine's browser through [`opener`]
/// (found on `PATH`); `Err` says why not. The opener is waited for (bounded) and reaped;
/// the browser it starts is its own.
pub fn open_url(url: &str) -> Result<(), String> {
    open_with(opener(), url)
}

/// [`open_url`] with `program` as the opener.
pub fn open_with(program: &str, url: &str) -> Result<(), String> {
    let plain = url.starts_with("https://") || url.starts_with("http://");
    if !plain || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "not a web address: {}",
            navi_core::text::sanitize(url)
        ));
    }
    // Not `process::output_within`: the browser the opener starts inherits its output,
    // so a piped stdout would stay open until the deadline and the browser be killed with
    // the group. Here only the opener is waited for; its group is stopped only if it hangs.
    let mut cmd = Command::new(program);
    cmd.arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("cannot open the browser: {program} is not installed on this machine")
        }
        _ => format!("cannot open the browser with {program}: {e}"),
    })?;
    let deadline = Instant::now() + BROWSER_OPEN;
    loop {
        match child.try_wait() {
            Ok(Some(s)) if s.success() => return Ok(()),
            Ok(Some(s)) => {
                return Err(format!(
                    "cannot open the browser: {program} failed (exit status {})",
                    s.code().unwrap_or(-1)
                ))
            }
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(BROWSER_OPEN_CHECK);
            }
            Ok(None) => {
                crate::process::kill_group(&mut child);
                return Err(format!(
                    "cannot open the browser: {program} did not finish within {} s; stopped it",
                    BROWSER_OPEN.as_secs()
                ));
            }
            Err(e) => {
                crate::process::kill_group(&mut child);
                return Err(format!("cannot open the browser: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests;
