//! `navi git` on a local session: the git dialog's text from a real repository, the pull
//! request from a `gh` stub on PATH (recorded answer, logged out, failing, missing), and
//! `--diff`.

use std::os::unix::fs::PermissionsExt;

use navi_core::fixtures::{gh_stub, GH_PR_VIEW, GIT_REPO_SCRIPT};

use super::{stderr, stdout, Env};

#[test]
fn navi_git_shows_the_dialog_with_gh_on_path_and_every_gh_failure_in_one_line() {
    let env = Env::new();
    let repo = env.home.path().join("work");
    std::fs::create_dir(&repo).unwrap();
    let made = std::process::Command::new("sh")
        .args(["-c", GIT_REPO_SCRIPT, "sh"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let status = serde_json::json!({
        "tmux_session": "api", "status": "working", "cwd": repo.to_str().unwrap()
    });
    std::fs::write(env.sessions.join("api.json"), status.to_string()).unwrap();
    let bin = env.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let json = env.home.path().join("pr.json");
    std::fs::write(&json, GH_PR_VIEW).unwrap();
    let log = env.home.path().join("gh.log");
    let gh = |mode: Option<&str>| {
        let path = bin.join("gh");
        let _ = std::fs::remove_file(&path);
        if let Some(mode) = mode {
            std::fs::write(
                &path,
                gh_stub(mode, json.to_str().unwrap(), log.to_str().unwrap()),
            )
            .unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let run = |args: &[&str]| {
        env.command(args)
            .env("NAVI_SESSIONS_DIR", &env.sessions)
            .env("PATH", &path)
            .output()
            .unwrap()
    };

    gh(Some("recorded"));
    let out = run(&["git", "api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "branch       feature/dialog → origin/feature/dialog",
        "changes      2 files changed (uncommitted)",
        "ahead/behind ↑1 ↓0",
        "dialog: show the PR — Mara Tester",
        "remote       git@github.com:navi-dev/navi.git",
        "pull request #57 remote: git dialog over the pooled connection",
        "state        OPEN · mergeable",
        "labels       enhancement, ssh",
        "reviews      approved, octo-reviewer approved",
        "lines        +142 −37",
        "checks       2 passed, 1 failed, 1 pending",
        "✗ clippy",
        "● sshd tests",
        "comments     3 (c shows them)",
        "url          https://github.com/navi-dev/navi/pull/57",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }

    for (mode, line) in [
        (
            Some("logged-out"),
            "pull request gh is not logged in here (gh auth login)",
        ),
        (
            Some("failing"),
            "pull request gh here failed: error connecting to api.github.com",
        ),
        (None, "pull request gh is not installed here"),
    ] {
        gh(mode);
        let out = run(&["git", "api"]);
        assert!(out.status.success(), "{mode:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(line),
            "{mode:?}: missing {line:?} in:\n{text}"
        );
        // The git part is there all the same.
        assert!(text.contains("feature/dialog"), "{text}");
    }

    let out = run(&["git", "api", "--diff"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(diff.contains("-two") && diff.contains("+2"), "{diff}");
    assert!(
        !diff.contains('\u{1b}'),
        "plain text when printed: {diff:?}"
    );

    let out = run(&["git", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no session named nope"),
        "{}",
        stderr(&out)
    );
}
