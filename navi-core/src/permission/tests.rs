#![allow(clippy::unwrap_used)]
use super::*;

/// Panes of a real Claude Code 2.1.197 (scripts/capture-permission-panes.sh).
const BASH: &str = include_str!("fixtures/claude-2.1.197-bash.txt");
const BASH_AFTER: &str = include_str!("fixtures/claude-2.1.197-bash-after-1.txt");
const BASH_DENIED: &str = include_str!("fixtures/claude-2.1.197-bash-deny-after-3.txt");
const WRITE: &str = include_str!("fixtures/claude-2.1.197-write.txt");
const WRITE_AFTER: &str = include_str!("fixtures/claude-2.1.197-write-after-2.txt");
const FETCH: &str = include_str!("fixtures/claude-2.1.197-webfetch.txt");
const FETCH_AFTER: &str = include_str!("fixtures/claude-2.1.197-webfetch-after-1.txt");

#[test]
fn the_real_bash_dialog() {
    let d = recognise(BASH).unwrap();
    assert_eq!(d.title, "Bash command");
    assert_eq!(
        d.subject,
        [r#"echo "hello" from 'navi' > out.txt"#, "write a file"]
    );
    assert_eq!(d.question, "Do you want to proceed?");
    assert_eq!(d.option_for(Choice::Approve).unwrap(), (1, "Yes"));
    assert_eq!(
        d.option_for(Choice::Always).unwrap(),
        (2, "Yes, and always allow access to proj/ from this project")
    );
    assert_eq!(d.option_for(Choice::Deny).unwrap(), (3, "No"));
    assert_eq!(
        d.describe(),
        r#"Bash command: echo "hello" from 'navi' > out.txt · write a file — Do you want to proceed?"#
    );
    // The fingerprint is itself the dialog, and the screen shows it.
    assert_eq!(Dialog::from_fingerprint(&d.fingerprint()), Some(d.clone()));
    assert!(shows(BASH, &d.fingerprint()));
    assert!(
        d.fingerprint().contains("─\nBash command\n"),
        "{}",
        d.fingerprint()
    );
}

#[test]
fn the_real_write_and_fetch_dialogs() {
    let w = recognise(WRITE).unwrap();
    assert_eq!(w.title, "Create file");
    assert_eq!(w.subject, ["notes.txt", "1 hello from navi"]);
    assert_eq!(w.question, "Do you want to create notes.txt?");
    assert_eq!(
        w.option_for(Choice::Always).unwrap(),
        (2, "Yes, allow all edits during this session (shift+tab)")
    );
    let f = recognise(FETCH).unwrap();
    assert_eq!(f.title, "Fetch");
    assert_eq!(
        f.option_for(Choice::Deny).unwrap(),
        (3, "No, and tell Claude what to do differently (esc)")
    );
    assert_eq!(
        f.option_for(Choice::Always).unwrap().1,
        "Yes, and don't ask again for example.com"
    );
    assert!(!shows(WRITE, &f.fingerprint()) && !shows(FETCH, &w.fingerprint()));
}

#[test]
fn panes_after_an_answer_show_no_dialog() {
    for (name, pane) in [
        ("bash after 1", BASH_AFTER),
        ("bash after 3", BASH_DENIED),
        ("write after 2", WRITE_AFTER),
        ("fetch after 1", FETCH_AFTER),
    ] {
        assert_eq!(recognise(pane), None, "{name}");
        let fp = recognise(BASH).unwrap().fingerprint();
        assert!(!shows(pane, &fp), "{name}");
        assert!(
            what_it_shows(pane).starts_with("no permission dialog"),
            "{name}"
        );
    }
}

/// A stand-in: the documented shape with the given options, cursor on `cursor`.
fn stand_in(title: &str, command: &str, options: &[&str], cursor: usize) -> String {
    let mut s = format!(
        "● Bash({command})\n{}\n {title}\n   {command}\n\n Do you want to proceed?\n",
        "─".repeat(60)
    );
    for (i, o) in options.iter().enumerate() {
        let mark = if i == cursor { "❯" } else { " " };
        s.push_str(&format!(" {mark} {}. {o}\n", i + 1));
    }
    s.push_str("\n Esc to cancel\n\n\n");
    s
}

#[test]
fn stand_in_variants() {
    // The issue's shape: "don't ask again" and "No, and tell Claude ... (esc)".
    let three = stand_in(
        "Bash command",
        "rm -rf build",
        &[
            "Yes",
            "Yes, and don't ask again for rm commands in /w",
            "No, and tell Claude what to do differently (esc)",
        ],
        0,
    );
    let d = recognise(&three).unwrap();
    assert_eq!(d.subject, ["rm -rf build"]);
    assert_eq!(d.option_for(Choice::Deny).unwrap().0, 3);
    // The cursor moved: the same dialog, the same fingerprint.
    let moved = stand_in(
        "Bash command",
        "rm -rf build",
        &[
            "Yes",
            "Yes, and don't ask again for rm commands in /w",
            "No, and tell Claude what to do differently (esc)",
        ],
        2,
    );
    assert!(shows(&moved, &d.fingerprint()));
    // Two options: no "always".
    let two = stand_in("Bash command", "make", &["Yes", "No"], 0);
    let d2 = recognise(&two).unwrap();
    assert_eq!(d2.option_for(Choice::Deny).unwrap(), (2, "No"));
    let e = d2.option_for(Choice::Always).unwrap_err();
    assert!(e.contains("no option to approve always"), "{e}");
    // Another command: another fingerprint.
    let other = stand_in(
        "Bash command",
        "rm -rf /",
        &[
            "Yes",
            "Yes, and don't ask again for rm commands in /w",
            "No, and tell Claude what to do differently (esc)",
        ],
        0,
    );
    assert!(!shows(&other, &d.fingerprint()));
    assert!(what_it_shows(&other).contains("another permission dialog: Bash command: rm -rf /"));
    // Colours (a preview's capture -e) change nothing.
    let coloured = three.replace("Bash command", "\u{1b}[1mBash command\u{1b}[0m");
    assert_eq!(recognise(&coloured).unwrap().fingerprint(), d.fingerprint());
    // A label wrapped onto the next line joins its option.
    let wrapped = three.replace("in /w\n", "in\n      /w\n");
    assert_eq!(
        recognise(&wrapped)
            .unwrap()
            .option_for(Choice::Always)
            .unwrap()
            .1,
        "Yes, and don't ask again for rm commands in /w"
    );
}

#[test]
fn non_dialog_panes() {
    let cases = [
        "",
        "$ ls\nfile\n$ ",
        // A question without options.
        "Do you want to proceed?\n\n> ",
        // Options that are not Yes / No.
        "Do you want to proceed?\n 1. Maybe\n 2. Later\n",
        // Yes without No.
        "Do you want to proceed?\n 1. Yes\n 2. Yes, always\n",
        // Numbering that skips.
        "Do you want to proceed?\n 1. Yes\n 3. No\n",
        // A dialog answered long ago, output below it since.
        &format!(
            "Do you want to proceed?\n 1. Yes\n 2. No\n{}",
            "output\n".repeat(6)
        ),
        // A dialog answered a moment ago, in the history above the screen.
        "Do you want to proceed?\n 1. Yes\n 2. No\n\n Esc to cancel\n\nanswered\n",
        // Someone's text quoting the question in a line.
        "he said: Do you want to proceed?\n",
    ];
    for pane in cases {
        assert_eq!(recognise(pane), None, "{pane:?}");
    }
    assert!(!shows("anything", ""));
    assert_eq!(what_it_shows(""), "an empty screen");
}

#[test]
fn normalising_is_what_the_remote_awk_does() {
    assert_eq!(normalize(" ❯ 1. Yes  "), "1. Yes");
    assert_eq!(normalize("│ a \t b │"), "a b");
    assert_eq!(normalize("   "), "");
}
