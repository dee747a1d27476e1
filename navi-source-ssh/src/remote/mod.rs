//! What runs on the remote, and how its answer is read.
//!
//! # The snapshot script
//!
//! One poll is one *snapshot*: a small POSIX `sh` fragment lists `<sessions_dir>/*.json`
//! and writes every regular file, capped at
//! [`MAX_STATUS_FILE_BYTES`](navi_core::MAX_STATUS_FILE_BYTES)` + 1` bytes (one past the
//! cap, so an oversize file is detected and reported as skipped), as a framed record.
//! One `wc -c` and one `awk` frame the whole directory, so a poll costs a fixed handful
//! of processes however many files there are (see [`script`]). Records are delimited by
//! a per-poll random *nonce* the remote cannot guess in advance, so no file content can
//! forge a boundary:
//!
//! ```text
//! \nNAVI-<nonce> BEGIN\n
//! \nNAVI-<nonce> F <file name>\n<file bytes>
//! \nNAVI-<nonce> S <file name>\n<why it was skipped>
//! \nNAVI-<nonce> M <session>.json\n<its marks file's bytes>
//! \nNAVI-<nonce> T <server>\n<what tmux list-sessions -F LIST_FORMAT printed>
//! \nNAVI-<nonce> U <server>\n<why that server could not answer>
//! \nNAVI-<nonce> E\n<error message>
//! \nNAVI-<nonce> END\n
//! ```
//!
//! The `T`/`U` records are the tmux check: one per server asked, the default server
//! (`<server>` is `-`: plain `tmux`, as the remote's non-interactive environment reaches
//! it) and every server the status files record in `tmux.socket` (`<server>` is its
//! socket path), each asked with `tmux -S` (see `tmux_records` in
//! `src/scripts/snapshot_lib.sh`). `T` carries the listing, `U` the first line of what
//! tmux said instead (or that tmux is not on `PATH`); [`decode`] turns them into the
//! report's
//! [`TmuxView`](navi_core::statusdir::liveness::TmuxView), from which core decides each
//! row's liveness.
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
//! `sessions_dir` reaches the script only as an operand: `~` and `~/x` are expanded
//! there to the remote user's home ([`set_home_path`](crate::shell::set_home_path)),
//! anything else is taken as it is.
//!
//! [`script`] writes the scripts, [`decode`] reads their answer.

mod decode;
mod push_decode;
mod push_script;
mod push_state;
mod script;

#[cfg(test)]
mod decode_tests;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod push_decode_tests;
#[cfg(test)]
mod push_hold_tests;
#[cfg(test)]
mod push_tests;
#[cfg(test)]
mod script_tests;
#[cfg(test)]
mod tmux_events_tests;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use decode::{decode_snapshot, end_marker, ends_snapshot, records};
pub(crate) use push_decode::{cksum, Batch, BatchReader};
pub(crate) use push_script::push_command;
pub(crate) use push_state::PushState;
#[cfg(test)]
use script::snapshot_script;
pub(crate) use script::{exec_command, loop_command};

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

/// Quotes `s` as one word for a POSIX shell.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
