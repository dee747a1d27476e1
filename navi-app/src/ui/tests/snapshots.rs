//! Whole screens of the dashboard's main states, compared line by line with the text
//! files in `snapshots/`. A change to the layout shows as a diff of those files: run
//! with `NAVI_UPDATE_SNAPSHOTS=1` to rewrite them, then review the diff before committing.
//! The clock is fixed (`NOW`, ages relative to `ui.now`), so a screen is always the same.

use std::path::PathBuf;

use super::*;
use crate::app::{Density, Level, Overlay};

/// The screen as text, one line per row, trailing blanks cut.
fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let mut out = String::new();
    for line in lines(terminal) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `Err` names the first line that differs and shows both screens.
fn compare(name: &str, expected: &str, actual: &str) -> Result<(), String> {
    if expected == actual {
        return Ok(());
    }
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(0);
    Err(format!(
        "screen `{name}` differs from its snapshot at line {} (run with \
         NAVI_UPDATE_SNAPSHOTS=1 to accept it, then review the diff)\n\
         --- snapshot\n{expected}--- now\n{actual}",
        first + 1
    ))
}

pub(super) fn assert_screen(name: &str, terminal: &Terminal<TestBackend>) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/ui/tests/snapshots")
        .join(format!("{name}.txt"));
    let actual = text_of(terminal);
    if std::env::var_os("NAVI_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&file, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with NAVI_UPDATE_SNAPSHOTS=1 to write it",
            file.display()
        )
    });
    if let Err(diff) = compare(name, &expected, &actual) {
        panic!("{diff}");
    }
}

fn screen_of(
    ui: &mut UiState,
    sessions: Vec<Arc<SessionInfo>>,
    w: u16,
    h: u16,
) -> Terminal<TestBackend> {
    let model = model_with(sessions, ui);
    render(&model, ui, w, h)
}

#[test]
fn the_snapshot_check_fails_on_a_changed_screen_and_says_where() {
    assert!(compare("s", "a\nb\n", "a\nb\n").is_ok());
    let err = compare("s", "a\nb\n", "a\nc\n").unwrap_err();
    assert!(
        err.contains("screen `s` differs from its snapshot at line 2"),
        "{err}"
    );
    assert!(
        compare("s", "a\n", "a\nb\n").is_err(),
        "a longer screen differs"
    );
}

#[test]
fn screen_list_roomy() {
    let mut ui = ui();
    ui.density = Density::Roomy;
    assert_screen(
        "list_roomy",
        &screen_of(&mut ui, default_sessions(), 100, 24),
    );
}

#[test]
fn screen_list_compact() {
    let mut ui = ui();
    ui.density = Density::Compact;
    assert_screen(
        "list_compact",
        &screen_of(&mut ui, default_sessions(), 100, 16),
    );
}

#[test]
fn screen_list_with_preview() {
    let mut ui = ui();
    ui.preview.visible = true;
    ui.preview.percent = 50;
    ui.preview.side = true;
    ui.preview.of = Some((None, "notes".into()));
    ui.preview.text = (1..=30).map(|i| format!("$ step {i}\n")).collect();
    assert_screen(
        "list_with_preview",
        &screen_of(&mut ui, default_sessions(), 120, 20),
    );
}

#[test]
fn screen_help_overlay() {
    let mut ui = ui();
    ui.overlay = Overlay::Help;
    ui.set_message(Level::Info, "filter: local (2 shown)");
    assert_screen(
        "help_overlay",
        &screen_of(&mut ui, default_sessions(), 100, 30),
    );
}

/// Only the unavailable remote's stale row is left: the header says why, the row is
/// marked stale.
#[test]
fn screen_unavailable_remote() {
    let mut ui = ui();
    let stale = default_sessions()
        .into_iter()
        .filter(|s| s.remote.as_deref() == Some("staging"))
        .collect();
    assert_screen("unavailable_remote", &screen_of(&mut ui, stale, 100, 14));
}

#[test]
fn screen_empty() {
    let mut ui = ui();
    assert_screen("empty", &screen_of(&mut ui, Vec::new(), 100, 16));
}

/// The git dialog of a remote session with the recorded pull request.
fn git_dialog() -> crate::app::GitDialog {
    use navi_core::git::{Commit, GitReport, PrStatus};
    let pr = navi_core::git::parse_pr_json(navi_core::fixtures::GH_PR_VIEW.as_bytes()).unwrap();
    crate::app::GitDialog {
        of: (Some("dev".into()), "api".into()),
        label: "api [dev]".into(),
        cwd: "/home/mara/work/navi".into(),
        report: Some(Ok(GitReport {
            branch: Some("feature/dialog".into()),
            head: Some("3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3".into()),
            upstream: Some("origin/feature/dialog".into()),
            ahead_behind: Some((1, 0)),
            changed: 2,
            last_commit: Some(Commit {
                hash: "3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3".into(),
                subject: "dialog: show the PR".into(),
                author: "Mara Tester".into(),
                time: NOW - 3 * 3600,
            }),
            remote_url: Some("git@github.com:navi-dev/navi.git".into()),
        })),
        pr: Some(PrStatus::Found(Box::new(pr))),
        keys_hint: "c comments · o Enter open in browser · d diff · r refresh · Esc close".into(),
        ..crate::app::GitDialog::default()
    }
}

#[test]
fn screen_git_dialog() {
    let mut ui = ui();
    ui.overlay = Overlay::Git;
    ui.git = Some(git_dialog());
    assert_screen(
        "git_dialog",
        &screen_of(&mut ui, default_sessions(), 110, 34),
    );
}

/// gh missing on the remote and logged out here: one line each, the git part intact.
#[test]
fn screen_git_dialog_without_gh() {
    use navi_core::git::PrStatus;
    let mut ui = ui();
    ui.overlay = Overlay::Git;
    let mut d = git_dialog();
    d.pr = Some(PrStatus::Missing("gh is not installed on dev".into()));
    d.pr_here = Some(PrStatus::LoggedOut(
        "gh is not logged in here (gh auth login)".into(),
    ));
    ui.git = Some(d);
    assert_screen(
        "git_dialog_without_gh",
        &screen_of(&mut ui, default_sessions(), 100, 24),
    );
}

/// The diff in the content viewer, scrolled: colours from git's SGR.
#[test]
fn screen_git_diff_viewer() {
    let mut ui = ui();
    ui.overlay = Overlay::Git;
    let mut d = git_dialog();
    let mut diff = String::from(
        "\u{1b}[1mdiff --git a/notes.txt b/notes.txt\u{1b}[m\n\u{1b}[36m@@ -1,4 +1,4 @@\u{1b}[m\n",
    );
    for i in 0..40 {
        diff.push_str(&format!(
            " context {i}\n\u{1b}[31m-old {i}\u{1b}[m\n\u{1b}[32m+new {i}\u{1b}[m\n"
        ));
    }
    d.view = Some(crate::app::ContentView {
        title: "diff: feature/dialog".into(),
        lines: diff.lines().map(str::to_string).collect(),
        scroll: 3,
        page: 0,
    });
    ui.git = Some(d);
    let t = screen_of(&mut ui, default_sessions(), 80, 16);
    assert_screen("git_diff_viewer", &t);
    // git's colours as styles: the removed line red, the added one green.
    let buf = t.backend().buffer();
    let row_of = |needle: &str| {
        (0..buf.area.height)
            .find(|&y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .unwrap()
    };
    assert_eq!(
        buf[(1, row_of("-old 1"))].fg,
        ratatui::style::Color::Indexed(1)
    );
    assert_eq!(
        buf[(1, row_of("+new 1"))].fg,
        ratatui::style::Color::Indexed(2)
    );
    assert_eq!(
        ui.git.unwrap().view.unwrap().page,
        13,
        "the page follows the screen"
    );
}
