//! Acting on sessions from the dashboard: the preview pane (`p`), and the one-line
//! prompts of new (`n`), kill (`x`), rename (`R`), dismiss (`d`) and send input (`a`).
//! The owning source runs the action ([`navi_core::SessionSource::act`]); the event
//! loop runs it in the background and hands the result back to
//! [`App::on_act_result`].

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use navi_core::{Action, ActionOutput, DynSessionSource, SourceError};
use tokio::time::Instant;

use super::{session_label, App, Effect, Level};
pub use navi_core::limits::PREVIEW_EVERY;

/// An action for the event loop to run in the background.
#[derive(Debug, Clone)]
pub struct ActRequest {
    /// The source that owns the session.
    pub source: DynSessionSource,
    /// The tmux session (the new one's name for `new`).
    pub session: String,
    /// What to do.
    pub action: Action,
    /// `name` or `name [remote]`, for messages.
    pub label: String,
}

impl PartialEq for ActRequest {
    fn eq(&self, other: &Self) -> bool {
        self.session == other.session
            && self.action == other.action
            && self.label == other.label
            && self.source.label() == other.source.label()
    }
}

impl Eq for ActRequest {}

/// What a prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `y` kills the session.
    ConfirmKill,
    /// `y` creates the missing directory of a new session and starts it there; any
    /// other key reopens the new-session prompt with what was typed.
    ConfirmMkdir {
        /// The directory as typed.
        dir: String,
        /// The command.
        command: Vec<String>,
    },
    /// The new name.
    Rename,
    /// The line to type into the session.
    Send,
    /// tmux key names to send, space-separated.
    Keys,
    /// `y` answers the permission dialog of `expect` with `choice`.
    ConfirmAnswer {
        /// Which option.
        choice: navi_core::permission::Choice,
        /// The dialog's fingerprint, from the pane just read.
        expect: String,
        /// What is answered (tool, command, option, status message).
        what: String,
    },
    /// The session's tags, separated by spaces.
    Tags,
    /// A new session's name (Tab: the next machine).
    NewName,
    /// A new session's command (default `claude`), once name and directory are known.
    NewCommand {
        /// The name chosen.
        name: String,
        /// The directory chosen.
        dir: String,
        /// Add `--dangerously-skip-permissions` (Tab toggles).
        skip_permissions: bool,
    },
    /// A new session's first prompt (empty: none), once its command is known; given to
    /// the command as one argument.
    NewPrompt {
        /// The name chosen.
        name: String,
        /// The directory chosen.
        dir: String,
        /// The command as typed.
        command: String,
        /// Add `--dangerously-skip-permissions`.
        skip_permissions: bool,
    },
    /// A new session's directory.
    NewDir {
        /// The name chosen.
        name: String,
        /// Start claude with `--dangerously-skip-permissions` (Tab toggles; the Go
        /// navi's toggle).
        skip_permissions: bool,
    },
}

/// A one-line prompt over the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// What it asks.
    pub kind: PromptKind,
    /// What was typed.
    pub input: String,
    /// The index (in the app's sources) of the machine it acts on.
    pub source: usize,
    /// The session it acts on (empty for a new one).
    pub session: String,
    /// `name [machine]` or the machine, for the question.
    pub label: String,
    /// The input is a suggestion: the first character typed replaces it.
    pub fresh: bool,
}

impl Prompt {
    /// The question shown before the input.
    pub fn question(&self) -> String {
        match &self.kind {
            PromptKind::ConfirmKill => format!("kill {}? [y/N] ", self.label),
            PromptKind::ConfirmMkdir { dir, .. } => format!(
                "{} does not exist on {}: create it and start {} there? [y/N] ",
                navi_core::text::sanitize(dir),
                self.label,
                navi_core::text::sanitize_name(&self.session)
            ),
            PromptKind::Rename => format!("rename {} to: ", self.label),
            PromptKind::Send => format!("type into {} (Enter sends): ", self.label),
            PromptKind::Keys => format!(
                "keys to {} (e.g. Escape, Up Up Enter, C-c; Enter sends): ",
                self.label
            ),
            PromptKind::ConfirmAnswer { choice, what, .. } => format!(
                "{} {}: {}? [y/N] ",
                choice.verb(),
                self.label,
                navi_core::text::sanitize(what)
            ),
            PromptKind::Tags => format!("tags of {} (space-separated): ", self.label),
            PromptKind::NewName => format!("new session on {} (Tab: machine), name: ", self.label),
            PromptKind::NewCommand {
                name,
                skip_permissions,
                ..
            } => {
                let skip = if *skip_permissions { "[x]" } else { "[ ]" };
                format!(
                    "{name} on {} (Tab {skip} skip permissions, Up/Down agent): command: ",
                    self.label
                )
            }
            PromptKind::NewPrompt { name, command, .. } => {
                let of = navi_core::statusdir::agents::Agent::of_command(command)
                    .map(|a| format!(" for {}", a.title()))
                    .unwrap_or_default();
                format!("{name} on {}: first prompt{of} (Enter: none): ", self.label)
            }
            PromptKind::NewDir {
                name,
                skip_permissions,
            } => {
                let skip = match skip_permissions {
                    true => "[x]",
                    false => "[ ]",
                };
                format!(
                    "{name} on {} (Tab {skip} skip permissions): directory: ",
                    self.label
                )
            }
        }
    }
}

/// The preview pane's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Shown (`p` / Tab).
    pub visible: bool,
    /// Beside the list (else below).
    pub side: bool,
    /// Long lines wrap (else they are cut).
    pub wrap: bool,
    /// Share of the screen, in percent (30–80).
    pub percent: u16,
    /// The session shown: (machine, name).
    pub of: Option<(Option<String>, String)>,
    /// Its text (or why there is none).
    pub text: String,
    /// A refresh is running.
    pub in_flight: bool,
    /// When it was last asked for.
    pub asked: Option<Instant>,
    /// The keys scroll it (Tab), not the list.
    pub focused: bool,
    /// Lines scrolled back from its bottom (0: the bottom, following new output).
    pub back: usize,
    /// Lines it showed in its last frame (its page).
    pub page: usize,
    /// The session whose source said its pane changed (so the timer is off for it).
    pub live: Option<(Option<String>, String)>,
    /// The session whose source cannot follow its pane (the timer refreshes it).
    pub unfollowed: Option<(Option<String>, String)>,
    /// A change came while a capture ran: capture again when it returns.
    pub again: bool,
}

impl App {
    /// The source that owns `session` (by its machine).
    pub(super) fn source_of(&self, remote: Option<&str>) -> Option<(usize, DynSessionSource)> {
        self.sources
            .iter()
            .enumerate()
            .find(|(_, s)| s.label() == remote)
            .map(|(i, s)| (i, s.clone()))
    }

    /// Opens the prompt of `kind` for the selected session (or says why not).
    pub(super) fn prompt_selected(&mut self, kind: PromptKind, needs: &Action) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&s);
        let Some((index, source)) = self.source_of(s.remote.as_deref()) else {
            self.ui
                .set_message(Level::Error, format!("no source for {label}"));
            return Effect::None;
        };
        if !source.supports().allows(needs) {
            let what = needs.name();
            self.ui.set_message(
                Level::Error,
                format!("{label}: its machine cannot {what} sessions"),
            );
            return Effect::None;
        }
        if self.dry_run {
            self.ui
                .set_message(Level::Info, format!("demo: would {} {label}", needs.name()));
            return Effect::None;
        }
        let input = match kind {
            PromptKind::Rename => s.tmux_session.clone(),
            PromptKind::Tags => s.marks.tags.join(" "),
            _ => String::new(),
        };
        self.ui.prompt = Some(Prompt {
            kind,
            input,
            source: index,
            session: s.tmux_session.clone(),
            label,
            fresh: false,
        });
        Effect::None
    }

    /// `d`: the Go navi's acknowledge of a live session: back to working, its message
    /// cleared, by the owning source (the session's machine), under the hook's lock.
    pub(super) fn acknowledge_selected(&mut self) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&s);
        let Some((_, source)) = self.source_of(s.remote.as_deref()) else {
            self.ui
                .set_message(Level::Error, format!("no source for {label}"));
            return Effect::None;
        };
        if !source.supports().allows(&Action::Acknowledge) {
            self.ui.set_message(
                Level::Error,
                format!("{label}: its machine cannot acknowledge sessions"),
            );
            return Effect::None;
        }
        if self.dry_run {
            self.ui
                .set_message(Level::Info, format!("demo: would acknowledge {label}"));
            return Effect::None;
        }
        Effect::Act(ActRequest {
            source,
            session: s.tmux_session.clone(),
            action: Action::Acknowledge,
            label,
        })
    }

    /// Tab: the keys go to the preview (shown first, as the Go navi's Tab shows it when
    /// hidden), or back to the list.
    pub(super) fn focus_preview(&mut self) -> Effect {
        if self.ui.preview.focused && self.ui.preview.visible {
            self.ui.preview.focused = false;
            return Effect::None;
        }
        if !self.ui.preview.visible {
            return self.toggle_preview();
        }
        self.ui.preview.focused = true;
        self.ui.set_message(
            Level::Info,
            "preview: j k PgUp PgDn scroll, g top, G bottom; Tab or Esc: back to the list",
        );
        Effect::None
    }

    /// `d`: dismiss at once (the source refuses a live session).
    pub(super) fn dismiss_selected(&mut self) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        match self.source_of(s.remote.as_deref()) {
            Some(_) if self.dry_run => {
                self.ui
                    .set_message(Level::Info, "demo: would dismiss the row");
                Effect::None
            }
            Some((_, source)) => Effect::Act(ActRequest {
                source,
                session: s.tmux_session.clone(),
                action: Action::Dismiss,
                label: session_label(&s),
            }),
            None => Effect::None,
        }
    }

    /// `n` (without a search): a new session on the selected row's machine, its
    /// directory suggested as navi's own (the Go navi's) or, on a remote, its home.
    pub(super) fn prompt_new(&mut self) -> Effect {
        let remote = self.model.selected_session().and_then(|s| s.remote.clone());
        let Some((index, source)) = self
            .source_of(remote.as_deref())
            .or_else(|| self.source_of(None))
        else {
            return Effect::None;
        };
        if self.dry_run {
            self.ui
                .set_message(Level::Info, "demo: would open the new-session prompt");
            return Effect::None;
        }
        self.ui.prompt = Some(Prompt {
            kind: PromptKind::NewName,
            input: String::new(),
            source: index,
            session: String::new(),
            label: source.label().unwrap_or("this machine").to_string(),
            fresh: false,
        });
        Effect::None
    }

    /// A `new` failed: its prompt opens again with what was typed (name, then directory
    /// and command as they were), to fix and retry.
    fn reopen_new(&mut self, remote: Option<&str>, session: &str, dir: &str, command: &[String]) {
        let Some((index, source)) = self.source_of(remote) else {
            return;
        };
        let skip = "--dangerously-skip-permissions";
        let words: Vec<&str> = command
            .iter()
            .map(String::as_str)
            .filter(|w| *w != skip)
            .collect();
        self.new_draft = Some((dir.to_string(), words.join(" ")));
        if self.ui.prompt.is_none() {
            self.ui.prompt = Some(Prompt {
                kind: PromptKind::NewName,
                input: session.to_string(),
                source: index,
                session: String::new(),
                label: source.label().unwrap_or("this machine").to_string(),
                fresh: false,
            });
        }
    }

    /// A `new` failed on a missing directory: ask whether to create it (the inputs are
    /// kept either way).
    fn offer_mkdir(&mut self, req: &ActRequest, dir: &str, command: &[String]) {
        let Some((index, source)) = self.source_of(req.source.label()) else {
            return;
        };
        self.ui.prompt = Some(Prompt {
            kind: PromptKind::ConfirmMkdir {
                dir: dir.to_string(),
                command: command.to_vec(),
            },
            input: String::new(),
            source: index,
            session: req.session.clone(),
            label: source.label().unwrap_or("this machine").to_string(),
            fresh: false,
        });
    }

    /// The directory a new session on source `index` starts in unless changed.
    fn default_dir(&self, index: usize) -> String {
        let remote = self.sources.get(index).and_then(|s| s.label()).is_some();
        let here = std::env::current_dir()
            .ok()
            .map(|d| d.display().to_string());
        match (remote, here) {
            (false, Some(dir)) => dir,
            _ => "~".into(),
        }
    }

    /// A key while a prompt is open.
    pub(super) fn on_prompt_key(&mut self, key: &KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(prompt) = self.ui.prompt.as_mut() else {
            return Effect::None;
        };
        if prompt.kind == PromptKind::ConfirmKill {
            let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
            let prompt = self.ui.prompt.take();
            return match (yes, prompt) {
                (true, Some(p)) => self.request(&p, Action::Kill),
                _ => {
                    self.ui.set_message(Level::Info, "not killed");
                    Effect::None
                }
            };
        }
        if let PromptKind::ConfirmAnswer { choice, expect, .. } = prompt.kind.clone() {
            let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
            let prompt = self.ui.prompt.take();
            return match (yes, prompt) {
                (true, Some(p)) => self.request(&p, Action::Answer { choice, expect }),
                _ => {
                    self.ui
                        .set_message(Level::Info, "not answered (nothing was sent)");
                    Effect::None
                }
            };
        }
        if let PromptKind::ConfirmMkdir { dir, command } = prompt.kind.clone() {
            let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
            let Some(p) = self.ui.prompt.take() else {
                return Effect::None;
            };
            if yes {
                let create_dir = true;
                return self.request(
                    &p,
                    Action::New {
                        dir,
                        command,
                        create_dir,
                    },
                );
            }
            self.ui
                .set_message(Level::Info, "directory not created: change it and retry");
            let label = self
                .sources
                .get(p.source)
                .and_then(|s| s.label().map(str::to_string));
            self.reopen_new(label.as_deref(), &p.session, &dir, &command);
            return Effect::None;
        }
        match key.code {
            KeyCode::Esc => self.ui.prompt = None,
            KeyCode::Char('c') if ctrl => self.ui.prompt = None,
            KeyCode::Char('u') if ctrl => prompt.input.clear(),
            KeyCode::Backspace => {
                prompt.fresh = false;
                prompt.input.pop();
            }
            KeyCode::Tab
                if matches!(
                    prompt.kind,
                    PromptKind::NewDir { .. } | PromptKind::NewCommand { .. }
                ) =>
            {
                if let PromptKind::NewDir {
                    skip_permissions, ..
                }
                | PromptKind::NewCommand {
                    skip_permissions, ..
                } = &mut prompt.kind
                {
                    *skip_permissions = !*skip_permissions;
                }
            }
            KeyCode::Up | KeyCode::Down if matches!(prompt.kind, PromptKind::NewCommand { .. }) => {
                prompt.input = next_agent(&prompt.input, key.code == KeyCode::Down).into();
                prompt.fresh = false;
            }
            KeyCode::Tab if prompt.kind == PromptKind::NewName => {
                let next = (prompt.source + 1) % self.sources.len().max(1);
                prompt.source = next;
                prompt.label = self.sources[next]
                    .label()
                    .unwrap_or("this machine")
                    .to_string();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if std::mem::take(&mut prompt.fresh) {
                    prompt.input.clear();
                }
                prompt.input.push(c);
            }
            KeyCode::Enter => return self.submit_prompt(),
            _ => {}
        }
        Effect::None
    }

    fn submit_prompt(&mut self) -> Effect {
        let Some(mut p) = self.ui.prompt.take() else {
            return Effect::None;
        };
        let input = p.input.clone();
        match p.kind.clone() {
            PromptKind::ConfirmKill
            | PromptKind::ConfirmMkdir { .. }
            | PromptKind::ConfirmAnswer { .. } => Effect::None,
            PromptKind::Keys => {
                let words: Vec<String> = input.split_whitespace().map(str::to_string).collect();
                match navi_core::keys::check_keys(&words) {
                    Ok(keys) => self.request(&p, Action::Keys { keys }),
                    Err(e) => {
                        self.ui.set_message(Level::Error, e);
                        self.ui.prompt = Some(p);
                        Effect::None
                    }
                }
            }
            PromptKind::Rename => self.request(&p, Action::Rename { to: input }),
            PromptKind::Send => {
                if let Err(e) = navi_core::check_send_text(&input) {
                    self.ui.set_message(Level::Error, e);
                    self.ui.prompt = Some(p);
                    return Effect::None;
                }
                self.request(&p, Action::Send { text: input })
            }
            PromptKind::Tags => self.submit_tags(p, &input),
            PromptKind::NewName => {
                if let Err(e) = navi_core::check_session_name(&input) {
                    self.ui.set_message(Level::Error, e);
                    self.ui.prompt = Some(p);
                    return Effect::None;
                }
                p.kind = PromptKind::NewDir {
                    name: input,
                    skip_permissions: false,
                };
                match self.new_draft.as_ref() {
                    Some((dir, _)) => dir.clone_into(&mut p.input),
                    None => {
                        p.input = self.default_dir(p.source);
                        p.fresh = true;
                    }
                }
                self.ui.prompt = Some(p);
                Effect::None
            }
            PromptKind::NewDir {
                name,
                skip_permissions,
            } => {
                p.kind = PromptKind::NewCommand {
                    name,
                    dir: input,
                    skip_permissions,
                };
                p.input = match self.new_draft.take() {
                    Some((_, command)) => command,
                    None => "claude".into(),
                };
                p.fresh = false;
                self.ui.prompt = Some(p);
                Effect::None
            }
            PromptKind::NewCommand {
                name,
                dir,
                skip_permissions,
            } => {
                // The command is checked now; the first prompt comes next.
                if let Err(e) = navi_core::new_session_command(&input, skip_permissions) {
                    self.ui.set_message(Level::Error, e);
                    p.kind = PromptKind::NewCommand {
                        name,
                        dir,
                        skip_permissions,
                    };
                    self.ui.prompt = Some(p);
                    return Effect::None;
                }
                p.kind = PromptKind::NewPrompt {
                    name,
                    dir,
                    command: input,
                    skip_permissions,
                };
                p.input = String::new();
                p.fresh = false;
                self.ui.prompt = Some(p);
                Effect::None
            }
            PromptKind::NewPrompt {
                name,
                dir,
                command: line,
                skip_permissions,
            } => {
                let checked = navi_core::keys::command_with_prompt(&line, skip_permissions, &input);
                let command = match checked {
                    Ok(c) => c,
                    Err(e) => {
                        self.ui.set_message(Level::Error, e);
                        p.kind = PromptKind::NewPrompt {
                            name,
                            dir,
                            command: line,
                            skip_permissions,
                        };
                        self.ui.prompt = Some(p);
                        return Effect::None;
                    }
                };
                p.session = name;
                self.request(
                    &p,
                    Action::New {
                        dir,
                        command,
                        create_dir: false,
                    },
                )
            }
        }
    }

    pub(super) fn request(&mut self, p: &Prompt, action: Action) -> Effect {
        let Some(source) = self.sources.get(p.source).cloned() else {
            return Effect::None;
        };
        let label = match source.label() {
            Some(r) if p.label == r => format!("{} [{r}]", p.session),
            _ => p.label.clone(),
        };
        self.ui
            .set_message(Level::Info, format!("{} {label}…", action.name()));
        Effect::Act(ActRequest {
            source,
            session: p.session.clone(),
            action,
            label,
        })
    }

    /// `p`: show or hide the preview; shown, it asks for the selected pane.
    pub(super) fn toggle_preview(&mut self) -> Effect {
        self.ui.preview.visible = !self.ui.preview.visible;
        self.ui.preview.focused = false;
        if self.ui.preview.percent == 0 {
            self.ui.preview.percent = 50;
            self.ui.preview.side = true;
        }
        match self.ui.preview.visible {
            true => self.preview_now(),
            false => {
                // Shown again, it tries to follow the pane again.
                self.ui.preview.live = None;
                self.ui.preview.unfollowed = None;
                Effect::None
            }
        }
    }

    /// `[` / `]`: a smaller or larger preview.
    pub(super) fn resize_preview(&mut self, delta: i16) {
        let p = i16::try_from(self.ui.preview.percent).unwrap_or(50) + delta;
        self.ui.preview.percent = u16::try_from(p.clamp(30, 80)).unwrap_or(50);
    }

    /// The preview request for the selected session, unless one is running.
    pub fn preview_now(&mut self) -> Effect {
        if !self.ui.preview.visible || self.ui.preview.in_flight {
            return Effect::None;
        }
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.preview.of = None;
            self.ui.preview.text = "no session selected".into();
            return Effect::None;
        };
        let key = (s.remote.clone(), s.tmux_session.clone());
        if self.ui.preview.of.as_ref() != Some(&key) {
            self.ui.preview.text.clear();
            self.ui.preview.back = 0;
        }
        self.ui.preview.of = Some(key);
        if s.stale {
            self.ui.preview.text = "its remote is unavailable: no preview".into();
            return Effect::None;
        }
        let Some((_, source)) = self.source_of(s.remote.as_deref()) else {
            return Effect::None;
        };
        if !source.supports().preview || self.dry_run {
            self.ui.preview.text = "this machine offers no preview".into();
            return Effect::None;
        }
        self.ui.preview.in_flight = true;
        self.ui.preview.asked = Some(Instant::now());
        Effect::Act(ActRequest {
            source,
            session: s.tmux_session.clone(),
            action: Action::Preview,
            label: session_label(&s),
        })
    }

    /// Called on every tick: refreshes a visible preview about once a second (unless its
    /// source reports the pane's changes, [`App::on_pane_change`]), and at once when the
    /// selection moved.
    pub fn preview_tick(&mut self) -> Effect {
        if !self.ui.preview.visible || self.ui.preview.in_flight {
            return Effect::None;
        }
        let selected = self
            .model
            .selected_session()
            .map(|s| (s.remote.clone(), s.tmux_session.clone()));
        let moved = selected != self.ui.preview.of;
        let followed = selected.is_some() && selected == self.ui.preview.live;
        let due = !followed
            && self
                .ui
                .preview
                .asked
                .is_none_or(|t| t.elapsed() >= PREVIEW_EVERY);
        match moved || due {
            true => self.preview_now(),
            false => Effect::None,
        }
    }

    /// An action finished. A change makes the event loop poll again at once.
    pub fn on_act_result(
        &mut self,
        req: &ActRequest,
        result: Result<ActionOutput, SourceError>,
    ) -> Effect {
        if let Some(effect) = self.on_git_result(req, &result) {
            return effect;
        }
        if let Some(effect) = self.on_answer_pane(req, &result) {
            return effect;
        }
        match (&req.action, result) {
            (Action::Preview, result) => {
                self.ui.preview.in_flight = false;
                let key = (req.source.label().map(str::to_string), req.session.clone());
                if self.ui.preview.of.as_ref() == Some(&key) {
                    self.ui.preview.text = match result {
                        Ok(ActionOutput::Text(t)) | Ok(ActionOutput::Done(t)) => t,
                        Ok(_) => "no preview: an unexpected answer".into(),
                        Err(e) => format!("no preview: {}", e.reason()),
                    };
                }
                match std::mem::take(&mut self.ui.preview.again) {
                    true => self.preview_now(),
                    false => Effect::None,
                }
            }
            (_, Ok(out)) => {
                let text = match out {
                    ActionOutput::Done(t) | ActionOutput::Text(t) => t,
                    ActionOutput::Git(_) | ActionOutput::Pr(_) => {
                        format!("{} done", req.action.name())
                    }
                };
                self.ui
                    .set_message(Level::Info, navi_core::text::sanitize(&text));
                Effect::Refresh
            }
            (action, Err(e)) => {
                let what = action.name();
                self.ui.set_message(
                    Level::Error,
                    format!("cannot {what} {}: {}", req.label, e.reason()),
                );
                if let Action::New {
                    dir,
                    command,
                    create_dir,
                } = action
                {
                    let missing = e.reason().contains("no such directory");
                    match missing && !create_dir {
                        true => self.offer_mkdir(req, dir, command),
                        false => self.reopen_new(req.source.label(), &req.session, dir, command),
                    }
                }
                Effect::None
            }
        }
    }
}

/// The program of the agent after (`forward`) or before the one `command` starts, in
/// [`Agent::ALL`](navi_core::statusdir::agents::Agent::ALL) order (Claude Code when it
/// starts none): Up / Down in the new-session command prompt.
fn next_agent(command: &str, forward: bool) -> &'static str {
    use navi_core::statusdir::agents::Agent;
    let n = Agent::ALL.len();
    let at = Agent::of_command(command).and_then(|a| Agent::ALL.iter().position(|x| *x == a));
    let next = match (at, forward) {
        (None, _) => 0,
        (Some(i), true) => (i + 1) % n,
        (Some(i), false) => (i + n - 1) % n,
    };
    Agent::ALL[next].program()
}
