//! What keys and the mouse do to the dashboard: one exhaustive `match` from
//! [`KeyAction`] to a state change, each non-trivial change a named method.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use tokio::time::Instant;

use navi_core::Action;

use super::{App, Density, Effect, KeyAction, Level, Mode, Overlay, PromptKind};

impl App {
    /// Handles a key press.
    pub fn on_key(&mut self, key: &KeyEvent) -> Effect {
        if self.mode() == Mode::Search {
            return self.on_search_key(key);
        }
        if self.mode() == Mode::Prompt {
            return self.on_prompt_key(key);
        }
        if self.ui.overlay == Overlay::SoundPacks {
            return self.on_sound_picker_key(key);
        }
        if self.ui.overlay == Overlay::Git && self.ui.git.is_some() {
            return self.on_git_key(key);
        }
        if self.ui.overlay == Overlay::Help {
            if self.ui.help_typing {
                self.on_help_search_key(key);
                return Effect::None;
            }
            if self.keys.action(key, Mode::List) == Some(KeyAction::Search) {
                self.ui.help_typing = true;
                return Effect::None;
            }
        }
        match self.keys.action(key, self.mode()) {
            Some(action) => self.apply(action),
            None => Effect::None,
        }
    }

    /// A key while typing a search: the list narrows with every key; Enter keeps the
    /// search, Esc drops it.
    fn on_search_key(&mut self, key: &KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(text) = self.ui.search.as_mut() else {
            return Effect::None;
        };
        match key.code {
            KeyCode::Char('c') if ctrl => return Effect::Quit,
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Esc => {
                self.ui.search = None;
                self.set_search("");
                return Effect::None;
            }
            KeyCode::Enter => {
                self.ui.search = None;
                return Effect::None;
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => text.push(c),
            _ => return Effect::None,
        }
        let query = text.clone();
        self.set_search(&query);
        if !self.ui.search_filters {
            // The Go navi: the selection jumps to the first match as you type.
            self.model.select_first();
            let first_matches = self
                .model
                .selected_session()
                .is_some_and(|s| navi_core::matches_query(s, &query));
            if !query.is_empty() && !first_matches {
                self.model
                    .select_next_where(true, |s| navi_core::matches_query(s, &query));
            }
        }
        Effect::None
    }

    /// A key while typing the help's search: the lines narrow with every key; Enter
    /// keeps the search, Esc drops it.
    fn on_help_search_key(&mut self, key: &KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let q = &mut self.ui.help_query;
        match key.code {
            KeyCode::Char('u') if ctrl => q.clear(),
            KeyCode::Esc => {
                q.clear();
                self.ui.help_typing = false;
            }
            KeyCode::Enter => self.ui.help_typing = false,
            KeyCode::Backspace => {
                q.pop();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => q.push(c),
            _ => return,
        }
        self.ui.help_scroll = 0;
    }

    /// The search: highlighted (the Go navi's) or filtering the rows.
    pub(crate) fn set_search(&mut self, query: &str) {
        match self.ui.search_filters {
            true => self.model.set_query(query),
            false => query.clone_into(&mut self.ui.find),
        }
    }

    /// The search in use, highlighted or filtering.
    pub fn search_query(&self) -> &str {
        match self.ui.search_filters {
            true => self.model.query(),
            false => &self.ui.find,
        }
    }

    /// A mouse event: the wheel scrolls, a click selects the row under it.
    pub fn on_mouse(&mut self, kind: MouseEventKind, row: u16) {
        if matches!(self.ui.overlay, Overlay::Sources | Overlay::Help) {
            match kind {
                MouseEventKind::ScrollDown => self.scroll_overlay(KeyAction::Down),
                MouseEventKind::ScrollUp => self.scroll_overlay(KeyAction::Up),
                _ => {}
            }
            return;
        }
        if self.mode() != Mode::List {
            return;
        }
        match kind {
            MouseEventKind::ScrollDown => self.model.move_by(3),
            MouseEventKind::ScrollUp => self.model.move_by(-3),
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(&(_, _, i)) = self
                    .ui
                    .hits
                    .iter()
                    .find(|(a, b, _)| (*a..=*b).contains(&row))
                {
                    self.model.select_index(i);
                }
            }
            _ => {}
        }
    }

    /// Applies one action to the state and says what else must happen.
    pub fn apply(&mut self, action: KeyAction) -> Effect {
        let page = isize::try_from(self.ui.page.max(1)).unwrap_or(1);
        if self.ui.overlay != Overlay::None && action.is_navigation() {
            self.scroll_overlay(action);
            return Effect::None;
        }
        if self.mode() == Mode::Preview && action.is_navigation() {
            self.scroll_preview(action);
            return Effect::None;
        }
        match action {
            KeyAction::Down => self.model.select_next(),
            KeyAction::Up => self.model.select_prev(),
            KeyAction::Top => self.model.select_first(),
            KeyAction::Bottom => self.model.select_last(),
            KeyAction::PageDown => self.model.move_by(page),
            KeyAction::PageUp => self.model.move_by(-page),
            KeyAction::HalfDown => self.model.move_by((page / 2).max(1)),
            KeyAction::HalfUp => self.model.move_by(-(page / 2).max(1)),
            KeyAction::CycleFilter => self.cycle_filter(),
            KeyAction::CycleAgent => self.cycle_agent(),
            KeyAction::StatusFilter(digit) => self.status_filter(digit),
            KeyAction::ToggleOffline => self.toggle_offline(),
            KeyAction::Search => self.ui.search = Some(self.search_query().to_string()),
            KeyAction::SearchMode => self.toggle_search_mode(),
            // The Go navi's `n`: the next match while searching, else a new session.
            KeyAction::NextMatch if self.search_query().is_empty() => return self.prompt_new(),
            KeyAction::NextMatch | KeyAction::PrevMatch => self.next_match(action),
            KeyAction::NextAttention => self.next_attention(),
            KeyAction::CycleSort => self.cycle_sort(),
            KeyAction::CycleDensity => self.cycle_density(),
            KeyAction::Details => self.open_details(),
            KeyAction::GitDetail => return self.open_git(),
            // Only the git dialog has these (its keys are read before this table).
            KeyAction::GitComments
            | KeyAction::GitOpen
            | KeyAction::GitDiff
            | KeyAction::GitRefresh => {}
            KeyAction::SoundPicker => return self.open_sound_picker(),
            KeyAction::Problems => self.ui.overlay = Overlay::Problems,
            KeyAction::ToggleSources => self.toggle_sources(),
            KeyAction::ClearFilters => self.clear_filters(),
            KeyAction::Refresh => return self.refresh(),
            KeyAction::ToggleMute => self.toggle_mute(),
            KeyAction::ToggleHelp => self.toggle_help(),
            KeyAction::CloseOverlay => {
                self.ui.overlay = Overlay::None;
                self.ui.help_query.clear();
            }
            KeyAction::Quit => return Effect::Quit,
            KeyAction::Attach => return self.attach_selected(),
            KeyAction::TogglePreview => return self.toggle_preview(),
            KeyAction::FocusPreview => return self.focus_preview(),
            KeyAction::PreviewLayout => self.ui.preview.side = !self.ui.preview.side,
            KeyAction::PreviewWrap => self.ui.preview.wrap = !self.ui.preview.wrap,
            KeyAction::PreviewSize(d) => self.resize_preview(i16::from(d) * 10),
            KeyAction::Kill => return self.prompt_selected(PromptKind::ConfirmKill, &Action::Kill),
            KeyAction::Rename => {
                let probe = Action::Rename { to: String::new() };
                return self.prompt_selected(PromptKind::Rename, &probe);
            }
            KeyAction::SendInput => {
                let probe = Action::Send {
                    text: String::new(),
                };
                return self.prompt_selected(PromptKind::Send, &probe);
            }
            KeyAction::SendKeys => {
                let probe = Action::Keys { keys: Vec::new() };
                return self.prompt_selected(PromptKind::Keys, &probe);
            }
            KeyAction::Answer(choice) => return self.answer_selected(choice),
            KeyAction::Resume => return self.resume_selected(),
            KeyAction::Dismiss => return self.dismiss_selected(),
            KeyAction::Acknowledge => return self.acknowledge_selected(),
            KeyAction::ToggleBookmark => return self.toggle_bookmark(),
            KeyAction::EditTags => {
                let probe = Action::Mark { ops: Vec::new() };
                return self.prompt_selected(PromptKind::Tags, &probe);
            }
            KeyAction::BookmarkedOnly => {
                let only = !self.model.bookmarked_only();
                self.model.set_bookmarked_only(only);
                let what = if only {
                    "bookmarked sessions"
                } else {
                    "every session"
                };
                self.ui.set_message(
                    Level::Info,
                    format!("showing {what} ({} shown)", self.model.len()),
                );
            }
        }
        Effect::None
    }

    /// The next machine filter.
    fn cycle_filter(&mut self) {
        self.model.cycle_filter();
        let label = self.model.filter().label().to_string();
        self.ui.set_message(
            Level::Info,
            format!("filter: {label} ({} shown)", self.model.len()),
        );
    }

    /// The next agent filter.
    fn cycle_agent(&mut self) {
        self.model.cycle_agent();
        let label = self.model.agent().unwrap_or("every agent").to_string();
        self.ui.set_message(
            Level::Info,
            format!("showing {label} ({} shown)", self.model.len()),
        );
    }

    /// One status (`1`–`5`; the same key again shows every status), or every status
    /// (`0`), as in the Go navi.
    fn status_filter(&mut self, digit: u8) {
        let mut group = crate::keys::status_group(digit);
        if group.as_deref() == self.model.statuses() {
            group = None;
        }
        let label = match &group {
            Some(g) => g.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("/"),
            None => "every status".into(),
        };
        self.model.set_statuses(group);
        self.ui.set_message(
            Level::Info,
            format!("showing {label} ({} shown)", self.model.len()),
        );
    }

    /// Offline and stale rows shown or hidden.
    fn toggle_offline(&mut self) {
        self.model.toggle_offline();
        let what = if self.model.hides_offline() {
            "hidden"
        } else {
            "shown"
        };
        self.ui
            .set_message(Level::Info, format!("offline and stale rows {what}"));
    }

    /// Search highlights matches, or filters the rows: the search moves over.
    fn toggle_search_mode(&mut self) {
        let query = self.search_query().to_string();
        self.set_search("");
        self.ui.search_filters = !self.ui.search_filters;
        self.set_search(&query);
        let what = match self.ui.search_filters {
            true => "search filters the rows (F: highlight instead)",
            false => "search highlights matches, n / N jump (F: filter instead)",
        };
        self.ui.set_message(Level::Info, what);
    }

    /// The next or previous row matching the search.
    fn next_match(&mut self, action: KeyAction) {
        let query = self.search_query().to_string();
        if query.is_empty() {
            self.ui
                .set_message(Level::Info, "no search: press / to search");
            return;
        }
        // The rows shown all match the search: n and N move through them, wrapping.
        let forward = action == KeyAction::NextMatch;
        if !self
            .model
            .select_next_where(forward, |s| navi_core::matches_query(s, &query))
        {
            self.ui
                .set_message(Level::Info, format!("no match for \"{query}\""));
        }
    }

    /// The next shown session that needs the user.
    fn next_attention(&mut self) {
        if !self
            .model
            .select_next_where(true, |s| !s.stale && s.attention())
        {
            self.ui
                .set_message(Level::Info, "no shown session needs you right now");
        }
    }

    /// The next sort order.
    fn cycle_sort(&mut self) {
        self.model.set_sort(self.model.sort().next());
        let label = self.model.sort().label();
        self.ui.set_message(Level::Info, format!("sort: {label}"));
    }

    /// Roomy, then compact, then auto rows.
    fn cycle_density(&mut self) {
        self.ui.density = match self.ui.density {
            Density::Roomy => Density::Compact,
            Density::Compact => Density::Auto,
            Density::Auto => Density::Roomy,
        };
        let label = format!("rows: {:?}", self.ui.density).to_lowercase();
        self.ui.set_message(Level::Info, label);
    }

    /// The selected session's details, if one is selected.
    fn open_details(&mut self) {
        if self.model.selected_session().is_some() {
            self.ui.overlay = Overlay::Details;
        } else {
            self.ui.set_message(Level::Info, "no session selected");
        }
    }

    /// The selected session's git, if one is selected.
    /// Drops the search and every filter.
    fn clear_filters(&mut self) {
        if self.model.is_filtered() || !self.search_query().is_empty() {
            self.ui.find.clear();
            self.model.clear_filters();
            self.ui
                .set_message(Level::Info, "search and filters cleared");
        }
    }

    /// Polls every source now; [`App::on_snapshot`] says when all have answered.
    fn refresh(&mut self) -> Effect {
        self.ui.set_message(Level::Info, "refreshing every source…");
        self.refresh_started = Some(Instant::now());
        Effect::Refresh
    }

    /// Opens the list of every source at its top, or closes it when it is open.
    fn toggle_sources(&mut self) {
        self.ui.overlay = match self.ui.overlay {
            Overlay::Sources => Overlay::None,
            _ => {
                self.ui.sources_scroll = 0;
                Overlay::Sources
            }
        }
    }

    /// The navigation keys scroll the sources and help overlays (the drawing clamps the
    /// end); the other overlays do not scroll, and the selection stays where it is.
    fn scroll_overlay(&mut self, action: KeyAction) {
        let (scroll, page) = match self.ui.overlay {
            Overlay::Sources => (&mut self.ui.sources_scroll, self.ui.sources_page),
            Overlay::Help => (&mut self.ui.help_scroll, self.ui.help_page),
            _ => return,
        };
        scroll_by(scroll, page, action);
    }

    /// The navigation keys scroll the focused preview through its scrollback: down is
    /// towards the bottom (newest), `G` or End back to it.
    fn scroll_preview(&mut self, action: KeyAction) {
        let p = &mut self.ui.preview;
        let page = p.page.max(1);
        let back = &mut p.back;
        *back = match action {
            KeyAction::Down => back.saturating_sub(1),
            KeyAction::Up => back.saturating_add(1),
            KeyAction::PageDown => back.saturating_sub(page),
            KeyAction::PageUp => back.saturating_add(page),
            KeyAction::HalfDown => back.saturating_sub((page / 2).max(1)),
            KeyAction::HalfUp => back.saturating_add((page / 2).max(1)),
            KeyAction::Top => usize::MAX,
            KeyAction::Bottom => 0,
            _ => *back,
        };
    }

    /// Opens the help overlay at its top, or closes it when it is open.
    fn toggle_help(&mut self) {
        self.ui.help_query.clear();
        self.ui.help_typing = false;
        self.ui.overlay = match self.ui.overlay {
            Overlay::Help => Overlay::None,
            _ => {
                self.ui.help_scroll = 0;
                Overlay::Help
            }
        }
    }
}

/// Moves an overlay's first line for a navigation key (`page`: its lines on screen).
fn scroll_by(scroll: &mut usize, page: usize, action: KeyAction) {
    let page = page.max(1);
    *scroll = match action {
        KeyAction::Down => scroll.saturating_add(1),
        KeyAction::Up => scroll.saturating_sub(1),
        KeyAction::PageDown => scroll.saturating_add(page),
        KeyAction::PageUp => scroll.saturating_sub(page),
        KeyAction::HalfDown => scroll.saturating_add((page / 2).max(1)),
        KeyAction::HalfUp => scroll.saturating_sub((page / 2).max(1)),
        KeyAction::Top => 0,
        KeyAction::Bottom => usize::MAX,
        _ => *scroll,
    };
}
