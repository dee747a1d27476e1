//! Installing an executable on a remote so that no interrupted or failed copy ever
//! leaves a file at its final path: what `navi remotes setup` copies navi with.
//!
//! The bytes are streamed into a hidden temp file beside the target,
//! `.navi.tmp.<pid of the remote shell>`. Only when the temp file has exactly the size
//! sent and the digest navi computed here, and it runs (`--version`), is it renamed over
//! the target. A copy cut short (navi killed, the connection lost: the remote `cat`
//! then sees an early end of input and succeeds) fails the size check; a corrupted one
//! fails the digest. The temp file goes with the script (a trap); one left by a script
//! that was killed outright is removed by the next copy once its writer's pid is gone.
//!
//! The digest is SHA-256 through the first of `sha256sum`, `shasum -a 256` and
//! `openssl dgst -sha256` the remote has, else POSIX `cksum` (CRC-32 and size). A
//! remote with none of them gets no file and an error that says so.
//!
//! Every write is checked where it happens: `cat` stops at the first failed write (disk
//! full, read-only), the script exits with `cat`'s words on stderr, and navi stops
//! sending when the channel ends (see `pool/run.rs`), so the remote's own error comes
//! back at once.

use sha2::{Digest as _, Sha256};

use crate::remote::cksum;
use crate::shell::{set_home_path, RemoteCommand};

/// The install script. Operands: `$1` the directory (`~` meaning the remote's home),
/// `$2` the file name, `$3` the size, `$4` the SHA-256 (hex), `$5` the `cksum` line
/// (`CRC SIZE`). stdin: the bytes. Prints `installed=PATH` and `verified=TOOL`.
const INSTALL: &str = include_str!("scripts/install.sh");

/// The SHA-256 of `bytes` in lowercase hex, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The command installing `bytes` as `dir/name` on the remote (`dir` may start with
/// `~/`, the remote's home); write `bytes` to its stdin. See the module docs.
pub fn install_command(dir: &str, name: &str, bytes: &[u8]) -> RemoteCommand {
    let sha = sha256_hex(bytes);
    let crc = format!("{} {}", cksum(bytes), bytes.len());
    RemoteCommand::new(&format!("{}\n{INSTALL}", set_home_path("d", 1)))
        .arg(dir)
        .arg(name)
        .arg(bytes.len().to_string())
        .arg(sha)
        .arg(crc)
}

/// What an install printed: the installed path and the tool that checked the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The file's path on the remote.
    pub path: String,
    /// The tool that checked the copy (`sha256sum`, ..., `cksum`).
    pub verified_with: String,
}

impl Installed {
    /// Reads an install's stdout (lines a login shell printed before are ignored).
    pub fn parse(stdout: &[u8]) -> Option<Installed> {
        let text = String::from_utf8_lossy(stdout);
        let field = |k: &str| {
            text.lines()
                .rev()
                .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
                .map(str::to_string)
        };
        Some(Installed {
            path: field("installed").filter(|p| !p.is_empty())?,
            verified_with: field("verified").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests;
