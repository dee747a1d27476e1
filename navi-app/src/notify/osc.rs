//! The bytes the screen channels write: the bell, the terminal's desktop notification
//! (OSC 777 and OSC 9), the window title (OSC 2), and tmux's passthrough that carries a
//! sequence to the terminal outside tmux.
//!
//! Every text put in a sequence is free of control characters (so it cannot end the
//! sequence early or start another) and bounded.

use navi_core::text::sanitize;

/// The terminal bell.
pub const BELL: &[u8] = b"\x07";
/// Saves the window title on the terminal's title stack (xterm, tmux, VTE, kitty...).
pub const PUSH_TITLE: &[u8] = b"\x1b[22;0t";
/// Restores the title saved by [`PUSH_TITLE`].
pub const POP_TITLE: &[u8] = b"\x1b[23;0t";

/// The longest text put in a sequence, in characters.
const MAX_TEXT: usize = 200;

/// `ESC ] 777 ; notify ; TITLE ; BODY BEL`. A `;` in the title would move its end, so
/// it becomes `,`.
pub fn osc777(title: &str, body: &str) -> Vec<u8> {
    let title = clean(title).replace(';', ",");
    format!("\x1b]777;notify;{title};{}\x07", clean(body)).into_bytes()
}

/// `ESC ] 9 ; BODY BEL`. A body starting with a digit and `;` would be one of ConEmu's
/// OSC 9 subcommands, so such a body gets a leading space.
pub fn osc9(body: &str) -> Vec<u8> {
    let mut body = clean(body);
    if body.starts_with(|c: char| c.is_ascii_digit()) {
        body.insert(0, ' ');
    }
    format!("\x1b]9;{body}\x07").into_bytes()
}

/// `ESC ] 2 ; TITLE BEL`: the window title (tmux: the pane title).
pub fn osc2(title: &str) -> Vec<u8> {
    format!("\x1b]2;{}\x07", clean(title)).into_bytes()
}

/// tmux's passthrough: `ESC P tmux ; SEQUENCE-WITH-EVERY-ESC-DOUBLED ESC \`, which tmux
/// (with `allow-passthrough on`) hands to the terminal it runs in.
pub fn tmux_passthrough(sequence: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sequence.len() + 10);
    out.extend_from_slice(b"\x1bPtmux;");
    for &b in sequence {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

/// The title for `count` sessions that need you: `navi`, `navi (1 needs you)`,
/// `navi (2 need you)`.
pub fn title_text(count: usize) -> String {
    match count {
        0 => "navi".into(),
        1 => "navi (1 needs you)".into(),
        n => format!("navi ({n} need you)"),
    }
}

/// One line without control characters, at most [`MAX_TEXT`] characters.
fn clean(s: &str) -> String {
    let s = sanitize(s);
    match s.chars().count() > MAX_TEXT {
        true => s.chars().take(MAX_TEXT - 1).collect::<String>() + "…",
        false => s.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_byte_for_byte() {
        assert_eq!(
            osc777("navi", "api [dev-server] needs permission: Bash"),
            b"\x1b]777;notify;navi;api [dev-server] needs permission: Bash\x07"
        );
        assert_eq!(osc9("api is waiting"), b"\x1b]9;api is waiting\x07");
        assert_eq!(osc2("navi (2 need you)"), b"\x1b]2;navi (2 need you)\x07");
        assert_eq!(BELL, b"\x07");
    }

    #[test]
    fn the_tmux_passthrough_doubles_every_escape() {
        assert_eq!(
            tmux_passthrough(&osc9("hi")),
            b"\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"
        );
        assert_eq!(
            tmux_passthrough(&osc777("navi", "a")),
            b"\x1bPtmux;\x1b\x1b]777;notify;navi;a\x07\x1b\\"
        );
    }

    #[test]
    fn hostile_text_cannot_leave_the_sequence() {
        let evil = "x\x07\x1b]2;pwned\x07\x1b\\y\u{9c}z\nw";
        for seq in [osc777(evil, evil), osc9(evil), osc2(evil)] {
            let inner = &seq[..seq.len() - 1];
            assert!(
                !inner[1..].iter().any(|b| *b == 0x1b || *b == 0x07),
                "{seq:?}"
            );
            assert_eq!(seq.last(), Some(&0x07));
        }
        assert_eq!(osc777("a;b", "c;d"), b"\x1b]777;notify;a,b;c;d\x07");
        assert_eq!(osc9("3;x"), b"\x1b]9; 3;x\x07");
        let long = "é".repeat(500);
        let seq = String::from_utf8(osc9(&long)).unwrap();
        assert_eq!(seq.chars().count(), 4 + MAX_TEXT + 1);
    }

    #[test]
    fn the_title_counts() {
        assert_eq!(title_text(0), "navi");
        assert_eq!(title_text(1), "navi (1 needs you)");
        assert_eq!(title_text(2), "navi (2 need you)");
    }
}
