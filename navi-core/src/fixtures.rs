//! The status files of `fixtures/`, embedded: every shape the hooks write (git, metrics,
//! team, external agents, an unknown field, an unknown status). Used by tests, the
//! conformance suite and `navi --demo`.

/// `(file name, contents)` of each embedded status file.
pub const FILES: &[(&str, &str)] = &[
    ("api.json", include_str!("../fixtures/api.json")),
    ("deploy.json", include_str!("../fixtures/deploy.json")),
    ("hyperion.json", include_str!("../fixtures/hyperion.json")),
    ("legacy.json", include_str!("../fixtures/legacy.json")),
    ("notes.json", include_str!("../fixtures/notes.json")),
];

/// A recorded answer of `gh pr view --json` with [`crate::git::PR_FIELDS`]: an open pull
/// request with labels, two reviews by one reviewer, four checks (passed, failed,
/// running, a commit status) and two comments. The `gh` stubs of the tests print it.
pub const GH_PR_VIEW: &str = include_str!("../fixtures/gh/pr_view.json");

/// A POSIX `sh` script that makes a git repository in `$1` as the git dialog's tests
/// want it: branch `feature/dialog`, two commits (the last by "Mara Tester", subject
/// "dialog: show the PR"), one ahead of its upstream `origin/feature/dialog`, origin at
/// `git@github.com:navi-dev/navi.git`, one modified and one untracked file.
pub const GIT_REPO_SCRIPT: &str = r#"set -e
cd "$1"
export GIT_AUTHOR_NAME="Mara Tester" GIT_AUTHOR_EMAIL=mara@example.com
export GIT_COMMITTER_NAME="Mara Tester" GIT_COMMITTER_EMAIL=mara@example.com
git init -q .
git checkout -q -b feature/dialog
git config user.name "Mara Tester"
git config user.email mara@example.com
git config commit.gpgsign false
printf 'one\ntwo\nthree\n' > notes.txt
git add notes.txt
git commit -q -m "notes: first"
git remote add origin git@github.com:navi-dev/navi.git
git update-ref refs/remotes/origin/feature/dialog HEAD
git config branch.feature/dialog.remote origin
git config branch.feature/dialog.merge refs/heads/feature/dialog
printf 'one\ntwo\nthree\nfour\n' > notes.txt
git commit -q -am "dialog: show the PR"
printf 'one\n2\nthree\nfour\n' > notes.txt
printf 'new\n' > untracked.txt
"#;

/// A `gh` stand-in: appends its arguments (one line) to `log`, then answers as `mode`
/// says: `recorded` prints [`GH_PR_VIEW`] from the file `json` and exits 0,
/// `logged-out` says to run `gh auth login` and exits 4 (as gh does), `failing` says
/// it cannot reach GitHub and exits 1, `no-pr` says there is no pull request, exit 1.
pub fn gh_stub(mode: &str, json: &str, log: &str) -> String {
    let answer = match mode {
        "recorded" => format!("cat '{json}'"),
        "logged-out" => {
            "echo 'To get started with GitHub CLI, please run:  gh auth login' >&2; exit 4".into()
        }
        "no-pr" => "echo 'no pull requests found for branch \"feature/dialog\"' >&2; exit 1".into(),
        _ => "echo 'error connecting to api.github.com' >&2; exit 1".into(),
    };
    format!("#!/bin/sh\necho \"$*\" >> '{log}'\n{answer}\n")
}
