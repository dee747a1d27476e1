use super::*;
use proptest::prelude::*;

fn parse_all(text: &[u8]) -> Vec<Line> {
    let mut parser = Parser::default();
    let mut reader = LineReader::new(text);
    let mut raw = Vec::new();
    let mut out = Vec::new();
    while reader.next_line(&mut raw).unwrap() {
        out.extend(parser.feed(&raw));
    }
    out
}

#[test]
fn lines_of_tmux_3_3_are_read() {
    let text = b"%begin 1796660159 268 0\n%end 1796660159 268 0\n%session-changed $0 a\n\
        %begin 1796660159 273 1\n%0\n%end 1796660159 273 1\n%window-renamed @0 sh\n\
        %sessions-changed\n%session-renamed $1 b b\n%window-pane-changed @0 %3\n\
        %layout-change @0 c196,80x24,0,0 c196,80x24,0,0 *\n\
        %output %2 \\033[?2004hroot@vm:/tmp# \n%session-window-changed $0 @2\n\
        %begin 1 2 1\nparse error\n%error 1 2 1\n%exit\n";
    let lines = parse_all(text);
    let reply = |ok, ours, l: &[&str]| Line::Reply {
        ok,
        ours,
        lines: l.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        lines,
        [
            reply(true, false, &[]),
            Line::SessionChanged { id: "$0".into() },
            reply(true, true, &["%0"]),
            Line::Other,
            Line::SessionsChanged,
            Line::SessionRenamed { id: "$1".into() },
            Line::WindowPaneChanged,
            Line::LayoutChange,
            Line::Output { pane: "%2".into() },
            Line::SessionWindowChanged {
                session: "$0".into()
            },
            reply(false, true, &["parse error"]),
            Line::Exit,
        ]
    );
}

#[test]
fn a_long_line_is_cut_and_the_next_one_still_read() {
    let mut text = b"%output %1 ".to_vec();
    text.extend(std::iter::repeat_n(b'x', 3 * MAX_LINE));
    text.extend(b"\n%sessions-changed\n");
    let mut reader = LineReader::new(&text[..]);
    let mut raw = Vec::new();
    assert!(reader.next_line(&mut raw).unwrap());
    assert_eq!(raw.len(), MAX_LINE);
    assert!(reader.next_line(&mut raw).unwrap());
    assert_eq!(raw, b"%sessions-changed");
    assert!(!reader.next_line(&mut raw).unwrap());
    assert_eq!(
        parse_all(&text),
        [Line::Output { pane: "%1".into() }, Line::SessionsChanged]
    );
}

proptest! {
    /// Any bytes: no panic, no line over the cap.
    #[test]
    fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut parser = Parser::default();
        let mut reader = LineReader::new(&bytes[..]);
        let mut raw = Vec::new();
        while reader.next_line(&mut raw).unwrap() {
            prop_assert!(raw.len() <= MAX_LINE);
            let _ = parser.feed(&raw);
        }
    }
}

/// Control clients only from tmux 3.8 on: every release before can crash its server when
/// one connects while sessions change.
#[test]
fn only_tmux_3_8_and_later_get_control_clients() {
    for safe in [
        "tmux 3.8",
        "tmux 3.8a",
        "tmux 3.10",
        "tmux 4.0",
        "tmux next-3.8",
    ] {
        assert!(super::safe_version(safe), "{safe}");
    }
    for unsafe_ in [
        "tmux 3.3a",
        "tmux 3.7c",
        "tmux 3.2",
        "tmux master",
        "tmux next-3.4",
        "tmux",
        "",
        "tmux 3",
        "tmux x.9",
        "tmux 2.10",
    ] {
        assert!(!super::safe_version(unsafe_), "{unsafe_}");
    }
}
