//! Claude Code's permission dialog, read from a pane: what it asks, which key answers it,
//! and whether a screen still shows the dialog the user saw.
//!
//! The shape (Claude Code 2.1.197, captured by `scripts/capture-permission-panes.sh`;
//! the captures are this module's test fixtures):
//!
//! ```text
//! ────────────────────────────
//!  Bash command
//!    echo "hello" > out.txt
//!    write a file
//!  Do you want to proceed?
//!  ❯ 1. Yes
//!    2. Yes, and always allow access to proj/ from this project
//!    3. No
//!  Esc to cancel · Tab to amend · ctrl+e to explain
//! ```
//!
//! A digit picks its option at once (no Enter). The dialog's *fingerprint* is its lines
//! from the title to the last option, each [`normalize`]d (the `❯` cursor and box sides
//! removed, blanks collapsed), so moving the cursor does not change it and anything else
//! does. The session's machine checks the fingerprint against a fresh capture and sends
//! the key in the same step (locally in one function, on a remote in one script whose
//! awk applies the same normalisation), so no other dialog can take the key.

/// Which answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// `1. Yes`.
    Approve,
    /// `2. Yes, and don't ask again ...` (or `allow all edits during this session`).
    Always,
    /// `No` (`3. No, and tell Claude what to do differently`).
    Deny,
}

impl Choice {
    /// `approve`, `approve always` or `deny`.
    pub fn verb(self) -> &'static str {
        match self {
            Choice::Approve => "approve",
            Choice::Always => "approve always",
            Choice::Deny => "deny",
        }
    }

    /// `approved`, `approved (always)` or `denied`.
    pub fn done(self) -> &'static str {
        match self {
            Choice::Approve => "approved",
            Choice::Always => "approved (always)",
            Choice::Deny => "denied",
        }
    }
}

/// A permission dialog found on a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// The tool's heading (`Bash command`, `Create file`, `Fetch`), if shown.
    pub title: String,
    /// The lines between the heading and the question (the command, its description,
    /// the file), normalised; rule lines left out.
    pub subject: Vec<String>,
    /// `Do you want to proceed?`.
    pub question: String,
    /// The options: (digit, label).
    pub options: Vec<(u8, String)>,
    /// The normalised lines from the heading to the last option.
    block: Vec<String>,
}

/// How far above the question the heading is looked for.
const MAX_HEAD_LINES: usize = 40;

/// The line as the fingerprint sees it: the cursor `❯` and the box side `│` removed,
/// runs of spaces and tabs made one space, trimmed. The remote check's awk does exactly
/// this (`action_answer.sh`).
pub fn normalize(line: &str) -> String {
    let kept: String = line.chars().filter(|c| !matches!(c, '❯' | '│')).collect();
    let mut out = String::with_capacity(kept.len());
    for word in kept.split([' ', '\t']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The screen's lines, escape sequences removed, normalised (empty ones kept, so the
/// structure can be read).
fn lines_of(screen: &str) -> Vec<String> {
    crate::text::clean_pane(screen)
        .lines()
        .map(normalize)
        .collect()
}

/// `3. No` as (3, "No").
fn option(line: &str) -> Option<(u8, String)> {
    let (num, label) = line.split_once(". ")?;
    let digit: u8 = num.parse().ok().filter(|d| (1..=9).contains(d))?;
    (num.len() == 1 && !label.is_empty()).then(|| (digit, label.to_string()))
}

/// A horizontal rule (`────`), the line above a dialog.
fn is_rule(line: &str) -> bool {
    line.chars().count() >= 10 && line.chars().all(|c| c == '─')
}

/// A rule inside the dialog (`╌╌╌╌` around a file's content).
fn is_inner_rule(line: &str) -> bool {
    line.chars().count() >= 10 && line.chars().all(|c| matches!(c, '╌' | '─' | '┄'))
}

/// The permission dialog the screen shows at its bottom, if it shows one: a question
/// `Do you want ...?`, then options numbered from 1, the first `Yes`, one starting with
/// `No`, and nothing but the footer (`Esc to cancel ...`) below them.
pub fn recognise(screen: &str) -> Option<Dialog> {
    let raw: Vec<String> = crate::text::clean_pane(screen)
        .lines()
        .map(str::to_string)
        .collect();
    let lines: Vec<String> = raw.iter().map(|l| normalize(l)).collect();
    let q = lines
        .iter()
        .rposition(|l| l.starts_with("Do you want") && l.ends_with('?'))?;
    let mut options: Vec<(u8, String)> = Vec::new();
    let mut last = q;
    for (i, line) in lines.iter().enumerate().skip(q + 1) {
        match option(line) {
            Some((d, label)) if usize::from(d) == options.len() + 1 => {
                options.push((d, label));
                last = i;
            }
            Some(_) => return None,
            // A label that wrapped onto the next line (indented under the label).
            None if i == last + 1
                && !options.is_empty()
                && !is_footer(line)
                && raw[i].starts_with("    ") =>
            {
                if let Some((_, label)) = options.last_mut() {
                    label.push(' ');
                    label.push_str(line);
                }
                last = i;
            }
            None => break,
        }
    }
    // Below the options only the footer: a dialog with output under it is an old one
    // (scrolled into the history the preview holds), not the one on the screen.
    let below = lines[last + 1..].iter().filter(|l| !is_footer(l)).count();
    let first_yes = options.first().is_some_and(|(_, l)| l == "Yes");
    let has_no = options.iter().any(|(_, l)| l.starts_with("No"));
    if options.len() < 2 || !first_yes || !has_no || below > 0 {
        return None;
    }
    let top = q.saturating_sub(MAX_HEAD_LINES);
    // The rule above the dialog starts its block (it is on the screen too, so a
    // fingerprint holds it and reads back as the same dialog).
    let rule = lines[top..q]
        .iter()
        .rposition(|l| is_rule(l))
        .map(|r| top + r);
    let start = rule.unwrap_or(q);
    let head: Vec<&String> = lines[rule.map_or(q, |r| r + 1)..q]
        .iter()
        .filter(|l| !l.is_empty())
        .collect();
    let title = head.first().map_or(String::new(), |t| t.to_string());
    let subject = head
        .iter()
        .skip(1)
        .filter(|l| !is_inner_rule(l))
        .map(|l| l.to_string())
        .collect();
    let block = lines[start..=last]
        .iter()
        .filter(|l| !l.is_empty())
        .cloned()
        .collect();
    Some(Dialog {
        title,
        subject,
        question: lines[q].clone(),
        options,
        block,
    })
}

/// The dialog's footer (`Esc to cancel · Tab to amend`).
fn is_footer(line: &str) -> bool {
    line.is_empty() || line.starts_with("Esc to") || line.contains("to cancel")
}

impl Dialog {
    /// Its fingerprint: the normalised lines from the rule above it to its last option.
    pub fn fingerprint(&self) -> String {
        self.block.join("\n")
    }

    /// The dialog a fingerprint was made of (its own text is a dialog).
    pub fn from_fingerprint(fingerprint: &str) -> Option<Dialog> {
        recognise(fingerprint)
    }

    /// The option `choice` picks: (digit, label), or why this dialog has none.
    pub fn option_for(&self, choice: Choice) -> Result<(u8, &str), String> {
        let found = match choice {
            Choice::Approve => self.options.iter().find(|(_, l)| l == "Yes"),
            Choice::Always => self.options.iter().find(|(_, l)| l.starts_with("Yes,")),
            Choice::Deny => self.options.iter().find(|(_, l)| l.starts_with("No")),
        };
        found.map(|(d, l)| (*d, l.as_str())).ok_or_else(|| {
            format!(
                "this dialog has no option to {} ({})",
                choice.verb(),
                self.options_text()
            )
        })
    }

    /// `1. Yes / 2. Yes, and ... / 3. No`.
    pub fn options_text(&self) -> String {
        let all: Vec<String> = self
            .options
            .iter()
            .map(|(d, l)| format!("{d}. {l}"))
            .collect();
        all.join(" / ")
    }

    /// What it asks: `Bash command: echo hi > out.txt (write a file): Do you want to
    /// proceed?` (the subject cut to a few lines).
    pub fn describe(&self) -> String {
        let mut what = self.title.clone();
        let subject: Vec<&str> = self.subject.iter().take(3).map(String::as_str).collect();
        if !subject.is_empty() {
            if !what.is_empty() {
                what.push_str(": ");
            }
            what.push_str(&subject.join(" · "));
            if self.subject.len() > 3 {
                what.push_str(" …");
            }
        }
        match what.is_empty() {
            true => self.question.clone(),
            false => format!("{what} — {}", self.question),
        }
    }
}

/// Whether `screen` shows the dialog of `fingerprint`: its lines, normalised, appear on
/// the screen one after the other (empty lines ignored).
pub fn shows(screen: &str, fingerprint: &str) -> bool {
    let want: Vec<&str> = fingerprint.lines().filter(|l| !l.is_empty()).collect();
    if want.is_empty() {
        return false;
    }
    let have: Vec<String> = lines_of(screen)
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    have.windows(want.len())
        .any(|w| w.iter().zip(&want).all(|(a, b)| a == b))
}

/// What a screen shows instead, for a refusal: another dialog described, or its last
/// few lines.
pub fn what_it_shows(screen: &str) -> String {
    if let Some(d) = recognise(screen) {
        return format!("another permission dialog: {}", d.describe());
    }
    let lines: Vec<String> = lines_of(screen)
        .into_iter()
        .filter(|l| !l.is_empty() && !is_rule(l))
        .collect();
    let last = &lines[lines.len().saturating_sub(3)..];
    match last.is_empty() {
        true => "an empty screen".into(),
        false => format!("no permission dialog; its last lines: {}", last.join(" | ")),
    }
}

#[cfg(test)]
mod tests;
