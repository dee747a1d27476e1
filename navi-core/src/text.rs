//! Text helpers: making untrusted text safe for a terminal, and naming the key a typo meant.

use std::borrow::Cow;

/// Expands a leading `~` (alone or as `~/...`) of a LOCAL path to `home`; any other path,
/// or any path when no home is known, is returned as is. Remote paths are never expanded
/// here: the remote shell does that with the remote user's home.
pub fn expand_home(path: &std::path::Path, home: Option<&std::path::Path>) -> std::path::PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) if rest.as_os_str().is_empty() => home.to_path_buf(),
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Removes escape sequences (CSI, OSC, DCS, ...), C0 and C1 control characters and
/// bidirectional overrides from `s`; tabs and line breaks become spaces. Every piece of
/// text from a status file or a remote passes through this before it reaches the screen.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_work) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => out.push(' '),
            c if needs_work(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters that take no room on screen (zero-width spaces and joiners, word joiners,
/// the byte order mark, a soft hyphen, bidi controls): two names differing only by them
/// look the same.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// A session name for the screen: [`sanitize`]d, and every invisible character
/// ([`is_invisible`]) shown as `<U+200B>`, so two names that differ only by one never look
/// the same.
pub fn sanitize_name(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return sanitize(s);
    }
    let shown: String = s
        .chars()
        .map(|c| match is_invisible(c) {
            true => format!("<U+{:04X}>", u32::from(c)),
            false => c.to_string(),
        })
        .collect();
    Cow::Owned(sanitize(&shown).into_owned())
}

fn needs_work(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Skips parameter and intermediate bytes up to and including the final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips a string command up to BEL or ST (`ESC \` or U+009C).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// A tmux pane's text made safe to show: every line sanitized ([`sanitize`]) and
/// trimmed at the end, trailing blank lines dropped.
pub fn clean_pane(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|l| sanitize(l).trim_end().to_string())
        .collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    lines[..end].join("\n")
}

/// A tmux pane captured with colours (`capture-pane -e`) made safe to show: SGR
/// sequences (`ESC [ digits ; : m`, colours and attributes) are kept, rebuilt from their
/// checked parameters; every other escape sequence and control character is removed as
/// [`sanitize`] removes it (cursor moves, clearing, titles, clipboard, DCS, ...). Lines
/// are trimmed at the end; trailing blank lines are dropped. A line's colours start from
/// the default (tmux writes each line's attributes from scratch).
pub fn clean_pane_sgr(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(keep_sgr).collect();
    let end = lines
        .iter()
        .rposition(|l| !sanitize(l).trim().is_empty())
        .map_or(0, |i| i + 1);
    lines[..end]
        .iter()
        .map(|l| match sanitize(l).trim().is_empty() {
            true => String::new(),
            false => l.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest SGR parameter list kept (a true-colour foreground and background with
/// attributes is about 40 bytes).
const MAX_SGR: usize = 64;

/// One line: SGR kept, everything else [`sanitize`]d.
fn keep_sgr(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut plain = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let csi = match c {
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                true
            }
            '\u{9b}' => true,
            _ => false,
        };
        if !csi {
            plain.push(c);
            continue;
        }
        out.push_str(&sanitize(&std::mem::take(&mut plain)));
        let mut params = String::new();
        let mut fin = None;
        // Parameter and intermediate bytes up to the final byte; anything else (an ESC
        // starting the next sequence, a control) ends the sequence unfinished.
        while let Some(&p) = chars.peek() {
            if ('\u{40}'..='\u{7e}').contains(&p) {
                chars.next();
                fin = Some(p);
                break;
            }
            if !(' '..='?').contains(&p) {
                break;
            }
            chars.next();
            params.push(p);
        }
        let sgr = fin == Some('m')
            && params.len() <= MAX_SGR
            && params
                .chars()
                .all(|p| p.is_ascii_digit() || p == ';' || p == ':');
        if sgr {
            out.push_str("\u{1b}[");
            out.push_str(&params);
            out.push('m');
        }
    }
    out.push_str(&sanitize(&plain));
    out.trim_end().to_string()
}

/// The candidate a misspelt config key most likely meant: the same letters ignoring `_`,
/// `-` and case, or else the nearest within two edits. `None` when nothing is close.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let w = norm(word);
    candidates
        .iter()
        .map(|c| (edit_distance(&norm(c), &w), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two character sequences.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest, sanitize};

    #[test]
    fn home_expansion() {
        use super::expand_home;
        use std::path::{Path, PathBuf};
        let home = Some(Path::new("/home/sean"));
        assert_eq!(
            expand_home(Path::new("~"), home),
            PathBuf::from("/home/sean")
        );
        assert_eq!(
            expand_home(Path::new("~/x/y"), home),
            PathBuf::from("/home/sean/x/y")
        );
        assert_eq!(
            expand_home(Path::new("~bob/x"), home),
            PathBuf::from("~bob/x")
        );
        assert_eq!(expand_home(Path::new("/abs"), home), PathBuf::from("/abs"));
        assert_eq!(expand_home(Path::new("~/x"), None), PathBuf::from("~/x"));
    }

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(sanitize("plain text"), "plain text");
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize("t\x1b]0;pwned title\x07x"), "tx");
        assert_eq!(
            sanitize("t\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "tlink"
        );
        assert_eq!(sanitize("bell\x07 nul\0 del\x7f"), "bell nul del");
        assert_eq!(sanitize("line1\nline2\tx\r"), "line1 line2 x ");
        assert_eq!(sanitize("c1\u{9b}2Jcsi"), "c1csi");
        assert_eq!(sanitize("rtl\u{202e}txt"), "rtltxt");
        assert_eq!(sanitize("émoji ⚙️ ok"), "émoji ⚙️ ok");
        assert_eq!(sanitize("trailing\x1b"), "trailing");
        assert_eq!(sanitize("dcs\x1bPq#0;2;0;0;0\x1b\\end"), "dcsend");
    }

    #[test]
    fn closest_names_the_intended_key() {
        let keys = ["layout", "sort", "icons", "show_offline"];
        assert_eq!(closest("Layout", &keys), Some("layout"));
        assert_eq!(closest("sortt", &keys), Some("sort"));
        assert_eq!(closest("show-offline", &keys), Some("show_offline"));
        assert_eq!(closest("icon", &keys), Some("icons"));
        assert_eq!(closest("colour_scheme", &keys), None);
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn invisible_characters_show_in_names() {
        assert_eq!(sanitize_name("api"), "api");
        assert_eq!(sanitize_name("a\u{200b}pi"), "a<U+200B>pi");
        assert_ne!(sanitize_name("a\u{200d}pi"), sanitize_name("api"));
    }
}

#[cfg(test)]
mod sgr_tests {
    use super::*;

    #[test]
    fn only_sgr_survives_a_hostile_pane() {
        let pane = "\u{1b}[1;31mred\u{1b}[0m plain\u{1b}[38;2;1;2;3mtc\u{1b}[38:5:208mx\n\
                    \u{1b}]52;c;ZXZpbA==\u{7}clip\u{1b}]0;title\u{1b}\\t\u{1b}[2J\u{1b}[H\u{1b}[?1049h\
                    \u{1b}P+q\u{1b}\\\u{9b}31m\u{1b}[31;1\u{1b}[5n\u{1b}c\u{7}\u{8}\r\n\
                    \u{1b}[0m   \n\u{1b}[0m\n";
        let clean = clean_pane_sgr(pane);
        assert_eq!(
            clean,
            "\u{1b}[1;31mred\u{1b}[0m plain\u{1b}[38;2;1;2;3mtc\u{1b}[38:5:208mx\n\
             clipt\u{1b}[31m"
        );
    }
}
