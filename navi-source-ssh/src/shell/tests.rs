//! Tests of [`RemoteCommand`]: pure ones on the command line's form, and ones that run
//! the exact command line through every supported login shell as sshd does
//! (`$SHELL -c "$command"`), with a stub `tmux` first on PATH recording its argv.
//!
//! A missing shell is skipped with a notice, unless `NAVI_REQUIRE_SHELLS=1` (CI), where
//! it fails the test naming the shell.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Pure tests of the command line
// ---------------------------------------------------------------------------------------

#[test]
fn shell_sample_command_line_is_exact() {
    let line = RemoteCommand::new("exec tmux attach-session -t \"$1\"")
        .arg("dev")
        .for_terminal()
        .to_command_line()
        .unwrap();
    assert_eq!(
        line.as_str(),
        "exec sh -c 'eval \"$(printf %b \"$@\")\"' sh \
         'set -- \\0047dev\\0047\\0012exec tmux attach-session -t \\0042\\00441\\0042'"
    );
}

#[test]
fn shell_hostile_sample_has_no_special_characters() {
    let line = RemoteCommand::new("exec tmux attach-session -t \"$1\"")
        .arg("\\'; touch /tmp/x #")
        .for_terminal()
        .to_command_line()
        .unwrap();
    assert_eq!(
        line.as_str(),
        "exec sh -c 'eval \"$(printf %b \"$@\")\"' sh \
         'set -- \\0047\\0134\\0047\\0134\\0047\\0047\\0073 touch /tmp/x \\0043\\0047\\0012\
         exec tmux attach-session -t \\0042\\00441\\0042'"
    );
}

#[test]
fn shell_program_quotes_operands_and_always_resets_them() {
    let none = RemoteCommand::new("echo \"$#\"")
        .for_terminal()
        .program()
        .unwrap();
    assert_eq!(none, b"set --\necho \"$#\"");
    let some = RemoteCommand::new("x")
        .arg("it's")
        .arg(b"")
        .args(["-n", "a\n"])
        .for_terminal()
        .program()
        .unwrap();
    assert_eq!(some, b"set -- 'it'\\''s' '' '-n' 'a\n'\nx");
}

#[test]
fn shell_nul_is_an_error_naming_the_operand() {
    assert_eq!(
        RemoteCommand::new("a\0b").to_command_line(),
        Err(RemoteCommandError::NulInScript)
    );
    assert_eq!(
        RemoteCommand::new("x")
            .arg("ok")
            .arg(b"a\0b")
            .to_command_line(),
        Err(RemoteCommandError::NulInOperand { index: 2 })
    );
    let msg = RemoteCommandError::NulInOperand { index: 2 }.to_string();
    assert!(msg.contains("$2"), "{msg}");
}

#[test]
fn shell_too_long_is_an_error_and_the_limit_itself_is_fine() {
    // Every `'` costs 4 bytes in the program and 5 characters each once encoded.
    let over = RemoteCommand::new("x").arg(vec![b'\''; MAX_COMMAND_LINE_LEN / 20 + 1]);
    match over.to_command_line() {
        Err(RemoteCommandError::TooLong { len, max }) => {
            assert!(len > max);
            assert_eq!(max, MAX_COMMAND_LINE_LEN);
        }
        other => panic!("expected TooLong, got {other:?}"),
    }
    let near = near_limit_command();
    let line = near.to_command_line().unwrap();
    assert!(line.len() <= MAX_COMMAND_LINE_LEN);
    assert!(line.len() > MAX_COMMAND_LINE_LEN - 200, "{}", line.len());
}

/// An attach command whose line is within 200 bytes of [`MAX_COMMAND_LINE_LEN`].
fn near_limit_command() -> RemoteCommand {
    let base = RemoteCommand::new(ATTACH_SCRIPT)
        .arg(b"")
        .to_command_line()
        .map(|l| l.len())
        .unwrap_or(0);
    // Each `é` is two bytes encoded as 5 characters each; allow for chunk separators.
    let room = MAX_COMMAND_LINE_LEN - base;
    let n = room * CHUNK_LEN / (CHUNK_LEN + 3) / 10 - 10;
    RemoteCommand::new(ATTACH_SCRIPT).arg("é".repeat(n))
}

/// Splits a command line back into its encoded words and decodes them: the inverse of
/// [`RemoteCommand::to_command_line`] as the remote `sh` performs it.
fn decode_line(line: &str) -> (Vec<&str>, Vec<u8>) {
    let rest = line.strip_prefix(PREFIX).unwrap();
    let rest = rest.strip_prefix(" '").unwrap();
    let rest = rest.strip_suffix('\'').unwrap();
    let words: Vec<&str> = rest.split("' '").collect();
    let mut out = Vec::new();
    for w in &words {
        let b = w.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                assert_eq!(b[i + 1], b'0', "backslash not followed by 0 in {w:?}");
                let oct = std::str::from_utf8(&b[i + 2..i + 5]).unwrap();
                out.push(u8::from_str_radix(oct, 8).unwrap());
                i += 5;
            } else {
                assert!(is_raw(b[i]), "raw byte {:?} not in the safe set", b[i]);
                out.push(b[i]);
                i += 1;
            }
        }
    }
    (words, out)
}

fn no_nul_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    })]

    /// Whatever the script and operands, the command line uses only the neutral
    /// characters: no `!`, no newline, no `\'` or `\\`, words short enough for csh,
    /// and it decodes back to exactly the program.
    #[test]
    fn shell_command_line_charset_and_roundtrip(
        script in "[^\0]{0,200}",
        ops in prop::collection::vec(no_nul_bytes(300), 0..4),
        long in 0usize..9000,
    ) {
        let mut cmd = RemoteCommand::new(&script).args(&ops);
        if long > 0 {
            // Sometimes a long operand, to cross chunk boundaries.
            cmd = cmd.arg(vec![b'$'; long]);
        }
        let line = cmd.to_command_line().unwrap();
        for c in line.chars() {
            prop_assert!(is_command_line_char(c), "{c:?} in the line");
        }
        prop_assert!(!line.contains('!') && !line.contains('\n'));
        prop_assert!(!line.contains("\\'") && !line.contains("\\\\"));
        let (words, program) = decode_line(&line);
        for w in &words {
            prop_assert!(w.len() <= CHUNK_LEN, "word of {} chars", w.len());
            prop_assert!(!w.contains('\''));
        }
        prop_assert_eq!(program, cmd.program().unwrap());
    }

    /// The summary never exceeds its budget, and has no control characters and no
    /// runs of whitespace.
    #[test]
    fn shell_summary_is_bounded_and_clean(
        raw in prop::collection::vec(any::<u8>(), 0..400),
        max in 0usize..120,
    ) {
        let s = summarize_remote_output(&raw, max);
        prop_assert!(s.chars().count() <= max);
        prop_assert!(!s.chars().any(char::is_control), "{s:?}");
        prop_assert!(!s.contains("  ") && s.trim() == s, "{s:?}");
    }
}

#[test]
fn shell_summary_collapses_sanitizes_and_shortens() {
    assert_eq!(summarize_remote_output(b"", 40), "");
    assert_eq!(
        summarize_remote_output(b"  sh: 1: tmux:\n\n  not found\t\r\n", 40),
        "sh: 1: tmux: not found"
    );
    assert_eq!(
        summarize_remote_output(b"\x1b[31mred\x1b[0m \x1b]0;title\x07alert", 40),
        "red alert"
    );
    assert_eq!(
        summarize_remote_output(b"bad \xff byte", 40),
        "bad \u{fffd} byte"
    );
    assert_eq!(summarize_remote_output(b"0123456789", 10), "0123456789");
    assert_eq!(summarize_remote_output(b"0123456789a", 10), "012345678…");
    // The cut never leaves a dangling space before the ellipsis.
    assert_eq!(summarize_remote_output(b"abcd efgh", 6), "abcd…");
    assert_eq!(summarize_remote_output(b"abc", 0), "");
    assert_eq!(summarize_remote_output(b"abc", 1), "…");
    // A long script echoed back in an error is cut to the budget.
    let script = "set -- 'x'\n".repeat(1000);
    let s = summarize_remote_output(format!("sh: 1: syntax error: {script}").as_bytes(), 80);
    assert_eq!(s.chars().count(), 80);
    assert!(s.ends_with('…'));
}

// ---------------------------------------------------------------------------------------
// Running the command line through real login shells
// ---------------------------------------------------------------------------------------

const ATTACH_SCRIPT: &str = "exec tmux attach-session -t \"$@\"";

/// One login shell: how sshd would start it with `-c`.
struct LoginShell {
    name: &'static str,
    /// Program and the arguments before `-c`.
    argv: Vec<PathBuf>,
}

/// (name, binaries to try in order, arguments before `-c`)
const SHELLS: &[(&str, &[&str], &[&str])] = &[
    ("bash", &["bash"], &[]),
    ("dash", &["dash"], &[]),
    ("zsh", &["zsh"], &[]),
    ("ksh93", &["ksh93", "ksh"], &[]),
    ("mksh", &["mksh"], &[]),
    ("fish", &["fish"], &[]),
    ("tcsh", &["tcsh"], &[]),
    // Debian's `csh` alternative may point at tcsh; the real BSD csh is `bsd-csh`.
    ("csh", &["bsd-csh", "csh"], &[]),
    ("busybox ash", &["busybox"], &["sh"]),
];

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn require_shells() -> bool {
    std::env::var("NAVI_REQUIRE_SHELLS").is_ok_and(|v| v == "1")
}

/// The supported login shells found on this machine. A missing one is skipped with a
/// notice, or fails the test under `NAVI_REQUIRE_SHELLS=1`.
fn login_shells() -> Vec<LoginShell> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, bins, pre) in SHELLS {
        match bins.iter().find_map(|b| find_in_path(b)) {
            Some(bin) => {
                let mut argv = vec![bin];
                argv.extend(pre.iter().map(PathBuf::from));
                found.push(LoginShell { name, argv });
            }
            None => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        assert!(
            !require_shells(),
            "NAVI_REQUIRE_SHELLS=1 but these login shells are missing: {}",
            missing.join(", ")
        );
        eprintln!(
            "SKIP: login shells not installed, not tested: {} (set NAVI_REQUIRE_SHELLS=1 to fail instead)",
            missing.join(", ")
        );
    }
    found
}

/// A temp dir with `bin/tmux` (a stub recording its argv NUL-separated in `argv`),
/// `home/` (HOME, so no user's shell config applies) and `work/` (the cwd, which must
/// stay empty: any file there is a side effect of an operand).
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
    work: PathBuf,
    home: PathBuf,
    argv_file: PathBuf,
    canary: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let root_s = root.to_str().unwrap();
        assert!(
            root_s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b)),
            "temp dir path {root_s:?} is not plain"
        );
        let bin = root.join("bin");
        let work = root.join("work");
        let home = root.join("home");
        for d in [&bin, &work, &home] {
            std::fs::create_dir(d).unwrap();
        }
        let argv_file = root.join("argv");
        let stub = bin.join("tmux");
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\nprintf '%s\\0' \"$@\" > '{}'\n",
                argv_file.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let canary = root.join("canary");
        Sandbox {
            _dir: dir,
            root,
            bin,
            work,
            home,
            argv_file,
            canary,
        }
    }

    /// PATH for the login shell: `extra` (if any), the stub dir, then the real PATH.
    fn path_with(&self, extra: Option<&Path>) -> std::ffi::OsString {
        let mut dirs: Vec<PathBuf> = extra.into_iter().map(Path::to_path_buf).collect();
        dirs.push(self.bin.clone());
        if let Some(p) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&p));
        }
        std::env::join_paths(dirs).unwrap()
    }

    /// Runs `shell -c line` as sshd would, bounded to 30 s.
    fn run(
        &self,
        shell: &LoginShell,
        line: &str,
        stdin: &[u8],
        sh_dir: Option<&Path>,
    ) -> Result<Outcome, String> {
        let mut cmd = Command::new(&shell.argv[0]);
        cmd.args(&shell.argv[1..])
            .arg("-c")
            .arg(line)
            .current_dir(&self.work)
            .env("PATH", self.path_with(sh_dir))
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env_remove("ENV")
            .env_remove("BASH_ENV")
            .env_remove("ZDOTDIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_bounded(cmd, stdin, Duration::from_secs(30)).map_err(|e| format!("{}: {e}", shell.name))
    }

    fn clear(&self) {
        let _ = std::fs::remove_file(&self.argv_file);
    }

    fn recorded_argv(&self) -> Option<Vec<Vec<u8>>> {
        let raw = std::fs::read(&self.argv_file).ok()?;
        let mut parts: Vec<Vec<u8>> = raw.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        // printf '%s\0' ends every argument with NUL: the last split is empty.
        if parts.last().is_some_and(Vec::is_empty) {
            parts.pop();
        }
        Some(parts)
    }

    /// Side effects: the canary, or anything in the work dir.
    fn side_effects(&self) -> Vec<String> {
        let mut found = Vec::new();
        if self.canary.exists() {
            found.push(self.canary.display().to_string());
        }
        if let Ok(rd) = std::fs::read_dir(&self.work) {
            for e in rd.flatten() {
                found.push(e.path().display().to_string());
            }
        }
        found
    }

    fn clean_side_effects(&self) {
        let _ = std::fs::remove_file(&self.canary);
        let _ = std::fs::remove_dir_all(&self.work);
        let _ = std::fs::create_dir(&self.work);
    }

    /// Operands that try to break out of quoting in one shell or another.
    fn hostile_operands(&self) -> Vec<Vec<u8>> {
        let c = self.canary.display().to_string();
        let mut v: Vec<Vec<u8>> = [
            format!("\\'; touch {c} #"),
            format!("!#;touch {c};#"),
            format!("'; touch {c}; '"),
            format!("\"; touch {c}; \""),
            format!("$(touch {c})"),
            format!("`touch {c}`"),
            format!("\ntouch {c}\n"),
            format!("\\\ntouch {c}"),
            format!("'\"'\"'; touch {c}; #"),
            format!("%s\\0101$(touch {c})"),
            "\\'; touch pwned #".into(),
            "!#;touch pwned;#".into(),
            "$(touch pwned)".into(),
            "`touch pwned`".into(),
            "x; touch pwned".into(),
            "x && touch pwned".into(),
            "x | touch pwned".into(),
            "> pwned".into(),
            "fix!bug".into(),
            "!!".into(),
            "!$".into(),
            "!-1".into(),
            "^x^y".into(),
            "-n".into(),
            "--".into(),
            "-".into(),
            "a\nb".into(),
            "trailing\n\n".into(),
            "\n".into(),
            "\\".into(),
            "\\\\".into(),
            "\\0101".into(),
            "\\n\\t\\c".into(),
            "%s%b%%".into(),
            "é".into(),
            "日本".into(),
            "~root".into(),
            "*".into(),
            "$HOME ${PATH} $1 $@ $#".into(),
            "=ls".into(),
            "{a,b}".into(),
            "#comment".into(),
            String::new(),
            " ".into(),
            "\t".into(),
            "\r".into(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect();
        v.push(vec![0xff, 0xfe, b'x', 0x80]);
        v.push(vec![0xc3]);
        v.push((1u8..=255).collect());
        v
    }
}

struct Outcome {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `cmd` with `stdin` written to it, killing it past `limit`.
fn run_bounded(mut cmd: Command, stdin: &[u8], limit: Duration) -> Result<Outcome, String> {
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let mut input = child.stdin.take();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(i) = input.as_mut() {
            let _ = i.write_all(&data);
        }
    });
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut v);
        }
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_end(&mut v);
        }
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {limit:?}"));
            }
            Err(e) => return Err(format!("wait: {e}")),
        }
    };
    let _ = writer.join();
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    Ok(Outcome {
        status: status.code(),
        stdout,
        stderr,
    })
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// Runs the attach command for `ops` under `shell` and checks the stub's argv and the
/// absence of side effects.
fn check_attach(
    sb: &Sandbox,
    shell: &LoginShell,
    ops: &[Vec<u8>],
    sh_dir: Option<&Path>,
) -> Result<(), String> {
    let line = RemoteCommand::new(ATTACH_SCRIPT)
        .args(ops)
        .to_command_line()
        .map_err(|e| e.to_string())?;
    sb.clear();
    let out = sb.run(shell, &line, b"", sh_dir)?;
    let mut expected: Vec<Vec<u8>> = vec![b"attach-session".to_vec(), b"-t".to_vec()];
    expected.extend(ops.iter().cloned());
    let got = sb.recorded_argv();
    let effects = sb.side_effects();
    if !effects.is_empty() {
        sb.clean_side_effects();
    }
    let ctx = || {
        format!(
            "{} (sh from {:?}), operands {:?}: status {:?}, stderr {}",
            shell.name,
            sh_dir,
            ops.iter().map(|o| show(o)).collect::<Vec<_>>(),
            out.status,
            show(&out.stderr)
        )
    };
    if !effects.is_empty() {
        return Err(format!("side effect {effects:?} under {}", ctx()));
    }
    if got.as_ref() != Some(&expected) {
        return Err(format!(
            "argv {:?} under {}",
            got.map(|g| g.iter().map(|a| show(a)).collect::<Vec<_>>()),
            ctx()
        ));
    }
    if out.status != Some(0) {
        return Err(format!("exit status under {}", ctx()));
    }
    Ok(())
}

fn operand_strategy(sb: &Sandbox) -> impl Strategy<Value = Vec<u8>> {
    let hostile = sb.hostile_operands();
    let pieces: Vec<Vec<u8>> = hostile
        .iter()
        .filter(|h| h.len() < 64)
        .cloned()
        .chain(
            [
                "'", "\"", "\\", "!", "$", "`", "\n", "#", ";", "&", "|", "<", ">", "(", ")", "{",
                "}", "*", "?", "~", "%", "^", " ", "\t", "-", "é", "a", "0", "=",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec()),
        )
        .collect();
    prop_oneof![
        2 => prop::sample::select(hostile),
        3 => prop::collection::vec(prop::sample::select(pieces), 1..8).prop_map(|v| v.concat()),
        2 => no_nul_bytes(48),
    ]
}

/// The main property: for arbitrary operands, every login shell gives the stub tmux
/// exactly `attach-session -t OPERAND...`, and no operand runs anything.
#[test]
fn shell_every_login_shell_passes_operands_exactly() {
    let shells = login_shells();
    let sb = Sandbox::new();
    let cases = std::env::var("NAVI_SHELL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        max_shrink_iters: 64,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = prop::collection::vec(operand_strategy(&sb), 1..=3);
    let runs = std::cell::Cell::new(0usize);
    let result = runner.run(&strategy, |ops| {
        for shell in &shells {
            check_attach(&sb, shell, &ops, None).map_err(TestCaseError::fail)?;
            runs.set(runs.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "ran {} command lines through {} login shells: {}",
        runs.get(),
        shells.len(),
        shells.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
    );
}

/// Every hostile operand, alone, under every login shell (not left to chance).
#[test]
fn shell_every_hostile_operand_under_every_login_shell() {
    let shells = login_shells();
    let sb = Sandbox::new();
    let ops = sb.hostile_operands();
    let mut failures = Vec::new();
    for shell in &shells {
        for op in &ops {
            if let Err(e) = check_attach(&sb, shell, std::slice::from_ref(op), None) {
                failures.push(e);
            }
        }
        // And all of them at once, as $1 ... $N.
        if let Err(e) = check_attach(&sb, shell, &ops, None) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The remote `sh` that decodes the program may be dash, bash, busybox, ksh, mksh or
/// zsh: each, put first on PATH as `sh`, decodes the hostile operands exactly.
#[test]
fn shell_every_posix_sh_decodes_the_program() {
    let shells = login_shells();
    let sb = Sandbox::new();
    let ops = sb.hostile_operands();
    let login = shells
        .iter()
        .find(|s| s.name == "dash")
        .or_else(|| shells.first())
        .unwrap();
    let candidates = [
        ("bash", "bash"),
        ("dash", "dash"),
        ("zsh", "zsh"),
        ("ksh93", "ksh93"),
        ("mksh", "mksh"),
        ("busybox ash", "busybox"),
    ];
    let mut failures = Vec::new();
    let mut tested = Vec::new();
    for (name, bin) in candidates {
        let Some(path) = find_in_path(bin) else {
            assert!(
                !require_shells(),
                "NAVI_REQUIRE_SHELLS=1 but {name} is missing"
            );
            eprintln!("SKIP: {name} not installed, not tested as the remote sh");
            continue;
        };
        let dir = sb.root.join(format!("sh-{bin}"));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("sh");
        if !link.exists() {
            std::os::unix::fs::symlink(&path, &link).unwrap();
        }
        for op in &ops {
            if let Err(e) = check_attach(&sb, login, std::slice::from_ref(op), Some(&dir)) {
                failures.push(e);
            }
        }
        if let Err(e) = check_attach(&sb, login, &ops, Some(&dir)) {
            failures.push(e);
        }
        tested.push(name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("decoding sh verified: {}", tested.join(", "));
}

/// A script whose own text has `!`, quotes, `$`, backticks, backslashes, a here-doc
/// and several lines prints the same under every login shell, and keeps its exit
/// status.
#[test]
fn shell_multiline_script_with_special_characters_runs_identically() {
    let script = r#"greeting='Hello, "world"!'
printf '%s\n' "$greeting"
printf '%s\n' 'it'\''s $HOME `date` \n !! !#'
printf 'sub: %s\n' "$(printf '%s' "a\\b")"
printf 'tick: %s\n' "`printf '%s' tick`"
n=0
for w in "$@"; do n=$((n + 1)); printf '%s:[%s]\n' "$n" "$w"; done
case "$1" in !*) echo 'bang!';; esac
cat <<'EOF'
heredoc: $not ${expanded} `ever` \ !! fix!bug
EOF
exit 3
"#;
    let expected = "Hello, \"world\"!\n\
                    it's $HOME `date` \\n !! !#\n\
                    sub: a\\b\n\
                    tick: tick\n\
                    1:[!x]\n\
                    2:[a  b]\n\
                    3:[trailing\n\n]\n\
                    bang!\n\
                    heredoc: $not ${expanded} `ever` \\ !! fix!bug\n";
    let line = RemoteCommand::new(script)
        .args(["!x", "a  b", "trailing\n\n"])
        .to_command_line()
        .unwrap();
    // The oracle: the same script run directly by sh.
    let direct = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .args(["!x", "a  b", "trailing\n\n"])
        .output()
        .unwrap();
    assert_eq!(show(&direct.stdout), show(expected.as_bytes()));
    assert_eq!(direct.status.code(), Some(3));

    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        match sb.run(&shell, &line, b"", None) {
            Ok(out) => {
                if out.stdout != expected.as_bytes()
                    || out.status != Some(3)
                    || !out.stderr.is_empty()
                {
                    failures.push(format!(
                        "{}: status {:?}, stdout {}, stderr {}",
                        shell.name,
                        out.status,
                        show(&out.stdout),
                        show(&out.stderr)
                    ));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The command line reads nothing itself: the program's stdin is the channel's (the
/// poll loop reads its requests there; attach needs the TTY), under every shell. With
/// no operands `$#` is 0 (the encoded words never leak into the script).
#[test]
fn shell_stdin_reaches_the_script_and_no_operands_means_none() {
    let line = RemoteCommand::new(
        "IFS= read -r a; IFS= read -r b; printf '%s|%s|%s' \"$#\" \"$a\" \"$b\"",
    )
    .to_command_line()
    .unwrap();
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        match sb.run(&shell, &line, b"first line\nsecond!\n", None) {
            Ok(out) if out.stdout == b"0|first line|second!" && out.status == Some(0) => {}
            Ok(out) => failures.push(format!(
                "{}: status {:?}, stdout {}, stderr {}",
                shell.name,
                out.status,
                show(&out.stdout),
                show(&out.stderr)
            )),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A script sent on stdin ([`RemoteCommand::script_on_stdin`]) runs as it would in the
/// command line under every login shell: special characters, a here-doc, its operands,
/// and the requests after it reach it line by line. The command line stays small, and
/// a script cut short (stdin ended before its last line) does not run at all.
#[test]
fn shell_a_script_on_stdin_runs_as_in_the_line_under_every_login_shell() {
    let script = r#"greeting='Hello, "world"!'
printf '%s\n' "$greeting" 'it'\''s $HOME `date` \n !! !#'
    indented=$(printf '%s' "a\\b")
printf 'sub: %s %s\n' "$indented" "$#:$1:$2"
cat <<'EOF'
heredoc: $not ${expanded} \ fix!bug
EOF
while IFS= read -r l; do printf 'got: %s\n' "$l"; done"#;
    let expected = "Hello, \"world\"!\n\
                    it's $HOME `date` \\n !! !#\n\
                    sub: a\\b 2:!x:a  b\n\
                    heredoc: $not ${expanded} \\ fix!bug\n\
                    got: one request\n\
                    got: two\n";
    let cmd = RemoteCommand::new(script)
        .args(["!x", "a  b"])
        .stdin(Stdin::Requests)
        .within(None)
        .script_on_stdin();
    let line = cmd.to_command_line().unwrap();
    let on_stdin = cmd.stdin_script().unwrap().unwrap();
    assert!(line.len() < 3000, "the line stays small: {}", line.len());
    let mut stdin = on_stdin.clone();
    stdin.extend_from_slice(b"one request\ntwo\n");
    let cut = &on_stdin[..on_stdin.len() / 2];
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        match sb.run(&shell, &line, &stdin, None) {
            Ok(out) if show(&out.stdout) == show(expected.as_bytes()) => {}
            Ok(out) => failures.push(format!(
                "{}: status {:?}, stdout {}, stderr {}",
                shell.name,
                out.status,
                show(&out.stdout),
                show(&out.stderr)
            )),
            Err(e) => failures.push(e),
        }
        match sb.run(&shell, &line, cut, None) {
            Ok(out) if out.stdout.is_empty() && out.status != Some(0) => {}
            Ok(out) => failures.push(format!(
                "{} (cut short): status {:?}, stdout {}",
                shell.name,
                out.status,
                show(&out.stdout)
            )),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let bad = RemoteCommand::new("echo a\nnavi-script-end\necho b")
        .stdin(Stdin::Requests)
        .script_on_stdin();
    assert_eq!(
        bad.stdin_script().unwrap_err(),
        RemoteCommandError::EndLineInScript
    );
    assert_eq!(RemoteCommand::new("true").stdin_script().unwrap(), None);
}

/// The remote's `sh` decides which shell runs a script on stdin (the push loop): dash,
/// busybox ash and ksh93, whose `read` cannot be capped, hand it to `bash --posix` when
/// bash is on PATH and run it themselves when it is not; bash, zsh and mksh run it
/// themselves. The requests after the script still reach it.
#[test]
fn shell_a_script_on_stdin_runs_under_bash_where_sh_cannot_cap_a_read() {
    let script = r#"case ${BASH_VERSION-}${ZSH_VERSION-}/${KSH_VERSION-} in
  /*MIRBSD*) printf 'mksh' ;;
  /*) printf 'sh' ;;
  *) [ -n "${ZSH_VERSION-}" ] && printf 'zsh' || printf 'bash' ;;
esac
case $- in *p*) ;; *) [ -n "${BASH_VERSION-}" ] && shopt -oq posix && printf ' posix' ;; esac
IFS= read -r l; printf ' %s %s\n' "$1" "$l""#;
    let cmd = RemoteCommand::new(script)
        .args(["op"])
        .stdin(Stdin::Requests)
        .within(None)
        .script_on_stdin();
    let line = cmd.to_command_line().unwrap();
    let mut stdin = cmd.stdin_script().unwrap().unwrap();
    stdin.extend_from_slice(b"request\n");
    let sb = Sandbox::new();
    let dash = find_in_path("dash").or_else(|| find_in_path("sh")).unwrap();
    // (sh, what runs the script with bash on PATH, without it)
    let cases = [
        ("dash", "bash posix", "sh"),
        ("busybox", "bash posix", "sh"),
        ("ksh93", "bash posix", "sh"),
        ("bash", "bash posix", "-"),
        ("zsh", "zsh", "-"),
        ("mksh", "mksh", "-"),
    ];
    let mut failures = Vec::new();
    for (bin, with_bash, without_bash) in cases {
        let Some(path) = find_in_path(bin) else {
            assert!(
                !require_shells(),
                "NAVI_REQUIRE_SHELLS=1 but {bin} is missing"
            );
            eprintln!("SKIP: {bin} not installed");
            continue;
        };
        for (bash_there, want) in [(true, with_bash), (false, without_bash)] {
            if want == "-" {
                continue;
            }
            // A PATH of `sh` and what the wrapper runs, with or without bash.
            let dir = sb.root.join(format!("only-{bin}-{bash_there}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut tools = vec![("sh".to_string(), path.clone())];
            for t in ["sleep", "setsid", "cat", "printf"] {
                if let Some(p) = find_in_path(t) {
                    tools.push((t.to_string(), p));
                }
            }
            if bash_there {
                tools.push(("bash".to_string(), find_in_path("bash").unwrap()));
            }
            for (name, target) in tools {
                let link = dir.join(name);
                if !link.exists() {
                    std::os::unix::fs::symlink(target, link).unwrap();
                }
            }
            let mut c = Command::new(&dash);
            c.arg("-c")
                .arg(line.as_str())
                .current_dir(&sb.work)
                .env("PATH", &dir)
                .env("HOME", &sb.home)
                .env_remove("ENV")
                .env_remove("BASH_ENV")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            match run_bounded(c, &stdin, Duration::from_secs(30)) {
                Ok(out) if out.stdout == format!("{want} op request\n").as_bytes() => {}
                Ok(out) => failures.push(format!(
                    "sh={bin}, bash on PATH: {bash_there}: want {want:?}, status {:?}, stdout {}, stderr {}",
                    out.status,
                    show(&out.stdout),
                    show(&out.stderr)
                )),
                Err(e) => failures.push(format!("sh={bin}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Comment lines do not go to the remote (only what runs does); a script with a
/// here-document keeps them (a line of its text may begin with `#`), and the script
/// still runs under every login shell.
#[test]
fn shell_comment_lines_are_not_sent() {
    let script = "# a comment\n  # an indented one\nprintf '%s\\n' \"#not a comment\" # trailing\n";
    let cmd = RemoteCommand::new(script);
    assert_eq!(cmd.script, "printf '%s\\n' \"#not a comment\" # trailing\n");
    let program = String::from_utf8(cmd.program().unwrap()).unwrap();
    assert!(
        !program.lines().any(|l| l.trim_start().starts_with('#')),
        "{program}"
    );
    let heredoc = "cat <<'EOF'\n# kept\nEOF\n";
    assert_eq!(RemoteCommand::new(heredoc).script, heredoc);
    let line = cmd.to_command_line().unwrap();
    let sb = Sandbox::new();
    for shell in login_shells() {
        let out = sb.run(&shell, &line, b"", None).unwrap();
        assert_eq!(out.stdout, b"#not a comment\n", "{}", shell.name);
    }
}

/// The longest command line allowed still runs under every login shell (csh's word
/// limit is why the program is split into words).
#[test]
fn shell_near_limit_command_line_runs_under_every_login_shell() {
    let cmd = near_limit_command();
    let ops = cmd.operands.clone();
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        if let Err(e) = check_attach(&sb, &shell, &ops, None) {
            // The operand is 50 KB: keep the message short.
            failures.push(e.chars().take(300).collect::<String>());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Why the builder exists: the naive POSIX-quoted command is NOT safe under fish and
/// csh. If this ever stops failing, the shells changed, not the reason for the design.
#[test]
fn shell_naive_posix_quoting_is_unsafe_under_fish_and_csh() {
    let sb = Sandbox::new();
    let c = sb.canary.display().to_string();
    let posix_quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let cases = [
        ("fish", format!("\\'; touch {c} #")),
        ("tcsh", format!("!#;touch {c};#")),
        ("csh", format!("!#;touch {c};#")),
    ];
    for shell in login_shells() {
        for (name, op) in &cases {
            if shell.name != *name {
                continue;
            }
            // The form navi used to send: the name twice, POSIX-quoted.
            let naive = format!(
                "tmux has-session -t {} || exit 113 ; tmux attach-session -t {}",
                posix_quote(&format!("={op}")),
                posix_quote(op)
            );
            let _ = sb.run(&shell, &naive, b"", None);
            assert!(
                sb.canary.exists(),
                "{name}: naive quoting of {op:?} no longer runs touch"
            );
            sb.clean_side_effects();
        }
    }
}

/// The poll's scripts (the snapshot, as exec and as the loop, and the push loop) with
/// their tmux check run the same under every login shell: each status file's recorded
/// server is asked (`tmux -u -S SOCKET`), the default one too, and every row is decided
/// from its own server's answer.
#[test]
fn shell_the_poll_scripts_and_their_tmux_check_run_under_every_login_shell() {
    use crate::remote::{exec_command, loop_command, push_command, BatchReader, PushState};
    use navi_core::Liveness;
    let sb = Sandbox::new();
    let st = sb.home.join("st");
    std::fs::create_dir_all(&st).unwrap();
    let status = |name: &str, socket: Option<&str>| {
        let mut v = serde_json::json!({"tmux_session": name, "status": "waiting"});
        if let Some(s) = socket {
            v["tmux"] = serde_json::json!({"socket": s, "server_pid": 7, "session_id": "$1"});
        }
        serde_json::to_vec_pretty(&v).unwrap()
    };
    std::fs::write(st.join("a.json"), status("a", Some("/srv/ok it's"))).unwrap();
    std::fs::write(st.join("b.json"), status("b", Some("/srv/down"))).unwrap();
    std::fs::write(st.join("d.json"), status("d", None)).unwrap();
    // A tmux that answers for the default server and `/srv/ok it's` only.
    let stub = sb.root.join("tmux-stub");
    std::fs::create_dir_all(&stub).unwrap();
    let script = stub.join("tmux");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ \"$1\" = -u ] || { echo 'no -u' >&2; exit 1; }\n\
         case $2 in\n  -S) case $3 in \"/srv/ok it's\") echo '7 $1 a'; exit 0;; esac\n\
         echo \"no server running on $3\" >&2; exit 1;;\nesac\necho '8 $0 d'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let decided = |mut r: navi_core::PollReport| {
        r.decide_liveness();
        let mut v: Vec<(String, Liveness)> = r
            .sessions
            .into_iter()
            .map(|s| (s.tmux_session.clone(), s.liveness.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let check = |what: &str, got: Vec<(String, Liveness)>| -> Result<(), String> {
        let ok = got.len() == 3
            && got[0] == ("a".into(), Liveness::Live)
            && got[1].0 == "b"
            && got[1].1.reason().is_some_and(|w| w.contains("/srv/down"))
            && got[2] == ("d".into(), Liveness::Live);
        match ok {
            true => Ok(()),
            false => Err(format!("{what}: {got:?}")),
        }
    };
    let n = "c0ffee00c0ffee00c0ffee00c0ffee00";
    let mut failures = Vec::new();
    for shell in login_shells() {
        let one = |what: &str, line: String, stdin: String| -> Result<(), String> {
            let out = sb.run(&shell, &line, stdin.as_bytes(), Some(&stub))?;
            let ctx =
                |e: String| format!("{} {what}: {e}; stderr {}", shell.name, show(&out.stderr));
            if what == "push" {
                let mut reader = BatchReader::new(n);
                let batches = reader.push(&out.stdout).map_err(ctx)?;
                let full = batches
                    .into_iter()
                    .find_map(|b| match b {
                        crate::remote::Batch::Full(r) => Some(r),
                        _ => None,
                    })
                    .ok_or_else(|| ctx(format!("no snapshot in {}", show(&out.stdout))))?;
                let report = PushState::from_full(full)
                    .report("~/st", "r")
                    .map_err(|e| ctx(e.to_string()))?;
                return check(&format!("{} push", shell.name), decided(report));
            }
            let report = crate::remote::decode_snapshot(&out.stdout, n, "~/st")
                .map_err(|e| ctx(e.to_string()))?;
            check(&format!("{} {what}", shell.name), decided(report))
        };
        // The push loop's script comes on stdin, ahead of its requests.
        let (push_line, push_script) = push_command("~/st", "0").unwrap();
        let push_script = String::from_utf8(push_script).unwrap();
        let runs = [
            ("exec", exec_command("~/st", n).unwrap(), String::new()),
            ("loop", loop_command("~/st").unwrap(), format!("{n}\n")),
            ("push", push_line, format!("{push_script}{n}\n{n}:s\n")),
        ];
        for (what, line, stdin) in runs {
            if let Err(e) = one(what, line.to_string(), stdin) {
                failures.push(e);
            }
        }
    }
    assert!(sb.side_effects().is_empty(), "{:?}", sb.side_effects());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Bounded on the remote (the wrapper), under every login shell
// ---------------------------------------------------------------------------------------

/// The script sees no descriptor but 0–2, whatever the login shell left open (BSD csh
/// leaves dups of the channel's pipes on 3–5; a tmux server started with them would keep
/// the channel open), in every stdin mode.
#[test]
fn shell_the_script_gets_no_descriptor_past_stderr_under_every_login_shell() {
    let script =
        "for f in 3 4 5 6 7 8 9; do [ -e /dev/fd/$f ] && printf '%s ' $f; done; printf end";
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for stdin in [Stdin::Input, Stdin::Unused, Stdin::Requests] {
        let line = RemoteCommand::new(script)
            .stdin(stdin)
            .to_command_line()
            .unwrap();
        for shell in login_shells() {
            match sb.run(&shell, &line, b"", None) {
                Ok(out) if out.stdout == b"end" && out.status == Some(0) => {}
                Ok(out) => failures.push(format!(
                    "{} {stdin:?}: status {:?}, stdout {}, stderr {}",
                    shell.name,
                    out.status,
                    show(&out.stdout),
                    show(&out.stderr)
                )),
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether process `pid` is gone (or a zombie), waiting for it a bounded while.
fn gone(pid: u32) -> bool {
    for _ in 0..200 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(s)
                if s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z')) =>
            {
                return true
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    false
}

/// The time limit ends the script and what it started in the background (which holds
/// no descriptor of the channel), says so on stderr and exits [`EXIT_LIMIT`]; the end of
/// a loop's requests ends a loop stuck in a child. Under every login shell.
#[test]
fn shell_a_limit_and_the_end_of_requests_end_every_process_under_every_login_shell() {
    let stuck = "sleep 30 </dev/null >/dev/null 2>&1 & echo $!; sleep 30";
    let limited = RemoteCommand::new(stuck)
        .within(Some(Duration::from_secs(1)))
        .to_command_line()
        .unwrap();
    let looping = RemoteCommand::new(
        "while IFS= read -r l; do echo \"got $l\"; sleep 30 </dev/null >/dev/null 2>&1 & echo $!; sleep 30; done",
    )
    .stdin(Stdin::Requests)
    .within(None)
    .to_command_line()
    .unwrap();
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        for (what, line, input) in [
            ("limit", &limited, &b""[..]),
            ("requests", &looping, b"a\n"),
        ] {
            let out = match sb.run(&shell, line, input, None) {
                Ok(out) => out,
                Err(e) => {
                    failures.push(format!("{what}: {e}"));
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let pid: Option<u32> = text.lines().last().and_then(|l| l.trim().parse().ok());
            let said = String::from_utf8_lossy(&out.stderr).into_owned();
            let ok = out.status == Some(EXIT_LIMIT as i32)
                && pid.is_some_and(gone)
                && (what != "limit" || said.contains(LIMIT_MESSAGE))
                && (what != "requests" || text.starts_with("got a\n"));
            if !ok {
                failures.push(format!(
                    "{} {what}: status {:?}, stdout {}, stderr {}",
                    shell.name,
                    out.status,
                    show(&out.stdout),
                    show(&out.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A command that ends normally takes along what it left running, even a child that
/// ignores TERM (it gets KILL a second later). Under every login shell.
#[test]
fn shell_a_child_that_ignores_term_does_not_outlive_its_command_under_every_login_shell() {
    let line = RemoteCommand::new(
        "sh -c 'trap \"\" TERM; exec sleep 30' </dev/null >/dev/null 2>&1 & echo $!",
    )
    .within(Some(Duration::from_secs(20)))
    .to_command_line()
    .unwrap();
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    for shell in login_shells() {
        let out = match sb.run(&shell, &line, b"", None) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!("{}: {e}", shell.name));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let pid: Option<u32> = text.lines().last().and_then(|l| l.trim().parse().ok());
        if out.status != Some(0) || !pid.is_some_and(gone) {
            failures.push(format!(
                "{}: status {:?}, stdout {}, stderr {}",
                shell.name,
                out.status,
                show(&out.stdout),
                show(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
