//! Writing a remote session's marks: a compare-and-swap over the pooled connection.
//!
//! The remote has no JSON parser, so the operation is applied here: one command reads
//! `.navi/marks/<name>.json`, the operations are applied to what it printed, and a
//! second command replaces the file with the result only if the file still holds exactly
//! what was read. That check and the rename run under the session's marks lock
//! (`flock` on `.navi/marks/.<name>.lock`, the lock a local `navi mark` on that machine
//! takes too) when the `flock` utility exists there. A write that finds the file
//! changed exits [`EXIT_CONFLICT`] and is retried from a fresh read, so no other
//! writer's operation is ever overwritten (see [`navi_core::Marks`]).

use std::time::Duration;

use navi_core::{
    check_ops, describe_marks, now_seconds, this_host, ActionOutput, MarkOp, Marks, SourceError,
    MAX_MARKS_FILE_BYTES,
};

use crate::pool::Pool;
use crate::shell::{summarize_remote_output, RemoteCommand};

/// The write found the file changed since it was read: read again.
const EXIT_CONFLICT: u32 = 4;
/// Compare-and-swap attempts before giving up.
const ATTEMPTS: u32 = 12;
const TIMEOUT: Duration = Duration::from_secs(20);

/// Sets `$d` to the status directory (`$1`, `~` meaning the remote user's home), `$m`
/// to its marks directory and `$f` to the marks file of `$2`.
fn marks_file() -> String {
    format!(
        "{}\nm=$d/.navi/marks; f=$m/$2.json",
        crate::shell::set_home_path("d", 1)
    )
}

/// Prints `x` and the file when there is one, nothing when there is none.
const READ: &str = r#"[ -f "$f" ] || exit 0
printf x; exec head -c "$3" < "$f""#;

/// `$3`: `1` the file must still hold exactly `$4`, `0` there must still be none, `2`
/// it was over the cap or held a NUL (replaced whatever it holds: only such a broken
/// file is written without the comparison). stdin: the new content, empty to remove the file.
const SWAP: &str = r#"mkdir -p -- "$m" || exit 3
swap() {
  case $3 in
    1) [ -f "$f" ] && [ "$(cat -- "$f"; printf x)" = "${4}x" ] || exit 4;;
    0) if [ -e "$f" ]; then exit 4; fi;;
  esac
  t=$m/.tmp.$2.$$
  cat > "$t" || { rm -f -- "$t"; exit 3; }
  if [ -s "$t" ]; then mv -f -- "$t" "$f"; else rm -f -- "$t" "$f"; fi
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$m/.$2.lock" && flock 9 && swap "$@"
else
  swap "$@"
fi"#;

/// Applies `ops` to `session`'s marks on the remote (see the module docs).
pub(crate) async fn apply(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    session: &str,
    ops: &[MarkOp],
) -> Result<ActionOutput, SourceError> {
    check_ops(session, ops).map_err(|e| SourceError::Config(e.into()))?;
    let what = format!("mark {session} on {remote}");
    let host = this_host();
    for attempt in 0..ATTEMPTS {
        let old = read(pool, sessions_dir, session, &what).await?;
        // Compared byte for byte when the shell can hold it (no NUL, within the cap);
        // an unreadable file counts as no marks (`Marks::apply_to_file`).
        let comparable = old
            .as_deref()
            .map(|b| b.len() as u64 <= MAX_MARKS_FILE_BYTES && !b.contains(&0));
        let new = Marks::apply_to_file(old.as_deref(), ops, now_seconds(), &host);
        let (mode, expected) = match comparable {
            None => ("0", Vec::new()),
            Some(true) => ("1", old.unwrap_or_default()),
            Some(false) => ("2", Vec::new()),
        };
        let cmd = RemoteCommand::new(&format!("{}\n{SWAP}", marks_file()))
            .arg(sessions_dir)
            .arg(session)
            .arg(mode)
            .arg(expected);
        let stdin = new.clone().unwrap_or_default();
        let out = pool.run(&cmd, &stdin, TIMEOUT, 4096).await?;
        match out.status {
            Some(0) => {
                let marks = new.and_then(|b| Marks::parse(&b).ok()).unwrap_or_default();
                let done = describe_marks(session, &marks);
                return Ok(ActionOutput::Done(format!("{done} on {remote}")));
            }
            Some(EXIT_CONFLICT) => {
                let pause = 10 + (crate::remote::random_u64() % 40) * u64::from(attempt + 1);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            _ => return Err(failed(&what, &out.stderr, out.status)),
        }
    }
    Err(SourceError::Remote(
        format!("cannot {what}: the marks file kept changing ({ATTEMPTS} attempts)").into(),
    ))
}

/// The marks file's bytes (up to one past the cap), `None` when there is none.
async fn read(
    pool: &Pool,
    sessions_dir: &str,
    session: &str,
    what: &str,
) -> Result<Option<Vec<u8>>, SourceError> {
    let cmd = RemoteCommand::new(&format!("{}\n{READ}", marks_file()))
        .arg(sessions_dir)
        .arg(session)
        .arg((MAX_MARKS_FILE_BYTES + 1).to_string());
    let max = usize::try_from(MAX_MARKS_FILE_BYTES).unwrap_or(usize::MAX) + 2;
    let out = pool.run(&cmd, b"", TIMEOUT, max).await?;
    if !out.success() {
        return Err(failed(what, &out.stderr, out.status));
    }
    Ok(out.stdout.strip_prefix(b"x").map(<[u8]>::to_vec))
}

fn failed(what: &str, stderr: &[u8], status: Option<u32>) -> SourceError {
    let said = summarize_remote_output(stderr, 300);
    let said = match said.is_empty() {
        true => format!(
            "exit status {}",
            status.map_or("none".into(), |s| s.to_string())
        ),
        false => said,
    };
    SourceError::Remote(format!("cannot {what}: {said}").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Runs the swap script through a local `sh` as the remote would; its exit status.
    fn swap(dir: &std::path::Path, mode: &str, expected: &[u8], new: &[u8]) -> Option<i32> {
        let cmd = RemoteCommand::new(&format!("{}\n{SWAP}", marks_file()))
            .arg(dir.to_str().unwrap())
            .arg("a b")
            .arg(mode)
            .arg(expected);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd.to_command_line().unwrap())
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(new).unwrap();
        child.wait().unwrap().code()
    }

    #[test]
    fn the_swap_writes_only_over_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".navi/marks/a b.json");
        assert_eq!(swap(dir.path(), "0", b"", b"one\n"), Some(0));
        assert_eq!(std::fs::read(&file).unwrap(), b"one\n");
        // Someone wrote since: "there was none" and a stale content both conflict.
        assert_eq!(swap(dir.path(), "0", b"", b"two\n"), Some(4));
        assert_eq!(swap(dir.path(), "1", b"one", b"two\n"), Some(4));
        assert_eq!(std::fs::read(&file).unwrap(), b"one\n");
        assert_eq!(swap(dir.path(), "1", b"one\n", b"two\n"), Some(0));
        assert_eq!(std::fs::read(&file).unwrap(), b"two\n");
        // Empty new content removes the file; a broken file is replaced unconditionally.
        assert_eq!(swap(dir.path(), "1", b"two\n", b""), Some(0));
        assert!(!file.exists());
        std::fs::write(&file, "x").unwrap();
        assert_eq!(swap(dir.path(), "2", b"", b"three\n"), Some(0));
        assert_eq!(std::fs::read(&file).unwrap(), b"three\n");
        let hidden: Vec<_> = std::fs::read_dir(dir.path().join(".navi/marks"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(hidden.is_empty(), "no temp file left: {hidden:?}");
    }
}
