//! What runs on the remote, and how its answer is read.
//!
//! # The snapshot script
//!
//! One poll is one *snapshot*: a small POSIX `sh` fragment lists `<sessions_dir>/*.json`
//! and writes every regular file, capped at [`MAX_STATUS_FILE_BYTES`]` + 1` bytes (one
//! past the cap, so an oversize file is detected and reported as skipped), as a framed
//! record. One `wc -c` and one `awk` frame the whole directory, so a poll costs a fixed
//! handful of processes however many files there are (see `snapshot_body`). Records are delimited by a per-poll random *nonce* the remote cannot guess in
//! advance, so no file content can forge a boundary:
//!
//! ```text
//! \nNAVI-<nonce> BEGIN\n
//! \nNAVI-<nonce> F <file name>\n<file bytes>
//! \nNAVI-<nonce> S <file name>\n<why it was skipped>
//! \nNAVI-<nonce> E\n<error message>
//! \nNAVI-<nonce> END\n
//! ```
//!
//! Anything before `BEGIN` (a noisy login shell) is ignored; output without `END` is
//! truncated and an error. stderr is sent to `/dev/null`, never mixed into the data;
//! `LC_ALL=C` keeps globbing and sorting byte-wise. A missing directory is zero
//! sessions; hidden files (the hooks' `.tmp.*`) never match `*.json`.
//!
//! The same fragment runs in two shapes (see `crate::pool` for when each is used):
//!
//! * [`loop_command`]: a long-lived `while IFS= read -r n; do <snapshot n>; done`. Each
//!   poll writes one line (the nonce) to its stdin and reads one framed snapshot back.
//!   sshd's per-channel session setup (~85 ms on a small box) is paid once, not per poll.
//! * [`exec_command`]: one snapshot per exec channel, the fallback.
//!
//! `sessions_dir` reaches the script only quoted: `~` and `~/x` become `"$HOME"` and
//! `"$HOME"/'x'` (the remote shell expands `~` to the remote user's home), anything else
//! is single-quoted as one word.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use navi_core::{PollReport, SessionInfo, SkippedFile, SourceError, MAX_STATUS_FILE_BYTES};

/// The most one poll may return before navi stops reading (16 MiB).
pub(crate) const MAX_POLL_OUTPUT: usize = 16 * 1024 * 1024;

/// A fresh 128-bit random nonce, 32 lowercase hex digits.
pub(crate) fn new_nonce() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

/// std-only randomness: every `RandomState` is freshly keyed.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// `sessions_dir` as a shell word: `~` → `"$HOME"`, `~/x` → `"$HOME"/'x'`, anything
/// else single-quoted. Never lets the configured path run as shell.
pub(crate) fn quote_sessions_dir(dir: &str) -> String {
    if dir == "~" {
        "\"$HOME\"".to_string()
    } else if let Some(rest) = dir.strip_prefix("~/") {
        format!("\"$HOME\"/{}", shell_quote(rest))
    } else {
        shell_quote(dir)
    }
}

/// The awk program that frames every listed file: ONE process for the whole directory.
///
/// Its operands are the file names (`./name`, so none is taken for a `var=value`
/// assignment; they are moved out of `ARGV` in `BEGIN` and opened only with `getline <`,
/// which never aborts awk on a missing file). Its stdin is `wc -c` of the same names:
/// `<size> <name>` lines, the size of each file when it was listed.
///
/// For each file: over the cap by its listed size → an `S` record, never read. Otherwise
/// it is copied out line by line as it is read (only the current line is held), and the
/// copy stops one byte past the cap, so a file that grew since it was listed arrives as
/// `cap + 1` bytes and the decoder rejects it as oversize. awk cannot see whether the
/// last line ended in a newline; the listed size can (`size == bytes without it`), so an
/// unchanged file arrives byte for byte (a changed one, or one `wc` did not list, gets a
/// final newline: JSON does not mind). A file that cannot be opened any more is an `S`
/// record; an empty one is an empty `F` record. `LC_ALL=C` makes `length` count bytes.
///
/// POSIX awk only, checked with mawk, gawk, busybox awk and BWK awk (busybox turns a NUL
/// into a newline: that file's own loss). One line, no single quote and no `\\`.
///
/// One limit: a file that grows *past the cap in one line* after `wc` listed it is held
/// in awk's memory whole (a line cannot be read in part in POSIX awk) before it is cut;
/// `head -c` never read more than the cap. Status files are rewritten by rename, so this
/// needs a writer racing the poll.
fn awk_program() -> String {
    let cap = MAX_STATUS_FILE_BYTES;
    [
        "BEGIN { c = ARGC - 1; for (i = 1; i <= c; i++) L[i] = ARGV[i]; ARGC = 1 }",
        // A wc line: optional padding, the size, one space, the name as given.
        "{ s = $0; sub(/^[ \\t]+/, \"\", s); p = index(s, \" \"); \
           if (p > 1) Z[substr(s, p + 1)] = substr(s, 1, p - 1) + 0 }",
        "END { for (i = 1; i <= c; i++) one(L[i]) }",
        // b: name, z: listed size (-1: unknown), o: bytes sent, q: a newline is owed.
        "function one(f, b, z, r, x, o, q, h) { \
           b = substr(f, 3); z = -1; if (f in Z) z = Z[f]; \
           if (z > CAP) { printf \"\\nNAVI-%s S %s\\nfile is over the CAP-byte limit\", n, b; return }; \
           o = 0; q = 0; h = 0; \
           while ((r = (getline x < f)) > 0) { \
             if (h == 0) { printf \"\\nNAVI-%s F %s\\n\", n, b; h = 1 } \
             if (q) { printf \"\\n\"; o++ } \
             if (o + length(x) > CAP) { printf \"%s\", substr(x, 1, CAP + 1 - o); q = 0; break } \
             printf \"%s\", x; o += length(x); q = 1 \
           } \
           close(f); \
           if (h) { if (q && z != o) printf \"\\n\"; return }; \
           if (r < 0) printf \"\\nNAVI-%s S %s\\nfile could not be read (it vanished or its permissions changed)\", n, b; \
           else printf \"\\nNAVI-%s F %s\\n\", n, b \
         }",
    ]
    .join("; ")
    .replace("CAP", &cap.to_string())
}

/// The body that writes one framed snapshot for nonce `$n` of directory `$D`.
///
/// The shell lists the directory with builtins only (glob, `[`, `case`, `printf`), then
/// ONE `wc -c` and ONE awk ([`awk_program`]) frame every readable file: a poll costs the
/// same few processes for 1 file or 400 (it used to be one `head` per file). Where awk
/// is missing or not POSIX (`$W` empty, see [`prelude`]) each file goes through
/// `head -c cap+1` as before.
///
/// The directory is entered with `cd` (inside the pipeline's subshell, so it never
/// leaks into the loop) and files are named `./name`: no option-like or `var=value`
/// operand, and `wc` prints every name back unquoted (names with a newline are never
/// listed: they could not be framed; they cost only themselves). With no file at all
/// the glob stays literal and `[ -f ]` drops it.
///
/// Listing is linear in the number of files: the glob becomes the operands at once and
/// is only checked. Only when some entry must be left out (not a regular readable file,
/// a newline in its name) is the list rebuilt, as one newline-separated string split
/// once with globbing off. Appending with `set -- "$@" "$f"` per file re-expands the
/// whole list every time: 2,000 files cost 0.3 s in dash and 0.9 s in bash per poll.
///
/// Written for dash/busybox/bash alike; no backslash outside double quotes, so the
/// whole command also survives a non-POSIX login shell (fish, csh) that only passes it
/// to `sh -c`.
fn snapshot_body() -> String {
    let cap = MAX_STATUS_FILE_BYTES + 1;
    [
        "printf \"\\nNAVI-%s BEGIN\\n\" \"$n\"",
        "if [ -d \"$D\" ]; then \
           if [ -r \"$D\" ] && [ -x \"$D\" ]; then \
             if cd \"$D\"; then \
               set -- ./*.json; k=; \
               for f do \
                 if [ -f \"$f\" ]; then \
                   case $f in *\"$NL\"*) k=1; continue;; esac; \
                   [ -r \"$f\" ] && continue; \
                   printf \"\\nNAVI-%s S %s\\nnot readable by the remote user\" \"$n\" \"${f#./}\"; \
                 elif [ -e \"$f\" ] || [ -h \"$f\" ]; then \
                   case $f in *\"$NL\"*) ;; *) printf \"\\nNAVI-%s S %s\\nnot a regular file (a directory, FIFO, device or broken symlink); status files are plain files, remove or rename it\" \"$n\" \"${f#./}\";; esac; \
                 fi; \
                 k=1; \
               done; \
               if [ -n \"$k\" ]; then \
                 L=; \
                 for f do \
                   [ -f \"$f\" ] && [ -r \"$f\" ] || continue; \
                   case $f in *\"$NL\"*) continue;; esac; \
                   L=\"$L$NL$f\"; \
                 done; \
                 set -f; IFS=$NL; set -- $L; set +f; unset IFS; \
               fi; \
               if [ $# -gt 0 ]; then \
                 if [ -n \"$W\" ]; then \
                   wc -c -- \"$@\" | awk -v n=\"$n\" \"$A\" \"$@\" || \
                     printf \"\\nNAVI-%s E\\nawk failed while reading the status files (exit status %s)\" \"$n\" \"$?\"; \
                 else \
                   for f do \
                     printf \"\\nNAVI-%s F %s\\n\" \"$n\" \"${f#./}\"; \
                     head -c CAP < \"$f\"; \
                   done; \
                 fi; \
               fi; \
             fi; \
           else \
             printf \"\\nNAVI-%s E\\nthe status directory is not readable by the remote user\" \"$n\"; \
           fi; \
         elif [ -e \"$D\" ]; then \
           printf \"\\nNAVI-%s E\\nthe status directory path is not a directory\" \"$n\"; \
         fi",
        "printf \"\\nNAVI-%s END\\n\" \"$n\"",
    ]
    .join("; ")
    .replace("CAP", &cap.to_string())
}

/// Setup shared by both shapes: stderr away, C locale, the directory (absolute or
/// `./`-relative, so `cd` never consults `CDPATH` nor takes it for an option), a
/// newline, the awk program `$A` and whether this awk runs it (`$W`: a real compile and
/// run, once per channel), and the buffer the snapshot goes through (see [`buffered`]).
fn prelude(sessions_dir: &str) -> String {
    format!(
        "exec 2>/dev/null; LC_ALL=C; export LC_ALL; D={}; case $D in /*) ;; *) D=./$D;; esac; \
         NL=$(printf \"\\n_\"); NL=${{NL%_}}; A={}; \
         W=; [ \"$(echo | awk -v n=ok \"$A; BEGIN {{ printf n }}\")\" = ok ] && W=1; \
         B=cat; [ \"$(printf x | dd obs={MAX_POLL_OUTPUT} 2>/dev/null)\" = x ] && B=\"dd obs={MAX_POLL_OUTPUT}\"",
        quote_sessions_dir(sessions_dir),
        shell_quote(&awk_program()),
    )
}

/// The snapshot body piped through `$B`: `dd obs=N` gathers the whole snapshot and
/// writes it at once, so sshd sends it in as few packets as possible. Written piecemeal
/// (one write per `printf`/awk flush), the answer trickles out in small TCP segments, and
/// through a jump host Nagle's algorithm plus delayed ACKs on the bastion's hop cost
/// ~40 ms per poll (measured: 44 ms → 9 ms). `cat` where `dd` is missing.
fn buffered() -> String {
    format!("{{ {}; }} | $B", snapshot_body())
}

/// The script of the long-lived channel: one snapshot per nonce line read from stdin.
pub(crate) fn loop_script(sessions_dir: &str) -> String {
    format!(
        "{}; while IFS= read -r n; do case $n in ''|*[!0-9a-f]*) continue;; esac; {}; done",
        prelude(sessions_dir),
        buffered()
    )
}

/// The script of one snapshot with a fixed nonce.
pub(crate) fn snapshot_script(sessions_dir: &str, nonce: &str) -> String {
    format!(
        "{}; n={}; {}",
        prelude(sessions_dir),
        shell_quote(nonce),
        buffered()
    )
}

/// The exec string of the long-lived channel (`sh -c '<loop script>'`), whatever the
/// remote user's login shell is.
pub(crate) fn loop_command(sessions_dir: &str) -> String {
    format!("exec sh -c {}", shell_quote(&loop_script(sessions_dir)))
}

/// The exec string of one snapshot.
pub(crate) fn exec_command(sessions_dir: &str, nonce: &str) -> String {
    format!(
        "exec sh -c {}",
        shell_quote(&snapshot_script(sessions_dir, nonce))
    )
}

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
    let sep = format!("\nNAVI-{nonce} ").into_bytes();
    let marks = find_all(out, &sep);
    let mut report = PollReport::default();
    let mut begun = false;
    for (i, &at) in marks.iter().enumerate() {
        let line_start = at + sep.len();
        let next = marks.get(i + 1).copied().unwrap_or(out.len());
        let region = &out[line_start..next];
        let (line, body) = match region.iter().position(|&b| b == b'\n') {
            Some(nl) => (&region[..nl], &region[nl + 1..]),
            None => (region, &region[region.len()..]),
        };
        let line = String::from_utf8_lossy(line);
        let (kind, arg) = match line.split_once(' ') {
            Some((k, a)) => (k, a),
            None => (line.as_ref(), ""),
        };
        match (begun, kind) {
            (false, "BEGIN") => begun = true,
            (false, _) => {}
            (true, "F") => decode_file(arg, body, dir, &mut report),
            (true, "S") => report.skipped.push(SkippedFile {
                name: file_label(dir, arg),
                reason: clean(&String::from_utf8_lossy(body)),
            }),
            (true, "E") => {
                return Err(SourceError::Remote(
                    format!("{} ({dir})", clean(&String::from_utf8_lossy(body))).into(),
                ))
            }
            (true, "END") => return Ok(report),
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

fn decode_file(name: &str, body: &[u8], dir: &str, report: &mut PollReport) {
    let Some(stem) = name.strip_suffix(".json") else {
        return;
    };
    if name.starts_with('.') {
        return;
    }
    let reason = if body.len() as u64 > MAX_STATUS_FILE_BYTES {
        format!("file is over the {MAX_STATUS_FILE_BYTES}-byte limit")
    } else if body.is_empty() {
        "file is empty (or vanished while being read)".to_string()
    } else {
        match SessionInfo::parse(body, Some(stem)) {
            Ok(s) => {
                report.sessions.push(s);
                return;
            }
            Err(e) => e.to_string(),
        }
    };
    report.skipped.push(SkippedFile {
        name: file_label(dir, name),
        reason: clean(&reason),
    });
}

fn file_label(dir: &str, name: &str) -> String {
    clean(&format!("{}/{}", dir.trim_end_matches('/'), name))
}

fn clean(s: &str) -> String {
    navi_core::text::sanitize(s).into_owned()
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

/// Quotes `s` as one word for a POSIX shell.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
