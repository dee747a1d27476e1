//! `navi plugin check -- CMD ARGS...`: the conformance checks of a source plugin, run as
//! navi runs it (a [`PluginSource`]), each reported by name; none panics.

use std::io::Write;
use std::sync::Arc;

use navi_core::plugin::Request;
use navi_core::{limits, Action, AttachContext, Deadline, SessionSource, SourceError};
use navi_source_local::plugin::PluginSource;

/// A session name no plugin has: actions on it must be refused.
const NO_SUCH_SESSION: &str = "navi-check-no-such-session";

/// What one check found.
enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

/// Why a behaviour of the conformance suite is not checked here (it needs what navi
/// cannot do to an external plugin), by the name of its line.
const FROM_INSIDE_ONLY: [(&str, &str); 4] = [
    (
        "its sessions are the ones it should list",
        "navi cannot know which sessions a plugin should have",
    ),
    (
        "no sessions is zero rows, not an error",
        "navi cannot empty a plugin's sessions from outside",
    ),
    (
        "a broken entry of its own costs only itself",
        "navi cannot plant a broken entry in the plugin's data; report one in a \
         snapshot's `skipped` and send the rest",
    ),
    (
        "a change wakes navi",
        "navi cannot change the plugin's sessions from outside; send a snapshot \
         whenever they change",
    ),
];

/// Runs every check against `command`, printing one line per check; whether all passed.
pub async fn check(command: &[String], out: &mut dyn Write) -> anyhow::Result<bool> {
    let program = command.first().map(String::as_str).unwrap_or("plugin");
    let name = program.rsplit('/').next().unwrap_or(program);
    let source = Arc::new(PluginSource::new(name, command.to_vec()));
    let (mut failed, mut total) = (0, 0);
    let mut report = |name: &str, verdict: Verdict| -> std::io::Result<()> {
        total += 1;
        match verdict {
            Verdict::Pass => writeln!(out, "ok    {name}"),
            Verdict::Skip(why) => writeln!(out, "skip  {name}: {why}"),
            Verdict::Fail(why) => {
                failed += 1;
                writeln!(out, "FAIL  {name}: {}", navi_core::text::sanitize(&why))
            }
        }
    };
    let first = navi_core::bounded_poll(&*source, limits::PLUGIN_TIMEOUT).await;
    let sessions = match first {
        Ok(r) => {
            report("hello and first snapshot", Verdict::Pass)?;
            let declared = source.declared_skipped();
            report(
                "snapshot: every session and line readable",
                readable(&r, &declared),
            )?;
            r.sessions
        }
        Err(e) => {
            report("hello and first snapshot", Verdict::Fail(e.to_string()))?;
            writeln!(out, "(the other checks need a running plugin)")?;
            return Ok(false);
        }
    };
    report("polls are repeatable", repeatable(&source, &sessions).await)?;
    report(
        "dropped polls cost nothing",
        cancel_safe(&source, &sessions).await,
    )?;
    report("answers retry_now", retry_now(&source).await)?;
    report(
        "a broken request line costs only itself",
        broken_request(&source).await,
    )?;
    report("refuses a request it does not know", unknown(&source).await)?;
    report(
        "refuses an action it did not declare",
        undeclared(&source).await,
    )?;
    report(
        "refuses actions on a session it does not have",
        no_such_session(&source).await,
    )?;
    report(
        "bad input is refused before it is sent",
        Verdict::Skip("navi checks names and text itself; a plugin never sees bad input".into()),
    )?;
    report("attach names the session", attach(&source, &sessions).await)?;
    for (name, why) in FROM_INSIDE_ONLY {
        report(name, Verdict::Skip(why.into()))?;
    }
    let exited = source
        .close_and_wait(Deadline::after(limits::PLUGIN_EXIT))
        .await;
    report(
        "exits when its stdin closes",
        match exited {
            true => Verdict::Pass,
            false => Verdict::Fail(format!(
                "still running {} after navi closed its stdin (killed)",
                navi_core::format_duration(limits::PLUGIN_EXIT)
            )),
        },
    )?;
    writeln!(out, "{failed} of {total} checks failed")?;
    Ok(failed == 0)
}

/// Lines (and session objects) navi could not read; what the plugin itself reported
/// as skipped (`declared`) is its data, not its protocol.
fn readable(r: &navi_core::PollReport, declared: &[navi_core::SkippedFile]) -> Verdict {
    let unreadable: Vec<String> = r
        .skipped
        .iter()
        .filter(|s| !declared.contains(s))
        .map(|s| format!("{}: {}", s.name, s.reason))
        .collect();
    match unreadable.is_empty() {
        true => Verdict::Pass,
        false => Verdict::Fail(unreadable.join("; ")),
    }
}

fn names(s: &[Arc<navi_core::SessionInfo>]) -> Vec<String> {
    let mut v: Vec<String> = s.iter().map(|s| s.tmux_session.clone()).collect();
    v.sort();
    v
}

async fn repeatable(source: &PluginSource, first: &[Arc<navi_core::SessionInfo>]) -> Verdict {
    match navi_core::bounded_poll(source, limits::PLUGIN_TIMEOUT).await {
        Ok(r) if names(&r.sessions) == names(first) => Verdict::Pass,
        Ok(r) => Verdict::Fail(format!(
            "a second poll gave {:?} after {:?}",
            names(&r.sessions),
            names(first)
        )),
        Err(e) => Verdict::Fail(e.to_string()),
    }
}

async fn cancel_safe(source: &PluginSource, first: &[Arc<navi_core::SessionInfo>]) -> Verdict {
    // Dropped before its first step, then after ever more of them (as the aggregator's
    // timeout or a refresh may), one yield at a time.
    for steps in 0..24 {
        let mut poll = std::pin::pin!(source.poll_report());
        for _ in 0..steps {
            if poll_once(poll.as_mut()).await {
                break;
            }
        }
    }
    repeatable(source, first).await
}

/// Polls `fut` once, then yields: whether it finished.
async fn poll_once<F: std::future::Future + ?Sized>(fut: std::pin::Pin<&mut F>) -> bool {
    let mut fut = Some(fut);
    let done = std::future::poll_fn(|cx| {
        let ready = fut
            .take()
            .is_some_and(|f| std::future::Future::poll(f, cx).is_ready());
        std::task::Poll::Ready(ready)
    })
    .await;
    tokio::task::yield_now().await;
    done
}

/// Lines no request is made of: not JSON, not an object, no `id`, a bare newline.
const BROKEN_REQUESTS: [&str; 4] = ["not json", "[1,2]", r#"{"type":"retry_now"}"#, ""];

async fn broken_request(source: &PluginSource) -> Verdict {
    for line in BROKEN_REQUESTS {
        if let Err(e) = source.send_line(line) {
            return Verdict::Fail(e.to_string());
        }
    }
    let answered = source
        .request(Request::RetryNow, Deadline::after(limits::PLUGIN_ANSWER))
        .await;
    match (source.ended(), answered) {
        (Some(why), _) => Verdict::Fail(format!("after broken request lines: {why}")),
        (None, Ok(_)) => Verdict::Pass,
        (None, Err(e)) => Verdict::Fail(format!("after broken request lines: {e}")),
    }
}

/// An action it did not declare, sent anyway (navi never would): refused, not run.
async fn undeclared(source: &PluginSource) -> Verdict {
    let caps = source.supports();
    let harmless = [
        Action::Preview,
        Action::Acknowledge,
        Action::Dismiss,
        Action::Kill,
    ];
    let Some(action) = harmless.into_iter().find(|a| !caps.allows(a)) else {
        return Verdict::Skip("it declares every action navi would try".into());
    };
    let request = Request::Action {
        session: NO_SUCH_SESSION.into(),
        action: action.clone(),
    };
    match source
        .request(request, Deadline::after(limits::PLUGIN_ANSWER))
        .await
    {
        Err(SourceError::Rejected(_)) => Verdict::Pass,
        Ok(out) => Verdict::Fail(format!("{} answered ok ({out:?})", action.name())),
        Err(e) => Verdict::Fail(format!("{}: {e}", action.name())),
    }
}

async fn retry_now(source: &PluginSource) -> Verdict {
    match source
        .request(Request::RetryNow, Deadline::after(limits::PLUGIN_ANSWER))
        .await
    {
        Ok(_) => Verdict::Pass,
        Err(e) => Verdict::Fail(e.to_string()),
    }
}

async fn unknown(source: &PluginSource) -> Verdict {
    let request = Request::Unknown("navi_check_unknown".into());
    match source
        .request(request, Deadline::after(limits::PLUGIN_ANSWER))
        .await
    {
        Err(SourceError::Rejected(_)) => Verdict::Pass,
        Ok(_) => Verdict::Fail("it answered ok to a request it cannot know".into()),
        Err(e) => Verdict::Fail(e.to_string()),
    }
}

async fn no_such_session(source: &PluginSource) -> Verdict {
    let caps = source.supports();
    let actions = [
        Action::Preview,
        Action::Kill,
        Action::Rename {
            to: "navi-check-renamed".into(),
        },
        Action::Dismiss,
        Action::Acknowledge,
        Action::Send { text: "x".into() },
    ];
    let declared: Vec<Action> = actions.into_iter().filter(|a| caps.allows(a)).collect();
    if declared.is_empty() {
        return Verdict::Skip("it declares no actions".into());
    }
    let mut wrong = Vec::new();
    for action in declared {
        // A refusal needs no work: it is due as soon as any answer.
        let deadline = Deadline::after(limits::PLUGIN_ANSWER);
        match navi_core::bounded_act(source, NO_SUCH_SESSION, &action, deadline).await {
            Err(SourceError::Rejected(_)) => {}
            Ok(out) => wrong.push(format!("{} answered ok ({out:?})", action.name())),
            Err(e) => wrong.push(format!("{}: {e}", action.name())),
        }
    }
    match wrong.is_empty() {
        true => Verdict::Pass,
        false => Verdict::Fail(wrong.join("; ")),
    }
}

async fn attach(source: &Arc<PluginSource>, sessions: &[Arc<navi_core::SessionInfo>]) -> Verdict {
    if !source.supports_attach() {
        return Verdict::Skip("it does not declare attach".into());
    }
    let Some(session) = sessions.first().cloned() else {
        return Verdict::Skip("it has no session to attach to".into());
    };
    let s = source.clone();
    let name = session.tmux_session.clone();
    let answer =
        tokio::task::spawn_blocking(move || s.attach(&session, &AttachContext::default())).await;
    match answer {
        Ok(Ok(cmd)) if cmd.argv.iter().any(|a| a.contains(&name)) => Verdict::Pass,
        Ok(Ok(cmd)) => Verdict::Fail(format!("its argv {:?} does not name {name:?}", cmd.argv)),
        Ok(Err(e)) => Verdict::Fail(e.to_string()),
        Err(e) => Verdict::Fail(e.to_string()),
    }
}
