//! Reading a framed snapshot: the records between `BEGIN` and `END` of this poll's
//! nonce; a file that cannot be read costs only itself.

use std::collections::HashMap;

use navi_core::statusdir::liveness::{
    parse_listing, unreachable_reason, ServerAnswer, TmuxServer, TmuxView,
};
use navi_core::{
    Marks, PollNote, PollReport, SessionInfo, SkippedFile, SourceError, MARKS_DIR,
    MAX_STATUS_FILE_BYTES,
};

use super::script::MAX_RECORDED_SERVERS;

/// The bytes that end a snapshot.
pub(crate) fn end_marker(nonce: &str) -> Vec<u8> {
    format!("\nNAVI-{nonce} END\n").into_bytes()
}

/// Reads one framed snapshot. `dir` names files in skipped entries.
///
/// Anything before `BEGIN` is ignored. A missing `BEGIN` or `END` (truncated output)
/// is [`SourceError::Remote`]; a file that cannot be read costs only itself.
pub(crate) fn decode_snapshot(
    out: &[u8],
    nonce: &str,
    dir: &str,
) -> Result<PollReport, SourceError> {
    let mut report = PollReport::default();
    let mut user_marks = HashMap::new();
    let mut tmux: Option<TmuxView> = None;
    let mut begun = false;
    for (kind, arg, body) in records(out, nonce) {
        let (kind, arg) = (kind.as_str(), arg.as_str());
        match (begun, kind) {
            (false, "BEGIN") => begun = true,
            (false, _) => {}
            (true, "F") => decode_file(arg, body, dir, &mut report),
            (true, "S") => report.skipped.push(SkippedFile {
                name: file_label(dir, arg),
                reason: clean(&String::from_utf8_lossy(body)),
            }),
            (true, "M") => decode_marks(arg, body, dir, &mut user_marks, &mut report),
            (true, "T" | "U") => {
                if let Some((server, answer)) = tmux_record(kind, arg, body) {
                    tmux.get_or_insert_with(TmuxView::default)
                        .servers
                        .insert(server, answer);
                }
            }
            (true, "N") => report.note = Some(missing_dir(dir)),
            (true, "E") => {
                return Err(SourceError::Remote(
                    format!("{} ({dir})", clean(&String::from_utf8_lossy(body))).into(),
                ))
            }
            (true, "END") => {
                report.attach_marks(&user_marks);
                report.tmux = tmux;
                complete_view(&mut report);
                return Ok(report);
            }
            (true, other) => {
                return Err(SourceError::Remote(
                    format!("unexpected record `{}` in the poll output", clean(other)).into(),
                ))
            }
        }
    }
    Err(SourceError::Remote(
        if begun {
            "the poll output was cut off before its end marker (truncated)".to_string()
        } else {
            // What the remote printed instead (a `nologin` shell's notice, a forced command's
            // banner) is the best clue, so show its start.
            let said = clean(String::from_utf8_lossy(&out[..out.len().min(200)]).trim());
            if said.is_empty() {
                "the poll output has no start marker: is `sh` available on the remote?".to_string()
            } else {
                format!(
                    "the poll output has no start marker; the remote printed \"{said}\" \
                 (a login shell that is not a shell, e.g. nologin, or a forced command?)"
                )
            }
        }
        .into(),
    ))
}

/// One record of the tmux check (`T <server>` answered with a listing, `U <server>` could
/// not answer; see [`super::script`]): the server and its answer. `None` for a record
/// that names no server navi would ask (the default one is `-`, a recorded one an
/// absolute socket path), which is ignored.
pub(crate) fn tmux_record(
    kind: &str,
    arg: &str,
    body: &[u8],
) -> Option<(TmuxServer, ServerAnswer)> {
    let server = match arg {
        "-" => TmuxServer::Default,
        path if path.starts_with('/') => TmuxServer::Socket(path.to_string()),
        _ => return None,
    };
    let said = String::from_utf8_lossy(body);
    let answer = match kind {
        "T" => parse_listing(&said),
        "U" => ServerAnswer::Unreachable(unreachable_reason(&server, &said)),
        _ => return None,
    };
    Some((server, answer))
}

/// Gives every server a row names an answer: one the remote did not ask is unknown with
/// the reason (it asks at most [`MAX_RECORDED_SERVERS`] recorded servers, and none whose
/// socket path it cannot pass as it is), never "not asked" without one. Nothing when
/// tmux was not asked at all.
pub(crate) fn complete_view(report: &mut PollReport) {
    let Some(view) = report.tmux.as_mut() else {
        return;
    };
    for server in TmuxView::servers_to_ask(&report.sessions) {
        view.servers.entry(server).or_insert_with_key(|server| {
            let at = match server {
                TmuxServer::Default => "the default tmux server".to_string(),
                TmuxServer::Socket(s) => format!("the tmux server at {}", clean(s)),
            };
            ServerAnswer::Unreachable(format!(
                "{at} was not asked (navi asks at most {MAX_RECORDED_SERVERS} recorded tmux \
                 servers on a remote, and none whose socket path holds `\"`, `\\` or a \
                 control character)"
            ))
        });
    }
}

fn decode_file(name: &str, body: &[u8], dir: &str, report: &mut PollReport) {
    match parse_status(name, body) {
        None => {}
        Some(Ok(s)) => report.sessions.push(std::sync::Arc::new(s)),
        Some(Err(reason)) => report.skipped.push(SkippedFile {
            name: file_label(dir, name),
            reason,
        }),
    }
}

/// One status file's record: its session, or why it was skipped (sanitized); `None`
/// for a name that is not a status file (hidden, or not `*.json`).
pub(crate) fn parse_status(name: &str, body: &[u8]) -> Option<Result<SessionInfo, String>> {
    let stem = name.strip_suffix(".json")?;
    if name.starts_with('.') {
        return None;
    }
    let reason = if body.len() as u64 > MAX_STATUS_FILE_BYTES {
        format!("file is over the {MAX_STATUS_FILE_BYTES}-byte limit")
    } else if body.is_empty() {
        "file is empty (or vanished while being read)".to_string()
    } else {
        match SessionInfo::parse(body, Some(stem)) {
            Ok(s) => return Some(Ok(s)),
            Err(e) => e.to_string(),
        }
    };
    Some(Err(clean(&reason)))
}

/// The note of a status directory `dir` that does not exist (the remote is named by
/// the source).
pub(crate) fn missing_dir(dir: &str) -> PollNote {
    PollNote::MissingDir {
        dir: clean(dir),
        remote: None,
    }
}

/// One marks file (`M <name>.json`): a bad one is skipped, costing only its marks.
fn decode_marks(
    name: &str,
    body: &[u8],
    dir: &str,
    marks: &mut HashMap<String, Marks>,
    report: &mut PollReport,
) {
    let Some(stem) = name.strip_suffix(".json") else {
        return;
    };
    match Marks::parse(body) {
        Ok(m) => {
            marks.insert(stem.to_string(), m);
        }
        Err(reason) => report.skipped.push(SkippedFile {
            name: file_label(dir, &format!("{MARKS_DIR}/{name}")),
            reason: clean(&reason),
        }),
    }
}

pub(crate) fn file_label(dir: &str, name: &str) -> String {
    clean(&format!("{}/{}", dir.trim_end_matches('/'), name))
}

pub(crate) fn clean(s: &str) -> String {
    navi_core::text::sanitize(s).into_owned()
}

/// The records of `out` framed with `nonce`: `(kind, argument, body)` each, in order
/// (what comes before the first is not a record).
pub(crate) fn records<'a>(
    out: &'a [u8],
    nonce: &str,
) -> impl Iterator<Item = (String, String, &'a [u8])> + 'a {
    let sep = format!("\nNAVI-{nonce} ").into_bytes();
    let marks = find_all(out, &sep);
    (0..marks.len()).map(move |i| {
        let line_start = marks[i] + sep.len();
        let next = marks.get(i + 1).copied().unwrap_or(out.len());
        let region = &out[line_start..next];
        let (line, body) = match region.iter().position(|&b| b == b'\n') {
            Some(nl) => (&region[..nl], &region[nl + 1..]),
            None => (region, &region[region.len()..]),
        };
        let line = String::from_utf8_lossy(line);
        let (kind, arg) = match line.split_once(' ') {
            Some((k, a)) => (k.to_string(), a.to_string()),
            None => (line.into_owned(), String::new()),
        };
        (kind, arg, body)
    })
}

/// Every start index of `needle` in `hay` (non-overlapping).
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() || hay.len() < needle.len() {
        return out;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&b| b == first) {
            Some(off) => {
                let at = i + off;
                if at + needle.len() <= hay.len() && &hay[at..at + needle.len()] == needle {
                    out.push(at);
                    i = at + needle.len();
                } else {
                    i = at + 1;
                }
            }
            None => break,
        }
    }
    out
}

/// True when `buf` ends a snapshot; `from` is where new bytes started (only the tail is
/// searched).
pub(crate) fn ends_snapshot(buf: &[u8], from: usize, end: &[u8]) -> bool {
    let start = from.saturating_sub(end.len());
    buf.len() >= end.len() && buf[start..].windows(end.len()).any(|w| w == end)
}
