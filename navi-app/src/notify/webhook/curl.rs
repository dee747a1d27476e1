//! Posting with the `curl` program: no HTTP or TLS stack in navi's build, and the
//! system's certificates and proxy settings (`https_proxy`, …) as every other tool there
//! uses them.
//!
//! The request reaches curl as a config file on stdin (`curl -q --config -`): the URL,
//! the headers and the body never appear in curl's argv, where `ps` would show them to
//! every user of the machine. `-q` (first) keeps the user's `~/.curlrc` out. curl runs in
//! its own process group, bounded by its `max-time` and by the try's [`Deadline`], past
//! which navi kills the group and reaps it.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use navi_core::Deadline;

use super::{Attempt, Poster, Request};

/// Posts with curl; each try may take `max_time`.
#[derive(Debug, Clone, Copy)]
pub struct Curl {
    /// curl's `max-time`.
    pub max_time: Duration,
    /// The program (`curl`; tests name one that does not exist).
    pub program: &'static str,
}

#[async_trait::async_trait]
impl Poster for Curl {
    async fn post(&self, request: &Request, deadline: Deadline) -> Attempt {
        let config = config(request, self.max_time);
        let program = self.program;
        let ran = deadline
            .run_blocking(move |left| Ok(run(program, &config, left)), "curl")
            .await;
        match ran {
            Ok(attempt) => attempt,
            Err(navi_core::SourceError::Timeout { .. }) => Attempt::TimedOut,
            Err(e) => Attempt::Failed(format!("curl: {e}")),
        }
    }
}

/// Runs curl with `config` on stdin, waiting at most `left`.
fn run(program: &str, config: &str, left: Duration) -> Attempt {
    let mut cmd = Command::new(program);
    cmd.args(["-q", "--config", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Attempt::Missing,
        Err(e) => return Attempt::Failed(format!("cannot run curl: {e}")),
    };
    // A few KB: the pipe takes it whole. Dropping stdin ends the config.
    if let Some(mut stdin) = child.stdin.take() {
        if let Err(e) = stdin.write_all(config.as_bytes()) {
            tracing::debug!("curl did not read its config: {e}");
        }
    }
    match navi_source_local::process::finish_within(child, Instant::now() + left) {
        Ok(out) => classify(out.status.code(), &String::from_utf8_lossy(&out.stdout)),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Attempt::TimedOut,
        Err(e) => Attempt::Failed(format!("curl: {e}")),
    }
}

/// The attempt of curl's exit code and `%{http_code}`. curl's stderr is not used: it
/// may quote the URL.
pub fn classify(code: Option<i32>, http_code: &str) -> Attempt {
    match code {
        Some(0) => match http_code.trim().parse::<u16>() {
            Ok(0) | Err(_) => Attempt::Connection("no HTTP answer".into()),
            Ok(status) => Attempt::Status(status),
        },
        Some(5) => Attempt::Connection("cannot resolve the proxy".into()),
        Some(6) => Attempt::Connection("cannot resolve the host".into()),
        Some(7) => Attempt::Connection("cannot connect to the server".into()),
        Some(28) => Attempt::TimedOut,
        Some(52) => {
            Attempt::Connection("the server closed the connection without answering".into())
        }
        Some(55) | Some(56) => Attempt::Connection("the connection broke".into()),
        Some(35) => Attempt::Failed("the TLS handshake failed".into()),
        Some(60) => Attempt::Failed("the server's certificate is not trusted here".into()),
        Some(1) => Attempt::Failed("this curl does not support the URL's protocol".into()),
        Some(3) => Attempt::Failed("curl finds the URL malformed".into()),
        Some(2) => Attempt::Failed("curl refused its options (a curl older than 7.43?)".into()),
        Some(code) => Attempt::Failed(format!("curl failed (exit {code})")),
        None => Attempt::Failed("curl was killed by a signal".into()),
    }
}

/// curl's config for `request`: one option per line, every value quoted.
pub fn config(request: &Request, max_time: Duration) -> String {
    let mut lines = vec![
        "silent".to_string(),
        format!("proto = {}", quoted("=http,https")),
        format!("request = {}", quoted("POST")),
        format!("url = {}", quoted(request.url.expose())),
        format!(
            "max-time = {}",
            quoted(&format!("{:.3}", max_time.as_secs_f64()))
        ),
        format!("output = {}", quoted("/dev/null")),
        format!("write-out = {}", quoted("%{http_code}")),
        format!(
            "user-agent = {}",
            quoted(concat!("navi/", env!("CARGO_PKG_VERSION")))
        ),
        // No `Expect: 100-continue` wait before a larger body.
        format!("header = {}", quoted("Expect:")),
    ];
    for (name, value) in &request.headers {
        lines.push(format!(
            "header = {}",
            quoted(&format!("{name}: {}", value.expose()))
        ));
    }
    // `data-raw`: a body starting with `@` is not a file name.
    lines.push(format!("data-raw = {}", quoted(&request.body)));
    lines.join("\n") + "\n"
}

/// `value` in double quotes, as curl's config reads it back: `\\`, `\"`, `\n`, `\r`,
/// `\t`, `\v`; other control characters are dropped.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
