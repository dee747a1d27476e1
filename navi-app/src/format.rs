//! Small text helpers shared by the table output and the dashboard.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ratatui::text::Span;

/// The agent tags of a row, as `navi list` and the dashboard show them: the session's
/// own agent when it is not Claude Code (Claude rows look as they always did), then
/// `+TAG` for each helper of the Go navi's `agents` map, e.g. `["CX", "+OC"]`.
pub fn agent_tags(s: &navi_core::SessionInfo) -> Vec<String> {
    use navi_core::statusdir::agents::Agent;
    let lead = s.agent_kind();
    let mut tags: Vec<String> = (lead != Agent::Claude)
        .then(|| lead.tag().to_string())
        .into_iter()
        .collect();
    for helper in s.agents.iter().flat_map(|a| a.keys()) {
        tags.push(format!("+{}", helper_tag(helper)));
    }
    tags
}

/// A helper's tag: `OC` for a known agent, else its kind as written (sanitized).
pub fn helper_tag(kind: &str) -> String {
    navi_core::statusdir::agents::Agent::parse(kind).map_or_else(
        || navi_core::text::sanitize(kind).into_owned(),
        |a| a.tag().to_string(),
    )
}

/// Seconds since the Unix epoch now.
pub fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

/// Seconds since the Unix epoch of `t` (0 before the epoch).
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`.
pub fn ago(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "just now".into(),
        1..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// The age of a status file written at unix time `timestamp`, seen at `now`: `2m ago`,
/// or `-` when the file carries no timestamp. A timestamp in the future (clock skew
/// between machines) reads `just now`.
pub fn session_age(timestamp: i64, now: i64) -> String {
    if timestamp <= 0 {
        return "-".into();
    }
    let secs = now.saturating_sub(timestamp).max(0);
    ago(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// Writes `path` with the home directory as `~`.
///
/// A local path is shortened with this machine's `home`. A remote path is shortened when
/// it lies under a usual home (`/home/USER`, `/Users/USER`, `/root`), since the remote's
/// `$HOME` is not known here.
pub fn tilde(path: &str, home: Option<&str>, remote: bool) -> String {
    if !remote {
        if let Some(home) = home.filter(|h| !h.is_empty() && *h != "/") {
            let home = home.trim_end_matches('/');
            if path == home {
                return "~".into();
            }
            if let Some(rest) = path.strip_prefix(home).filter(|r| r.starts_with('/')) {
                return format!("~{rest}");
            }
        }
        return path.to_string();
    }
    for base in ["/home/", "/Users/"] {
        if let Some(rest) = path.strip_prefix(base) {
            let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
            if !user.is_empty() {
                return if tail.is_empty() {
                    "~".into()
                } else {
                    format!("~/{tail}")
                };
            }
        }
    }
    if path == "/root" {
        return "~".into();
    }
    match path.strip_prefix("/root/") {
        Some(rest) => format!("~/{rest}"),
        None => path.to_string(),
    }
}

/// Display width of `s` in terminal cells. Printable ASCII (most names) is one cell a
/// byte, counted without walking graphemes: the widest name is measured over every row
/// whenever the rows change.
pub fn width(s: &str) -> usize {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.len();
    }
    Span::raw(s).width()
}

/// `s` cut to at most `max` cells, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    let mut last = 0;
    for c in s.chars() {
        // U+FE0F asks for emoji presentation: a one-cell symbol before it takes two.
        let w = if c == '\u{fe0f}' {
            usize::from(last == 1)
        } else {
            width(c.encode_utf8(&mut buf))
        };
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
        last = w;
    }
    out.push('…');
    out
}

/// `s` word-wrapped into at most `max_lines` lines of at most `w` cells; the last line
/// ends in `…` when text was left over. A word longer than a line is cut.
pub fn wrap(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = s.split_whitespace().peekable();
    while let Some(word) = words.peek().copied() {
        let sep = usize::from(!current.is_empty());
        if width(&current) + sep + width(word) <= w {
            if sep == 1 {
                current.push(' ');
            }
            current.push_str(word);
            words.next();
            continue;
        }
        if current.is_empty() {
            // A word wider than the line: cut it.
            current = truncate(word, w);
            words.next();
        }
        if lines.len() + 1 == max_lines {
            let rest: Vec<&str> = words.collect();
            if !rest.is_empty() {
                current = truncate(&format!("{current} {}", rest.join(" ")), w);
            }
            lines.push(current);
            return lines;
        }
        lines.push(std::mem::take(&mut current));
    }
    if !current.is_empty() && lines.len() < max_lines {
        lines.push(current);
    }
    lines
}

/// `s` cut to at most `max` cells by removing its middle (` … `): the start says what
/// failed and the end usually says what to do, so both are kept.
pub fn ellipsize_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max < 8 {
        return truncate(s, max);
    }
    let head = truncate(s, max / 2);
    let head = head.trim_end_matches('…');
    let budget = max - width(head) - width(" … ");
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars().rev() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w > budget {
            break;
        }
        tail.push(c);
        used += w;
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head} … {}", tail.trim_start())
}

/// A directory cut to `max` cells in its middle, so the last component (the project's
/// name) stays whole: `~/work/clients/acme/api` → `~/work/c…/api`.
pub fn cut_path(path: &str, max: usize) -> String {
    if width(path) <= max {
        return path.to_string();
    }
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    let tail = format!("…/{last}");
    if last.len() == path.len() || width(&tail) > max {
        return ellipsize_middle(path, max);
    }
    let room = max - width(&tail);
    let mut head = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in path.chars() {
        let w = width(c.encode_utf8(&mut buf));
        if used + w > room {
            break;
        }
        head.push(c);
        used += w;
    }
    format!("{}{tail}", head.trim_end_matches('/'))
}

/// `skipped NAME: REASON`, sanitized: a status file a poll could not read.
pub fn skipped(f: &navi_core::SkippedFile) -> String {
    format!(
        "skipped {}: {}",
        navi_core::text::sanitize(&f.name),
        navi_core::text::sanitize(&f.reason)
    )
}

/// `s` padded with spaces to `w` cells (or cut to it).
pub fn pad(s: &str, w: usize) -> String {
    let s = truncate(s, w);
    let fill = w.saturating_sub(width(&s));
    format!("{s}{}", " ".repeat(fill))
}

/// `45s`, `12m`, `1h23m`, `2d4h`.
pub(crate) fn short_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Memory as the Go navi writes it (binary units): `0`, `512K`, `256M`, `1.2G`.
pub(crate) fn short_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    match n {
        n if n < KIB => "0".into(),
        n if n < KIB * KIB => format!("{}K", n / KIB),
        n if n < KIB * KIB * KIB => format!("{}M", n / (KIB * KIB)),
        n => format!("{:.1}G", n as f64 / (KIB * KIB * KIB) as f64),
    }
}

/// `950`, `12.3k`, `4.1M`, `2.0G`.
pub(crate) fn short_count(n: u64) -> String {
    let f = n as f64;
    match n {
        n if n < 1_000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.1}k", f / 1e3),
        n if n < 1_000_000_000 => format!("{:.1}M", f / 1e6),
        _ => format!("{:.1}G", f / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printable ASCII counts a cell a byte; anything else as ratatui measures it.
    #[test]
    fn width_counts_cells() {
        assert_eq!(width("api-server_2"), 12);
        assert_eq!(width(""), 0);
        assert_eq!(width("日本"), 4);
        assert_eq!(width("a\u{301}"), Span::raw("a\u{301}").width());
        assert_eq!(width("tab\there"), Span::raw("tab\there").width());
    }

    #[test]
    fn memory_reads_as_the_go_navi_writes_it() {
        assert_eq!(short_bytes(1000), "0");
        assert_eq!(short_bytes(512 * 1024), "512K");
        assert_eq!(short_bytes(256 * 1024 * 1024), "256M");
        assert_eq!(short_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5G");
    }

    #[test]
    fn paths_are_cut_in_the_middle_keeping_the_project() {
        let p = "~/work/clients/acme/api-gateway";
        assert_eq!(cut_path(p, 40), p);
        let cut = cut_path(p, 20);
        assert!(cut.ends_with("…/api-gateway"), "{cut}");
        assert!(cut.starts_with("~/w"), "{cut}");
        assert!(width(&cut) <= 20, "{cut}");
        // No room for the whole last component: both ends survive.
        let cut = cut_path("/a/very-long-project-name-indeed", 12);
        assert!(width(&cut) <= 12, "{cut}");
        assert!(width(&cut_path("no-slashes-at-all-here", 10)) <= 10);
    }

    #[test]
    fn ages() {
        assert_eq!(session_age(100, 100), "just now");
        assert_eq!(session_age(100, 142), "42s ago");
        assert_eq!(session_age(100, 100 + 5 * 60 + 3), "5m ago");
        assert_eq!(session_age(100, 100 + 3 * 3600), "3h ago");
        assert_eq!(session_age(100, 100 + 2 * 86_400), "2d ago");
        assert_eq!(session_age(0, 100), "-");
        assert_eq!(session_age(200, 100), "just now");
    }

    #[test]
    fn tilde_paths() {
        assert_eq!(tilde("/home/me/x", Some("/home/me"), false), "~/x");
        assert_eq!(tilde("/home/me", Some("/home/me/"), false), "~");
        assert_eq!(
            tilde("/home/meow/x", Some("/home/me"), false),
            "/home/meow/x"
        );
        assert_eq!(tilde("/srv/app", Some("/home/me"), false), "/srv/app");
        assert_eq!(tilde("/home/sean/work/api", None, true), "~/work/api");
        assert_eq!(tilde("/Users/sean", None, true), "~");
        assert_eq!(tilde("/root/app", None, true), "~/app");
        assert_eq!(tilde("/srv/app", None, true), "/srv/app");
    }

    #[test]
    fn middle_ellipsis_keeps_both_ends() {
        assert_eq!(ellipsize_middle("short", 10), "short");
        let cut = ellipsize_middle("the start of it, much filler here, then do this", 30);
        assert!(width(&cut) <= 30, "{cut}");
        assert!(
            cut.starts_with("the start") && cut.ends_with("then do this"),
            "{cut}"
        );
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a bb ccc dddd", 6, 3), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("a bb ccc dddd", 6, 2), ["a bb", "ccc d…"]);
        assert_eq!(wrap("abcdefghij k", 5, 3), ["abcd…", "k"]);
        assert_eq!(wrap("", 5, 2), Vec::<String>::new());
        assert_eq!(wrap("short", 10, 1), ["short"]);
    }

    #[test]
    fn truncation_counts_cells() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(width(&truncate("日本語テキスト", 7)), 7);
        assert_eq!(truncate("abc", 0), "");
        let gear = truncate("⚙️ working on something long", 10);
        assert!(width(&gear) <= 10, "{gear}");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abc…");
    }
}
