//! The git dialog (`G`): the selected session's git state and pull request, asked on
//! the session's machine when it opens ([`Action::Git`], then [`Action::PullRequest`])
//! and again every [`GIT_EVERY`] while it is open; its comments (`c`), the pull
//! request's page in the browser (`o`), and the diff (`d`) in a scrollable content
//! viewer.
//!
//! The app only decides: the sources run git and gh ([`Effect::Act`]), and what must
//! happen on this machine (gh by `--repo` for a remote whose `gh` cannot be used, the
//! browser) is an [`Effect::Local`] the event loop performs ([`perform_local`]).

use crossterm::event::KeyEvent;
use navi_core::git::{GitReport, PrStatus, PullRequest};
use navi_core::{Action, ActionOutput, SourceError};
use tokio::time::Instant;

use super::{session_label, ActRequest, App, Effect, KeyAction, Level, Mode, Overlay};
pub use navi_core::limits::GIT_EVERY;

/// The open git dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitDialog {
    /// The session's remote (`None`: this machine) and name.
    pub of: (Option<String>, String),
    /// `name` or `name [remote]`, sanitized.
    pub label: String,
    /// The session's directory there.
    pub cwd: String,
    /// git's answer, or why there is none; `None` until the first answer.
    pub report: Option<Result<GitReport, String>>,
    /// gh's answer where the repository is; `None` until it came.
    pub pr: Option<PrStatus>,
    /// gh's answer on this machine by `--repo`, when the remote's gh could not be used.
    pub pr_here: Option<PrStatus>,
    /// git or gh is being asked.
    pub in_flight: bool,
    /// When git was last asked.
    pub asked: Option<Instant>,
    /// A line under the dialog (the browser failed, no PR to open, ...).
    pub note: Option<(Level, String)>,
    /// The first line shown (the dialog scrolls on a small screen).
    pub scroll: usize,
    /// The content viewer over the dialog (comments or the diff), while open.
    pub view: Option<ContentView>,
    /// The dialog's keys as bound (`c comments · o Enter open · ...`).
    pub keys_hint: String,
}

impl GitDialog {
    /// The pull request, from wherever gh answered with one.
    pub fn pull_request(&self) -> Option<&PullRequest> {
        [&self.pr_here, &self.pr].into_iter().find_map(|p| match p {
            Some(PrStatus::Found(pr)) => Some(pr.as_ref()),
            _ => None,
        })
    }

    /// The lines saying why there is no pull request (where gh was tried), if none.
    pub fn pr_lines(&self) -> Vec<String> {
        if self.pull_request().is_some() {
            return Vec::new();
        }
        [&self.pr, &self.pr_here]
            .into_iter()
            .flatten()
            .filter_map(|p| p.line().map(str::to_string))
            .collect()
    }
}

/// A scrollable text over the git dialog: its lines may hold SGR colours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentView {
    /// The title (`diff: feature/x`).
    pub title: String,
    /// The lines (SGR sequences kept, everything else removed).
    pub lines: Vec<String>,
    /// The first line shown.
    pub scroll: usize,
    /// Lines shown in the last frame (a page).
    pub page: usize,
}

/// Work on this machine for the git dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalJob {
    /// `gh pr view BRANCH --repo REPO` here, for the dialog of session `of`.
    PrHere {
        /// The session's remote and name.
        of: (Option<String>, String),
        /// `HOST/OWNER/NAME`.
        repo: String,
        /// The branch.
        branch: String,
    },
    /// Open this URL in the browser.
    Open(String),
}

/// What a [`LocalJob`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalDone {
    /// gh's answer here for the dialog of session `of`.
    PrHere((Option<String>, String), PrStatus),
    /// The browser was handed the page, or why not.
    Opened(Result<String, String>),
}

/// Runs `job` on this machine (off the event loop's thread; each program bounded).
pub async fn perform_local(job: LocalJob) -> LocalDone {
    let run = tokio::task::spawn_blocking(move || match job {
        LocalJob::PrHere { of, repo, branch } => {
            LocalDone::PrHere(of, navi_source_local::git::pull_request_of(&repo, &branch))
        }
        LocalJob::Open(url) => {
            LocalDone::Opened(navi_source_local::git::open_url(&url).map(|()| url))
        }
    });
    match run.await {
        Ok(done) => done,
        Err(e) => LocalDone::Opened(Err(format!("the job failed: {e}"))),
    }
}

impl App {
    /// `G`: opens the dialog for the selected session and asks its machine.
    pub(super) fn open_git(&mut self) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let mut dialog = GitDialog {
            of: (s.remote.clone(), s.tmux_session.clone()),
            label: session_label(&s),
            cwd: s.cwd.clone(),
            keys_hint: self.git_keys_hint(),
            ..GitDialog::default()
        };
        if s.cwd.is_empty() {
            dialog.report = Some(Err("its status file names no directory".into()));
        } else if s.stale {
            dialog.report = Some(Err("its remote is unavailable: git cannot be asked".into()));
        }
        let ask = dialog.report.is_none();
        self.ui.git = Some(dialog);
        self.ui.overlay = Overlay::Git;
        match ask {
            true => self.ask_git(),
            false => Effect::None,
        }
    }

    /// The dialog's keys as bound, for its last line.
    fn git_keys_hint(&self) -> String {
        let k = |a| self.keys.keys_of(a);
        format!(
            "{} comments · {} open in browser · {} diff · {} refresh · Esc close",
            k(KeyAction::GitComments),
            k(KeyAction::GitOpen),
            k(KeyAction::GitDiff),
            k(KeyAction::GitRefresh)
        )
    }

    /// Asks the session's machine for its git state (then its pull request).
    fn ask_git(&mut self) -> Effect {
        let Some(d) = self.ui.git.as_ref() else {
            return Effect::None;
        };
        let action = Action::Git { cwd: d.cwd.clone() };
        match self.git_request(action) {
            Some(req) => {
                if let Some(d) = self.ui.git.as_mut() {
                    d.in_flight = true;
                    d.asked = Some(Instant::now());
                }
                Effect::Act(req)
            }
            None => Effect::None,
        }
    }

    /// The request of `action` for the dialog's session, if its source can run it.
    fn git_request(&mut self, action: Action) -> Option<ActRequest> {
        let d = self.ui.git.as_ref()?;
        let (remote, session) = d.of.clone();
        let label = d.label.clone();
        let source = match self.source_of(remote.as_deref()) {
            Some((_, s)) if s.supports().allows(&action) && !self.dry_run => s,
            _ => {
                if let Some(d) = self.ui.git.as_mut() {
                    d.report = Some(Err("this machine offers no git state".into()));
                }
                return None;
            }
        };
        Some(ActRequest {
            source,
            session,
            action,
            label,
        })
    }

    /// Every tick: an open dialog asks again every [`GIT_EVERY`].
    pub fn git_tick(&mut self) -> Effect {
        let due = match &self.ui.git {
            Some(d) if self.ui.overlay == Overlay::Git && d.view.is_none() => {
                !d.in_flight && d.asked.is_some_and(|t| t.elapsed() >= GIT_EVERY)
            }
            _ => false,
        };
        match due {
            true => self.ask_git(),
            false => Effect::None,
        }
    }

    /// A key while the dialog (or its viewer) is open.
    pub(super) fn on_git_key(&mut self, key: &KeyEvent) -> Effect {
        let viewing = self.ui.git.as_ref().is_some_and(|d| d.view.is_some());
        if !viewing {
            if let Some(action) = self.keys.git_dialog(key) {
                return self.git_key(action);
            }
        }
        let Some(action) = self.keys.action(key, Mode::Overlay) else {
            return Effect::None;
        };
        match action {
            KeyAction::CloseOverlay => match self.ui.git.as_mut() {
                Some(d) if d.view.is_some() => d.view = None,
                _ => {
                    self.ui.git = None;
                    self.ui.overlay = Overlay::None;
                }
            },
            KeyAction::Quit => return Effect::Quit,
            a if a.is_navigation() => self.scroll_git(a),
            _ => {}
        }
        Effect::None
    }

    /// `c`, `o`, `d`, `r` in the dialog.
    fn git_key(&mut self, action: KeyAction) -> Effect {
        let Some(d) = self.ui.git.as_mut() else {
            return Effect::None;
        };
        d.note = None;
        match action {
            KeyAction::GitComments => match d.pull_request() {
                Some(pr) => d.view = Some(comments_view(pr)),
                None => d.note = Some((Level::Info, "no pull request: no comments".into())),
            },
            KeyAction::GitOpen => match d.pull_request().map(|p| p.url.clone()) {
                Some(url) if !url.is_empty() => {
                    d.note = Some((
                        Level::Info,
                        "opening the pull request in the browser…".into(),
                    ));
                    return Effect::Local(LocalJob::Open(url));
                }
                _ => d.note = Some((Level::Info, "no pull request to open".into())),
            },
            KeyAction::GitDiff => {
                let action = Action::Diff { cwd: d.cwd.clone() };
                d.note = Some((Level::Info, "reading the diff…".into()));
                if let Some(req) = self.git_request(action) {
                    return Effect::Act(req);
                }
            }
            KeyAction::GitRefresh if !d.in_flight => return self.ask_git(),
            _ => {}
        }
        Effect::None
    }

    /// Scrolls the viewer, or the dialog.
    fn scroll_git(&mut self, action: KeyAction) {
        let Some(d) = self.ui.git.as_mut() else {
            return;
        };
        let (pos, page, len) = match d.view.as_mut() {
            Some(v) => (&mut v.scroll, v.page.max(1), v.lines.len()),
            None => (&mut d.scroll, 5, usize::MAX / 2),
        };
        let last = len.saturating_sub(page);
        *pos = match action {
            KeyAction::Down => pos.saturating_add(1),
            KeyAction::Up => pos.saturating_sub(1),
            KeyAction::Top => 0,
            KeyAction::Bottom => last,
            KeyAction::PageDown => pos.saturating_add(page),
            KeyAction::PageUp => pos.saturating_sub(page),
            KeyAction::HalfDown => pos.saturating_add((page / 2).max(1)),
            KeyAction::HalfUp => pos.saturating_sub((page / 2).max(1)),
            _ => *pos,
        }
        .min(last);
    }

    /// A git, pull request or diff answer for the dialog; `None` for other actions.
    pub(super) fn on_git_result(
        &mut self,
        req: &ActRequest,
        result: &Result<ActionOutput, SourceError>,
    ) -> Option<Effect> {
        if !matches!(
            req.action,
            Action::Git { .. } | Action::PullRequest { .. } | Action::Diff { .. }
        ) {
            return None;
        }
        let of = (req.source.label().map(str::to_string), req.session.clone());
        let Some(d) = self.ui.git.as_mut().filter(|d| d.of == of) else {
            // The dialog closed or shows another session meanwhile.
            return Some(Effect::None);
        };
        let effect = match (&req.action, result) {
            (Action::Git { cwd }, result) => {
                d.report = Some(match result {
                    Ok(ActionOutput::Git(r)) => Ok(r.as_ref().clone()),
                    Ok(_) => Err("an unexpected answer".into()),
                    Err(e) => Err(e.reason()),
                });
                let ok = matches!(d.report, Some(Ok(_)));
                d.in_flight = ok;
                let action = Action::PullRequest { cwd: cwd.clone() };
                match ok.then(|| self.git_request(action)).flatten() {
                    Some(req) => Effect::Act(req),
                    None => {
                        if let Some(d) = self.ui.git.as_mut() {
                            d.in_flight = false;
                        }
                        Effect::None
                    }
                }
            }
            (Action::PullRequest { .. }, result) => {
                d.in_flight = false;
                let status = match result {
                    Ok(ActionOutput::Pr(p)) => p.as_ref().clone(),
                    Ok(_) => PrStatus::Failed("gh gave an unexpected answer".into()),
                    Err(e) => PrStatus::Failed(format!("gh could not be asked: {}", e.reason())),
                };
                let here = pr_here_job(d, &status);
                d.pr = Some(status);
                match here {
                    Some(job) => {
                        d.in_flight = true;
                        Effect::Local(job)
                    }
                    None => {
                        d.pr_here = None;
                        Effect::None
                    }
                }
            }
            (_, Ok(ActionOutput::Text(diff))) => {
                d.note = None;
                let branch = match &d.report {
                    Some(Ok(r)) => r.branch.clone().unwrap_or_else(|| "detached".into()),
                    _ => String::new(),
                };
                let dirty = matches!(&d.report, Some(Ok(r)) if r.dirty());
                d.view = Some(diff_view(&branch, diff, dirty));
                Effect::None
            }
            (_, result) => {
                let why = match result {
                    Err(e) => e.reason(),
                    Ok(_) => "an unexpected answer".into(),
                };
                d.note = Some((Level::Error, format!("no diff: {why}")));
                Effect::None
            }
        };
        Some(effect)
    }

    /// A [`LocalJob`] finished.
    pub fn on_local_done(&mut self, done: LocalDone) {
        match done {
            LocalDone::PrHere(of, status) => {
                if let Some(d) = self.ui.git.as_mut().filter(|d| d.of == of) {
                    d.in_flight = false;
                    d.pr_here = Some(status);
                }
            }
            LocalDone::Opened(result) => {
                let note = match result {
                    Ok(url) => (
                        Level::Info,
                        format!("opened {}", navi_core::text::sanitize(&url)),
                    ),
                    Err(e) => (Level::Error, e),
                };
                match self.ui.git.as_mut() {
                    Some(d) => d.note = Some(note),
                    None => self.ui.set_message(note.0, note.1),
                }
            }
        }
    }
}

/// The job of gh by `--repo` here, when a remote's gh cannot be used and the repository is on a
/// GitHub-like host.
pub fn pr_here_job(d: &GitDialog, there: &PrStatus) -> Option<LocalJob> {
    if d.of.0.is_none() || !there.unavailable() {
        return None;
    }
    let Some(Ok(report)) = &d.report else {
        return None;
    };
    let repo = navi_core::git::repo_of_url(report.remote_url.as_deref()?)?;
    let branch = report.branch.clone()?;
    Some(LocalJob::PrHere {
        of: d.of.clone(),
        repo,
        branch,
    })
}

/// The viewer of a diff (SGR colours from git); an empty diff says why.
fn diff_view(branch: &str, diff: &str, dirty: bool) -> ContentView {
    let lines: Vec<String> = match diff.trim().is_empty() {
        true if dirty => {
            vec!["No unstaged changes (changes may be staged, or files untracked)".into()]
        }
        true => vec!["Working tree clean: no changes".into()],
        false => diff.lines().map(str::to_string).collect(),
    };
    ContentView {
        title: format!("diff: {}", navi_core::text::sanitize(branch)),
        lines,
        ..ContentView::default()
    }
}

/// The viewer of a pull request's conversation: each comment's author, kind and time
/// in bold, then its text (sanitized: a comment's own escape sequences are removed).
fn comments_view(pr: &PullRequest) -> ContentView {
    let mut lines = Vec::new();
    if pr.comments.is_empty() {
        lines.push("No comments.".to_string());
    }
    for c in &pr.comments {
        let clean = |s: &str| navi_core::text::sanitize(s).into_owned();
        lines.push(format!(
            "\u{1b}[1m{}\u{1b}[0m \u{1b}[2m{} · {}\u{1b}[0m",
            clean(&c.author),
            clean(&c.kind),
            clean(&c.at)
        ));
        for l in c.body.lines() {
            lines.push(format!("  {}", clean(l)));
        }
        lines.push(String::new());
    }
    ContentView {
        title: format!(
            "comments: #{} {}",
            pr.number,
            navi_core::text::sanitize(&pr.title)
        ),
        lines,
        ..ContentView::default()
    }
}
