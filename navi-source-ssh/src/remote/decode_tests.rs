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

/// A status file naming its tmux server, as `navi hook` writes it (pretty JSON).
pub(super) fn status_on(name: &str, socket: Option<&str>) -> Vec<u8> {
    let mut v = serde_json::json!({"tmux_session": name, "status": "waiting"});
    if let Some(s) = socket {
        v["tmux"] = serde_json::json!({"socket": s, "server_pid": 10, "session_id": "$1"});
    }
    serde_json::to_vec_pretty(&v).unwrap()
}

fn liveness_of<'a>(r: &'a navi_core::PollReport, name: &str) -> &'a navi_core::Liveness {
    &r.sessions
        .iter()
        .find(|s| s.tmux_session == name)
        .unwrap_or_else(|| panic!("no row {name}"))
        .liveness
}

#[test]
fn tmux_records_decide_each_row_from_its_own_server() {
    use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};
    let spaced = "/tmp/a b/it's $(touch x) `y`";
    let quoted = "/tmp/q\"uote";
    let out = frame(&[
        ("F live.json", &status_on("live", None)),
        ("F gone.json", &status_on("gone", None)),
        ("F work.json", &status_on("work", Some("/s/work"))),
        ("F spaced.json", &status_on("spaced", Some(spaced))),
        ("F quoted.json", &status_on("quoted", Some(quoted))),
        ("F renamed.json", &status_on("renamed", Some("/s/ok"))),
        (
            "F newline.json",
            &status_on("newline", Some("/s/new\nline")),
        ),
        ("T -", b"10 $0 live\n10 $1 other\n"),
        // What a socket path with a newline would make of a header: the server
        // `/s/new`, whose answer names no row.
        ("T /s/new", b"line\n10 $0 newline\n"),
        (
            "U /s/work",
            b"protocol version mismatch (client 8, server 7)\nsecond line\n",
        ),
        (&format!("T {spaced}"), b"10 $1 spaced\n"),
        // Same pid as recorded, the recorded id under a new name: a rename in tmux.
        ("T /s/ok", b"10 $1 renamed-in-tmux\n"),
    ]);
    let mut r = decode_snapshot(&out, N, "~/s").unwrap();
    let view = r.tmux.clone().unwrap();
    assert_eq!(
        view.servers.get(&TmuxServer::Socket(spaced.into())),
        Some(&navi_core::statusdir::liveness::parse_listing(
            "10 $1 spaced\n"
        ))
    );
    // The quoted socket was not asked (the script passes no path with a JSON escape):
    // unknown with that reason, not a guess.
    match view.servers.get(&TmuxServer::Socket(quoted.into())) {
        Some(ServerAnswer::Unreachable(why)) => assert!(why.contains("was not asked"), "{why}"),
        other => panic!("{other:?}"),
    }
    let follows = r.decide_liveness();
    assert_eq!(*liveness_of(&r, "live"), navi_core::Liveness::Live);
    assert_eq!(*liveness_of(&r, "gone"), navi_core::Liveness::Ended);
    assert_eq!(*liveness_of(&r, "spaced"), navi_core::Liveness::Live);
    let why = liveness_of(&r, "work").reason().unwrap();
    assert!(
        why.contains("/s/work") && why.contains("protocol version mismatch"),
        "{why}"
    );
    assert!(!why.contains("second line"), "the first line only: {why}");
    assert!(liveness_of(&r, "quoted").allows_removal().is_err());
    let why = liveness_of(&r, "newline").reason().unwrap();
    assert!(why.contains("was not asked"), "{why}");
    assert_eq!(*liveness_of(&r, "renamed"), navi_core::Liveness::Live);
    assert_eq!(follows.len(), 1, "{follows:?}");
    assert_eq!(
        (follows[0].from.as_str(), follows[0].to.as_str()),
        ("renamed", "renamed-in-tmux")
    );
}

#[test]
fn bogus_tmux_records_are_ignored_and_never_make_a_row_ended() {
    use navi_core::statusdir::liveness::TmuxServer;
    let out = frame(&[
        ("F a.json", &status_on("a", None)),
        ("F b.json", &status_on("b", Some("/s/b"))),
        // No server, a relative one, an unknown kind: none of them is an answer.
        ("T", b"10 $0 x\n"),
        ("T relative/sock", b"10 $0 x\n"),
        ("U ", b"oops"),
        ("T  /s/b", b"10 $0 x\n"),
        // A listing line cannot forge another record (the nonce is unknown) nor add
        // a session that is not on one line.
        (
            "T -",
            b"NAVI-0000 T /s/b\n10 $0 b\nnot a listing line\n10 notanid a\n\x1b[2J\n",
        ),
    ]);
    let mut r = decode_snapshot(&out, N, "~/s").unwrap();
    let view = r.tmux.clone().unwrap();
    let servers: Vec<&TmuxServer> = view.servers.keys().collect();
    assert_eq!(
        servers,
        [&TmuxServer::Default, &TmuxServer::Socket("/s/b".into())],
        "only the default answer and the completion for /s/b"
    );
    r.decide_liveness();
    // `a` is not in the default listing (its `10 notanid a` line is not one): ended on
    // the default server's answer. `b`'s own server never answered: unknown.
    assert_eq!(*liveness_of(&r, "a"), navi_core::Liveness::Ended);
    assert!(
        liveness_of(&r, "b")
            .reason()
            .unwrap()
            .contains("was not asked"),
        "{:?}",
        liveness_of(&r, "b")
    );
    // No tmux records at all (a snapshot of an older script): tmux was not asked.
    let out = frame(&[("F a.json", &status_on("a", None))]);
    let mut r = decode_snapshot(&out, N, "~/s").unwrap();
    assert!(r.tmux.is_none());
    r.decide_liveness();
    assert!(liveness_of(&r, "a").allows_removal().is_err());
}
