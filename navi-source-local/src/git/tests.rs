use super::*;
use navi_core::fixtures::{gh_stub, GH_PR_VIEW, GIT_REPO_SCRIPT};
use std::os::unix::fs::PermissionsExt;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("sh")
        .args(["-c", GIT_REPO_SCRIPT, "sh"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// A `gh` stub in `dir` answering as `mode`; its argument log.
fn stub(dir: &std::path::Path, mode: &str) -> (String, PathBuf) {
    let json = dir.join("pr.json");
    std::fs::write(&json, GH_PR_VIEW).unwrap();
    let log = dir.join("gh.log");
    let gh = dir.join(format!("gh-{mode}"));
    std::fs::write(
        &gh,
        gh_stub(mode, json.to_str().unwrap(), log.to_str().unwrap()),
    )
    .unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    (gh.to_str().unwrap().to_string(), log)
}

#[test]
fn a_real_repository_reports_branch_changes_ahead_commit_and_remote() {
    let dir = repo();
    let r = report(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(r.branch.as_deref(), Some("feature/dialog"));
    assert_eq!(r.upstream.as_deref(), Some("origin/feature/dialog"));
    assert_eq!(r.ahead_behind, Some((1, 0)));
    assert_eq!(r.changed, 2, "notes.txt modified, untracked.txt new");
    let c = r.last_commit.unwrap();
    assert_eq!(
        (c.subject.as_str(), c.author.as_str()),
        ("dialog: show the PR", "Mara Tester")
    );
    assert_eq!(c.hash.len(), 40);
    assert!(c.time > 1_600_000_000);
    assert_eq!(
        r.remote_url.as_deref(),
        Some("git@github.com:navi-dev/navi.git")
    );
}

#[test]
fn not_a_repository_or_no_directory_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = report(dir.path().to_str().unwrap()).unwrap_err();
    assert!(e.contains("not a git repository"), "{e}");
    let e = report("/nonexistent/navi-test-dir").unwrap_err();
    assert_eq!(e, "no such directory: /nonexistent/navi-test-dir");
}

#[test]
fn the_diff_has_gits_colours() {
    let dir = repo();
    let d = diff(dir.path().to_str().unwrap()).unwrap();
    assert!(d.contains("\u{1b}[31m-two"), "{d:?}");
    assert!(d.contains("\u{1b}[32m+\u{1b}[m\u{1b}[32m2"), "{d:?}");
    assert!(
        !d.contains("untracked"),
        "git diff shows tracked files only"
    );
}

#[test]
fn gh_in_the_tree_or_by_repo_and_every_failure_is_one_line() {
    let dir = repo();
    let cwd = dir.path().to_str().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let (gh, log) = stub(bin.path(), "recorded");
    let PrStatus::Found(pr) = pull_request_with(&gh, cwd) else {
        panic!("no PR")
    };
    assert_eq!(pr.number, 57);
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(args.trim(), format!("pr view --json {}", git::PR_FIELDS));
    std::fs::remove_file(&log).unwrap();
    assert!(matches!(
        pull_request_of_with(&gh, "github.com/navi-dev/navi", "feature/dialog"),
        PrStatus::Found(_)
    ));
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        args.trim(),
        format!(
            "pr view --json {} --repo=github.com/navi-dev/navi -- feature/dialog",
            git::PR_FIELDS
        )
    );
    let (gh, _) = stub(bin.path(), "logged-out");
    assert_eq!(
        pull_request_with(&gh, cwd),
        PrStatus::LoggedOut("gh is not logged in here (gh auth login)".into())
    );
    let (gh, _) = stub(bin.path(), "failing");
    assert_eq!(
        pull_request_with(&gh, cwd),
        PrStatus::Failed("gh here failed: error connecting to api.github.com".into())
    );
    let missing = bin.path().join("no-gh");
    assert_eq!(
        pull_request_with(missing.to_str().unwrap(), cwd),
        PrStatus::Missing("gh is not installed here".into())
    );
}

#[test]
fn the_opener_is_bounded_and_its_failure_said() {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("opened");
    let ok = bin.path().join("opener");
    std::fs::write(
        &ok,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", log.display()),
    )
    .unwrap();
    let bad = bin.path().join("bad");
    std::fs::write(&bad, "#!/bin/sh\nexit 3\n").unwrap();
    for p in [&ok, &bad] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let url = "https://github.com/navi-dev/navi/pull/57";
    open_with(ok.to_str().unwrap(), url).unwrap();
    assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), url);
    let e = open_with(bad.to_str().unwrap(), url).unwrap_err();
    assert!(e.contains("exit status 3"), "{e}");
    let e = open_with("/nonexistent/xdg-open", url).unwrap_err();
    assert!(e.contains("is not installed"), "{e}");
    let e = open_with(ok.to_str().unwrap(), "-x https://a").unwrap_err();
    assert!(e.contains("not a web address"), "{e}");
}
