//! The git dialog's remote actions on a real sshd (scratch HOME): the git report, the
//! pull request through a `gh` stub on the remote's PATH (recorded answer, missing,
//! logged out, failing) and the diff (coloured, capped), for a session whose directory
//! has spaces, quotes and a `$` in its name (an operand, never interpolated).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use navi_core::fixtures::{gh_stub, GH_PR_VIEW, GIT_REPO_SCRIPT};
use navi_core::git::{PrStatus, MAX_DIFF, PR_FIELDS};
use navi_core::{Action, ActionOutput, SessionSource};
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};

struct World {
    scratch: tempfile::TempDir,
    _server: Sshd,
    port: u16,
    bin: PathBuf,
    repo: PathBuf,
}

impl World {
    fn start() -> World {
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let sessions = home.join(".claude-sessions");
        let tmux_dir = scratch.path().join("tmux");
        let bin = scratch.path().join("bin");
        let repo = home.join("work dir 'it' $HOME");
        for d in [&sessions, &tmux_dir, &bin, &repo] {
            std::fs::create_dir_all(d).unwrap();
        }
        let out = Command::new("sh")
            .args(["-c", GIT_REPO_SCRIPT, "sh"])
            .arg(&repo)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let status = serde_json::json!({
            "tmux_session": "api", "status": "working", "cwd": repo.to_str().unwrap()
        });
        std::fs::write(sessions.join("api.json"), status.to_string()).unwrap();
        std::fs::write(scratch.path().join("pr.json"), GH_PR_VIEW).unwrap();
        let keys = scratch.path().join("keys");
        // gh (when there) comes first on the remote's PATH; git and sh from the system.
        let path = format!("PATH={}:/usr/local/bin:/usr/bin:/bin", bin.display());
        let server = Sshd::start_scratch(&keys, &home, &tmux_dir, &path);
        let port = server.port();
        World {
            scratch,
            _server: server,
            port,
            bin,
            repo,
        }
    }

    /// The remote's gh answers as `mode` (`None`: no gh there).
    fn gh(&self, mode: Option<&str>) -> PathBuf {
        let gh = self.bin.join("gh");
        let log = self.scratch.path().join("gh.log");
        let _ = std::fs::remove_file(&gh);
        let _ = std::fs::remove_file(&log);
        if let Some(mode) = mode {
            let json = self.scratch.path().join("pr.json");
            let script = gh_stub(mode, json.to_str().unwrap(), log.to_str().unwrap()).replacen(
                '\n',
                "\npwd >> \"$(dirname \"$0\")/../gh.pwd\"\n",
                1,
            );
            std::fs::write(&gh, script).unwrap();
            std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        log
    }

    fn ssh(&self) -> SshSource {
        let keys = self.scratch.path().join("keys");
        sshd::scratch_source(&keys, &self.scratch.path().join("client"), self.port)
    }

    fn cwd(&self) -> String {
        self.repo.to_str().unwrap().to_string()
    }
}

async fn pr(s: &SshSource, cwd: &str) -> PrStatus {
    match s
        .act("api", &Action::PullRequest { cwd: cwd.into() })
        .await
        .unwrap()
    {
        ActionOutput::Pr(p) => *p,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_report_pull_request_and_diff_of_a_remote_session() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start();
    let s = w.ssh();
    s.poll().await.unwrap();
    let cwd = w.cwd();

    let ActionOutput::Git(r) = s
        .act("api", &Action::Git { cwd: cwd.clone() })
        .await
        .unwrap()
    else {
        panic!("not a report")
    };
    assert_eq!(r.branch.as_deref(), Some("feature/dialog"));
    assert_eq!(r.upstream.as_deref(), Some("origin/feature/dialog"));
    assert_eq!(r.ahead_behind, Some((1, 0)));
    assert_eq!(r.changed, 2);
    let c = r.last_commit.clone().unwrap();
    assert_eq!(
        (c.subject.as_str(), c.author.as_str()),
        ("dialog: show the PR", "Mara Tester")
    );
    assert_eq!(
        r.remote_url.as_deref(),
        Some("git@github.com:navi-dev/navi.git")
    );

    // gh there, in the session's directory, with navi's fields.
    let log = w.gh(Some("recorded"));
    let PrStatus::Found(found) = pr(&s, &cwd).await else {
        panic!("no PR")
    };
    assert_eq!((found.number, found.checks.len()), (57, 4));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        format!("pr view --json {PR_FIELDS}")
    );
    let pwd = std::fs::read_to_string(w.scratch.path().join("gh.pwd")).unwrap();
    assert_eq!(pwd.trim(), cwd);

    w.gh(Some("logged-out"));
    let out = pr(&s, &cwd).await;
    assert_eq!(
        out,
        PrStatus::LoggedOut("gh is not logged in on dev (gh auth login)".into())
    );
    assert!(out.unavailable(), "the app then asks gh here by --repo");
    w.gh(Some("failing"));
    assert_eq!(
        pr(&s, &cwd).await,
        PrStatus::Failed("gh on dev failed: error connecting to api.github.com".into())
    );
    w.gh(Some("no-pr"));
    assert!(matches!(pr(&s, &cwd).await, PrStatus::NoPr(_)));
    w.gh(None);
    assert_eq!(
        pr(&s, &cwd).await,
        PrStatus::Missing("gh is not installed on dev".into())
    );

    let ActionOutput::Text(d) = s
        .act("api", &Action::Diff { cwd: cwd.clone() })
        .await
        .unwrap()
    else {
        panic!("no diff")
    };
    assert!(d.contains("\u{1b}[31m-two"), "{d:?}");
    assert!(!d.contains("truncated"));

    // A diff over the cap is cut, and says so.
    let big: String = (0..40_000)
        .map(|i| format!("line {i} of a long file\n"))
        .collect();
    std::fs::write(w.repo.join("notes.txt"), big).unwrap();
    let ActionOutput::Text(d) = s
        .act("api", &Action::Diff { cwd: cwd.clone() })
        .await
        .unwrap()
    else {
        panic!("no diff")
    };
    assert!(d.len() < MAX_DIFF + 200, "{}", d.len());
    assert!(
        d.trim_end().ends_with("diff truncated at 1024 KB\u{1b}[0m"),
        "{}",
        &d[d.len() - 80..]
    );

    // Not a directory there, not a repository: the reason, never a panic.
    let e = s
        .act(
            "api",
            &Action::Git {
                cwd: "/nonexistent/x y".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        e.reason().contains("no such directory: /nonexistent/x y"),
        "{e}"
    );
    let e = s
        .act(
            "api",
            &Action::Git {
                cwd: w.scratch.path().to_str().unwrap().into(),
            },
        )
        .await
        .unwrap_err();
    assert!(e.reason().contains("not a git repository"), "{e}");
}
