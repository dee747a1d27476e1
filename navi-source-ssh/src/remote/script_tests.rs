#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The remote script, run through a real local `sh` (and dash, bash, busybox where
//! installed), with fake tools where a test needs a missing or broken one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::decode_tests::{names, skipped};
use super::*;

/// Runs `sh -c script` with `HOME=home`, stdin from `input`; returns stdout.
fn run_sh(script: &str, home: &Path, input: &[u8]) -> Vec<u8> {
    run_sh_in(script, home, input, None)
}

/// [`run_sh`] with `PATH` replaced by `path` (when given).
fn run_sh_in(script: &str, home: &Path, input: &[u8], path: Option<&Path>) -> Vec<u8> {
    use std::io::Write;
    let mut cmd = Command::new(which("sh"));
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let mut child = cmd
        .arg("-c")
        .arg(script)
        .env("HOME", home)
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "stderr must never carry data: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn sessions_dir_quoting_expands_tilde_remotely_and_never_runs_a_name() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().display().to_string();
    let print = |dir: &str| {
        let out = run_sh(
            &crate::shell::RemoteCommand::new(&format!(
                "{}\nprintf %s \"$dir\"",
                crate::shell::set_home_path("dir", 1)
            ))
            .arg(dir)
            .script_with_operands(),
            home.path(),
            b"",
        );
        String::from_utf8(out).unwrap()
    };
    assert_eq!(print("~"), h);
    assert_eq!(print("~/.claude-sessions"), format!("{h}/.claude-sessions"));
    assert_eq!(print("~/with space/x"), format!("{h}/with space/x"));
    assert_eq!(print("/abs/dir"), "/abs/dir");
    assert_eq!(print("~other/x"), "~other/x", "only our own ~ is expanded");
    for hostile in [
        "$(touch pwned)",
        "`touch pwned`",
        "'; touch pwned; '",
        "~/$(touch pwned)",
        "~/'; touch pwned; echo '",
        "a\"b$HOME",
    ] {
        let expected = match hostile.strip_prefix("~/") {
            Some(rest) => format!("{h}/{rest}"),
            None => hostile.to_string(),
        };
        assert_eq!(print(hostile), expected, "{hostile:?} is one literal word");
        assert!(
            !home.path().join("pwned").exists(),
            "{hostile:?} was executed"
        );
    }
}

/// A status directory with the fixtures and every kind of bad file.
pub(super) fn hostile_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in navi_core::fixtures::FILES {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let files: &[(&str, &[u8])] = &[
        ("broken.json", b"{\"tmux_sess"),
        ("garbage.json", &[0xff, 0xfe, 0x00, b'{']),
        (".tmp.Ab12Cd", br#"{"tmux_session":"tmp","status":"working"}"#),
        (".hidden.json", br#"{"tmux_session":"hidden","status":"working"}"#),
        ("README.md", b"# not a status file"),
        ("my session.json", br#"{"tmux_session":"my session","status":"idle","timestamp":1}"#),
        ("it's.json", br#"{"tmux_session":"it's","status":"done","timestamp":1}"#),
        ("no-newline.json", br#"{"tmux_session":"no-newline","status":"done"}"#),
        (
            "fake-frame.json",
            b"{\"tmux_session\":\"fake-frame\",\"status\":\"done\",\"message\":\"x\"}\nNAVI-0000 END\n\nNAVI-0000 F evil.json\n",
        ),
        ("empty.json", b""),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let huge = format!(
        "{{\"tmux_session\":\"huge\",\"status\":\"done\",\"message\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    std::fs::write(dir.join("huge.json"), huge).unwrap();
    std::fs::create_dir(dir.join("subdir.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.json")).unwrap();
}

const GOOD: [&str; 9] = [
    "api",
    "deploy",
    "fake-frame",
    "hyperion",
    "it's",
    "legacy",
    "my session",
    "no-newline",
    "notes",
];

#[test]
fn snapshot_script_reads_a_hostile_directory() {
    let home = tempfile::tempdir().unwrap();
    hostile_dir(&home.path().join(".claude-sessions"));
    let nonce = "0123456789abcdef0123456789abcdef";
    // As the remote login shell runs it.
    let out = run_sh(
        &exec_command("~/.claude-sessions", nonce).unwrap(),
        home.path(),
        b"",
    );
    let report = decode_snapshot(&out, nonce, "~/.claude-sessions").unwrap();
    assert_eq!(names(&report), GOOD);
    assert_eq!(
        skipped(&report),
        [
            "~/.claude-sessions/broken.json",
            "~/.claude-sessions/empty.json",
            "~/.claude-sessions/garbage.json",
            "~/.claude-sessions/huge.json",
            "~/.claude-sessions/subdir.json",
            "~/.claude-sessions/zero.json",
        ]
    );
    let huge = report
        .skipped
        .iter()
        .find(|s| s.name.ends_with("huge.json"))
        .unwrap();
    assert!(huge.reason.contains("limit"), "{}", huge.reason);
    let fake = report
        .sessions
        .iter()
        .find(|s| s.tmux_session == "fake-frame")
        .unwrap();
    assert_eq!(
        fake.message, "x",
        "a forged frame with another nonce is just file content"
    );
}

#[test]
fn snapshot_of_a_missing_directory_is_empty_and_healthy() {
    let home = tempfile::tempdir().unwrap();
    let nonce = "feedfacefeedfacefeedfacefeedface";
    let out = run_sh(&exec_command("~/nowhere", nonce).unwrap(), home.path(), b"");
    let report = decode_snapshot(&out, nonce, "~/nowhere").unwrap();
    assert!(report.sessions.is_empty() && report.skipped.is_empty());
    assert_eq!(
        report.note.map(|n| n.to_string()).as_deref(),
        Some("~/nowhere does not exist")
    );
    // An existing one has no note.
    std::fs::create_dir(home.path().join("nowhere")).unwrap();
    let out = run_sh(&exec_command("~/nowhere", nonce).unwrap(), home.path(), b"");
    let report = decode_snapshot(&out, nonce, "~/nowhere").unwrap();
    assert_eq!(report.note, None);
}

/// Files that together pass the poll's output cap cost only the ones past it: the
/// remote stops by itself, the rest arrive (here 3 normal sessions beside 17 files of
/// 1 MB each, every one under the per-file cap), with awk and with the `head` fallback.
#[test]
fn files_past_the_poll_cap_are_skipped_and_the_rest_arrive() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let big_message = "m".repeat(1_000_000 - 100);
    for i in 0..17 {
        let name = format!("big{i:02}");
        let body =
            format!(r#"{{"tmux_session":"{name}","status":"idle","message":"{big_message}"}}"#);
        std::fs::write(dir.join(format!("{name}.json")), body).unwrap();
    }
    for name in ["alpha", "beta", "zeta"] {
        std::fs::write(dir.join(format!("{name}.json")), status(name)).unwrap();
    }
    let n = "55555555555555555555555555555555";
    // A remote without awk takes the per-file `head` path.
    let no_awk = bin_dir(home.path(), &["head", "wc", "dd", "cat", "tr"], &[]);
    for awk in [true, false] {
        let script = exec_command("~/st", n).unwrap();
        let path = (!awk).then_some(no_awk.as_path());
        let out = run_sh_in(&script, home.path(), b"", path);
        assert!(out.len() < MAX_POLL_OUTPUT, "the remote stopped by itself");
        let report = decode_snapshot(&out, n, "~/st").unwrap();
        let got = names(&report);
        for name in ["alpha", "beta", "zeta"] {
            assert!(
                got.contains(&name.to_string()),
                "awk {awk}: {name} kept: {got:?}"
            );
        }
        let bigs = got.iter().filter(|g| g.starts_with("big")).count();
        assert!(
            bigs >= 14,
            "awk {awk}: the big files that fit arrive ({bigs})"
        );
        assert_eq!(
            bigs + report.skipped.len(),
            17,
            "awk {awk}: every file accounted for"
        );
        for k in &report.skipped {
            assert!(k.reason.contains("cap"), "awk {awk}: {k:?}");
        }
    }
}

#[test]
fn an_empty_directory_is_zero_sessions_and_the_literal_glob_is_no_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let n = "abababababababababababababababab";
    let out = run_sh(&exec_command("~/st", n).unwrap(), home.path(), b"");
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    assert!(report.sessions.is_empty() && report.skipped.is_empty());
    // A file really named `*.json` is a file like any other (a row is named after its
    // file, whatever its `tmux_session` says).
    std::fs::write(dir.join("*.json"), status("star")).unwrap();
    let out = run_sh(&exec_command("~/st", n).unwrap(), home.path(), b"");
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    assert_eq!(names(&report), ["*"]);
}

#[test]
fn snapshot_of_a_file_instead_of_a_directory_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("file"), "x").unwrap();
    let nonce = "abcabcabcabcabcabcabcabcabcabcab";
    let out = run_sh(&exec_command("~/file", nonce).unwrap(), home.path(), b"");
    let err = decode_snapshot(&out, nonce, "~/file").unwrap_err();
    assert_eq!(err.kind(), "remote");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn the_loop_answers_one_snapshot_per_request_line() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    hostile_dir(&dir);
    let (n1, n2) = (
        "11111111111111111111111111111111",
        "22222222222222222222222222222222",
    );
    // A junk line (not a nonce) is ignored; the shell exits at EOF.
    let input = format!("{n1}\n$(touch pwned)\n{n2}\n");
    let out = run_sh(
        &loop_command("~/st").unwrap(),
        home.path(),
        input.as_bytes(),
    );
    assert!(!home.path().join("pwned").exists());
    for n in [n1, n2] {
        let report = decode_snapshot(&out, n, "~/st").unwrap();
        assert_eq!(names(&report), GOOD, "nonce {n}");
        assert_eq!(report.skipped.len(), 6, "nonce {n}");
    }
    // Exactly one answer per nonce, none for the junk line.
    let text = String::from_utf8_lossy(&out);
    for n in [n1, n2] {
        assert_eq!(text.matches(&format!("\nNAVI-{n} END\n")).count(), 1);
    }
    assert_eq!(text.matches(" BEGIN\n").count(), 2);
}

#[test]
fn the_loop_answers_only_lines_of_lowercase_hex_and_the_scripts_have_no_bang() {
    let home = tempfile::tempdir().unwrap();
    hostile_dir(&home.path().join("st"));
    // Any non-empty run of lowercase hex digits is a nonce; anything else is skipped.
    let input = "\nABCDEF\nabc0g\n12 34\n-1\ndeadbeef\n0\n";
    let out = run_sh(
        &loop_command("~/st").unwrap(),
        home.path(),
        input.as_bytes(),
    );
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches(" BEGIN\n").count(), 2, "{text}");
    for n in ["deadbeef", "0"] {
        assert_eq!(names(&decode_snapshot(&out, n, "~/st").unwrap()), GOOD);
    }
    for script in [
        script::loop_script("~/st"),
        snapshot_script("~/st", "ab12"),
        loop_command("~/st").unwrap().to_string(),
        exec_command("~/st", "ab12").unwrap().to_string(),
    ] {
        assert!(!script.contains('!'), "{script}");
    }
}

#[test]
fn the_script_does_not_depend_on_the_login_shell_being_posix_friendly() {
    // The exec string starts a plain `sh` itself; its only quoting is '...' and '\''.
    let cmd = loop_command("~/it's here").unwrap();
    assert!(cmd.starts_with("exec sh -c '"), "{cmd}");
    assert!(
        !cmd.contains('\n') && !cmd.contains("\\\\"),
        "one line, no `\\\\` (csh/fish read backslashes in quotes): {cmd}"
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("it's here");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("a.json"),
        br#"{"tmux_session":"a","status":"idle"}"#,
    )
    .unwrap();
    let n = "33333333333333333333333333333333";
    let out = run_sh(&cmd, home.path(), format!("{n}\n").as_bytes());
    let report = decode_snapshot(&out, n, "~/it's here").unwrap();
    assert_eq!(names(&report), ["a"]);
}

/// A big directory with entries that must be left out among the files: every good file
/// arrives, in dash/bash/busybox alike, and the list is never rebuilt per file.
#[test]
fn a_big_directory_with_odd_entries_arrives_whole_in_every_shell() {
    let body = snapshot_script("~/s", "0");
    assert!(
        !body.contains("set -- \"$@\""),
        "appending to \"$@\" per file is quadratic (0.9 s per poll for 2,000 files in bash)"
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("s");
    std::fs::create_dir(&dir).unwrap();
    let mut want = Vec::new();
    for i in 0..2500 {
        let name = format!("s{i:04}");
        std::fs::write(dir.join(format!("{name}.json")), status(&name)).unwrap();
        want.push(name);
    }
    // Names the rebuilt list must carry as one word each, never globbed or split.
    for name in ["*", "[s0001]", "a  b", "-n", "x=y"] {
        std::fs::write(dir.join(format!("{name}.json")), status(name)).unwrap();
        want.push(name.to_string());
    }
    want.sort();
    // Left out: a directory, a name with a newline, a FIFO (would block `wc`).
    std::fs::create_dir(dir.join("dir.json")).unwrap();
    std::fs::write(dir.join("new\nline.json"), status("newline")).unwrap();
    let mkfifo = Command::new("mkfifo")
        .arg(dir.join("fifo.json"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling.json")).unwrap();

    let n = "44444444444444444444444444444444";
    let shells: Vec<Vec<String>> = [
        vec!["sh".to_string()],
        vec!["bash".to_string()],
        vec!["busybox".to_string(), "sh".to_string()],
    ]
    .into_iter()
    .filter(|argv| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .any(|d| d.join(&argv[0]).is_file())
    })
    .collect();
    for argv in shells {
        let out = Command::new(which(&argv[0]))
            .args(&argv[1..])
            .arg("-c")
            .arg(snapshot_script("~/s", n))
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let report = decode_snapshot(&out.stdout, n, "~/s").unwrap();
        assert_eq!(names(&report), want, "{argv:?}");
        // The directory, the FIFO and the broken link are reported, as the local source
        // reports them; the name with a newline cannot be framed: it is reported too,
        // its newline shown as `?`.
        let mut skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|k| {
                let name = k.name.rsplit('/').next().unwrap_or_default().to_string();
                let why = match name.as_str() {
                    "new?line.json" => "its name contains a newline",
                    _ => "not a regular file",
                };
                assert!(k.reason.contains(why), "{argv:?}: {k:?}");
                name
            })
            .collect();
        skipped.sort();
        assert_eq!(
            skipped,
            ["dangling.json", "dir.json", "fifo.json", "new?line.json"],
            "{argv:?}"
        );
    }
}

/// The absolute path of `name` on this machine's `PATH`.
pub(super) fn which(name: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not on PATH"))
}

/// A directory to use as the whole `PATH`: `sh` and the real `tools`, plus shell scripts.
pub(super) fn bin_dir(root: &Path, tools: &[&str], scripts: &[(&str, String)]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in std::iter::once(&"sh").chain(tools) {
        std::os::unix::fs::symlink(which(tool), bin.join(tool)).unwrap();
    }
    for (name, body) in scripts {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!{}\n{body}\n", which("sh").display())).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Every record of one snapshot, in order: (`F name` / `S name` / ..., body bytes).
fn records(out: &[u8], nonce: &str) -> Vec<(String, Vec<u8>)> {
    let sep = format!("\nNAVI-{nonce} ").into_bytes();
    let mut marks = Vec::new();
    let mut i = 0;
    while let Some(at) = out[i..]
        .windows(sep.len())
        .position(|w| w == sep.as_slice())
    {
        marks.push(i + at);
        i += at + sep.len();
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let region = &out[at + sep.len()..marks.get(k + 1).copied().unwrap_or(out.len())];
            let nl = region
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(region.len());
            let body = region.get(nl + 1..).unwrap_or_default().to_vec();
            (String::from_utf8_lossy(&region[..nl]).into_owned(), body)
        })
        .collect()
}

fn body_of<'a>(recs: &'a [(String, Vec<u8>)], line: &str) -> &'a [u8] {
    &recs
        .iter()
        .find(|(l, _)| l == line)
        .unwrap_or_else(|| {
            panic!(
                "no record `{line}` in {:?}",
                recs.iter().map(|r| &r.0).collect::<Vec<_>>()
            )
        })
        .1
}

fn status(name: &str) -> Vec<u8> {
    format!(r#"{{"tmux_session":"{name}","status":"idle","timestamp":1}}"#).into_bytes()
}

/// A status file of exactly `len` bytes (a long message pads it).
fn status_of_len(name: &str, len: usize) -> Vec<u8> {
    let mut v = format!(r#"{{"tmux_session":"{name}","status":"idle","message":""#).into_bytes();
    let tail = br#""}"#;
    v.resize(len - tail.len(), b'x');
    v.extend_from_slice(tail);
    assert_eq!(v.len(), len);
    v
}

#[test]
fn every_file_arrives_byte_for_byte_whatever_its_name_or_last_byte() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let mut two_nl = status("two-newlines");
    two_nl.extend_from_slice(b"\n\n");
    let mut nl = status("newline");
    nl.push(b'\n');
    let mut crlf = status("crlf");
    crlf.extend_from_slice(b"\r\n");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a=b.json", status("a=b")),
        ("x=1", status("not-json-suffix")),
        ("-n.json", status("-n")),
        ("--.json", status("--")),
        ("sp  ace.json", status("sp  ace")),
        ("tab\there.json", status("tab")),
        ("no-newline.json", status("no-newline")),
        ("newline.json", nl),
        ("two-newlines.json", two_nl),
        ("crlf.json", crlf),
        (
            "lines.json",
            b"{\n\"tmux_session\": \"lines\",\n\"status\": \"done\"\n}".to_vec(),
        ),
        (
            "invalid-utf8.json",
            b"{\"tmux_session\":\"\xff\xfe\",\"status\":\"idle\"}".to_vec(),
        ),
        ("only-newline.json", b"\n".to_vec()),
        ("empty.json", Vec::new()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let n = "44444444444444444444444444444444";
    let out = run_sh(&exec_command("~/st", n).unwrap(), home.path(), b"");
    let recs = records(&out, n);
    for (name, bytes) in &files {
        if name.ends_with(".json") {
            assert_eq!(
                body_of(&recs, &format!("F {name}")),
                bytes.as_slice(),
                "{name:?} arrives unchanged"
            );
        }
    }
    assert!(
        !recs.iter().any(|(l, _)| l.contains("x=1")),
        "only *.json is listed"
    );
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    let got = names(&report);
    for want in [
        "a=b",
        "-n",
        "--",
        "sp  ace",
        "tab\there",
        "newline",
        "two-newlines",
        "crlf",
        "lines",
    ] {
        assert!(got.contains(&want.to_string()), "{want} in {got:?}");
    }
    let empty = report
        .skipped
        .iter()
        .find(|s| s.name.ends_with("/empty.json"))
        .unwrap();
    assert!(empty.reason.contains("empty"), "{}", empty.reason);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.name.ends_with("/only-newline.json")),
        "{:?}",
        report.skipped
    );
}

#[test]
fn a_file_exactly_at_the_cap_is_read_and_one_byte_more_is_skipped() {
    let cap = navi_core::MAX_STATUS_FILE_BYTES as usize;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("at-cap.json"), status_of_len("at-cap", cap)).unwrap();
    let mut cap_nl = status_of_len("at-cap-nl", cap - 1);
    cap_nl.push(b'\n');
    std::fs::write(dir.join("at-cap-nl.json"), cap_nl).unwrap();
    let mut over_nl = status_of_len("over-nl", cap);
    over_nl.push(b'\n');
    std::fs::write(dir.join("over-nl.json"), over_nl).unwrap();
    std::fs::write(dir.join("over.json"), status_of_len("over", cap + 1)).unwrap();
    let n = "55555555555555555555555555555555";
    let out = run_sh(&exec_command("~/st", n).unwrap(), home.path(), b"");
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    assert_eq!(names(&report), ["at-cap", "at-cap-nl"]);
    assert_eq!(skipped(&report), ["~/st/over-nl.json", "~/st/over.json"]);
    for s in &report.skipped {
        assert!(s.reason.contains("limit"), "{s:?}");
    }
    // Oversize by their listed size: never read, nothing of them is sent.
    assert!(out.len() < 2 * cap + 4096, "{} bytes", out.len());
}

#[test]
fn a_file_that_grows_past_the_cap_after_listing_costs_only_itself() {
    let cap = navi_core::MAX_STATUS_FILE_BYTES as usize;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    // `wc` saw them small (it lies, as a file that grew right after it would);
    // gone.json vanishes between the listing and the read.
    let wc = format!(
        "for f do case $f in -c|--) ;; ./grow*) printf '5 %s\\n' \"$f\";; ./gone.json) rm -f \"$f\";; *) '{}' -c \"$f\";; esac; done",
        which("wc").display()
    );
    let bin = bin_dir(
        home.path(),
        &["awk", "dd", "cat", "rm", "head"],
        &[("wc", wc)],
    );
    std::fs::write(dir.join("a.json"), status("a")).unwrap();
    std::fs::write(
        dir.join("grow-one-line.json"),
        status_of_len("grow", 3 * cap),
    )
    .unwrap();
    let many_lines = "{\"tmux_session\":\"grow-lines\",\n".repeat(3 * cap / 30);
    std::fs::write(dir.join("grow-lines.json"), many_lines).unwrap();
    std::fs::write(dir.join("gone.json"), status("gone")).unwrap();
    std::fs::write(dir.join("z.json"), status("z")).unwrap();
    let n = "66666666666666666666666666666666";
    let out = run_sh_in(
        &exec_command("~/st", n).unwrap(),
        home.path(),
        b"",
        Some(&bin),
    );
    let recs = records(&out, n);
    for grown in ["grow-one-line.json", "grow-lines.json"] {
        assert_eq!(
            body_of(&recs, &format!("F {grown}")).len(),
            cap + 1,
            "{grown} is cut one byte past the cap"
        );
    }
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    assert_eq!(names(&report), ["a", "z"]);
    assert_eq!(
        skipped(&report),
        [
            "~/st/gone.json",
            "~/st/grow-lines.json",
            "~/st/grow-one-line.json"
        ]
    );
    for s in &report.skipped {
        let why = if s.name.ends_with("gone.json") {
            "vanished"
        } else {
            "limit"
        };
        assert!(s.reason.contains(why), "{s:?}");
    }
}

/// A huge file (sparse: 50 GB by its size) is skipped by its size alone: no `wc` is
/// ever given it (busybox's `wc -c` reads a file to its end), with awk or without.
#[test]
fn a_file_over_the_cap_is_skipped_by_its_size_and_never_read() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("small.json"), status("small")).unwrap();
    std::fs::File::create(dir.join("huge.json"))
        .unwrap()
        .set_len(50 << 30)
        .unwrap();
    let seen = home.path().join("wc-args");
    // `wc` records its operands and what it read on stdin, then counts as wc does.
    let wc = format!(
        "for a do printf '%s\\n' \"$a\" >> '{seen}'; done\n[ $# -gt 0 ] || echo '<stdin>' >> '{seen}'\nexec {wc} \"$@\"",
        seen = seen.display(),
        wc = which("wc").display()
    );
    let with_awk = bin_dir(
        &home.path().join("a"),
        &["awk", "head", "dd", "cat", "tr", "find"],
        &[("wc", wc.clone())],
    );
    let no_awk = bin_dir(
        &home.path().join("b"),
        &["head", "dd", "cat", "tr", "find"],
        &[("wc", wc)],
    );
    let n = "66666666666666666666666666666666";
    for path in [&with_awk, &no_awk] {
        let _ = std::fs::remove_file(&seen);
        let out = run_sh_in(
            &exec_command("~/st", n).unwrap(),
            home.path(),
            b"",
            Some(path),
        );
        let report = decode_snapshot(&out, n, "~/st").unwrap();
        assert_eq!(names(&report), ["small"], "{}", path.display());
        assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
        assert!(
            report.skipped[0].reason.contains("over the"),
            "{:?}",
            report.skipped
        );
        let args = std::fs::read_to_string(&seen).unwrap_or_default();
        assert!(
            !args.contains("huge"),
            "{}: wc was given {args}",
            path.display()
        );
    }
}

#[test]
fn one_awk_frames_the_directory_and_head_is_never_run() {
    let home = tempfile::tempdir().unwrap();
    hostile_dir(&home.path().join("st"));
    let marker = home.path().join("head-ran");
    let head = format!("touch '{}'; exit 1", marker.display());
    let bin = bin_dir(
        home.path(),
        &["awk", "wc", "dd", "cat", "touch"],
        &[("head", head)],
    );
    let n = "77777777777777777777777777777777";
    let out = run_sh_in(
        &loop_command("~/st").unwrap(),
        home.path(),
        format!("{n}\n").as_bytes(),
        Some(&bin),
    );
    let report = decode_snapshot(&out, n, "~/st").unwrap();
    assert_eq!(names(&report), GOOD);
    assert_eq!(report.skipped.len(), 6, "{:?}", report.skipped);
    assert!(!marker.exists(), "no per-file process");
}

#[test]
fn without_a_working_awk_every_file_goes_through_head() {
    for awk in [None, Some("echo 'not an awk'; exit 2".to_string())] {
        let home = tempfile::tempdir().unwrap();
        hostile_dir(&home.path().join("st"));
        let scripts: Vec<(&str, String)> = awk.iter().map(|a| ("awk", a.clone())).collect();
        let bin = bin_dir(home.path(), &["head", "wc", "dd", "cat"], &scripts);
        let n = "88888888888888888888888888888888";
        let out = run_sh_in(
            &exec_command("~/st", n).unwrap(),
            home.path(),
            b"",
            Some(&bin),
        );
        let report = decode_snapshot(&out, n, "~/st").unwrap();
        assert_eq!(names(&report), GOOD, "awk: {awk:?}");
        assert_eq!(
            skipped(&report),
            [
                "~/st/broken.json",
                "~/st/empty.json",
                "~/st/garbage.json",
                "~/st/huge.json",
                "~/st/subdir.json",
                "~/st/zero.json",
            ],
            "awk: {awk:?}"
        );
    }
}

#[test]
fn an_awk_that_fails_mid_poll_is_a_remote_error_not_zero_sessions() {
    let home = tempfile::tempdir().unwrap();
    hostile_dir(&home.path().join("st"));
    // Passes the start-up check, then dies on the real run (as on `Argument list too
    // long` with tens of thousands of files).
    let awk = "[ \"$2\" = n=ok ] && { printf ok; exit 0; }; exit 3".to_string();
    let bin = bin_dir(home.path(), &["head", "wc", "dd", "cat"], &[("awk", awk)]);
    let n = "99999999999999999999999999999999";
    let out = run_sh_in(
        &exec_command("~/st", n).unwrap(),
        home.path(),
        b"",
        Some(&bin),
    );
    let err = decode_snapshot(&out, n, "~/st").unwrap_err();
    assert_eq!(err.kind(), "remote");
    assert!(err.to_string().contains("awk failed"), "{err}");
    assert!(err.to_string().contains("exit status 3"), "{err}");
}

#[test]
fn marks_arrive_in_the_snapshot_and_a_bad_one_costs_only_its_marks() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".claude-sessions");
    let marks = dir.join(".navi/marks");
    std::fs::create_dir_all(&marks).unwrap();
    for name in ["api", "web", "odd name"] {
        std::fs::write(dir.join(format!("{name}.json")), status(name)).unwrap();
    }
    let mut m = navi_core::Marks::default();
    m.apply(&navi_core::MarkOp::AddTag("wip".into()), 1, "h");
    m.apply(&navi_core::MarkOp::Bookmark(true), 1, "h");
    std::fs::write(marks.join("api.json"), m.to_bytes()).unwrap();
    std::fs::write(marks.join("odd name.json"), m.to_bytes()).unwrap();
    std::fs::write(marks.join("web.json"), "{broken").unwrap();
    std::fs::write(marks.join(".api.lock"), "").unwrap();
    std::fs::write(marks.join(".tmp.api.1"), "{}").unwrap();
    let nonce = "0123456789abcdef0123456789abcdef";
    let out = run_sh(
        &exec_command("~/.claude-sessions", nonce).unwrap(),
        home.path(),
        b"",
    );
    let report = decode_snapshot(&out, nonce, "~/.claude-sessions").unwrap();
    assert_eq!(report.sessions.len(), 3, "sessions");
    for s in &report.sessions {
        let want = if s.tmux_session == "web" {
            navi_core::Marks::default()
        } else {
            m.clone()
        };
        assert_eq!(s.marks, want, "{}", s.tmux_session);
    }
    assert_eq!(
        skipped(&report),
        ["~/.claude-sessions/.navi/marks/web.json"]
    );
}

/// The POSIX shells found here that a remote may have as `sh` (argv before `-c`): each
/// is required under `NAVI_REQUIRE_SHELLS=1`.
pub(super) fn posix_shells() -> Vec<Vec<String>> {
    let candidates: [&[&str]; 7] = [
        &["sh"],
        &["dash"],
        &["bash", "--posix"],
        &["busybox", "sh"],
        &["mksh"],
        &["ksh93"],
        &["zsh", "--emulate", "sh"],
    ];
    let mut found = Vec::new();
    for argv in candidates {
        let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .any(|d| d.join(argv[0]).is_file());
        if !on_path {
            assert!(
                std::env::var_os("NAVI_REQUIRE_SHELLS").is_none(),
                "{} is required (NAVI_REQUIRE_SHELLS) but not installed",
                argv[0]
            );
            eprintln!("skipped {}: not installed", argv[0]);
            continue;
        }
        found.push(argv.iter().map(|s| s.to_string()).collect());
    }
    found
}

/// Runs `script` under the shell `argv` as the remote would: `HOME=home`, `PATH` (when
/// given), the tmux environment isolated (`TMUX` unset, `TMUX_TMPDIR=tmux_tmpdir`).
fn run_isolated(
    argv: &[String],
    script: &str,
    home: &Path,
    path: Option<&Path>,
    tmux_tmpdir: &Path,
) -> Vec<u8> {
    let mut cmd = Command::new(which(&argv[0]));
    cmd.args(&argv[1..]).arg("-c").arg(script);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd
        .env("HOME", home)
        .env("TMUX_TMPDIR", tmux_tmpdir)
        .env_remove("TMUX")
        .current_dir(home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.stderr.is_empty(), "{argv:?}: {:?}", out.stderr);
    out.stdout
}

/// A tmux server on its own socket, killed on drop.
pub(super) struct TmuxServerAt {
    pub(super) socket: PathBuf,
}

impl TmuxServerAt {
    /// Starts a server at `socket` holding `sessions` (each running `cat`).
    pub(super) fn start(socket: &Path, sessions: &[&str]) -> TmuxServerAt {
        let server = TmuxServerAt {
            socket: socket.to_path_buf(),
        };
        for s in sessions {
            server.tmux(&["new-session", "-d", "-s", s, "cat"]);
        }
        server
    }

    pub(super) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {:?}", out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for TmuxServerAt {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The tmux check of a snapshot, under every POSIX `sh`, against real tmux: the default
/// server (unreachable here: an empty `TMUX_TMPDIR`) and each recorded server once, at
/// most `MAX_RECORDED_SERVERS`, hostile socket paths only ever an operand of `-S`, names
/// outside ASCII listed as tmux holds them.
#[test]
fn the_tmux_check_asks_each_recorded_server_once_whatever_its_path() {
    use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};
    use navi_core::Liveness;

    use super::decode_tests::status_on;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let empty = tempfile::tempdir().unwrap();
    // A socket path with a space and a quote, as a `tmux -L` or `-S` server may have.
    let sockets = home.path().join("sock dir 'q'");
    std::fs::create_dir(&sockets).unwrap();
    let socket = sockets.join("work");
    let socket_s = socket.to_str().unwrap().to_string();
    let server = TmuxServerAt::start(&socket, &["a1 snow ☃", "a2 plain"]);
    let canary = home.path().join("pwned");
    let hostile = format!(
        "/nonexistent/$(touch {}) `touch {}`;",
        canary.display(),
        canary.display()
    );
    // Named so the glob lists them in this order (a row is named after its file).
    let mut files: Vec<(String, Option<String>)> = vec![
        ("a1 snow ☃".into(), Some(socket_s.clone())),
        ("a2 plain".into(), Some(socket_s.clone())),
        ("a3 gone".into(), Some(socket_s.clone())),
        ("a4".into(), Some("rel/sock".into())),
        ("a5".into(), Some("/tmp/q\"uote".into())),
        ("a6".into(), Some(hostile.clone())),
        ("a7".into(), None),
    ];
    for i in 0..20 {
        files.push((format!("b{i:02}"), Some(format!("/nonexistent/s{i:02}"))));
    }
    for (name, socket) in &files {
        std::fs::write(
            dir.join(format!("{name}.json")),
            status_on(name, socket.as_deref()),
        )
        .unwrap();
    }
    let n = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
    for argv in posix_shells() {
        let out = run_isolated(
            &argv,
            &snapshot_script("~/st", n),
            home.path(),
            None,
            empty.path(),
        );
        assert!(!canary.exists(), "{argv:?}: a socket path ran a command");
        let heads: Vec<String> = records(&out, n)
            .into_iter()
            .map(|(l, _)| l)
            .filter(|l| l.starts_with("T ") || l.starts_with("U "))
            .collect();
        // The default server, then each absolute socket once, in the order the files
        // list them, 16 at most: the real one, the hostile one, s00..s13.
        let mut want = vec![
            "U -".to_string(),
            format!("T {socket_s}"),
            format!("U {hostile}"),
        ];
        want.extend((0..14).map(|i| format!("U /nonexistent/s{i:02}")));
        assert_eq!(heads, want, "{argv:?}");
        let mut r = decode_snapshot(&out, n, "~/st").unwrap();
        let view = r.tmux.clone().unwrap();
        match &view.servers[&TmuxServer::Default] {
            ServerAnswer::Unreachable(why) => {
                assert!(why.contains(&empty.path().display().to_string()), "{why}")
            }
            other => panic!("{argv:?}: {other:?}"),
        }
        r.decide_liveness();
        let row = |name: &str| {
            r.sessions
                .iter()
                .find(|s| s.tmux_session == name)
                .unwrap_or_else(|| panic!("{argv:?}: no row {name}"))
                .liveness
                .clone()
        };
        assert_eq!(
            row("a1 snow ☃"),
            Liveness::Live,
            "{argv:?}: `snow ☃` read as tmux holds it"
        );
        assert_eq!(row("a2 plain"), Liveness::Live, "{argv:?}");
        assert_eq!(
            row("a3 gone"),
            Liveness::Ended,
            "{argv:?}: its server answered without it"
        );
        for unknown in ["a4", "a5", "a6", "a7", "b00", "b13", "b14", "b19"] {
            assert!(
                row(unknown).allows_removal().is_err(),
                "{argv:?}: {unknown} is {:?}",
                row(unknown)
            );
        }
        assert!(
            row("b19").reason().unwrap().contains("was not asked"),
            "{argv:?}"
        );
        assert!(
            row("a7").reason().unwrap().contains("default tmux server"),
            "{argv:?}"
        );
    }
    drop(server);
}

/// Without tmux on `PATH` every row is unknown, saying so and where it looked; a tmux
/// that fails every command is unknown with its first line; neither is ever ended.
#[test]
fn no_tmux_or_a_failing_tmux_makes_every_row_unknown_with_the_reason() {
    use super::decode_tests::status_on;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.json"), status_on("a", None)).unwrap();
    std::fs::write(
        dir.join("b.json"),
        status_on("b", Some("/tmp/navi-nowhere/b")),
    )
    .unwrap();
    let empty = tempfile::tempdir().unwrap();
    let tools = ["awk", "wc", "dd", "cat", "head", "sed", "tr"];
    let none = bin_dir(&home.path().join("none"), &tools, &[]);
    let failing = bin_dir(
        &home.path().join("failing"),
        &tools,
        &[(
            "tmux",
            "echo 'protocol version mismatch (client 8, server 7)' >&2; echo 'second' >&2; exit 1"
                .to_string(),
        )],
    );
    let n = "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";
    for argv in posix_shells() {
        for (bin, want) in [
            (&none, format!("tmux: not found in PATH={}", none.display())),
            (
                &failing,
                "protocol version mismatch (client 8, server 7)".to_string(),
            ),
        ] {
            let out = run_isolated(
                &argv,
                &exec_command("~/st", n).unwrap(),
                home.path(),
                Some(bin),
                empty.path(),
            );
            let mut r = decode_snapshot(&out, n, "~/st").unwrap();
            r.decide_liveness();
            assert_eq!(r.sessions.len(), 2, "{argv:?}");
            for s in &r.sessions {
                let why = s
                    .liveness
                    .reason()
                    .unwrap_or_else(|| panic!("{argv:?}: {} is {:?}", s.tmux_session, s.liveness));
                assert!(why.contains(&want), "{argv:?}: {why}");
                assert!(!why.contains("second"), "{argv:?}: {why}");
            }
        }
    }
}

/// A remote without `head` (with or without awk): every poll is an error that names
/// it, never "connected" with every file empty; the push loop fails the same way (and
/// navi polls, which names it). Without awk alone the files arrive (see
/// `without_a_working_awk_every_file_goes_through_head`).
#[test]
fn a_remote_without_head_is_a_named_error() {
    let n = "12121212121212121212121212121212";
    for tools in [
        &["awk", "wc", "dd", "cat", "sed", "mkdir", "rm"][..],
        &["wc", "dd", "cat", "sed", "mkdir", "rm"][..],
    ] {
        let home = tempfile::tempdir().unwrap();
        hostile_dir(&home.path().join("st"));
        let bin = bin_dir(home.path(), tools, &[]);
        for script in [
            exec_command("~/st", n).unwrap(),
            loop_command("~/st").unwrap(),
        ] {
            let out = run_sh_in(
                &script,
                home.path(),
                format!("{n}\n").as_bytes(),
                Some(&bin),
            );
            let err = decode_snapshot(&out, n, "~/st").unwrap_err().to_string();
            assert!(
                err.contains("the remote has no `head` on PATH")
                    && err.contains(&bin.display().to_string()),
                "{tools:?}: {err}"
            );
        }
        let push = super::push_script::push_script("~/st", "0");
        let out = run_sh_in(
            &push,
            home.path(),
            format!("{n}\n{n}:s\n").as_bytes(),
            Some(&bin),
        );
        let mut reader = super::push_decode::BatchReader::new(n);
        let batches = reader.push(&out).unwrap();
        assert!(
            matches!(batches.as_slice(), [super::push_decode::Batch::Fail(why)] if why.contains("no `head` on PATH")),
            "{tools:?}: {batches:?}"
        );
    }
}
