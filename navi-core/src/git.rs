//! A session's git state and pull request, as the `G` dialog shows them: gathered on
//! the session's machine ([`crate::Action::Git`], [`crate::Action::PullRequest`],
//! [`crate::Action::Diff`]), parsed here the same way for every source.
//!
//! Everything here reads output of programs in a directory the user does not control
//! (file names, commit subjects, remote URLs, a `gh` answer from a remote): nothing is
//! trusted, every list and text is capped, and nothing panics on any input.

use serde_json::Value;

/// The fields navi asks `gh pr view --json` for.
pub const PR_FIELDS: &str = "number,title,url,state,isDraft,mergeable,labels,reviews,\
reviewDecision,statusCheckRollup,additions,deletions,comments";

/// The most of a diff shown (the rest is cut with a "truncated" line).
pub const MAX_DIFF: usize = 1024 * 1024;

/// The most of a `gh pr view --json` answer read (comments included).
pub const MAX_PR_JSON: usize = 2 * 1024 * 1024;

/// Longest text kept of one field (a title, a label, a name).
const MAX_FIELD: usize = 300;
/// Longest comment body kept.
const MAX_BODY: usize = 20_000;
/// Most entries kept of one list (labels, reviews, checks, comments).
const MAX_ITEMS: usize = 200;

/// Where a session's working tree stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitReport {
    /// The branch checked out; `None`: a detached HEAD.
    pub branch: Option<String>,
    /// The commit checked out (full hash); `None` before the first commit.
    pub head: Option<String>,
    /// The upstream branch (`origin/main`), if one is set.
    pub upstream: Option<String>,
    /// Commits ahead of / behind the upstream.
    pub ahead_behind: Option<(u64, u64)>,
    /// Changed, staged, conflicted and untracked files.
    pub changed: usize,
    /// The last commit.
    pub last_commit: Option<Commit>,
    /// The URL of the branch's remote (or `origin`).
    pub remote_url: Option<String>,
}

impl GitReport {
    /// Uncommitted changes (or untracked files) present.
    pub fn dirty(&self) -> bool {
        self.changed > 0
    }
}

/// One commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commit {
    /// Its full hash.
    pub hash: String,
    /// Its subject line.
    pub subject: String,
    /// Its author's name.
    pub author: String,
    /// When it was committed, unix seconds.
    pub time: i64,
}

/// What `gh` said about the branch's pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrStatus {
    /// The pull request.
    Found(Box<PullRequest>),
    /// `gh` answered: the branch has no pull request (its words).
    NoPr(String),
    /// `gh` is not installed there (where: "on dev", "here").
    Missing(String),
    /// `gh` is installed there but not logged in.
    LoggedOut(String),
    /// `gh` failed otherwise (why, one line).
    Failed(String),
}

impl PrStatus {
    /// `gh` cannot be used there: another machine's `gh` may be tried.
    pub fn unavailable(&self) -> bool {
        matches!(self, PrStatus::Missing(_) | PrStatus::LoggedOut(_))
    }

    /// The one line the dialog shows when there is no pull request to show.
    pub fn line(&self) -> Option<&str> {
        match self {
            PrStatus::Found(_) => None,
            PrStatus::NoPr(s)
            | PrStatus::Missing(s)
            | PrStatus::LoggedOut(s)
            | PrStatus::Failed(s) => Some(s),
        }
    }
}

/// A pull request as `gh pr view --json` described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Its page.
    pub url: String,
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub state: String,
    /// A draft.
    pub draft: bool,
    /// `MERGEABLE`, `CONFLICTING` or `UNKNOWN`.
    pub mergeable: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `REVIEW_REQUIRED` or empty.
    pub review_decision: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Each reviewer's latest review.
    pub reviews: Vec<Review>,
    /// CI checks and commit statuses.
    pub checks: Vec<Check>,
    /// Lines added.
    pub additions: u64,
    /// Lines removed.
    pub deletions: u64,
    /// The conversation: comments and review bodies, oldest first.
    pub comments: Vec<Comment>,
}

/// A reviewer's latest review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    /// Their login.
    pub author: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: String,
}

/// One CI check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// Its name (a check run's name, a status's context).
    pub name: String,
    /// Where it stands.
    pub state: CheckState,
}

/// Where a check stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CheckState {
    /// Passed (success; neutral and skipped count as passed, as GitHub shows them).
    Passed,
    /// Failed (failure, error, cancelled, timed out, action required).
    Failed,
    /// Queued or running.
    #[default]
    Pending,
}

/// A comment or a review's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    /// Its author's login.
    pub author: String,
    /// When (ISO 8601, as GitHub wrote it).
    pub at: String,
    /// `comment`, or the review's state (`approved`, `changes requested`, ...).
    pub kind: String,
    /// Its text.
    pub body: String,
}

/// `s` cut to `max` characters (with `…`).
fn cap(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The first line of `s`, capped.
fn one_line(s: &str) -> String {
    cap(s.lines().next().unwrap_or("").trim(), MAX_FIELD)
}

/// Fills the branch, head, upstream, ahead / behind and changed count from
/// `git status --porcelain=v2 --branch` output.
pub fn read_status(report: &mut GitReport, porcelain: &str) {
    for line in porcelain.lines() {
        let Some(header) = line.strip_prefix("# ") else {
            if ["1 ", "2 ", "u ", "? "].iter().any(|p| line.starts_with(p)) {
                report.changed = report.changed.saturating_add(1);
            }
            continue;
        };
        let (key, value) = header.split_once(' ').unwrap_or((header, ""));
        match key {
            "branch.oid" => report.head = (value != "(initial)").then(|| one_line(value)),
            "branch.head" => report.branch = (value != "(detached)").then(|| one_line(value)),
            "branch.upstream" => report.upstream = Some(one_line(value)),
            "branch.ab" => {
                let mut parts = value.split(' ');
                let n = |p: Option<&str>, sign: char| {
                    p.and_then(|p| p.strip_prefix(sign))
                        .and_then(|n| n.parse::<u64>().ok())
                };
                if let (Some(a), Some(b)) = (n(parts.next(), '+'), n(parts.next(), '-')) {
                    report.ahead_behind = Some((a, b));
                }
            }
            _ => {}
        }
    }
}

/// The format of `git log -1` that [`read_log`] reads.
pub const LOG_FORMAT: &str = "--format=%H%x1f%an%x1f%ct%x1f%s";

/// The last commit from `git log -1` with [`LOG_FORMAT`].
pub fn read_log(out: &str) -> Option<Commit> {
    let line = out.lines().next()?;
    let mut parts = line.splitn(4, '\u{1f}');
    let hash = parts.next()?.trim();
    if hash.is_empty() || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(Commit {
        hash: cap(hash, 64),
        author: one_line(parts.next().unwrap_or("")),
        time: parts
            .next()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
        subject: one_line(parts.next().unwrap_or("")),
    })
}

/// The remote URL from `git ls-remote --get-url` (first line; none when empty).
pub fn read_url(out: &str) -> Option<String> {
    Some(one_line(out)).filter(|u| !u.is_empty())
}

/// The report a remote's git script printed: sections `status`, `url` and `log`, each
/// after a line of RS (`\u{1e}`) and its name. Git quotes control characters in file
/// names, so the status cannot hold a marker; whatever else a hostile repository puts
/// in its URL or commit subject only changes those fields.
pub fn read_report(out: &[u8]) -> GitReport {
    let text = String::from_utf8_lossy(out);
    let after = |from: usize, name: &str| {
        let marker = format!("\u{1e}{name}\n");
        text[from..]
            .find(&marker)
            .map(|at| from + at + marker.len())
    };
    let mut report = GitReport::default();
    let Some(status) = after(0, "status") else {
        return report;
    };
    let url = after(status, "url");
    let log = url.and_then(|u| after(u, "log"));
    let end = |next: Option<usize>, name_len: usize| next.map_or(text.len(), |n| n - name_len - 2);
    read_status(&mut report, &text[status..end(url, 3)]);
    if let Some(u) = url {
        report.remote_url = read_url(&text[u..end(log, 3)]);
    }
    if let Some(l) = log {
        report.last_commit = read_log(&text[l..]);
    }
    report
}

/// What `gh pr view --json` answered, by its exit status (`None`: it did not run, or
/// was not found), its output and its messages; `on` says where it ran ("on dev",
/// "here").
pub fn read_pr(status: Option<i32>, stdout: &[u8], stderr: &[u8], on: &str) -> PrStatus {
    let said = crate::text::sanitize(&String::from_utf8_lossy(stderr))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let said = cap(&said, MAX_FIELD);
    let lower = said.to_lowercase();
    match status {
        None | Some(127) => PrStatus::Missing(format!("gh is not installed {on}")),
        Some(0) => match parse_pr_json(stdout) {
            Ok(pr) => PrStatus::Found(Box::new(pr)),
            Err(e) => PrStatus::Failed(format!("gh {on} answered something unreadable: {e}")),
        },
        // gh's exit status 4: authentication required.
        Some(4) => PrStatus::LoggedOut(format!("gh is not logged in {on} (gh auth login)")),
        _ if lower.contains("gh auth login") || lower.contains("not logged in") => {
            PrStatus::LoggedOut(format!("gh is not logged in {on} (gh auth login)"))
        }
        _ if lower.contains("no pull requests found") => {
            PrStatus::NoPr(format!("no pull request for this branch ({said})"))
        }
        Some(s) => PrStatus::Failed(match said.is_empty() {
            true => format!("gh {on} failed (exit status {s})"),
            false => format!("gh {on} failed: {said}"),
        }),
    }
}

/// A pull request from `gh pr view --json` ([`PR_FIELDS`]): fields of the wrong type
/// are taken as missing, lists are capped.
pub fn parse_pr_json(bytes: &[u8]) -> Result<PullRequest, String> {
    if bytes.len() > MAX_PR_JSON {
        return Err(format!("over {} MB", MAX_PR_JSON / (1024 * 1024)));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let s = |v: &Value, k: &str| one_line(v.get(k).and_then(Value::as_str).unwrap_or(""));
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let list = |k: &str| -> Vec<Value> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().take(MAX_ITEMS).cloned().collect())
            .unwrap_or_default()
    };
    let login = |v: &Value| {
        one_line(
            v.pointer("/author/login")
                .and_then(Value::as_str)
                .unwrap_or(""),
        )
    };
    let mut pr = PullRequest {
        number: n("number"),
        title: s(&v, "title"),
        url: s(&v, "url"),
        state: s(&v, "state"),
        draft: v.get("isDraft").and_then(Value::as_bool).unwrap_or(false),
        mergeable: s(&v, "mergeable"),
        review_decision: s(&v, "reviewDecision"),
        labels: list("labels").iter().map(|l| s(l, "name")).collect(),
        additions: n("additions"),
        deletions: n("deletions"),
        ..PullRequest::default()
    };
    for r in list("reviews") {
        let review = Review {
            author: login(&r),
            state: s(&r, "state"),
        };
        let body = r.get("body").and_then(Value::as_str).unwrap_or("");
        if !body.trim().is_empty() {
            pr.comments.push(Comment {
                author: review.author.clone(),
                at: s(&r, "submittedAt"),
                kind: review.state.to_lowercase().replace('_', " "),
                body: cap(body, MAX_BODY),
            });
        }
        // The latest review of each reviewer counts (reviews come oldest first).
        pr.reviews.retain(|x| x.author != review.author);
        pr.reviews.push(review);
    }
    pr.checks = list("statusCheckRollup").iter().map(check).collect();
    for c in list("comments") {
        pr.comments.push(Comment {
            author: login(&c),
            at: s(&c, "createdAt"),
            kind: "comment".into(),
            body: cap(
                c.get("body").and_then(Value::as_str).unwrap_or(""),
                MAX_BODY,
            ),
        });
    }
    // ISO 8601 times in one zone sort as text.
    pr.comments.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(pr)
}

/// A check run (`name`, `status`, `conclusion`) or a commit status (`context`, `state`).
fn check(v: &Value) -> Check {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_uppercase()
    };
    let name = match v.get("name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => n,
        _ => v.get("context").and_then(Value::as_str).unwrap_or("?"),
    };
    let outcome = match s("conclusion") {
        c if !c.is_empty() => c,
        _ if s("__typename") == "CHECKRUN" || !s("status").is_empty() => s("status"),
        _ => s("state"),
    };
    let state = match outcome.as_str() {
        "SUCCESS" | "NEUTRAL" | "SKIPPED" => CheckState::Passed,
        "FAILURE" | "ERROR" | "CANCELLED" | "TIMED_OUT" | "ACTION_REQUIRED" | "STARTUP_FAILURE"
        | "STALE" => CheckState::Failed,
        _ => CheckState::Pending,
    };
    Check {
        name: one_line(name),
        state,
    }
}

/// `HOST/OWNER/NAME` for `gh --repo`, from a remote URL in the ssh (`git@host:o/n.git`,
/// `ssh://git@host[:port]/o/n`) or https (`https://host/o/n[.git]`) form; `None` for
/// anything else, or parts that are not plain names (so nothing can become an option).
pub fn repo_of_url(url: &str) -> Option<String> {
    let url = url.trim();
    let (host, path) = if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://"))
        .or_else(|| url.strip_prefix("git://"))
    {
        rest.split_once('/')?
    } else {
        // scp-like: [user@]host:owner/name
        let (host, path) = url.split_once(':')?;
        if host.contains('/') {
            return None;
        }
        (host, path)
    };
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split_once(':').map_or(host, |(h, _)| h);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with(['-', '.'])
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (plain(host) && plain(owner) && plain(name)).then(|| format!("{host}/{owner}/{name}"))
}

/// A diff made fit to show: tabs expanded, SGR colours kept and every other escape or
/// control removed ([`crate::text::clean_pane_sgr`]), cut at [`MAX_DIFF`] bytes (at a
/// line's end) with a last line saying so. `more`: the source already cut it.
pub fn clean_diff(bytes: &[u8], more: bool) -> String {
    let cut = bytes.len() > MAX_DIFF || more;
    let mut bytes = &bytes[..bytes.len().min(MAX_DIFF)];
    if cut {
        if let Some(end) = bytes.iter().rposition(|&b| b == b'\n') {
            bytes = &bytes[..end];
        }
    }
    let text = String::from_utf8_lossy(bytes).replace('\t', "    ");
    let mut clean = crate::text::clean_pane_sgr(&text);
    if cut {
        clean.push_str(&format!(
            "\n\u{1b}[33m… diff truncated at {} KB\u{1b}[0m",
            MAX_DIFF / 1024
        ));
    }
    clean
}

#[cfg(test)]
mod tests;
