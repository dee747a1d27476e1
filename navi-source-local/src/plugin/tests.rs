//! PluginSource against small sh plugins: a good one, and ones that crash, hang, flood,
//! write garbage or never answer.

use std::future::Future as _;
use std::time::Duration;

use super::*;

const HELLO: &str = r#"{"type":"hello","protocol":1,"actions":["kill","send"],"attach":true}"#;
const SNAPSHOT: &str = r#"{"type":"snapshot","full":true,"sessions":{"api":{"status":"working","cwd":"/srv","timestamp":5},"my session":{"status":"waiting"}}}"#;

/// A plugin as a sh script (run as `sh -c SCRIPT`, no shell between navi and sh).
fn sh(script: &str) -> PluginSource {
    PluginSource::new("pods", vec!["sh".into(), "-c".into(), script.into()])
}

/// A plugin that says hello and one snapshot, then answers every request: an attach
/// with `echo NAME`, anything else with `ok`.
fn good() -> PluginSource {
    sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'\n\
         while IFS= read -r line; do\n\
           id=$(printf '%s' \"$line\" | sed 's/.*\"id\":\\([0-9]*\\).*/\\1/')\n\
           case $line in\n\
             *'\"attach\"'*) printf '{{\"type\":\"answer\",\"id\":%s,\"ok\":true,\"argv\":[\"echo\",\"attached\"]}}\\n' \"$id\" ;;\n\
             *) printf '{{\"type\":\"answer\",\"id\":%s,\"ok\":true,\"message\":\"killed it\"}}\\n' \"$id\" ;;\n\
           esac\n\
         done"
    ))
}

fn names(r: &PollReport) -> Vec<String> {
    let mut v: Vec<String> = r.sessions.iter().map(|s| s.tmux_session.clone()).collect();
    v.sort();
    v
}

fn gone(pid: u32) -> bool {
    // Killed and reaped: no process, or (for an orphaned grandchild) not yet reaped by
    // init but dead.
    for _ in 0..200 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat) if stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z')) => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_plugin_is_polled_acts_and_attaches_and_dies_with_its_source() {
    let source = good();
    let report = source.poll_report().await.unwrap();
    assert_eq!(names(&report), ["api", "my session"]);
    assert_eq!(report.sessions[0].cwd, "/srv");
    assert!(source.supports().kill && source.supports().send && !source.supports().rename);
    let out = source.act("api", &Action::Kill).await.unwrap();
    assert_eq!(out, ActionOutput::Done("killed it".into()));
    // Not declared: refused by navi, never sent.
    let e = source.act("api", &Action::Preview).await.unwrap_err();
    assert!(matches!(e, SourceError::Unsupported(_)), "{e}");
    // Declared, bad input: refused before it is sent.
    let e = source
        .act(
            "api",
            &Action::Send {
                text: "a\nb".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, SourceError::Rejected(_)), "{e}");
    let cmd = tokio::task::spawn_blocking({
        let s = report.sessions[0].clone();
        let source = Arc::new(source);
        let keep = source.clone();
        move || (keep.attach(&s, &AttachContext::default()), source)
    })
    .await
    .unwrap();
    assert_eq!(cmd.0.unwrap().argv, ["echo", "attached"]);
    let source = cmd.1;
    let pid = source.pid().unwrap();
    drop(source);
    assert!(gone(pid), "dropping the source killed the plugin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_one_unavailable_source_with_its_reason_then_a_restart_after_backoff() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}'; echo 'oops' >&2; exit 3"
    ));
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("plugin pods: it exited"), "{e}");
    assert_eq!(source.failures(), 1);
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("restarting in"), "{e}");
    assert!(source.pid().is_none(), "nothing runs while it waits");
}

#[tokio::test(start_paused = true)]
async fn the_backoff_doubles_and_retry_now_skips_it() {
    let source = PluginSource::new("pods", vec!["/nonexistent/navi-plugin".into()]);
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("cannot start"), "{e}");
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("(restarting in 1s)"), "{e}");
    tokio::time::sleep(limits::PLUGIN_BACKOFF_START).await;
    source.poll_report().await.unwrap_err();
    assert_eq!(source.failures(), 2);
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("(restarting in 2s)"), "{e}");
    source.retry_now();
    source.poll_report().await.unwrap_err();
    assert_eq!(source.failures(), 3, "retry_now tried again at once");
    for _ in 0..12 {
        tokio::time::sleep(limits::PLUGIN_BACKOFF_CAP).await;
        source.poll_report().await.unwrap_err();
    }
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("(restarting in 1m"), "capped: {e}");
}

#[tokio::test(start_paused = true)]
async fn a_plugin_that_never_says_hello_is_killed_at_the_start_limit() {
    let source = sh("sleep 1000");
    let e = source.poll_report().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("timed out after 10s waiting for plugin pods's hello"),
        "{e}"
    );
    assert!(source.pid().is_none());
    assert_eq!(source.failures(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_flood_costs_at_most_one_line_and_ends_the_run() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}'; head -c 100000000 /dev/zero; sleep 1000"
    ));
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("a line over"), "{e}");
    let peak = source.peak_line_bytes();
    assert!(peak <= MAX_LINE + CHUNK, "navi held {peak} bytes");
    assert!(source.pid().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_costs_its_lines_and_a_garbage_flood_ends_the_run() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}' 'not json' '{SNAPSHOT}' '[1]'; sleep 1000"
    ));
    let report = source.poll_report().await.unwrap();
    assert_eq!(names(&report), ["api", "my session"]);
    assert!(
        report.skipped.iter().any(|s| s.reason.contains("not JSON")),
        "{:?}",
        report.skipped
    );
    let source = sh(&format!("printf '%s\\n' '{HELLO}'; yes garbage"));
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("unreadable lines in a row"), "{e}");
    let source = sh("echo 'I am not a plugin'; sleep 1000");
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("is it a navi plugin?"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_never_answers_costs_the_request_its_deadline() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'; cat >/dev/null"
    ));
    source.poll_report().await.unwrap();
    let e = source
        .act_within(
            "api",
            &Action::Kill,
            Deadline::after(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("waiting for plugin pods's answer"),
        "{e}"
    );
    // The source itself is still fine.
    assert_eq!(
        names(&source.poll_report().await.unwrap()),
        ["api", "my session"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_unavailable_is_the_sources_reason_and_snapshots_wake_wait_change() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'; read x; printf '%s\\n' '{{\"type\":\"health\",\"ok\":false,\"reason\":\"kubectl: \\u001b[2Jno context\"}}'; sleep 1000"
    ));
    source.poll_report().await.unwrap();
    let wait = source.wait_change();
    tokio::pin!(wait);
    std::future::poll_fn(|cx| {
        let _ = wait.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    // Any request makes the script go on.
    source.retry_now();
    Deadline::after(Duration::from_secs(20))
        .run(wait)
        .await
        .unwrap();
    let e = source.poll_report().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "remote error: plugin pods: kubectl: no context"
    );
}

/// Silent after its first view: at the silence limit (on tokio's clock, paused once the
/// plugin has answered) it is taken for hung, killed with its group, and restarted later.
#[tokio::test]
async fn a_plugin_silent_past_the_limit_is_killed_as_hung() {
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'; exec sleep 1000"
    ));
    source.poll_report().await.unwrap();
    let pid = source.pid().unwrap();
    tokio::time::pause();
    tokio::time::advance(limits::PLUGIN_SILENCE - Duration::from_secs(1)).await;
    source.poll_report().await.unwrap();
    tokio::time::advance(Duration::from_secs(1)).await;
    let e = source.poll_report().await.unwrap_err();
    assert!(e.to_string().contains("it said nothing (hung?)"), "{e}");
    assert!(gone(pid), "the hung plugin was killed");
    assert_eq!(source.failures(), 1);
}

/// What a plugin starts (its children, in its process group) goes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_source_kills_the_plugins_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child");
    let source = sh(&format!(
        "sleep 1000 & echo $! > '{}'; printf '%s\\n' '{HELLO}' '{SNAPSHOT}'; wait",
        pidfile.display()
    ));
    source.poll_report().await.unwrap();
    let child: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!gone_now(child), "the plugin's child runs");
    drop(source);
    assert!(gone(child), "the plugin's child was killed with its group");
}

fn gone_now(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z')),
    }
}

/// Starts the plugin (when the backoff allows) and waits for its first view without
/// yielding to tokio, so a paused clock stays where it is while the process starts.
async fn up_without_time_passing(source: &PluginSource) {
    source.check_run().unwrap();
    for _ in 0..1000 {
        if source.pipes.lock().plugin.is_ready() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    source.poll_report().await.unwrap();
}

/// Makes the plugin of [`one_snapshot_then_crash`] exit, and waits (without yielding)
/// until navi has read that: the poll after it fails.
async fn crash_without_time_passing(source: &PluginSource) -> SourceError {
    let id = source.next_id.fetch_add(1, Ordering::SeqCst);
    let run = source.life().run.as_ref().map(|r| r.requests.clone());
    run.unwrap()
        .try_send(Request::RetryNow.to_line(id))
        .unwrap();
    for _ in 0..1000 {
        if source.pipes.lock().ended.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    source.poll_report().await.unwrap_err()
}

/// Says hello and one snapshot, then exits at navi's first request.
fn one_snapshot_then_crash() -> PluginSource {
    sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'; read x; exit 3"
    ))
}

/// A plugin that crashes right after each good snapshot is restarted after ever longer
/// delays (a good poll alone does not reset the backoff); one that stayed up
/// [`limits::PLUGIN_STABLE`] starts over at the first delay.
#[tokio::test(start_paused = true)]
async fn the_backoff_starts_over_only_after_a_run_stayed_up() {
    let source = one_snapshot_then_crash();
    let mut delay = limits::PLUGIN_BACKOFF_START;
    for failures in 1..=3 {
        up_without_time_passing(&source).await;
        let e = crash_without_time_passing(&source).await;
        assert!(e.to_string().contains("it exited"), "{e}");
        assert_eq!(source.failures(), failures, "a quick crash counts on");
        let e = source.poll_report().await.unwrap_err();
        let wait = navi_core::format_duration(delay);
        assert!(
            e.to_string().contains(&format!("(restarting in {wait})")),
            "{e}"
        );
        tokio::time::advance(delay).await;
        delay *= 2;
    }
    up_without_time_passing(&source).await;
    tokio::time::advance(limits::PLUGIN_STABLE - Duration::from_secs(1)).await;
    source.poll_report().await.unwrap();
    assert_eq!(source.failures(), 3, "not yet up long enough");
    tokio::time::advance(Duration::from_secs(1)).await;
    source.poll_report().await.unwrap();
    assert_eq!(source.failures(), 0, "up long enough: recovered");
    crash_without_time_passing(&source).await;
    let e = source.poll_report().await.unwrap_err();
    let first = navi_core::format_duration(limits::PLUGIN_BACKOFF_START);
    assert!(
        e.to_string().contains(&format!("(restarting in {first})")),
        "{e}"
    );
}

/// The log as text, for the test of a plugin's stderr lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn stderr_lines(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines()
            .filter(|l| l.contains("stderr:"))
            .map(str::to_string)
            .collect()
    }

    /// Waits (bounded) until the log holds `n` stderr lines.
    fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..1000 {
            if self.stderr_lines().len() >= n {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stderr_lines()
    }
}

/// What a logged stderr line says (the text after `stderr: `, without the label field).
fn said(line: &str) -> &str {
    let text = line.split_once("stderr: ").map_or("", |(_, t)| t);
    text.trim_end().trim_end_matches("plugin=pods").trim_end()
}

/// stderr reaches navi's log labelled with the plugin's name, each line cut at
/// [`MAX_STDERR_LINE`], escape sequences removed, the first [`MAX_STDERR_LINES`] of each
/// run (then one "dropped" line), counted afresh after a restart.
#[tokio::test]
async fn stderr_is_logged_labelled_and_bounded_per_line_and_per_run() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let source = sh(&format!(
        "printf '%s\\n' '{HELLO}' '{SNAPSHOT}'\n\
         {{ head -c 5000 /dev/zero | tr '\\0' x; printf '\\na\\033[2Jb\\n'\n\
           i=1; while [ $i -le 300 ]; do echo \"line $i\"; i=$((i+1)); done; }} >&2\n\
         read x; exit 3"
    ));
    source.poll_report().await.unwrap();
    let per_run = MAX_STDERR_LINES + 1;
    let lines = log.wait_for(per_run);
    assert_eq!(lines.len(), per_run, "{:?}", lines.last());
    assert!(lines.iter().all(|l| l.contains("plugin=pods")), "{lines:?}");
    let long = lines[0].matches('x').count();
    assert_eq!(long, MAX_STDERR_LINE, "the long line is cut");
    assert_eq!(said(&lines[1]), "ab", "escape sequences removed");
    let last = format!("line {}", MAX_STDERR_LINES - 2);
    assert_eq!(said(&lines[MAX_STDERR_LINES - 1]), last);
    assert_eq!(said(&lines[per_run - 1]), "more lines dropped");

    // A crash and a restart: the next run is logged afresh.
    source.retry_now();
    for _ in 0..1000 {
        if source.pipes.lock().ended.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    source.poll_report().await.unwrap_err();
    source.retry_now();
    source.poll_report().await.unwrap();
    let lines = log.wait_for(2 * per_run);
    assert_eq!(lines.len(), 2 * per_run, "{:?}", lines.last());
    assert_eq!(said(&lines[per_run]).matches('x').count(), MAX_STDERR_LINE);
    assert_eq!(said(&lines[2 * per_run - 1]), "more lines dropped");
}
