//! A tmux control-mode client: `tmux [-S SOCKET] -C attach-session -r -f FLAGS -t TARGET`.
//!
//! # Design
//!
//! * Read-only (`-r`) and `ignore-size` (its "terminal" never resizes a window); the
//!   session-events client also says `no-output`, so a busy pane costs it nothing. tmux
//!   before 3.2 knows no `-f`: its client exits at once, which is how a missing control
//!   mode shows ([`Client::attached`] never becomes true, [`Client::ended`] does).
//! * Its stdin is a pipe navi holds and never writes an empty line to (that would detach
//!   it): when navi ends, however it ends, the pipe closes and the client exits.
//! * It runs in its own process group; dropping the [`Client`] kills that group and reaps
//!   the child, so nothing outlives navi's interest in it.
//! * A thread per client reads its lines ([`LineReader`]: each line capped at
//!   [`MAX_LINE`], the rest dropped; any bytes, never a panic), turns them into
//!   [`Line`]s ([`Parser`]) and hands them to the owner's callback. A side effect users may
//!   see: the attached session counts one more client (`#{session_attached}`).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The most of one control-mode line kept (an `%output` line of a busy pane can be long;
/// only its start matters here).
pub(crate) const MAX_LINE: usize = 16 * 1024;
/// The most lines of one `%begin` … `%end` reply kept.
const MAX_REPLY_LINES: usize = 64;

/// One thing a control client said (the notifications navi uses; others are
/// [`Line::Other`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// `%output %PANE DATA`: the pane wrote something (the data is not kept).
    Output {
        /// The pane id, `%3`.
        pane: String,
    },
    /// `%sessions-changed`: a session was created or destroyed on the server.
    SessionsChanged,
    /// `%session-changed $ID NAME`: the client is attached to this session now (sent
    /// once when it attaches).
    SessionChanged {
        /// `$1`.
        id: String,
    },
    /// `%session-renamed $ID NAME`.
    SessionRenamed {
        /// `$1`.
        id: String,
    },
    /// `%session-window-changed $ID @WIN`: a session's current window changed.
    SessionWindowChanged {
        /// `$1`.
        session: String,
    },
    /// `%window-pane-changed @WIN %PANE`: a window's active pane changed.
    WindowPaneChanged,
    /// `%layout-change @WIN ...`: panes were split, closed or resized.
    LayoutChange,
    /// `%exit [REASON]`: the client is detached (its session ended, the server ends).
    Exit,
    /// A `%begin` … `%end` (or `%error`) block: the answer to a command.
    Reply {
        /// `%end` (`true`) or `%error`.
        ok: bool,
        /// Whether this client sent the command (flag `1`), not the attach itself.
        ours: bool,
        /// Its lines (at most [`MAX_REPLY_LINES`]).
        lines: Vec<String>,
    },
    /// Any other notification (`%window-add`, `%message`, ...) or an unexpected line.
    Other,
}

/// Turns control-mode lines into [`Line`]s; the lines of a reply block are collected
/// until its `%end` or `%error` (tmux never puts a notification inside a block).
#[derive(Debug, Default)]
pub(crate) struct Parser {
    block: Option<Block>,
}

#[derive(Debug)]
struct Block {
    ours: bool,
    lines: Vec<String>,
}

impl Parser {
    /// One line (without its newline); `None` while a reply block is open.
    pub(crate) fn feed(&mut self, raw: &[u8]) -> Option<Line> {
        let text = String::from_utf8_lossy(raw);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if let Some(block) = &mut self.block {
            let word = text.split(' ').next().unwrap_or("");
            if word == "%end" || word == "%error" {
                let block = self.block.take()?;
                return Some(Line::Reply {
                    ok: word == "%end",
                    ours: block.ours,
                    lines: block.lines,
                });
            }
            if block.lines.len() < MAX_REPLY_LINES {
                block.lines.push(text.to_string());
            }
            return None;
        }
        let mut words = text.split(' ');
        let word = words.next().unwrap_or("");
        let mut arg = || words.next().unwrap_or("").to_string();
        Some(match word {
            "%begin" => {
                let (_time, _number, flags) = (arg(), arg(), arg());
                self.block = Some(Block {
                    ours: flags == "1",
                    lines: Vec::new(),
                });
                return None;
            }
            "%output" => Line::Output { pane: arg() },
            "%sessions-changed" => Line::SessionsChanged,
            "%session-changed" => Line::SessionChanged { id: arg() },
            "%session-renamed" => Line::SessionRenamed { id: arg() },
            "%session-window-changed" => Line::SessionWindowChanged { session: arg() },
            "%window-pane-changed" => Line::WindowPaneChanged,
            "%layout-change" => Line::LayoutChange,
            "%exit" => Line::Exit,
            _ => Line::Other,
        })
    }
}

/// Reads lines of at most [`MAX_LINE`] bytes from a pipe: the rest of a longer line is
/// read and dropped, so a runaway line costs no memory.
pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineReader {
            inner: BufReader::new(inner),
        }
    }

    /// The next line into `line` (cleared first, newline removed); `false` at the end.
    pub(crate) fn next_line(&mut self, line: &mut Vec<u8>) -> std::io::Result<bool> {
        line.clear();
        let mut any = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any);
            }
            any = true;
            let (chunk, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let used = done.unwrap_or(buf.len());
            self.inner.consume(used);
            if done.is_some() {
                return Ok(true);
            }
        }
    }
}

/// Whether the tmux of `tmux_argv` is 3.8 or later (`next-3.8` and later too), asked once
/// per argv (`tmux -V`, bounded). Control clients need 3.2 (attach-session's `-f`), but
/// every release up to 3.7c can crash its server when a control client is still
/// connecting, or already leaving, while a session is made, renamed or killed (3.3a
/// segfaults within a few dozen tries here; fixed in tmux after 3.7c, GitHub issues 4980,
/// 5244, 5357): navi never risks the user's server, and an older tmux keeps the listing
/// per poll and the preview's timer.
pub(crate) fn survives_control_clients(tmux_argv: &[String]) -> bool {
    static ASKED: Mutex<Vec<(Vec<String>, bool)>> = Mutex::new(Vec::new());
    let mut asked = ASKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, ok)) = asked.iter().find(|(argv, _)| argv == tmux_argv) {
        return *ok;
    }
    let ok = tmux_version(tmux_argv).is_some_and(|v| safe_version(&v));
    asked.push((tmux_argv.to_vec(), ok));
    ok
}

fn tmux_version(tmux_argv: &[String]) -> Option<String> {
    let (program, globals) = tmux_argv.split_first()?;
    let mut cmd = Command::new(program);
    cmd.args(globals).arg("-V").stdin(Stdio::null());
    let out = crate::process::output_within(cmd, navi_core::limits::CONTROL_ATTACH).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `tmux 3.8`, `tmux 3.10a`, `tmux next-3.8`, `tmux 4.0`: safe; `tmux 3.7c`, `tmux
/// master` (of any age), anything else: not.
pub(crate) fn safe_version(said: &str) -> bool {
    let v = said.strip_prefix("tmux ").unwrap_or(said);
    let v = v.strip_prefix("next-").unwrap_or(v);
    let Some((major, rest)) = v.split_once('.') else {
        return false;
    };
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match (major.parse::<u32>(), minor.parse::<u32>()) {
        (Ok(major), Ok(minor)) => major > 3 || (major == 3 && minor >= 8),
        _ => false,
    }
}

/// Sends commands to a control client (`display-message ...`), from its reader thread
/// too. A failed write is ignored: the client is ending, and its end is reported.
#[derive(Clone)]
pub(crate) struct Commands {
    stdin: Arc<Mutex<Option<ChildStdin>>>,
}

impl Commands {
    /// Sends one command line; an empty `command` is refused (it would detach the client).
    pub(crate) fn send(&self, command: &str) {
        if command.trim().is_empty() || command.contains('\n') {
            return;
        }
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pipe) = stdin.as_mut() {
            let _ = pipe.write_all(format!("{command}\n").as_bytes());
        }
    }
}

/// What a client's reader thread found so far.
#[derive(Debug, Default)]
struct Flags {
    attached: AtomicBool,
    ended: AtomicBool,
}

/// A running control client (see the module documentation); dropped, it is killed and
/// reaped.
pub(crate) struct Client {
    child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    flags: Arc<Flags>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("pid", &self.child.id())
            .field("flags", &self.flags)
            .finish()
    }
}

impl Client {
    /// Starts `TMUX_ARGV -C attach-session -r -f FLAGS -t TARGET` (`target` as tmux must
    /// read it: `=name`, `$3`) and a thread that hands each of its lines to `on_line`,
    /// then `None` once it has ended. `on_line` gets [`Commands`] to ask the client things.
    pub(crate) fn spawn(
        tmux_argv: &[String],
        target: &str,
        flags: &str,
        mut on_line: impl FnMut(Option<Line>, &Commands) + Send + 'static,
    ) -> std::io::Result<Client> {
        let (program, globals) = tmux_argv
            .split_first()
            .ok_or_else(|| std::io::Error::other("no tmux command"))?;
        if !survives_control_clients(tmux_argv) {
            return Err(std::io::Error::other(
                "tmux before 3.8 can crash when a control client connects while sessions change: not used",
            ));
        }
        let mut cmd = Command::new(program);
        cmd.args(globals)
            .args(["-C", "attach-session", "-r", "-f", flags, "-t", target])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // `$TMUX` stays: a plain `tmux` must reach the server the listing reaches (a
            // control client inside tmux is not refused as nested: it has no terminal).
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn()?;
        let (Some(stdout), Some(pipe)) = (child.stdout.take(), child.stdin.take()) else {
            crate::process::kill_group(&mut child);
            return Err(std::io::Error::other("no pipes to the tmux control client"));
        };
        let stdin = Arc::new(Mutex::new(Some(pipe)));
        let flags = Arc::new(Flags::default());
        let commands = Commands {
            stdin: Arc::clone(&stdin),
        };
        let seen = Arc::clone(&flags);
        let reader = move || {
            let mut lines = LineReader::new(stdout);
            let mut parser = Parser::default();
            let mut raw = Vec::new();
            while let Ok(true) = lines.next_line(&mut raw) {
                let Some(line) = parser.feed(&raw) else {
                    continue;
                };
                if matches!(line, Line::SessionChanged { .. }) {
                    seen.attached.store(true, Ordering::SeqCst);
                }
                on_line(Some(line), &commands);
            }
            seen.ended.store(true, Ordering::SeqCst);
            on_line(None, &commands);
        };
        if let Err(e) = std::thread::Builder::new()
            .name("tmux-control".into())
            .spawn(reader)
        {
            crate::process::kill_group(&mut child);
            return Err(e);
        }
        Ok(Client {
            child,
            stdin,
            flags,
        })
    }

    /// It attached (said `%session-changed`).
    pub(crate) fn attached(&self) -> bool {
        self.flags.attached.load(Ordering::SeqCst)
    }

    /// Its output ended (it exited, or failed to attach).
    pub(crate) fn ended(&self) -> bool {
        self.flags.ended.load(Ordering::SeqCst)
    }

    /// The client's process id (tests look for it).
    #[cfg(test)]
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // Killed, not detached: an empty line would do, but a client that does not read
        // its stdin any more must end too. Its reader thread then sees the end.
        crate::process::kill_group(&mut self.child);
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
    }
}

#[cfg(test)]
mod tests;
