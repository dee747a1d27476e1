//! Reading the push loop's stream (see [`push_script`](super::push_script)): bytes in,
//! whole batches out.

use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};

use super::decode::{clean, records, tmux_record};
use super::MAX_POLL_OUTPUT;
use crate::budget::{Budget, Buffer, REMOTE_OUTPUT};

/// One record of a snapshot or a change batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// A status file's bytes.
    File(String, Vec<u8>),
    /// A status file's bytes sent on their own (`P`), held under sequence number `seq`
    /// as the base of later differences.
    Sent {
        name: String,
        seq: u64,
        bytes: Vec<u8>,
    },
    /// A status file as a difference (`X`) from the bytes held under `base`: the lines
    /// that changed; the result is `len` bytes, held under `seq`.
    Diff {
        name: String,
        seq: u64,
        base: u64,
        len: usize,
        lines: ChangedLines,
    },
    /// A status file that could not be sent, and why.
    Skip(String, String),
    /// A status file that was removed.
    Gone(String),
    /// A marks file's bytes.
    Marks(String, Vec<u8>),
    /// A marks file that was removed.
    MarksGone(String),
    /// One server's answer to the tmux check (`T`/`U`); the records of one batch are
    /// the whole check.
    Tmux(TmuxServer, ServerAnswer),
    /// Memory values that changed (`None`: the session is gone), as the loop sent them.
    Memory(Vec<MemoryLine>),
    /// The status directory does not exist.
    Missing,
    /// The status directory cannot be read.
    Error(String),
}

impl Record {
    /// Whether this record brings status file `name` (whole or as a difference).
    #[cfg(test)]
    pub(crate) fn is_file(&self, name: &str) -> bool {
        match self {
            Record::File(n, _) | Record::Sent { name: n, .. } | Record::Diff { name: n, .. } => {
                n == name
            }
            _ => false,
        }
    }
}

/// The lines a difference changes: (index, new text), indices increasing.
pub(crate) type ChangedLines = Vec<(usize, LineChange)>;

/// What a difference puts in one line's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineChange {
    /// The whole line (`<index> <text>`).
    Whole(Vec<u8>),
    /// What follows the line's first `": ` (`<index>=<text>`): a pretty-printed JSON
    /// member whose key stays and whose value changed.
    Value(Vec<u8>),
}

/// What separates a pretty-printed JSON member's key from its value; a
/// [`LineChange::Value`] keeps a line up to the first one.
pub(crate) const KEY_SEPARATOR: &[u8] = b"\": ";

/// One line of an `R` record: the session's server and name, its bytes (`None`: gone).
pub(crate) type MemoryLine = (TmuxServer, String, Option<u64>);

/// `cksum` of one file: CRC, size, name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sum {
    pub(crate) crc: u32,
    pub(crate) len: u64,
    pub(crate) name: String,
}

/// One whole message of the push loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Batch {
    /// How the loop watches: `inotify` or `scan`.
    Mode(String),
    /// What tells the loop of tmux events (`tmux`: its control clients), so navi
    /// need not ask for the tmux check on a timer.
    Events(String),
    /// A full snapshot: everything there is.
    Full(Vec<Record>),
    /// What changed since the last batch.
    Delta(Vec<Record>),
    /// The answer to heartbeat `token`.
    Heartbeat(String),
    /// The resync digest of the status files and of the marks files.
    Sums { files: Vec<Sum>, marks: Vec<Sum> },
    /// The loop cannot run; why.
    Fail(String),
}

/// Cuts the stream into batches.
#[derive(Debug)]
pub(crate) struct BatchReader {
    nonce: String,
    end: Vec<u8>,
    /// What starts every record: `\nNAVI-<nonce> `.
    sep: Vec<u8>,
    buf: Buffer,
    /// Where to resume looking for the end marker.
    searched: usize,
}

impl BatchReader {
    pub(crate) fn new(nonce: &str) -> BatchReader {
        BatchReader::within(nonce, &REMOTE_OUTPUT)
    }

    /// A reader whose buffer draws from `budget`.
    pub(crate) fn within(nonce: &str, budget: &'static Budget) -> BatchReader {
        BatchReader {
            nonce: nonce.to_string(),
            end: super::end_marker(nonce),
            sep: format!("\nNAVI-{nonce} ").into_bytes(),
            buf: Buffer::within(budget),
            searched: 0,
        }
    }

    /// Adds received bytes and returns the batches they complete. `Err` when one batch
    /// passes the poll's output cap (the stream cannot be trusted any further), or the
    /// budget of all remotes' output has no room for the bytes.
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<Vec<Batch>, String> {
        self.buf.extend(data).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        loop {
            match self.framed()? {
                Framed::Taken(b) => {
                    out.extend(b);
                    continue;
                }
                Framed::Incomplete => break,
                Framed::Other => {}
            }
            let from = self.searched.saturating_sub(self.end.len());
            let found = self.buf[from..]
                .windows(self.end.len())
                .position(|w| w == self.end.as_slice());
            match found {
                Some(at) => {
                    let stop = from + at + self.end.len();
                    let batch = self.buf.take_front(stop);
                    self.searched = 0;
                    if let Some(b) = parse_batch(&batch, &self.nonce) {
                        out.push(b);
                    }
                }
                None => {
                    self.searched = self.buf.len();
                    break;
                }
            }
        }
        if self.buf.len() > MAX_POLL_OUTPUT {
            return Err(format!(
                "a change batch is over the {} MiB cap; navi stopped reading",
                MAX_POLL_OUTPUT / (1024 * 1024)
            ));
        }
        Ok(out)
    }
}

/// What [`BatchReader::framed`] found at the front of the buffer.
enum Framed {
    /// A length-framed record, taken off the buffer (`None`: noise before it, dropped).
    Taken(Option<Batch>),
    /// A length-framed record whose bytes have not all come.
    Incomplete,
    /// The next record is not length-framed (or there is none yet).
    Other,
}

/// The most bytes a length-framed record may say it has: a status file at its cap and
/// a line number for each of its lines.
const MAX_FRAMED: usize = 3 * navi_core::MAX_STATUS_FILE_BYTES as usize;

impl BatchReader {
    /// The length-framed record (`P`, `X`: a status file sent on its own, see
    /// [`push_script`](super::push_script)) at the front of the buffer, if the first
    /// record there is one. Its bytes never hold the record separator (no file can
    /// hold the nonce): where they do, the length was wrong and the record ends there.
    fn framed(&mut self) -> Result<Framed, String> {
        let Some(at) = find(&self.buf, &self.sep, 0) else {
            return Ok(Framed::Other);
        };
        let head_start = at + self.sep.len();
        let kind = self.buf.get(head_start..head_start + 2);
        if kind != Some(b"P ") && kind != Some(b"X ") {
            return Ok(Framed::Other);
        }
        let Some(nl) = self.buf[head_start..].iter().position(|&b| b == b'\n') else {
            if self.buf.len() - head_start > 4096 {
                return Err("a file record's header line is over 4096 bytes".into());
            }
            return Ok(Framed::Incomplete);
        };
        let head = String::from_utf8_lossy(&self.buf[head_start..head_start + nl]).into_owned();
        let body_start = head_start + nl + 1;
        let Some((kind, seq, len, name)) = framed_head(&head) else {
            return Err(format!(
                "a file record's header `{}` does not parse",
                clean(&head)
            ));
        };
        if len > MAX_FRAMED {
            return Err(format!(
                "a file record says it has {len} bytes, over the {MAX_FRAMED}-byte cap"
            ));
        }
        // A record cut short by a wrong length ends where the next one starts.
        let stop = match find(&self.buf[..], &self.sep, body_start) {
            Some(next) if next < body_start + len => next,
            _ if self.buf.len() < body_start + len => return Ok(Framed::Incomplete),
            _ => body_start + len,
        };
        let short = stop < body_start + len;
        let bytes = self.buf.take_front(stop);
        self.searched = 0;
        let body = &bytes[body_start..];
        let record = if short {
            // navi holds the file as skipped until the resend (a short body is never a
            // base): asked for at once (see PushState::take_resend).
            Record::Diff {
                name,
                seq,
                base: u64::MAX,
                len: usize::MAX,
                lines: Vec::new(),
            }
        } else if kind == 'P' {
            Record::Sent {
                name,
                seq,
                bytes: body.to_vec(),
            }
        } else {
            match diff_body(body) {
                Some((base, len, lines)) => Record::Diff {
                    name,
                    seq,
                    base,
                    len,
                    lines,
                },
                None => Record::Diff {
                    name,
                    seq,
                    base: u64::MAX,
                    len: usize::MAX,
                    lines: Vec::new(),
                },
            }
        };
        Ok(Framed::Taken(Some(Batch::Delta(vec![record]))))
    }
}

/// `P|X <seq> <len> <name>`.
fn framed_head(head: &str) -> Option<(char, u64, usize, String)> {
    let mut parts = head.splitn(4, ' ');
    let kind = parts.next()?.chars().next()?;
    let seq = parts.next()?.parse().ok()?;
    let len = parts.next()?.parse().ok()?;
    let name = parts.next()?.to_string();
    if name.is_empty() {
        return None;
    }
    Some((kind, seq, len, name))
}

/// A difference's body: `<base> <len>\n`, then `<line index> <line>\n` (the whole line)
/// or `<line index>=<value>\n` (what follows the line's first `": `) for each line that
/// changed, in increasing order; `None` when it does not parse.
pub(crate) fn diff_body(body: &[u8]) -> Option<(u64, usize, ChangedLines)> {
    let body = body.strip_suffix(b"\n")?;
    let mut lines = body.split(|&b| b == b'\n');
    let first = std::str::from_utf8(lines.next()?).ok()?;
    let (base, len) = first.split_once(' ')?;
    let (base, len) = (base.parse().ok()?, len.parse().ok()?);
    let mut out: ChangedLines = Vec::new();
    for line in lines {
        let sp = line.iter().position(|&b| b == b' ' || b == b'=')?;
        let index: usize = std::str::from_utf8(&line[..sp]).ok()?.parse().ok()?;
        if out.last().is_some_and(|(last, _)| *last >= index) {
            return None;
        }
        let text = line[sp + 1..].to_vec();
        let change = match line[sp] {
            b' ' => LineChange::Whole(text),
            _ => LineChange::Value(text),
        };
        out.push((index, change));
    }
    Some((base, len, out))
}

/// The bytes `base` becomes with `lines` put in place of its lines (the lines are what
/// lies between newlines: a file with n newlines has n + 1), when every index is one of
/// its lines, every line a [`LineChange::Value`] names has a `": `, and the result is
/// `len` bytes long.
pub(crate) fn apply_lines(
    base: &[u8],
    lines: &[(usize, LineChange)],
    len: usize,
) -> Option<Vec<u8>> {
    let mut parts: Vec<std::borrow::Cow<'_, [u8]>> = base
        .split(|&b| b == b'\n')
        .map(std::borrow::Cow::Borrowed)
        .collect();
    for (index, change) in lines {
        let part = parts.get_mut(*index)?;
        *part = match change {
            LineChange::Whole(text) => std::borrow::Cow::Borrowed(text.as_slice()),
            LineChange::Value(text) => {
                let key = find(part, KEY_SEPARATOR, 0)? + KEY_SEPARATOR.len();
                let mut line = part[..key].to_vec();
                line.extend_from_slice(text);
                std::borrow::Cow::Owned(line)
            }
        };
    }
    let out = parts.join(&b'\n');
    (out.len() == len).then_some(out)
}

/// The first index at or after `from` where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// One batch (its bytes up to and including its end marker); `None` for noise (what a
/// login shell printed before the loop began) or an unknown kind.
fn parse_batch(bytes: &[u8], nonce: &str) -> Option<Batch> {
    let mut recs = records(bytes, nonce);
    let (kind, arg, body) = recs.next()?;
    let batch = match kind.as_str() {
        "MODE" => Batch::Mode(clean(&arg)),
        "EVENTS" => Batch::Events(clean(&arg)),
        "H" => Batch::Heartbeat(arg),
        "FAIL" => Batch::Fail(clean(String::from_utf8_lossy(body).trim())),
        "BEGIN" => Batch::Full(recs.filter_map(record).collect()),
        "DELTA" => Batch::Delta(recs.filter_map(record).collect()),
        "SUM" => {
            let files = sums(body);
            let marks = match recs.next() {
                Some((k, _, body)) if k == "MSUM" => sums(body),
                _ => Vec::new(),
            };
            Batch::Sums { files, marks }
        }
        _ => return None,
    };
    Some(batch)
}

fn record((kind, arg, body): (String, String, &[u8])) -> Option<Record> {
    Some(match kind.as_str() {
        "F" => Record::File(arg, body.to_vec()),
        "S" => Record::Skip(arg, clean(&String::from_utf8_lossy(body))),
        "D" => Record::Gone(arg),
        "M" => Record::Marks(arg, body.to_vec()),
        "MD" => Record::MarksGone(arg),
        "T" | "U" => {
            let (server, answer) = tmux_record(&kind, &arg, body)?;
            Record::Tmux(server, answer)
        }
        "R" => Record::Memory(memory_lines(body)),
        "N" => Record::Missing,
        "E" => Record::Error(clean(&String::from_utf8_lossy(body))),
        _ => return None,
    })
}

/// The lines of an `R` record: `<server>\t<bytes or ->\t<session>`; a line that does
/// not fit (a server that is neither `-` nor an absolute path, bytes that are not a
/// number) is ignored.
pub(crate) fn memory_lines(body: &[u8]) -> Vec<MemoryLine> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let server = match parts.next()? {
                "-" => TmuxServer::Default,
                p if p.starts_with('/') => TmuxServer::Socket(p.to_string()),
                _ => return None,
            };
            let bytes = match parts.next()? {
                "-" => None,
                n => Some(n.parse().ok()?),
            };
            Some((server, parts.next()?.to_string(), bytes))
        })
        .collect()
}

/// `cksum` lines: `CRC SIZE ./NAME`; other lines are ignored.
fn sums(body: &[u8]) -> Vec<Sum> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let crc = parts.next()?.parse().ok()?;
            let len = parts.next()?.parse().ok()?;
            let name = parts.next()?.strip_prefix("./")?.to_string();
            Some(Sum { crc, len, name })
        })
        .collect()
}

/// What POSIX `cksum` prints for `data`: the CRC-32 of the bytes followed by their
/// length (least significant byte first, no trailing zero bytes), complemented.
pub(crate) fn cksum(data: &[u8]) -> u32 {
    const CKSUM: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_CKSUM);
    let mut digest = CKSUM.digest();
    digest.update(data);
    let mut len = data.len() as u64;
    while len > 0 {
        digest.update(&[(len & 0xff) as u8]);
        len >>= 8;
    }
    digest.finalize()
}
