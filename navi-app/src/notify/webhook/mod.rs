//! Webhooks: each notice is POSTed to every URL of `notify.webhooks` ([`config`]), in
//! navi's JSON or the shape ntfy, Slack or Discord expect ([`request`]).
//!
//! A delivery runs in a task of its own, never in the notifier's way: each try is bounded
//! ([`WEBHOOK_TRY`], enforced by curl and by a [`Deadline`] that kills curl past it), a
//! 5xx answer or a failed connection is tried again after [`WEBHOOK_BACKOFF`] (doubling),
//! at most [`TRIES`] times; a 4xx, a redirect or a timeout is not (the service said no,
//! or may have the message already). At most [`IN_FLIGHT`] deliveries per webhook run at
//! once; past that a notice skips that webhook (and says so).
//!
//! Logs name a webhook by its field and origin (`notify.webhooks[0]
//! (https://ntfy.sh)`), never by its URL's path, query or userinfo, nor a header's
//! value; curl's own messages (which may quote the URL) are not passed on.

pub mod config;
pub mod curl;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::events::{Event, Notice};
use navi_core::limits::{WEBHOOK_BACKOFF, WEBHOOK_KILL_GRACE, WEBHOOK_TRY};
use navi_core::text::sanitize;
use navi_core::Deadline;

use super::channels::Channel;
use config::{Secret, Template, Webhook};

/// The most tries of one delivery.
pub const TRIES: u32 = 3;
/// The most deliveries of one webhook under way at once.
pub const IN_FLIGHT: usize = 4;
/// Discord refuses a `content` longer than this (characters).
const DISCORD_MAX: usize = 2000;
/// The longest message carried (characters): a notification, not a transcript.
const MAX_MESSAGE: usize = 500;

/// One POST: where, with which headers, what.
#[derive(Clone)]
pub struct Request {
    /// The URL (secret).
    pub url: Secret,
    /// Every header, the template's then the user's (values secret).
    pub headers: Vec<(String, Secret)>,
    /// The body.
    pub body: String,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("headers", &names)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// How one try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The server answered with this status.
    Status(u16),
    /// No answer: the connection could not be made or broke (tried again).
    Connection(String),
    /// The try ran out of time.
    TimedOut,
    /// No curl on this machine.
    Missing,
    /// Anything else (not tried again).
    Failed(String),
}

/// Makes one POST (curl in the program; a fake in tests).
#[async_trait::async_trait]
pub trait Poster: Send + Sync {
    /// Posts `request`, finished (or stopped) by `deadline`.
    async fn post(&self, request: &Request, deadline: Deadline) -> Attempt;
}

/// A delivery's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// One try's time.
    pub per_try: Duration,
    /// How much longer curl is waited for before it is killed.
    pub kill_grace: Duration,
    /// The wait before the second try, doubled before each later one.
    pub backoff: Duration,
    /// The most tries.
    pub tries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_try: WEBHOOK_TRY,
            kill_grace: WEBHOOK_KILL_GRACE,
            backoff: WEBHOOK_BACKOFF,
            tries: TRIES,
        }
    }
}

/// One webhook and its delivery state.
struct Hook {
    config: Webhook,
    in_flight: AtomicUsize,
    /// "curl is not installed" was said already.
    told_missing: AtomicBool,
}

/// The webhook channel: every webhook of `notify.webhooks`.
pub struct Webhooks {
    hooks: Vec<Arc<Hook>>,
    poster: Arc<dyn Poster>,
    limits: Limits,
    /// This machine's name (the `machine` of a local session).
    host: String,
}

impl Webhooks {
    /// The channel posting to `hooks` with `poster`.
    pub fn new(hooks: Vec<Webhook>, poster: Arc<dyn Poster>, limits: Limits) -> Webhooks {
        let hooks = hooks
            .into_iter()
            .map(|config| {
                Arc::new(Hook {
                    config,
                    in_flight: AtomicUsize::new(0),
                    told_missing: AtomicBool::new(false),
                })
            })
            .collect();
        Webhooks {
            hooks,
            poster,
            limits,
            host: navi_core::this_host(),
        }
    }
}

impl Channel for Webhooks {
    fn notify(&mut self, notice: &Notice, _: Instant) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("webhooks: no runtime to post from; not sent");
            return;
        };
        for hook in &self.hooks {
            if hook.in_flight.fetch_add(1, Ordering::AcqRel) >= IN_FLIGHT {
                hook.in_flight.fetch_sub(1, Ordering::AcqRel);
                tracing::warn!(
                    webhook = %hook.config.label(),
                    "{IN_FLIGHT} deliveries still under way; this notification is not sent to it"
                );
                continue;
            }
            let slot = Slot(hook.clone());
            let req = request(&hook.config, notice, &self.host);
            runtime.spawn(deliver(slot, req, self.poster.clone(), self.limits));
        }
    }
}

/// A delivery's place in its webhook's [`IN_FLIGHT`], given back however it ends.
struct Slot(Arc<Hook>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Posts `req` for `slot`'s webhook: tries again on a 5xx or a failed connection, at
/// most `limits.tries` times, each try bounded.
async fn deliver(slot: Slot, req: Request, poster: Arc<dyn Poster>, limits: Limits) {
    let hook = &slot.0;
    let label = hook.config.label();
    let mut wait = limits.backoff;
    for attempt in 1..=limits.tries {
        let deadline = Deadline::after(limits.per_try + limits.kill_grace);
        let outcome = deadline
            .run(poster.post(&req, deadline))
            .await
            .unwrap_or(Attempt::TimedOut);
        let again = match &outcome {
            Attempt::Status(s) if (200..300).contains(s) => {
                tracing::info!(webhook = %label, status = s, "webhook sent");
                return;
            }
            Attempt::Missing => {
                if !hook.told_missing.swap(true, Ordering::AcqRel) {
                    tracing::error!(
                        webhook = %label,
                        "webhook not sent: curl is not installed (navi posts webhooks with \
                         curl); install curl, then restart navi"
                    );
                }
                return;
            }
            Attempt::Status(s) => *s >= 500,
            Attempt::Connection(_) => true,
            Attempt::TimedOut | Attempt::Failed(_) => false,
        };
        let why = describe(&outcome, limits.per_try);
        if !again || attempt == limits.tries {
            tracing::warn!(webhook = %label, tries = attempt, "webhook not sent: {why}");
            return;
        }
        tracing::info!(webhook = %label, attempt, "webhook: {why}; trying again in {wait:?}");
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2);
    }
}

/// What went wrong, in words (no URL, no header value).
fn describe(outcome: &Attempt, per_try: Duration) -> String {
    match outcome {
        Attempt::Status(s) if (300..400).contains(s) => {
            format!("the server answered HTTP {s} (a redirect; navi does not follow it: give the final URL)")
        }
        Attempt::Status(s) => format!("the server answered HTTP {s}"),
        Attempt::Connection(why) => why.clone(),
        Attempt::TimedOut => format!(
            "no answer within {} (not tried again: the server may have it)",
            navi_core::format_duration(per_try)
        ),
        Attempt::Missing => "curl is not installed".into(),
        Attempt::Failed(why) => why.clone(),
    }
}

/// The request `hook` makes for `notice`; `host` is this machine's name.
pub fn request(hook: &Webhook, notice: &Notice, host: &str) -> Request {
    let text = bounded(&notice.summary(), MAX_MESSAGE);
    let (content_type, body, mut headers) = match hook.template {
        Template::Json => (
            "application/json",
            json_body(notice, &text, host),
            Vec::new(),
        ),
        Template::Ntfy => (
            "text/plain; charset=utf-8",
            text.clone(),
            ntfy_headers(notice),
        ),
        Template::Slack => (
            "application/json",
            serde_json::json!({ "text": text }).to_string(),
            Vec::new(),
        ),
        Template::Discord => {
            let content = bounded(&text, DISCORD_MAX);
            (
                "application/json",
                serde_json::json!({ "content": content }).to_string(),
                Vec::new(),
            )
        }
    };
    headers.insert(0, ("Content-Type".to_string(), Secret::new(content_type)));
    // The user's headers win over the template's of the same name.
    headers.retain(|(n, _)| !hook.headers.iter().any(|(u, _)| u.eq_ignore_ascii_case(n)));
    headers.extend(hook.headers.iter().cloned());
    Request {
        url: hook.url.clone(),
        headers,
        body,
    }
}

/// navi's JSON: the first event's session, machine, status, message and agent, the line
/// a human reads (`text`), and every event of the notice.
fn json_body(notice: &Notice, text: &str, host: &str) -> String {
    let events: Vec<serde_json::Value> =
        notice.events.iter().map(|e| event_json(e, host)).collect();
    let first = events
        .first()
        .cloned()
        .unwrap_or_else(|| serde_json::json!({}));
    let field = |k: &str| first.get(k).cloned().unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "event": field("event"),
        "session": field("session"),
        "machine": field("machine"),
        "remote": field("remote"),
        "status": field("status"),
        "message": field("message"),
        "agent": field("agent"),
        "text": text,
        "count": events.len(),
        "events": events,
    })
    .to_string()
}

fn event_json(event: &Event, host: &str) -> serde_json::Value {
    match event {
        Event::Status {
            session,
            remote,
            status,
            message,
            agent,
        } => serde_json::json!({
            "event": "status",
            "agent": sanitize(agent),
            "session": sanitize(session),
            "machine": remote.as_deref().map_or_else(|| host.to_string(), |r| sanitize(r).into_owned()),
            "remote": remote.as_deref().map(sanitize),
            "status": status.as_str(),
            "message": bounded(message, MAX_MESSAGE),
        }),
        Event::Remote { remote, reason } => serde_json::json!({
            "event": "remote",
            "agent": null,
            "session": null,
            "machine": sanitize(remote),
            "remote": sanitize(remote),
            "status": if reason.is_some() { "unavailable" } else { "connected" },
            "message": reason.as_deref().map(|r| bounded(r, MAX_MESSAGE)).unwrap_or_default(),
        }),
    }
}

/// ntfy's Title, Tags and Priority headers for `notice` (header values are ASCII: a
/// name outside it is shown with `?`).
fn ntfy_headers(notice: &Notice) -> Vec<(String, Secret)> {
    let (title, tag, priority) = match notice.events.as_slice() {
        [Event::Status { status, .. }] => {
            let (tag, priority) = match status.as_str() {
                "permission" => ("warning", "high"),
                "error" => ("x", "high"),
                "waiting" => ("hourglass_flowing_sand", "default"),
                "done" => ("white_check_mark", "default"),
                _ => ("bell", "default"),
            };
            (format!("navi: {}", notice.events[0].who()), tag, priority)
        }
        [Event::Remote { reason, .. }] => {
            let tag = if reason.is_some() {
                "electric_plug"
            } else {
                "link"
            };
            (
                format!("navi: {}", notice.events[0].label()),
                tag,
                "default",
            )
        }
        many => (format!("navi: {} changes", many.len()), "bell", "default"),
    };
    let ascii: String = sanitize(&title)
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    [
        ("Title", ascii),
        ("Tags", tag.to_string()),
        ("Priority", priority.to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), Secret::new(v)))
    .collect()
}

/// One sanitized line of at most `max` characters.
fn bounded(s: &str, max: usize) -> String {
    let s = sanitize(s);
    match s.chars().count() > max {
        true => s.chars().take(max - 1).collect::<String>() + "…",
        false => s.into_owned(),
    }
}

#[cfg(test)]
mod tests;
