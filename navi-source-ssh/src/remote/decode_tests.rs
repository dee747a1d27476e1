#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reading framed snapshots: good files around broken ones, skip records, truncation,
//! junk and hostile bytes.

use super::*;

/// The sessions' names, sorted.
pub(super) fn names(r: &navi_core::PollReport) -> Vec<String> {
    let mut v: Vec<String> = r.sessions.iter().map(|s| s.tmux_session.clone()).collect();
    v.sort();
    v
}

/// The skipped files' names, sorted.
pub(super) fn skipped(r: &navi_core::PollReport) -> Vec<String> {
    let mut v: Vec<String> = r.skipped.iter().map(|s| s.name.clone()).collect();
    v.sort();
    v
}

const N: &str = "abcdef0123456789abcdef0123456789";

fn frame(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = format!("\nNAVI-{N} BEGIN\n").into_bytes();
    for (line, body) in records {
        out.extend_from_slice(format!("\nNAVI-{N} {line}\n").as_bytes());
        out.extend_from_slice(body);
    }
    out.extend_from_slice(format!("\nNAVI-{N} END\n").as_bytes());
    out
}

#[test]
fn decode_keeps_good_files_around_a_broken_one() {
    let out = frame(&[
        ("F a.json", br#"{"tmux_session":"a","status":"working"}"#),
        ("F b.json", b"{\"tmux_sess"),
        ("F c.json", br#"{"status":"idle"}"#),
    ]);
    let r = decode_snapshot(&out, N, "~/s").unwrap();
    assert_eq!(names(&r), ["a", "c"], "c is named by its file");
    assert_eq!(skipped(&r), ["~/s/b.json"]);
}

#[test]
fn decode_skips_oversize_and_reports_skip_records() {
    let big = vec![b'x'; navi_core::MAX_STATUS_FILE_BYTES as usize + 1];
    let out = frame(&[
        ("F big.json", &big),
        ("S locked.json", b"not readable by the remote user"),
    ]);
    let r = decode_snapshot(&out, N, "~/s").unwrap();
    assert!(r.sessions.is_empty());
    assert_eq!(skipped(&r), ["~/s/big.json", "~/s/locked.json"]);
    assert!(r.skipped.iter().any(|s| s.reason.contains("not readable")));
}

#[test]
fn truncated_output_is_a_remote_error() {
    let out = frame(&[("F a.json", br#"{"tmux_session":"a","status":"working"}"#)]);
    let cut = &out[..out.len() - 5];
    let err = decode_snapshot(cut, N, "~/s").unwrap_err();
    assert_eq!(err.kind(), "remote");
    assert!(err.to_string().contains("truncated"), "{err}");
    let err = decode_snapshot(b"bash: sh: command not found\n", N, "~/s").unwrap_err();
    assert_eq!(err.kind(), "remote");
    assert!(err.to_string().contains("start marker"), "{err}");
    // What the remote printed instead is shown (sanitized): here a nologin shell.
    let err = decode_snapshot(
        b"This account is currently not available.\x1b[2J\n",
        N,
        "~/s",
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("This account is currently not available."),
        "{msg}"
    );
    assert!(!msg.contains('\x1b'), "{msg}");
    let err = decode_snapshot(b"", N, "~/s").unwrap_err();
    assert!(err.to_string().contains("is `sh` available"), "{err}");
}

#[test]
fn decode_ignores_junk_before_begin_and_other_nonces() {
    let mut out = b"Welcome to the machine!\n\nNAVI-ffff F x.json\n{}".to_vec();
    out.extend(frame(&[(
        "F a.json",
        b"{\"tmux_session\":\"a\",\"status\":\"done\"}\nNAVI-ffff END\n",
    )]));
    let r = decode_snapshot(&out, N, "~/s").unwrap();
    assert_eq!(names(&r), ["a"]);
}

#[test]
fn hostile_bytes_are_sanitized_and_never_fatal() {
    let out = frame(&[
        ("F \u{1b}[2Jevil\u{7}.json", b"\x00\x01\x02\xff"),
        ("S \u{1b}]0;owned\u{7}.json", b"\x1b[31mred\x1b[0m"),
        ("F ok.json", br#"{"tmux_session":"ok","status":"done"}"#),
    ]);
    let r = decode_snapshot(&out, N, "~/s").unwrap();
    assert_eq!(names(&r), ["ok"]);
    for s in &r.skipped {
        assert!(
            !s.name.contains('\u{1b}') && !s.name.contains('\u{7}'),
            "{:?}",
            s.name
        );
        assert!(!s.reason.contains('\u{1b}'), "{:?}", s.reason);
    }
}

#[test]
fn an_unknown_record_is_an_error() {
    let out = frame(&[("X what", b"")]);
    assert_eq!(
        decode_snapshot(&out, N, "~/s").unwrap_err().kind(),
        "remote"
    );
}
