use super::*;

#[test]
fn status_porcelain_gives_branch_upstream_and_changes() {
    let mut r = GitReport::default();
    read_status(
        &mut r,
        "# branch.oid 9a1b2c3d\n# branch.head feature/x\n# branch.upstream origin/feature/x\n\
         # branch.ab +2 -5\n1 .M N... 100644 100644 100644 a b src/a.rs\n? new file\n\
         ! ignored\n",
    );
    assert_eq!(r.branch.as_deref(), Some("feature/x"));
    assert_eq!(r.head.as_deref(), Some("9a1b2c3d"));
    assert_eq!(r.upstream.as_deref(), Some("origin/feature/x"));
    assert_eq!(r.ahead_behind, Some((2, 5)));
    assert_eq!(r.changed, 2);
    assert!(r.dirty());
    let mut r = GitReport::default();
    read_status(
        &mut r,
        "# branch.oid (initial)\n# branch.head (detached)\n# branch.ab x y\n",
    );
    assert_eq!((r.branch, r.head, r.ahead_behind), (None, None, None));
}

#[test]
fn log_and_url_are_read_and_capped() {
    let c = read_log("abc123\u{1f}Mara\u{1f}1700000000\u{1f}fix: the \u{1f} thing\n").unwrap();
    assert_eq!(
        (
            c.hash.as_str(),
            c.author.as_str(),
            c.time,
            c.subject.as_str()
        ),
        ("abc123", "Mara", 1_700_000_000, "fix: the \u{1f} thing")
    );
    assert_eq!(read_log(""), None);
    assert_eq!(read_log("not-a-hash\u{1f}x"), None);
    let long = "a".repeat(1000);
    assert!(
        read_log(&format!("ab\u{1f}{long}\u{1f}1\u{1f}{long}"))
            .unwrap()
            .subject
            .len()
            < 400
    );
    assert_eq!(
        read_url("git@github.com:o/n.git\nmore\n").as_deref(),
        Some("git@github.com:o/n.git")
    );
    assert_eq!(read_url("\n"), None);
}

#[test]
fn the_recorded_pr_is_read_whole() {
    let pr = parse_pr_json(crate::fixtures::GH_PR_VIEW.as_bytes()).unwrap();
    assert_eq!(pr.number, 57);
    assert_eq!(pr.state, "OPEN");
    assert!(!pr.draft);
    assert_eq!(pr.mergeable, "MERGEABLE");
    assert_eq!(pr.review_decision, "APPROVED");
    assert_eq!(pr.labels, ["enhancement", "ssh"]);
    assert_eq!((pr.additions, pr.deletions), (142, 37));
    // The reviewer's latest review only.
    assert_eq!(pr.reviews.len(), 1);
    assert_eq!(pr.reviews[0].state, "APPROVED");
    let states: Vec<_> = pr
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        [
            ("build (ubuntu-latest)", CheckState::Passed),
            ("clippy", CheckState::Failed),
            ("sshd tests", CheckState::Pending),
            ("codecov/project", CheckState::Passed),
        ]
    );
    // The review with a body and both comments, by time.
    let who: Vec<_> = pr
        .comments
        .iter()
        .map(|c| (c.author.as_str(), c.kind.as_str()))
        .collect();
    assert_eq!(
        who,
        [
            ("octo-reviewer", "commented"),
            ("octo-reviewer", "comment"),
            ("mara", "comment")
        ]
    );
}

#[test]
fn hostile_or_odd_pr_answers_never_panic() {
    for bad in [&b"[1]"[..], b"", b"{", b"\xff\xfe", b"null"] {
        assert!(parse_pr_json(bad).is_err(), "{bad:?}");
    }
    let odd = br#"{"number":-3,"title":7,"labels":"x","reviews":[1,{"author":5}],
        "statusCheckRollup":[{},null],"comments":[{"body":null}]}"#;
    let pr = parse_pr_json(odd).unwrap();
    assert_eq!(pr.number, 0);
    assert_eq!(pr.checks.len(), 2);
    assert!(pr.checks.iter().all(|c| c.state == CheckState::Pending));
    let many = format!(
        r#"{{"labels":[{}]}}"#,
        vec![r#"{"name":"l"}"#; 5000].join(",")
    );
    assert_eq!(
        parse_pr_json(many.as_bytes()).unwrap().labels.len(),
        MAX_ITEMS
    );
}

#[test]
fn gh_outcomes_are_one_line_each() {
    let on = "on dev";
    assert_eq!(
        read_pr(Some(127), b"", b"", on),
        PrStatus::Missing("gh is not installed on dev".into())
    );
    assert!(read_pr(None, b"", b"", on).unavailable());
    let logged_out = read_pr(
        Some(4),
        b"",
        b"To get started with GitHub CLI, please run:  gh auth login\n",
        on,
    );
    assert_eq!(
        logged_out,
        PrStatus::LoggedOut("gh is not logged in on dev (gh auth login)".into())
    );
    assert!(logged_out.unavailable());
    let none = read_pr(
        Some(1),
        b"",
        b"no pull requests found for branch \"x\"\n",
        on,
    );
    assert!(
        matches!(&none, PrStatus::NoPr(s) if s.contains("no pull requests found")),
        "{none:?}"
    );
    assert!(!none.unavailable());
    let failed = read_pr(
        Some(1),
        b"",
        b"error connecting to api.github.com\n\x1b[31mcheck your internet\n",
        on,
    );
    assert_eq!(
        failed,
        PrStatus::Failed(
            "gh on dev failed: error connecting to api.github.com check your internet".into()
        )
    );
    assert!(
        matches!(read_pr(Some(0), b"nope", b"", on), PrStatus::Failed(s) if s.contains("unreadable"))
    );
    assert!(matches!(
        read_pr(Some(0), crate::fixtures::GH_PR_VIEW.as_bytes(), b"", on),
        PrStatus::Found(_)
    ));
}

#[test]
fn repo_slugs_from_ssh_and_https_urls() {
    for (url, want) in [
        (
            "git@github.com:navi-dev/navi.git",
            Some("github.com/navi-dev/navi"),
        ),
        (
            "git@github.com:navi-dev/navi",
            Some("github.com/navi-dev/navi"),
        ),
        (
            "ssh://git@github.com/navi-dev/navi.git",
            Some("github.com/navi-dev/navi"),
        ),
        (
            "ssh://git@ghe.example.com:2222/team/tool.git",
            Some("ghe.example.com/team/tool"),
        ),
        (
            "https://github.com/navi-dev/navi",
            Some("github.com/navi-dev/navi"),
        ),
        (
            "https://user@github.com/navi-dev/navi.git/",
            Some("github.com/navi-dev/navi"),
        ),
        ("/srv/git/navi.git", None),
        ("git@github.com:-o/x", None),
        ("https://github.com/a/b/c", None),
        ("https://github.com/a/b c", None),
        ("", None),
    ] {
        assert_eq!(repo_of_url(url).as_deref(), want, "{url}");
    }
}

#[test]
fn a_diff_keeps_colours_and_says_when_cut() {
    let d = clean_diff(b"\x1b[32m+\tadded\x1b[m\n\x1b]0;title\x07-gone\n", false);
    assert_eq!(d, "\x1b[32m+    added\x1b[m\n-gone");
    let big = "+line\n".repeat(MAX_DIFF / 6 + 10);
    let d = clean_diff(big.as_bytes(), false);
    assert!(d.len() <= MAX_DIFF + 100);
    assert!(
        d.ends_with("truncated at 1024 KB\u{1b}[0m"),
        "{}",
        &d[d.len() - 60..]
    );
    assert!(clean_diff(b"+a\n+b", true).contains("truncated"));
}

#[test]
fn a_remote_report_is_read_by_its_sections() {
    let out = "\u{1e}status\n# branch.head main\n# branch.ab +0 -3\n? x\n\n\u{1e}url\nhttps://github.com/a/b\n\n\u{1e}log\nab12\u{1f}Mara\u{1f}5\u{1f}hello\n";
    let r = read_report(out.as_bytes());
    assert_eq!(r.branch.as_deref(), Some("main"));
    assert_eq!(r.ahead_behind, Some((0, 3)));
    assert_eq!(r.changed, 1);
    assert_eq!(r.remote_url.as_deref(), Some("https://github.com/a/b"));
    assert_eq!(r.last_commit.map(|c| c.subject), Some("hello".to_string()));
    // No remote and no commit yet; garbage; a hostile subject.
    let r = read_report(b"\x1estatus\n# branch.head main\n\n\x1eurl\n\n\x1elog\n");
    assert_eq!((r.remote_url, r.last_commit), (None, None));
    assert_eq!(read_report(b"\xff\x1e\x1eurl"), GitReport::default());
    let r = read_report(
        "\u{1e}status\n\n\u{1e}url\n\n\u{1e}log\nab\u{1f}x\u{1f}1\u{1f}s\u{1e}url\n".as_bytes(),
    );
    assert_eq!(
        r.last_commit.map(|c| c.subject),
        Some("s\u{1e}url".to_string())
    );
}
