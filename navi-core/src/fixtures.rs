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
