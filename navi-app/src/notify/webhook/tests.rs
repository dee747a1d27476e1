//! Webhooks: each template's request, and deliveries through the real curl to a loopback
//! HTTP server written here (retry on 500, none on 4xx, a server that never answers),
//! with what is logged captured; the retry and in-flight logic also against a fake
//! poster on tokio's paused clock.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use navi_core::events::{Event, Notice};
use navi_core::{Deadline, Status};

use super::config::{Secret, Template, Webhook};
use super::curl::{self, Curl};
use super::{deliver, request, Attempt, Hook, Limits, Poster, Request, Slot, Webhooks};
use crate::notify::channels::Channel as _;

const SECRET: &str = "s3cr3t-token";

fn notice() -> Notice {
    Notice {
        events: vec![Event::Status {
            session: "api".into(),
            remote: Some("dev".into()),
            status: Status::Permission,
            message: "Bash: rm -rf \"build\"".into(),
            agent: "codex".into(),
        }],
    }
}

fn hook(url: &str, template: Template) -> Webhook {
    Webhook {
        url: Secret::new(url),
        origin: super::config::origin(url).unwrap(),
        template,
        headers: vec![(
            "Authorization".into(),
            Secret::new(format!("Bearer {SECRET}")),
        )],
        field: "notify.webhooks[0]".into(),
    }
}

fn header<'a>(headers: &'a [(String, Secret)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.expose())
}

#[test]
fn each_template_shapes_its_request() {
    let n = notice();
    let json = request(&hook("https://x.example/h", Template::Json), &n, "laptop");
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["session"], "api");
    assert_eq!(v["machine"], "dev");
    assert_eq!(v["status"], "permission");
    assert_eq!(v["message"], "Bash: rm -rf \"build\"");
    assert_eq!(v["text"], n.summary());
    // The agent is named: a field, and in the text of a session that is not Claude's.
    assert_eq!(v["agent"], "codex");
    assert_eq!(v["events"][0]["agent"], "codex");
    assert_eq!(
        v["text"],
        "api [dev] (Codex) needs permission: Bash: rm -rf \"build\""
    );
    assert_eq!(v["count"], 1);
    assert_eq!(
        header(&json.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        header(&json.headers, "authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );

    let ntfy = request(
        &hook("https://ntfy.example/t", Template::Ntfy),
        &n,
        "laptop",
    );
    assert_eq!(ntfy.body, n.summary());
    assert_eq!(
        header(&ntfy.headers, "title"),
        Some("navi: api [dev] (Codex)")
    );
    assert_eq!(header(&ntfy.headers, "tags"), Some("warning"));
    assert_eq!(header(&ntfy.headers, "priority"), Some("high"));
    assert!(header(&ntfy.headers, "content-type")
        .unwrap()
        .starts_with("text/plain"));

    let slack = request(
        &hook("https://hooks.slack.com/s", Template::Slack),
        &n,
        "laptop",
    );
    assert_eq!(
        slack.body,
        serde_json::json!({ "text": n.summary() }).to_string()
    );
    let discord = request(
        &hook("https://discord.com/api/webhooks/1/x", Template::Discord),
        &n,
        "laptop",
    );
    assert_eq!(
        discord.body,
        serde_json::json!({ "content": n.summary() }).to_string()
    );

    // A local session's machine is this host; a user's header replaces the template's.
    let local = Notice {
        events: vec![Event::Status {
            session: "notes".into(),
            remote: None,
            status: Status::Waiting,
            message: String::new(),
            agent: "claude".into(),
        }],
    };
    let v: serde_json::Value = serde_json::from_str(
        &request(&hook("https://x.example", Template::Json), &local, "laptop").body,
    )
    .unwrap();
    assert_eq!(
        (v["machine"].as_str(), v["remote"].is_null()),
        (Some("laptop"), true)
    );
    let mut own = hook("https://ntfy.example/t", Template::Ntfy);
    own.headers.push(("Priority".into(), Secret::new("min")));
    let r = request(&own, &n, "laptop");
    let priorities: Vec<_> = r.headers.iter().filter(|(k, _)| k == "Priority").collect();
    assert_eq!(priorities.len(), 1);
    assert_eq!(priorities[0].1.expose(), "min");
}

#[test]
fn curls_config_quotes_every_value_and_holds_no_argv_secret() {
    let req = Request {
        url: Secret::new("http://127.0.0.1:9/p?token=x"),
        headers: vec![("X-K".into(), Secret::new("a\"b\\c"))],
        body: "@not-a-file \"q\" \\ line\nnext\ttab".into(),
    };
    let config = curl::config(&req, Duration::from_millis(1500));
    assert!(
        config.contains("url = \"http://127.0.0.1:9/p?token=x\"\n"),
        "{config}"
    );
    assert!(
        config.contains("header = \"X-K: a\\\"b\\\\c\"\n"),
        "{config}"
    );
    assert!(config.contains("max-time = \"1.500\"\n"), "{config}");
    assert!(
        config.contains("data-raw = \"@not-a-file \\\"q\\\" \\\\ line\\nnext\\ttab\"\n"),
        "{config}"
    );
    assert_eq!(curl::quoted("a\u{7}b"), "\"ab\"", "other controls dropped");
}

#[test]
fn curls_exit_codes_become_attempts() {
    assert_eq!(curl::classify(Some(0), "204"), Attempt::Status(204));
    assert!(matches!(
        curl::classify(Some(0), "000"),
        Attempt::Connection(_)
    ));
    assert!(matches!(
        curl::classify(Some(7), ""),
        Attempt::Connection(_)
    ));
    assert_eq!(curl::classify(Some(28), ""), Attempt::TimedOut);
    assert!(matches!(curl::classify(Some(60), ""), Attempt::Failed(_)));
    assert!(matches!(curl::classify(None, ""), Attempt::Failed(_)));
}

// ---- A loopback HTTP server ------------------------------------------------------------

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the server answers one connection.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Reads the request and never answers (until the server stops).
    Silent,
}

/// An HTTP/1.1 server on 127.0.0.1 answering connections in turn with `replies` (then
/// 200), recording each request; stopped and joined when dropped.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(replies: &[Reply]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, replies) = (requests.clone(), stop.clone(), replies.to_vec());
        let thread = std::thread::spawn(move || serve(&listener, &replies, &r, &s));
        Server {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("http://{}{rest}", self.addr)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn serve(listener: &TcpListener, replies: &[Reply], log: &Mutex<Vec<Recorded>>, stop: &AtomicBool) {
    let mut held = Vec::new();
    let mut next = 0;
    while !stop.load(Ordering::SeqCst) {
        let Ok((mut stream, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        if let Some(req) = read_request(&stream) {
            log.lock().unwrap().push(req);
        }
        match replies.get(next).copied().unwrap_or(Reply::Status(200)) {
            Reply::Status(code) => {
                let answer = format!(
                    "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
                let _ = stream.write_all(answer.as_bytes());
            }
            Reply::Silent => held.push(stream),
        }
        next += 1;
    }
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

// ---- Captured logs ---------------------------------------------------------------------

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    /// Captures this thread's logs (every level) until the guard goes.
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// ---- Deliveries through curl -----------------------------------------------------------

/// Short bounds for the loopback (tests choose their own).
fn quick() -> Limits {
    Limits {
        per_try: Duration::from_secs(1),
        kill_grace: Duration::from_secs(2),
        backoff: Duration::from_millis(20),
        tries: 3,
    }
}

fn slot(config: Webhook) -> (Arc<Hook>, Slot) {
    let hook = Arc::new(Hook {
        config,
        in_flight: std::sync::atomic::AtomicUsize::new(1),
        told_missing: AtomicBool::new(false),
    });
    (hook.clone(), Slot(hook))
}

fn curl_poster(limits: Limits) -> Arc<dyn Poster> {
    Arc::new(Curl {
        max_time: limits.per_try,
        program: "curl",
    })
}

/// Delivers `notice()` to `config` through curl with `limits`; the log's text.
async fn deliver_once(config: Webhook, limits: Limits) -> String {
    let (logs, _guard) = Logs::capture();
    let req = request(&config, &notice(), "laptop");
    let (hook, slot) = slot(config);
    deliver(slot, req, curl_poster(limits), limits).await;
    assert_eq!(
        hook.in_flight.load(Ordering::SeqCst),
        0,
        "the slot is given back"
    );
    logs.text()
}

#[tokio::test]
async fn every_template_reaches_the_server_as_its_service_expects() {
    for template in [
        Template::Json,
        Template::Ntfy,
        Template::Slack,
        Template::Discord,
    ] {
        let server = Server::start(&[Reply::Status(200)]);
        let config = hook(&server.url("/topic?auth=q"), template);
        let expected = request(&config, &notice(), "laptop");
        let logs = deliver_once(config, quick()).await;
        let got = server.requests();
        assert_eq!(got.len(), 1, "{template:?}: {logs}");
        let r = &got[0];
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/topic?auth=q")
        );
        assert_eq!(
            r.body, expected.body,
            "{template:?}: the body byte for byte"
        );
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
        for (name, value) in &expected.headers {
            let name = name.to_ascii_lowercase();
            assert_eq!(
                r.header(&name),
                Some(value.expose()),
                "{template:?}: {name}"
            );
        }
        assert!(logs.contains("webhook sent"), "{logs}");
    }
}

#[tokio::test]
async fn a_body_with_quotes_backslashes_and_line_breaks_arrives_whole() {
    let server = Server::start(&[Reply::Status(204)]);
    let req = Request {
        url: Secret::new(server.url("/raw")),
        headers: vec![("Content-Type".into(), Secret::new("text/plain"))],
        body: "@file \"quoted\" back\\slash\nline two\ttab ünïcødé 🦀".into(),
    };
    let limits = quick();
    let attempt = curl_poster(limits)
        .post(&req, Deadline::after(limits.per_try + limits.kill_grace))
        .await;
    assert_eq!(attempt, Attempt::Status(204));
    assert_eq!(server.requests()[0].body, req.body);
}

#[tokio::test]
async fn a_500_is_tried_again_and_then_sent() {
    let server = Server::start(&[Reply::Status(500), Reply::Status(502), Reply::Status(200)]);
    let logs = deliver_once(hook(&server.url("/h"), Template::Json), quick()).await;
    assert_eq!(server.requests().len(), 3, "{logs}");
    assert_eq!(logs.matches("trying again").count(), 2, "{logs}");
    assert!(logs.contains("webhook sent"), "{logs}");
}

#[tokio::test]
async fn a_4xx_is_not_tried_again() {
    let server = Server::start(&[Reply::Status(404), Reply::Status(200)]);
    let logs = deliver_once(hook(&server.url("/h"), Template::Slack), quick()).await;
    assert_eq!(server.requests().len(), 1, "{logs}");
    assert!(
        logs.contains("webhook not sent: the server answered HTTP 404"),
        "{logs}"
    );
}

#[tokio::test]
async fn five_hundreds_give_up_after_three_tries() {
    let server = Server::start(&[Reply::Status(503); 5]);
    let logs = deliver_once(hook(&server.url("/h"), Template::Json), quick()).await;
    assert_eq!(server.requests().len(), 3, "{logs}");
    assert!(
        logs.contains("webhook not sent: the server answered HTTP 503"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_costs_one_bounded_try() {
    let server = Server::start(&[Reply::Silent, Reply::Silent, Reply::Silent]);
    let logs = deliver_once(hook(&server.url("/h"), Template::Json), quick()).await;
    assert_eq!(server.requests().len(), 1, "{logs}");
    assert!(logs.contains("no answer within 1s"), "{logs}");
}

#[tokio::test]
async fn a_refused_connection_is_tried_again() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let logs = deliver_once(
        hook(&format!("http://127.0.0.1:{port}/h"), Template::Json),
        quick(),
    )
    .await;
    assert_eq!(
        logs.matches("cannot connect to the server").count(),
        3,
        "{logs}"
    );
}

#[tokio::test]
async fn no_secret_reaches_the_log() {
    let server = Server::start(&[Reply::Status(500), Reply::Status(401)]);
    let url = format!(
        "http://user:{SECRET}@{}/topic-{SECRET}?auth={SECRET}",
        server.addr
    );
    let logs = deliver_once(hook(&url, Template::Ntfy), quick()).await;
    assert_eq!(server.requests().len(), 2, "{logs}");
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str()),
        "the header given wins over the URL's userinfo"
    );
    assert!(!logs.contains(SECRET), "{logs}");
    assert!(
        logs.contains(&format!("notify.webhooks[0] (http://{})", server.addr)),
        "{logs}"
    );
}

#[tokio::test]
async fn without_curl_each_webhook_says_so_once() {
    let (logs, _guard) = Logs::capture();
    let limits = quick();
    let poster: Arc<dyn Poster> = Arc::new(Curl {
        max_time: limits.per_try,
        program: "/nonexistent/navi-test/curl",
    });
    let hook = Arc::new(Hook {
        config: hook("https://x.example/h", Template::Json),
        in_flight: std::sync::atomic::AtomicUsize::new(2),
        told_missing: AtomicBool::new(false),
    });
    for _ in 0..2 {
        let req = request(&hook.config, &notice(), "laptop");
        deliver(Slot(hook.clone()), req, poster.clone(), limits).await;
    }
    let text = logs.text();
    assert_eq!(text.matches("curl is not installed").count(), 1, "{text}");
    assert!(text.contains("install curl"), "{text}");
}

// ---- The logic on the paused clock -----------------------------------------------------

/// Answers each try with the next of `script` (then 200); `None` never answers.
struct Scripted {
    script: Mutex<Vec<Option<Attempt>>>,
    tries: Mutex<u32>,
}

impl Scripted {
    fn new(script: Vec<Option<Attempt>>) -> Arc<Scripted> {
        Arc::new(Scripted {
            script: Mutex::new(script.into_iter().rev().collect()),
            tries: Mutex::new(0),
        })
    }

    fn tries(&self) -> u32 {
        *self.tries.lock().unwrap()
    }
}

#[async_trait::async_trait]
impl Poster for Scripted {
    async fn post(&self, _: &Request, _: Deadline) -> Attempt {
        *self.tries.lock().unwrap() += 1;
        let next = self.script.lock().unwrap().pop();
        match next {
            Some(Some(a)) => a,
            Some(None) => std::future::pending().await,
            None => Attempt::Status(200),
        }
    }
}

async fn deliver_scripted(script: Vec<Option<Attempt>>) -> (u32, String) {
    let (logs, _guard) = Logs::capture();
    let poster = Scripted::new(script);
    let config = hook("https://x.example/h", Template::Json);
    let req = request(&config, &notice(), "laptop");
    deliver(slot(config).1, req, poster.clone(), Limits::default()).await;
    (poster.tries(), logs.text())
}

#[tokio::test(start_paused = true)]
async fn retries_follow_the_answer_on_the_paused_clock() {
    let refused = || Some(Attempt::Connection("cannot connect to the server".into()));
    let (tries, logs) = deliver_scripted(vec![refused(), Some(Attempt::Status(500))]).await;
    assert_eq!(tries, 3, "{logs}");
    assert!(
        logs.contains("trying again in 1s") && logs.contains("trying again in 2s"),
        "{logs}"
    );
    let (tries, _) = deliver_scripted(vec![refused(), refused(), refused(), refused()]).await;
    assert_eq!(tries, 3, "at most three tries");
    let (tries, _) = deliver_scripted(vec![Some(Attempt::Status(429))]).await;
    assert_eq!(tries, 1, "a 4xx is final");
    let (tries, _) = deliver_scripted(vec![Some(Attempt::Status(301))]).await;
    assert_eq!(tries, 1, "a redirect is final");
    let (tries, logs) = deliver_scripted(vec![None, None]).await;
    assert_eq!(
        tries, 1,
        "a try that never ends is cut at its deadline, not repeated"
    );
    assert!(logs.contains("no answer within 5s"), "{logs}");
}

#[tokio::test(start_paused = true)]
async fn at_most_four_deliveries_per_webhook_are_under_way() {
    let (logs, _guard) = Logs::capture();
    let poster = Scripted::new(vec![None; 10]);
    let mut channel = Webhooks::new(
        vec![hook("https://x.example/h", Template::Json)],
        poster.clone(),
        Limits::default(),
    );
    for _ in 0..6 {
        channel.notify(&notice(), std::time::Instant::now());
    }
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(poster.tries(), 4, "{}", logs.text());
    assert_eq!(logs.text().matches("deliveries still under way").count(), 2);
    // Their tries end at the deadline; the slots come back.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(channel.hooks[0].in_flight.load(Ordering::SeqCst), 0);
    channel.notify(&notice(), std::time::Instant::now());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(poster.tries(), 5);
}
