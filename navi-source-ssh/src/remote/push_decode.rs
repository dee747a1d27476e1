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
