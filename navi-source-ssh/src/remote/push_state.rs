//! What navi holds of a pushing remote: every status and marks file as last received,
//! changed batch by batch, and the poll report built from it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use navi_core::rss::MemoryBook;
use navi_core::statusdir::liveness::TmuxView;
use navi_core::{Marks, PollReport, SessionInfo, SkippedFile, SourceError, MARKS_DIR};

use super::decode::{clean, complete_view, file_label, parse_status};
use super::push_decode::{apply_lines, cksum, Record, Sum};

/// One status file as received.
#[derive(Debug, Clone)]
enum FileEntry {
    /// Parsed (or refused) from these bytes: their `cksum` and length.
    ///
    /// `row` is the parse until a report makes a row of it (the remote's name, marks,
    /// memory and liveness set), then that row: the next report starts from it, so a
    /// row whose file and surroundings did not change is handed over as the same
    /// allocation, copied nowhere and compared by address, and navi holds one copy of
    /// each session, not a parse and a row. What a report sets it sets again every
    /// time; only a memory sample needs undoing, with `file_rss`.
    Read {
        row: Result<Arc<SessionInfo>, String>,
        file_rss: navi_core::FileRss,
        crc: u32,
        len: u64,
    },
    /// Not sent by the remote, and why.
    Skipped(String),
}

/// Entries are equal when their bytes are (the row is made of them).
impl PartialEq for FileEntry {
    fn eq(&self, other: &FileEntry) -> bool {
        match (self, other) {
            (
                FileEntry::Read { crc, len, row, .. },
                FileEntry::Read {
                    crc: c,
                    len: l,
                    row: r,
                    ..
                },
            ) => crc == c && len == l && row.as_ref().err() == r.as_ref().err(),
            (FileEntry::Skipped(a), FileEntry::Skipped(b)) => a == b,
            _ => false,
        }
    }
}

impl FileEntry {
    /// The entry of a status file's bytes; `None` for a name that is not a status file.
    fn read(name: &str, bytes: &[u8]) -> Option<FileEntry> {
        let parsed = parse_status(name, bytes)?;
        Some(FileEntry::Read {
            file_rss: (parsed.as_ref())
                .map_or(navi_core::FileRss::NoMetrics, SessionInfo::file_rss),
            row: parsed.map(Arc::new),
            crc: cksum(bytes),
            len: bytes.len() as u64,
        })
    }
}

/// Adds to `out` what the digest's `listed` entries of one `kind` (`F`, `M`) say that
/// differs from the entries `held` (name, CRC and size; `None`: held but not compared, a
/// file the remote skipped).
fn note_differences<'a>(
    kind: &str,
    held: impl Iterator<Item = (&'a str, Option<(u32, u64)>)>,
    listed: &[Sum],
    out: &mut BTreeSet<String>,
) {
    let by_name: HashMap<&str, &Sum> = listed.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut names = std::collections::HashSet::new();
    for (name, sum) in held {
        names.insert(name);
        let Some((crc, len)) = sum else { continue };
        match by_name.get(name) {
            Some(s) if s.crc == crc && s.len == len => {}
            Some(s) => {
                out.insert(format!("{kind} {name} {} {}", s.crc, s.len));
            }
            None => {
                out.insert(format!("{kind} {name} -"));
            }
        }
    }
    for s in listed.iter().filter(|s| !names.contains(s.name.as_str())) {
        out.insert(format!("{kind} {} {} {}", s.name, s.crc, s.len));
    }
}

/// One marks file as received.
#[derive(Debug, Clone, PartialEq)]
struct MarksEntry {
    parsed: Result<Marks, String>,
    crc: u32,
    len: u64,
}

/// What a change batch may change, as it was: compared before and after the batch.
#[derive(Debug, PartialEq)]
struct Touched {
    files: Vec<Option<Seen>>,
    marks: Vec<Option<(u32, u64)>>,
    /// Only when the batch has a tmux check or memory values.
    tmux: Option<Option<TmuxView>>,
    memory: Option<MemoryBook>,
    missing: bool,
    error: Option<String>,
}

/// A status file held: its bytes' CRC and length, or why it was skipped.
#[derive(Debug, PartialEq)]
enum Seen {
    Read(u32, u64),
    Skipped(String),
}

/// The names of the files and marks files a batch touches, and whether it carries a
/// tmux check or memory values.
#[derive(Default)]
struct Names {
    files: Vec<String>,
    marks: Vec<String>,
    tmux: bool,
    memory: bool,
}

impl Touched {
    fn names(records: &[Record]) -> Names {
        let mut n = Names::default();
        for r in records {
            match r {
                Record::File(name, _)
                | Record::Skip(name, _)
                | Record::Gone(name)
                | Record::Sent { name, .. }
                | Record::Diff { name, .. } => n.files.push(name.clone()),
                Record::Marks(name, _) | Record::MarksGone(name) => n.marks.push(name.clone()),
                Record::Tmux(..) => n.tmux = true,
                Record::Memory(_) => n.memory = true,
                Record::Missing | Record::Error(_) => {}
            }
        }
        n
    }

    fn of(state: &PushState, names: &Names) -> Touched {
        let file = |name: &String| {
            state.files.get(name).map(|e| match e {
                FileEntry::Read { crc, len, .. } => Seen::Read(*crc, *len),
                FileEntry::Skipped(why) => Seen::Skipped(why.clone()),
            })
        };
        Touched {
            files: names.files.iter().map(file).collect(),
            marks: (names.marks.iter())
                .map(|n| state.marks.get(n).map(|m| (m.crc, m.len)))
                .collect(),
            tmux: names.tmux.then(|| state.tmux.clone()),
            memory: names.memory.then(|| state.memory.clone()),
            missing: state.missing,
            error: state.error.clone(),
        }
    }
}

/// The remote's status directory as navi holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PushState {
    files: BTreeMap<String, FileEntry>,
    marks: BTreeMap<String, MarksEntry>,
    /// The last tmux check: every server asked and its answer.
    tmux: Option<TmuxView>,
    missing: bool,
    error: Option<String>,
    /// Memory per session, as the loop's samples sent it (kept across full snapshots:
    /// the loop sends only changes).
    memory: MemoryBook,
    /// The bases of the loop's differences.
    bases: Bases,
}

/// The bytes of each status file the loop sent on its own, under the sequence number it
/// sent them with: what its differences (`X`) apply to. Not part of what the state
/// says (equal whatever they hold); a difference that does not apply sets `resend`.
#[derive(Debug, Clone, Default)]
struct Bases {
    held: HashMap<String, (u64, Box<[u8]>)>,
    /// A difference did not apply: navi must ask for a full snapshot.
    resend: bool,
}

impl PartialEq for Bases {
    fn eq(&self, _: &Bases) -> bool {
        true
    }
}

impl PushState {
    /// The state a full snapshot describes.
    pub(crate) fn from_full(records: Vec<Record>) -> PushState {
        let mut state = PushState::default();
        state.apply(records);
        state
    }

    /// The state a full snapshot describes, with the memory values held so far (a
    /// snapshot carries none; the loop sends memory only when it changes).
    /// A file with the bytes navi held keeps its parse and row.
    pub(crate) fn from_full_after(records: Vec<Record>, before: &PushState) -> PushState {
        let mut state = PushState {
            memory: before.memory.clone(),
            ..PushState::default()
        };
        state.apply(records);
        for (name, entry) in &mut state.files {
            if let (Some(held), FileEntry::Read { crc, len, .. }) = (before.files.get(name), &entry)
            {
                if matches!(held, FileEntry::Read { crc: c, len: l, .. } if c == crc && l == len) {
                    *entry = held.clone();
                }
            }
        }
        state
    }

    /// Whether a difference did not apply since the last call (a base navi does not
    /// hold, a line it does not have, a wrong length): the caller asks for a full
    /// snapshot, which heals it.
    pub(crate) fn take_resend(&mut self) -> bool {
        std::mem::take(&mut self.bases.resend)
    }

    /// Applies a change batch; `true` when anything changed. Only what the batch names
    /// is compared, by its fingerprint: a copy of the whole state per batch was most of
    /// a busy remote's cost per status write.
    pub(crate) fn apply_delta(&mut self, records: Vec<Record>) -> bool {
        let names = Touched::names(&records);
        let before = Touched::of(self, &names);
        self.error = None;
        self.missing = false;
        self.apply(records);
        before != Touched::of(self, &names)
    }

    fn apply(&mut self, records: Vec<Record>) {
        // A batch's tmux records are one whole check: they replace the last one.
        let mut check: Option<TmuxView> = None;
        for r in records {
            if let Record::Sent { .. } | Record::Diff { .. } = r {
                self.apply_framed(r);
                continue;
            }
            match r {
                Record::File(name, body) => {
                    self.bases.held.remove(&name);
                    if let Some(entry) = FileEntry::read(&name, &body) {
                        self.files.insert(name, entry);
                    }
                }
                Record::Skip(name, why) => {
                    self.bases.held.remove(&name);
                    self.files.insert(name, FileEntry::Skipped(why));
                }
                Record::Gone(name) => {
                    self.bases.held.remove(&name);
                    self.files.remove(&name);
                }
                Record::Marks(name, body) => {
                    let entry = MarksEntry {
                        parsed: Marks::parse(&body),
                        crc: cksum(&body),
                        len: body.len() as u64,
                    };
                    self.marks.insert(name, entry);
                }
                Record::MarksGone(name) => {
                    self.marks.remove(&name);
                }
                Record::Tmux(server, answer) => {
                    check
                        .get_or_insert_with(TmuxView::default)
                        .servers
                        .insert(server, answer);
                }
                Record::Memory(lines) => {
                    let now = navi_core::now_seconds();
                    for (server, name, bytes) in lines {
                        self.memory.set((server, name), bytes, now);
                    }
                }
                Record::Sent { .. } | Record::Diff { .. } => {}
                Record::Missing => self.missing = true,
                Record::Error(e) => self.error = Some(e),
            }
        }
        if check.is_some() {
            self.tmux = check;
        }
    }

    /// A status file sent on its own or as a difference: held (and kept as a base)
    /// when it applies; otherwise the file keeps what navi held and a resend is due.
    fn apply_framed(&mut self, r: Record) {
        let (name, seq, bytes) = match r {
            Record::Sent { name, seq, bytes } => (name, seq, bytes),
            Record::Diff {
                name,
                seq,
                base,
                len,
                lines,
            } => {
                let applied = match self.bases.held.get(&name) {
                    Some((held, bytes)) if *held == base => apply_lines(bytes, &lines, len),
                    _ => None,
                };
                let Some(bytes) = applied else {
                    self.bases.held.remove(&name);
                    self.bases.resend = true;
                    return;
                };
                (name, seq, bytes)
            }
            _ => return,
        };
        if let Some(entry) = FileEntry::read(&name, &bytes) {
            self.files.insert(name.clone(), entry);
            self.bases
                .held
                .insert(name, (seq, bytes.into_boxed_slice()));
        }
    }

    /// Whether the resync digest describes exactly the files held: every file navi
    /// read is listed with the same CRC and size, and every listed file is held
    /// (a file the remote skipped is not checked). The push driver judges the
    /// [`differences`](Self::differences) instead.
    #[cfg(test)]
    pub(crate) fn matches(&self, files: &[Sum], marks: &[Sum]) -> bool {
        self.differences(files, marks).is_empty()
    }

    /// What the digest says of each entry that differs from what navi holds, as the
    /// remote has it (`F name crc len`, `F name -` for a file navi holds that the
    /// remote did not list; `M …` for marks): two digests that name the same entry saw
    /// the same bytes on the remote both times.
    pub(crate) fn differences(&self, files: &[Sum], marks: &[Sum]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let held_files = self.files.iter().map(|(name, e)| match e {
            FileEntry::Read { crc, len, .. } => (name.as_str(), Some((*crc, *len))),
            FileEntry::Skipped(_) => (name.as_str(), None),
        });
        note_differences("F", held_files, files, &mut out);
        let held_marks = (self.marks.iter()).map(|(name, e)| (name.as_str(), Some((e.crc, e.len))));
        note_differences("M", held_marks, marks, &mut out);
        out
    }

    /// The poll report of this state, its rows named after `remote` and their liveness
    /// decided; `dir` names files in skipped entries. A row is copied only when it
    /// changed since the last report (see [`FileEntry::Read`]).
    pub(crate) fn report(&mut self, dir: &str, remote: &str) -> Result<PollReport, SourceError> {
        if let Some(e) = &self.error {
            return Err(SourceError::Remote(format!("{e} ({})", clean(dir)).into()));
        }
        // Sized at once: a parsed session is ~0.9 KiB inline, and growing the vector
        // one doubling at a time copied them again and again on every report.
        let mut report = PollReport {
            sessions: Vec::with_capacity(self.files.len()),
            tmux: self.tmux.clone(),
            ..PollReport::default()
        };
        if self.missing {
            report.note = Some(super::decode::missing_dir(dir));
        }
        for (name, entry) in &self.files {
            match entry {
                FileEntry::Read { row, file_rss, .. } => match row {
                    Ok(s) => report.sessions.push(self.start_row(s, *file_rss, remote)),
                    Err(why) => report.skipped.push(SkippedFile {
                        name: file_label(dir, name),
                        reason: why.clone(),
                    }),
                },
                FileEntry::Skipped(why) => report.skipped.push(SkippedFile {
                    name: file_label(dir, name),
                    reason: why.clone(),
                }),
            }
        }
        let mut marks = HashMap::new();
        for (name, entry) in &self.marks {
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            match &entry.parsed {
                Ok(m) => {
                    marks.insert(stem.to_string(), m.clone());
                }
                Err(why) => report.skipped.push(SkippedFile {
                    name: file_label(dir, &format!("{MARKS_DIR}/{name}")),
                    reason: clean(why),
                }),
            }
        }
        report.attach_marks(&marks);
        self.memory.attach(&mut report.sessions);
        complete_view(&mut report);
        report.decide_liveness();
        // The rows as made: where the next report starts (same order as above).
        let mut rows = report.sessions.iter();
        for entry in self.files.values_mut() {
            if let FileEntry::Read { row: Ok(row), .. } = entry {
                if let Some(made) = rows.next() {
                    *row = made.clone();
                }
            }
        }
        Ok(report)
    }

    /// Where a report's row of a status file starts: the row last made of it, named
    /// after `remote`, without the memory or liveness the report will not set again (a
    /// sample taken back, no tmux check): as if made from the parse.
    fn start_row(
        &self,
        row: &Arc<SessionInfo>,
        file_rss: navi_core::FileRss,
        remote: &str,
    ) -> Arc<SessionInfo> {
        let mut row = row.clone();
        if row.memory.is_some() && self.memory.get(&row).is_none() {
            Arc::make_mut(&mut row).unset_memory(file_rss);
        }
        if self.tmux.is_none() && row.liveness != navi_core::Liveness::default() {
            Arc::make_mut(&mut row).liveness = navi_core::Liveness::default();
        }
        if row.remote.as_deref() != Some(remote) {
            Arc::make_mut(&mut row).remote = Some(remote.to_string());
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::super::push_tests::status_json;
    use super::*;

    fn file(name: &str, status: &str) -> Record {
        let body = status_json(name.trim_end_matches(".json"), status);
        Record::File(name.into(), body.into_bytes())
    }

    /// A batch is a change exactly when what it names differs from what is held: the
    /// same bytes again, or a removal of a file not held, change nothing.
    #[test]
    fn a_batch_changes_the_state_only_when_what_it_names_differs() {
        let mut state = PushState::from_full(vec![file("a.json", "idle"), file("b.json", "done")]);
        assert!(
            !state.apply_delta(vec![file("a.json", "idle")]),
            "same bytes"
        );
        assert!(
            state.apply_delta(vec![file("a.json", "working")]),
            "new bytes"
        );
        assert!(
            !state.apply_delta(vec![Record::Gone("c.json".into())]),
            "not held"
        );
        assert!(
            state.apply_delta(vec![Record::Gone("b.json".into())]),
            "removed"
        );
        let skip = || Record::Skip("big.json".into(), "over the cap".into());
        assert!(state.apply_delta(vec![skip()]), "a new skipped file");
        assert!(
            !state.apply_delta(vec![skip()]),
            "skipped again, same reason"
        );
        assert!(state.apply_delta(vec![Record::Marks("a.json".into(), b"{}".to_vec())]));
        assert!(!state.apply_delta(vec![Record::Marks("a.json".into(), b"{}".to_vec())]));
        assert!(
            state.apply_delta(vec![Record::Missing]),
            "the directory went"
        );
        assert!(!state.apply_delta(vec![Record::Missing]), "still missing");
        assert!(
            state.apply_delta(Vec::new()),
            "back: a batch without `Missing`"
        );
        let sessions = state.report("~/.navi", "r").unwrap().sessions;
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].status.as_str(), "working");
    }

    /// A report hands over the rows it made last time as the same allocations, unless
    /// their file, marks, memory or liveness changed: a busy remote's report copies
    /// the one row that changed, not all of them.
    #[test]
    fn a_report_copies_only_the_rows_that_changed() {
        use navi_core::statusdir::liveness::{ListedSession, ServerAnswer, TmuxServer};
        use navi_core::Liveness;
        let listing = |names: &[&str]| {
            let sessions = (names.iter().enumerate())
                .map(|(i, n)| ListedSession {
                    id: format!("${i}"),
                    name: n.to_string(),
                })
                .collect();
            Record::Tmux(
                TmuxServer::Default,
                ServerAnswer::Sessions {
                    pid: Some(42),
                    sessions,
                },
            )
        };
        let mut state = PushState::from_full(vec![
            file("a.json", "idle"),
            file("b.json", "done"),
            listing(&["a", "b"]),
        ]);
        let first = state.report("/d", "r").unwrap().sessions;
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|s| s.remote.as_deref() == Some("r")));
        assert!(first.iter().all(|s| s.liveness == Liveness::Live));
        let same = |a: &[Arc<SessionInfo>], b: &[Arc<SessionInfo>]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| Arc::ptr_eq(a, b))
                .collect::<Vec<_>>()
        };
        let again = state.report("/d", "r").unwrap().sessions;
        assert_eq!(same(&first, &again), [true, true], "nothing changed");

        assert!(state.apply_delta(vec![file("a.json", "working")]));
        let after = state.report("/d", "r").unwrap().sessions;
        assert_eq!(same(&again, &after), [false, true], "a's file changed");
        assert_eq!(after[0].status.as_str(), "working");
        assert_eq!(after[0].remote.as_deref(), Some("r"));

        let marks = br#"{"bookmarked":true,"tags":[],"changed_at":1,"host":"h"}"#;
        assert!(state.apply_delta(vec![Record::Marks("b.json".into(), marks.to_vec())]));
        let marked = state.report("/d", "r").unwrap().sessions;
        assert_eq!(same(&after, &marked), [true, false], "b's marks came");
        assert!(marked[1].marks.bookmarked);
        assert!(state.apply_delta(vec![Record::MarksGone("b.json".into())]));
        let unmarked = state.report("/d", "r").unwrap().sessions;
        assert!(!unmarked[1].marks.bookmarked, "b's marks went");

        let place = |n: &str| (TmuxServer::Default, n.to_string());
        let memory = |bytes| Record::Memory(vec![(place("a").0, "a".into(), bytes)]);
        assert!(state.apply_delta(vec![memory(Some(5 << 20))]));
        let sampled = state.report("/d", "r").unwrap().sessions;
        assert_eq!(same(&unmarked, &sampled), [false, true], "a's memory came");
        assert_eq!(sampled[0].rss_bytes(), Some(5 << 20));
        assert!(state.apply_delta(vec![memory(None)]));
        let gone = state.report("/d", "r").unwrap().sessions;
        assert_eq!(
            gone[0].memory, None,
            "a's memory went: the row starts again"
        );
        assert_eq!(*gone[0], *after[0], "as its file says");

        assert!(state.apply_delta(vec![listing(&["b"])]));
        let ended = state.report("/d", "r").unwrap().sessions;
        assert_eq!(same(&gone, &ended), [false, true], "a's session ended");
        assert_eq!(ended[0].liveness, Liveness::Ended);
    }
}
