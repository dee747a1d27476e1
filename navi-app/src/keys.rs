//! What each key does, in each mode of the dashboard. The table of keys shown by `?` and
//! `--help` is [`HELP`]; a test checks that every key it names is bound.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Select the next row.
    Down,
    /// Select the previous row.
    Up,
    /// Select the first row.
    Top,
    /// Select the last row.
    Bottom,
    /// One screen down.
    PageDown,
    /// One screen up.
    PageUp,
    /// Half a screen down.
    HalfDown,
    /// Half a screen up.
    HalfUp,
    /// Attach to the selected session.
    Attach,
    /// Cycle the machine filter.
    CycleFilter,
    /// Show only one status group (`1`–`5`), or every status (`0`).
    StatusFilter(u8),
    /// Show / hide offline and stale rows.
    ToggleOffline,
    /// Start typing a search.
    Search,
    /// Select the next / previous row matching the search.
    NextMatch,
    /// Select the previous row matching the search.
    PrevMatch,
    /// Select the next session that needs you.
    NextAttention,
    /// Cycle the sort order.
    CycleSort,
    /// Roomy → compact → auto rows.
    CycleDensity,
    /// Open the selected session's details.
    Details,
    /// Open the list of skipped files and config problems.
    Problems,
    /// Open / close the list of every source (remote).
    ToggleSources,
    /// Clear the search and every filter.
    ClearFilters,
    /// Poll every source now.
    Refresh,
    /// Mute / unmute notifications.
    ToggleMute,
    /// Open / close the help overlay.
    ToggleHelp,
    /// Show / hide the preview pane.
    TogglePreview,
    /// Preview beside / below the list.
    PreviewLayout,
    /// Wrap long preview lines.
    PreviewWrap,
    /// A smaller / larger preview (-1 / +1).
    PreviewSize(i8),
    /// Kill the selected session (asks first).
    Kill,
    /// Rename the selected session.
    Rename,
    /// Remove the status file of the selected ended session.
    Dismiss,
    /// Type a line into the selected session.
    SendInput,
    /// Bookmark / unbookmark the selected session.
    ToggleBookmark,
    /// Edit the selected session's tags.
    EditTags,
    /// Show only bookmarked sessions / every session.
    BookmarkedOnly,
    /// Close an overlay (help, details, problems).
    CloseOverlay,
    /// Leave navi.
    Quit,
}

/// Where keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The session list.
    #[default]
    List,
    /// An overlay is open (help, details, problems, sources): keys close it; the
    /// navigation keys scroll the sources overlay.
    Overlay,
    /// Typing a search: keys edit it (handled by the app, not this table).
    Search,
    /// Answering a prompt (rename, send, new, kill): keys edit it (the app's).
    Prompt,
}

/// The keys as `?` and `--help` list them: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("j k  ↓ ↑", "move the selection"),
    ("g G  Home End", "first / last row"),
    (
        "PgDn PgUp  Ctrl-d Ctrl-u",
        "a screen / half a screen down or up",
    ),
    ("Enter", "attach (tmux; ssh -t for a remote session)"),
    (
        "/",
        "search name, machine, directory, branch, message, note, tags (#tag: tags only)",
    ),
    (
        "n N",
        "next / previous search match; without a search, n: new session",
    ),
    (
        "1 2 3 4 5  0",
        "status: waiting+permission, working, done+idle, error, offline; 0 all",
    ),
    ("!", "jump to the next session that needs you"),
    ("f", "machine filter: all → local → remote → each remote"),
    ("o", "show / hide offline and stale rows"),
    (
        "s",
        "sort: priority → name → age → status → directory → machine",
    ),
    ("v", "rows: roomy → compact → auto"),
    (
        "i  e",
        "details of the selected session / skipped files and config problems",
    ),
    (
        "S",
        "every source: state, reason, latency, mode, sessions, data age (j/k scroll)",
    ),
    (
        "p  Tab",
        "preview the session's screen (L side/bottom, W wrap, [ ] size)",
    ),
    (
        "a",
        "type a line into the session (answer Claude from here)",
    ),
    (
        "x  R  d",
        "kill (asks) / rename / dismiss an ended session's row",
    ),
    (
        "b  t  B",
        "bookmark ★ / edit tags / show only bookmarked (marks live on the machine)",
    ),
    ("Esc", "clear the search and filters (closes an overlay)"),
    ("r", "refresh every source now"),
    (
        "m",
        "mute / unmute notifications (bell, desktop, sound, command)",
    ),
    ("?  q  Ctrl-C", "this help / quit"),
];

/// The action of `key` in `mode`, if it has one. Ctrl-C always quits; in an overlay,
/// `?`, Esc, `q`, Enter and `i`/`e`/`S` close it, and the navigation keys scroll it.
pub fn key_action(key: &KeyEvent, mode: Mode) -> Option<KeyAction> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(KeyAction::Quit);
    }
    match mode {
        Mode::Search | Mode::Prompt => None,
        Mode::Overlay => match key.code {
            KeyCode::Char('?' | 'q' | 'i' | 'e') | KeyCode::Esc | KeyCode::Enter => {
                Some(KeyAction::CloseOverlay)
            }
            KeyCode::Char('S') => Some(KeyAction::ToggleSources),
            _ if ctrl => None,
            code => list_key(code).filter(|a| a.is_navigation()),
        },
        Mode::List if ctrl => match key.code {
            KeyCode::Char('d') => Some(KeyAction::HalfDown),
            KeyCode::Char('u') => Some(KeyAction::HalfUp),
            KeyCode::Char('f') => Some(KeyAction::PageDown),
            KeyCode::Char('b') => Some(KeyAction::PageUp),
            _ => None,
        },
        Mode::List => list_key(key.code),
    }
}

fn list_key(code: KeyCode) -> Option<KeyAction> {
    Some(match code {
        KeyCode::Char('j') | KeyCode::Down => KeyAction::Down,
        KeyCode::Char('k') | KeyCode::Up => KeyAction::Up,
        KeyCode::Char('g') | KeyCode::Home => KeyAction::Top,
        KeyCode::Char('G') | KeyCode::End => KeyAction::Bottom,
        KeyCode::PageDown => KeyAction::PageDown,
        KeyCode::PageUp => KeyAction::PageUp,
        KeyCode::Enter => KeyAction::Attach,
        KeyCode::Char('/') => KeyAction::Search,
        KeyCode::Char('n') => KeyAction::NextMatch,
        KeyCode::Char('N') => KeyAction::PrevMatch,
        KeyCode::Char(c @ '0'..='5') => KeyAction::StatusFilter(c as u8 - b'0'),
        KeyCode::Char('!') => KeyAction::NextAttention,
        KeyCode::Char('f') => KeyAction::CycleFilter,
        KeyCode::Char('o') => KeyAction::ToggleOffline,
        KeyCode::Char('s') => KeyAction::CycleSort,
        KeyCode::Char('v') => KeyAction::CycleDensity,
        KeyCode::Char('i') => KeyAction::Details,
        KeyCode::Char('e') => KeyAction::Problems,
        KeyCode::Char('S') => KeyAction::ToggleSources,
        KeyCode::Char('r') => KeyAction::Refresh,
        KeyCode::Char('m') => KeyAction::ToggleMute,
        KeyCode::Char('?') => KeyAction::ToggleHelp,
        KeyCode::Esc => KeyAction::ClearFilters,
        KeyCode::Char('q') => KeyAction::Quit,
        KeyCode::Char('p') | KeyCode::Tab => KeyAction::TogglePreview,
        KeyCode::Char('L') => KeyAction::PreviewLayout,
        KeyCode::Char('W') => KeyAction::PreviewWrap,
        KeyCode::Char('[') => KeyAction::PreviewSize(-1),
        KeyCode::Char(']') => KeyAction::PreviewSize(1),
        KeyCode::Char('x') => KeyAction::Kill,
        KeyCode::Char('R') => KeyAction::Rename,
        KeyCode::Char('d') => KeyAction::Dismiss,
        KeyCode::Char('a') => KeyAction::SendInput,
        KeyCode::Char('b') => KeyAction::ToggleBookmark,
        KeyCode::Char('t') => KeyAction::EditTags,
        KeyCode::Char('B') => KeyAction::BookmarkedOnly,
        _ => return None,
    })
}

impl KeyAction {
    /// Moves the selection (or scrolls an overlay).
    pub fn is_navigation(self) -> bool {
        matches!(
            self,
            KeyAction::Down
                | KeyAction::Up
                | KeyAction::Top
                | KeyAction::Bottom
                | KeyAction::PageDown
                | KeyAction::PageUp
                | KeyAction::HalfDown
                | KeyAction::HalfUp
        )
    }
}

/// The statuses a digit shows (`0`: every status).
pub fn status_group(digit: u8) -> Option<Vec<navi_core::Status>> {
    use navi_core::Status as S;
    match digit {
        1 => Some(vec![S::Waiting, S::Permission]),
        2 => Some(vec![S::Working]),
        3 => Some(vec![S::Done, S::Idle]),
        4 => Some(vec![S::Error]),
        5 => Some(vec![S::Offline, S::Stopped]),
        _ => None,
    }
}
