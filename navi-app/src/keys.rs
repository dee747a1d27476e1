//! What each key does, in each mode of the dashboard.
//!
//! [`BINDINGS`] is the one table of keys: the dashboard reads its keys from it (through a
//! [`Keymap`]), and `?` and `navi --help` print it ([`help_lines`]), so what is shown is
//! what is bound. The defaults are the Go navi's keys with the Go navi's meanings; the
//! functions only navi has sit on keys the Go navi left free.

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
    /// Cycle the agent filter (every agent, then each agent shown).
    CycleAgent,
    /// Show only one status (`1`–`5`: waiting, permission, working, done, error; the same
    /// key again shows every status), or every status (`0`).
    StatusFilter(u8),
    /// Show / hide offline and stale rows.
    ToggleOffline,
    /// Start typing a search.
    Search,
    /// Search highlights matches (the Go navi's) or filters the rows.
    SearchMode,
    /// Select the next row matching the search.
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
    /// Open the selected session's git dialog.
    GitDetail,
    /// In the git dialog: the pull request's comments.
    GitComments,
    /// In the git dialog: open the pull request in the browser.
    GitOpen,
    /// In the git dialog: the working tree's diff.
    GitDiff,
    /// In the git dialog: ask git and gh again now.
    GitRefresh,
    /// Open the sound-pack picker.
    SoundPicker,
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
    /// Move the keys to the preview (scroll it), or back to the list.
    FocusPreview,
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
    /// Acknowledge the selected session: back to working, its message cleared.
    Acknowledge,
    /// Remove the status file of the selected ended session.
    Dismiss,
    /// Type a line into the selected session.
    SendInput,
    /// Send tmux keys (Escape, Up, C-c, ...) to the selected session.
    SendKeys,
    /// Answer the selected session's permission dialog (read from its pane, confirmed).
    Answer(navi_core::permission::Choice),
    /// Start `claude --resume` for the selected ended session.
    Resume,
    /// Bookmark / unbookmark the selected session.
    ToggleBookmark,
    /// Edit the selected session's tags.
    EditTags,
    /// Show only bookmarked sessions / every session.
    BookmarkedOnly,
    /// Close an overlay (help, details, problems, git).
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
    /// An overlay is open (help, details, problems, sources, git): keys close it; the
    /// navigation keys scroll it.
    Overlay,
    /// The preview has the keys (Tab): the navigation keys scroll it.
    Preview,
    /// Typing a search: keys edit it (handled by the app, not this table).
    Search,
    /// Answering a prompt (rename, send, new, kill): keys edit it (the app's).
    Prompt,
}

/// One entry of the key table: an action, its name in `config.yaml`'s `keys:`, its
/// default keys, and what `?` and `--help` say of it. An empty `help` joins the line of
/// the entry before (`1 2 3 4 5 0` on one line).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The name in `keys:`.
    pub name: &'static str,
    /// What it does.
    pub action: KeyAction,
    /// Its default keys (`j`, `Down`, `Ctrl-d`, `Tab`, `PgDn`, ...).
    pub keys: &'static [&'static str],
    /// What it does, for `?` and `--help`.
    pub help: &'static str,
}

const fn b(
    name: &'static str,
    action: KeyAction,
    keys: &'static [&'static str],
    help: &'static str,
) -> Binding {
    Binding {
        name,
        action,
        keys,
        help,
    }
}

use KeyAction as A;

/// Every key of the list, with the Go navi's meanings where it had the key.
pub const BINDINGS: &[Binding] = &[
    b(
        "down",
        A::Down,
        &["j", "Down"],
        "move the selection down / up",
    ),
    b("up", A::Up, &["k", "Up"], ""),
    b("top", A::Top, &["g", "Home"], "first / last row"),
    b("bottom", A::Bottom, &["End"], ""),
    b(
        "page_down",
        A::PageDown,
        &["PgDn", "Ctrl-f"],
        "a screen down / up",
    ),
    b("page_up", A::PageUp, &["PgUp", "Ctrl-b"], ""),
    b(
        "half_down",
        A::HalfDown,
        &["Ctrl-d"],
        "half a screen down / up",
    ),
    b("half_up", A::HalfUp, &["Ctrl-u"], ""),
    b(
        "attach",
        A::Attach,
        &["Enter"],
        "attach (tmux; ssh -t for a remote session)",
    ),
    b(
        "search",
        A::Search,
        &["/"],
        "search name, machine, directory, branch, message, note, tags, agent (#tag, agent:NAME)",
    ),
    b(
        "search_mode",
        A::SearchMode,
        &["F"],
        "search: highlight matches [i/N] (the Go navi's) or filter the rows",
    ),
    b(
        "next_match",
        A::NextMatch,
        &["n"],
        "next / previous match; without a search, n: new session (directory: here)",
    ),
    b("prev_match", A::PrevMatch, &["N"], ""),
    b(
        "filter_waiting",
        A::StatusFilter(1),
        &["1"],
        "only waiting / permission / working / done / error (again: all); 0 all",
    ),
    b("filter_permission", A::StatusFilter(2), &["2"], ""),
    b("filter_working", A::StatusFilter(3), &["3"], ""),
    b("filter_done", A::StatusFilter(4), &["4"], ""),
    b("filter_error", A::StatusFilter(5), &["5"], ""),
    b("filter_clear", A::StatusFilter(0), &["0"], ""),
    b(
        "next_attention",
        A::NextAttention,
        &["!"],
        "jump to the next session that needs you",
    ),
    b(
        "machine_filter",
        A::CycleFilter,
        &["f"],
        "machine filter: all → local → remote → each remote",
    ),
    b(
        "agent_filter",
        A::CycleAgent,
        &["A"],
        "agent filter: all → each agent in the list (claude, codex, ...)",
    ),
    b(
        "offline",
        A::ToggleOffline,
        &["o"],
        "show / hide offline and stale rows",
    ),
    b(
        "sort",
        A::CycleSort,
        &["s"],
        "sort: priority → name → age → status → directory → machine",
    ),
    b(
        "density",
        A::CycleDensity,
        &["v"],
        "rows: roomy → compact → auto",
    ),
    b(
        "details",
        A::Details,
        &["i"],
        "details of the selected session",
    ),
    b(
        "git",
        A::GitDetail,
        &["G"],
        "git dialog: branch, changes, ahead / behind, last commit, PR, CI checks",
    ),
    b(
        "git_comments",
        A::GitComments,
        &["c"],
        "in the git dialog: comments / open the PR in the browser / diff / refresh",
    ),
    b("git_open", A::GitOpen, &["o", "Enter"], ""),
    b("git_diff", A::GitDiff, &["d"], ""),
    b("git_refresh", A::GitRefresh, &["r"], ""),
    b(
        "problems",
        A::Problems,
        &["e"],
        "skipped files and config problems",
    ),
    b(
        "sources",
        A::ToggleSources,
        &["M"],
        "every machine: state, reason, latency, mode, sessions, data age",
    ),
    b(
        "sounds",
        A::SoundPicker,
        &["S"],
        "sound packs: p/Space plays one, Enter uses it (saved in sounds.yaml)",
    ),
    b(
        "preview",
        A::TogglePreview,
        &["p"],
        "show / hide the preview of the session's screen",
    ),
    b(
        "focus_preview",
        A::FocusPreview,
        &["Tab"],
        "preview keys: j k PgUp PgDn g G scroll it, Tab or Esc back",
    ),
    b(
        "preview_layout",
        A::PreviewLayout,
        &["L"],
        "preview beside / below, wrap, smaller / larger",
    ),
    b("preview_wrap", A::PreviewWrap, &["W"], ""),
    b("preview_smaller", A::PreviewSize(-1), &["["], ""),
    b("preview_larger", A::PreviewSize(1), &["]"], ""),
    b(
        "send",
        A::SendInput,
        &["a"],
        "type a line into the session (answer Claude from here)",
    ),
    b(
        "send_keys",
        A::SendKeys,
        &["K"],
        "send keys: Escape Up Down Left Right Enter Tab C-c F1 ... (space-separated, echoed)",
    ),
    b(
        "approve",
        A::Answer(navi_core::permission::Choice::Approve),
        &["y"],
        "permission dialog (read from the pane, shown, confirmed): approve / always / deny",
    ),
    b(
        "approve_always",
        A::Answer(navi_core::permission::Choice::Always),
        &["Y"],
        "",
    ),
    b(
        "deny",
        A::Answer(navi_core::permission::Choice::Deny),
        &["X"],
        "",
    ),
    b(
        "resume",
        A::Resume,
        &["u"],
        "resume an ended session: claude --resume SESSION_ID in its directory, same machine",
    ),
    b(
        "acknowledge",
        A::Acknowledge,
        &["d"],
        "acknowledge: back to working, message cleared (any machine)",
    ),
    b(
        "kill",
        A::Kill,
        &["x"],
        "kill (asks) / rename / dismiss an ended session's row",
    ),
    b("rename", A::Rename, &["R"], ""),
    b("dismiss", A::Dismiss, &["D"], ""),
    b(
        "bookmark",
        A::ToggleBookmark,
        &["b"],
        "bookmark ★ / edit tags / only bookmarked",
    ),
    b("tags", A::EditTags, &["t"], ""),
    b("bookmarked_only", A::BookmarkedOnly, &["B"], ""),
    b(
        "clear",
        A::ClearFilters,
        &["Esc"],
        "clear the search and filters (closes an overlay)",
    ),
    b("refresh", A::Refresh, &["r"], "refresh every source now"),
    b(
        "mute",
        A::ToggleMute,
        &["m"],
        "mute / unmute notifications (bell, desktop, sound, command)",
    ),
    b(
        "help",
        A::ToggleHelp,
        &["?"],
        "this help (j k scroll it, / searches it) / quit",
    ),
    b("quit", A::Quit, &["q", "Ctrl-c"], ""),
];

/// A key as the table names it: a code and whether Ctrl is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl is held.
    pub ctrl: bool,
}

/// The key named `name`: one character (`j`, `G`, `?`), a named key (`Enter`, `Esc`,
/// `Tab`, `Down`, `Up`, `Left`, `Right`, `Home`, `End`, `PgDn`, `PgUp`, `Backspace`,
/// `Space`, `F1`…`F12`), or `Ctrl-` and a letter.
pub fn parse_key(name: &str) -> Option<Key> {
    if let Some(rest) = name
        .strip_prefix("Ctrl-")
        .or_else(|| name.strip_prefix("ctrl-"))
    {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Some(Key {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                ctrl: true,
            }),
            _ => None,
        };
    }
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.clone().next()) {
        return (!c.is_control() && c != ' ').then_some(Key {
            code: KeyCode::Char(c),
            ctrl: false,
        });
    }
    let code = match name.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "down" => KeyCode::Down,
        "up" => KeyCode::Up,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "pgup" | "pageup" => KeyCode::PageUp,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        f => KeyCode::F(
            f.strip_prefix('f')?
                .parse()
                .ok()
                .filter(|n| (1..=12).contains(n))?,
        ),
    };
    Some(Key { code, ctrl: false })
}

/// The keys of the list: which key does what (the defaults of [`BINDINGS`], or those
/// `config.yaml` set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    keys: Vec<(Key, KeyAction)>,
    /// The keys of each action, as the table names them (for help texts).
    names: Vec<(&'static str, Vec<String>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut map = Keymap {
            keys: Vec::new(),
            names: Vec::new(),
        };
        for bind in BINDINGS {
            let names: Vec<String> = bind.keys.iter().map(|k| k.to_string()).collect();
            map.set(bind, names);
        }
        map
    }
}

impl Keymap {
    /// Binds `names` to `bind`'s action (names that do not parse are skipped; the config
    /// checks them before).
    fn set(&mut self, bind: &Binding, names: Vec<String>) {
        self.keys.retain(|(_, a)| *a != bind.action);
        for name in &names {
            if let Some(key) = parse_key(name) {
                self.keys.push((key, bind.action));
            }
        }
        self.names.retain(|(n, _)| *n != bind.name);
        self.names.push((bind.name, names));
    }

    /// The defaults with `overrides` (action name → keys) applied; `Err` names every
    /// unknown action (with the nearest name), unknown key and key bound twice.
    pub fn with(overrides: &[(String, Vec<String>)]) -> Result<Keymap, Vec<String>> {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (name, keys) in overrides {
            let Some(bind) = BINDINGS.iter().find(|b| b.name == name) else {
                let names: Vec<&str> = BINDINGS.iter().map(|b| b.name).collect();
                let hint = match navi_core::text::closest(name, &names) {
                    Some(k) => format!("; did you mean `{k}`?"),
                    None => format!("; known actions: {}", names.join(", ")),
                };
                problems.push(format!("unknown action {name:?}{hint}"));
                continue;
            };
            for k in keys.iter().filter(|k| parse_key(k).is_none()) {
                problems.push(format!(
                    "{name}: unknown key {k:?} (a character, Ctrl-x, Enter, Esc, Tab, Up, Down, Home, End, PgUp, PgDn, F1-F12)"
                ));
            }
            map.set(bind, keys.clone());
        }
        for (i, (key, action)) in map.keys.iter().enumerate() {
            let same = |k: &Key, a: &KeyAction| {
                k == key && a != action && a.in_git_dialog() == action.in_git_dialog()
            };
            if let Some((_, other)) = map.keys[..i].iter().find(|(k, a)| same(k, a)) {
                let (a, b) = (action_name(*other), action_name(*action));
                problems.push(format!("{} is bound to both {a} and {b}", key_label(*key)));
            }
        }
        match problems.is_empty() {
            true => Ok(map),
            false => Err(problems),
        }
    }

    /// The action of `key` in the list.
    fn list(&self, key: &KeyEvent) -> Option<KeyAction> {
        self.lookup(key, false)
    }

    /// The git dialog's own action of `key` (comments, open, diff, refresh), if any.
    pub fn git_dialog(&self, key: &KeyEvent) -> Option<KeyAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        self.lookup(key, true)
    }

    /// The action of `key` among the list's keys or the git dialog's.
    fn lookup(&self, key: &KeyEvent, git_dialog: bool) -> Option<KeyAction> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let code = match key.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            // Shift-Tab arrives as BackTab: the same as Tab here.
            KeyCode::BackTab => KeyCode::Tab,
            c => c,
        };
        self.keys
            .iter()
            .find(|(k, a)| k.code == code && k.ctrl == ctrl && a.in_git_dialog() == git_dialog)
            .map(|(_, a)| *a)
    }

    /// The keys bound to `action`, as named (`j Down`).
    pub fn keys_of(&self, action: KeyAction) -> String {
        let Some(bind) = BINDINGS.iter().find(|b| b.action == action) else {
            return String::new();
        };
        self.names
            .iter()
            .find(|(n, _)| *n == bind.name)
            .map(|(_, k)| k.join(" "))
            .unwrap_or_default()
    }

    /// The action of `key` in `mode`, if it has one. Ctrl-C always quits. In an overlay,
    /// the keys of help, quit, details, problems, clear and attach close it, the sources
    /// key toggles the sources, and the navigation keys (and `G`) scroll it. With the
    /// preview focused, the navigation keys scroll it (`G`: its bottom), Tab and Esc give
    /// the keys back to the list.
    pub fn action(&self, key: &KeyEvent, mode: Mode) -> Option<KeyAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
            return Some(KeyAction::Quit);
        }
        let action = self.list(key);
        match mode {
            Mode::Search | Mode::Prompt => None,
            Mode::List => action,
            Mode::Overlay => match action? {
                A::ToggleHelp
                | A::Quit
                | A::Details
                | A::Problems
                | A::ClearFilters
                | A::Attach
                | A::GitDetail
                    if key.code != KeyCode::Char('G') =>
                {
                    Some(A::CloseOverlay)
                }
                A::GitDetail => Some(A::Bottom),
                A::ToggleSources => Some(A::ToggleSources),
                a => Some(a).filter(|a| a.is_navigation()),
            },
            Mode::Preview => match action? {
                A::FocusPreview | A::ClearFilters => Some(A::FocusPreview),
                A::GitDetail => Some(A::Bottom),
                A::Quit => Some(A::Quit),
                a => Some(a).filter(|a| a.is_navigation()),
            },
        }
    }
}

/// The action of `key` in `mode` with the default keys.
#[cfg(test)]
pub fn key_action(key: &KeyEvent, mode: Mode) -> Option<KeyAction> {
    Keymap::default().action(key, mode)
}

/// `Ctrl-d`, `j`, `Enter`: a key as the table names it.
fn key_label(key: Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::PageUp => "PgUp".into(),
        c => format!("{c:?}"),
    };
    match key.ctrl {
        true => format!("Ctrl-{base}"),
        false => base,
    }
}

fn action_name(action: KeyAction) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .map_or("?", |b| b.name)
}

/// The lines of the key table, as `?` and `--help` show them: (keys, what they do).
/// Entries without a help text join the line before.
pub fn help_lines(map: &Keymap) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for bind in BINDINGS {
        let keys = map.keys_of(bind.action);
        match lines.last_mut() {
            Some((k, _)) if bind.help.is_empty() => {
                k.push_str("  ");
                k.push_str(&keys);
            }
            _ => lines.push((keys, bind.help.to_string())),
        }
    }
    lines
}

impl KeyAction {
    /// A key of the git dialog only (its keys may be the list's too).
    pub fn in_git_dialog(self) -> bool {
        matches!(
            self,
            KeyAction::GitComments
                | KeyAction::GitOpen
                | KeyAction::GitDiff
                | KeyAction::GitRefresh
        )
    }

    /// Moves the selection (or scrolls an overlay or the preview).
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

/// The status a digit shows (`0`: every status), as the Go navi numbers them.
pub fn status_group(digit: u8) -> Option<Vec<navi_core::Status>> {
    use navi_core::Status as S;
    let status = match digit {
        1 => S::Waiting,
        2 => S::Permission,
        3 => S::Working,
        4 => S::Done,
        5 => S::Error,
        _ => return None,
    };
    Some(vec![status])
}
