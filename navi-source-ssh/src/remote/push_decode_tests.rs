#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The push loop's length-framed records (`P`: a status file on its own, `X`: the lines
//! that changed) read by navi's reader and applied to its state, hostile input included.

use super::push_decode::{Batch, BatchReader, Record};
use super::PushState;

const NONCE: &str = "0123456789abcdef0123456789abcdef";

fn file(status: &str, k: usize) -> String {
    format!("{{\n  \"tmux_session\": \"a\",\n  \"status\": \"{status}\",\n  \"message\": \"m{k}\",\n  \"timestamp\": 1700000000\n}}\n")
}

fn p(seq: u64, name: &str, body: &str) -> String {
    format!("\nNAVI-{NONCE} P {seq} {} {name}\n{body}", body.len())
}

fn x(seq: u64, name: &str, body: &str) -> String {
    format!("\nNAVI-{NONCE} X {seq} {} {name}\n{body}", body.len())
}

/// Every batch of `stream`, fed in one piece and byte by byte (the same either way).
fn batches(stream: &str) -> Vec<Batch> {
    let whole = BatchReader::new(NONCE).push(stream.as_bytes()).unwrap();
    let mut r = BatchReader::new(NONCE);
    let mut bytewise = Vec::new();
    for b in stream.as_bytes() {
        bytewise.extend(r.push(&[*b]).unwrap());
    }
    assert_eq!(whole, bytewise);
    whole
}

/// The state after the stream, and whether it asked for a resend.
fn state_after(stream: &str) -> (PushState, bool) {
    let mut s = PushState::default();
    let mut resend = false;
    for b in batches(stream) {
        if let Batch::Delta(r) = b {
            s.apply_delta(r);
            resend |= s.take_resend();
        }
    }
    (s, resend)
}

fn status_of(s: &PushState) -> Vec<(String, String)> {
    s.clone()
        .report("/d", "r")
        .unwrap()
        .sessions
        .iter()
        .map(|s| (s.tmux_session.clone(), s.message.clone()))
        .collect()
}

#[test]
fn a_file_record_is_read_by_its_length_whatever_it_holds() {
    // Content that looks like framing of another nonce, and noise before the record.
    let body = "{\"tmux_session\":\"a\",\"status\":\"idle\",\"message\":\"\\nNAVI-x END\\n\",\"timestamp\":1}";
    let stream = format!(
        "login noise{}\nNAVI-{NONCE} H t\n\nNAVI-{NONCE} END\n",
        p(1, "a b.json", body)
    );
    let got = batches(&stream);
    assert_eq!(
        got,
        vec![
            Batch::Delta(vec![Record::Sent {
                name: "a b.json".into(),
                seq: 1,
                bytes: body.as_bytes().to_vec()
            }]),
            Batch::Heartbeat("t".into()),
        ]
    );
}

#[test]
fn a_difference_applies_to_the_base_it_names() {
    let (a, b) = (file("working", 1), file("waiting", 2));
    let stream = format!(
        "{}{}",
        p(4, "a.json", &a),
        x(
            5,
            "a.json",
            &format!(
                "4 {}\n2   \"status\": \"waiting\",\n3   \"message\": \"m2\",\n",
                b.len()
            )
        )
    );
    let (mut s, resend) = state_after(&stream);
    assert!(!resend);
    assert_eq!(status_of(&s), vec![("a".into(), "m2".into())]);
    // The digest agrees: the bytes held are the file's.
    let sum = super::push_decode::Sum {
        crc: super::cksum(b.as_bytes()),
        len: b.len() as u64,
        name: "a.json".into(),
    };
    assert!(s.matches(&[sum], &[]));
    // A second difference against the new base applies too.
    let c = file("done", 3);
    let more = x(
        6,
        "a.json",
        &format!(
            "5 {}\n2   \"status\": \"done\",\n3   \"message\": \"m3\",\n",
            c.len()
        ),
    );
    for b in batches(&more) {
        if let Batch::Delta(r) = b {
            s.apply_delta(r);
        }
    }
    assert!(!s.take_resend());
    assert_eq!(status_of(&s), vec![("a".into(), "m3".into())]);
}

/// A changed member's value alone (`<index>=<value>`) keeps the line up to its first
/// `": ` (what the loop sends when only a pretty-printed value changed), mixed with
/// whole lines; the digest still agrees with the file.
#[test]
fn a_value_alone_keeps_its_key() {
    let (a, b) = (file("working", 1), file("waiting", 22));
    let body = format!("4 {}\n2=\"waiting\",\n3   \"message\": \"m22\",\n", b.len());
    let (s, resend) = state_after(&format!("{}{}", p(4, "a.json", &a), x(5, "a.json", &body)));
    assert!(!resend);
    assert_eq!(status_of(&s), vec![("a".into(), "m22".into())]);
    let sum = super::push_decode::Sum {
        crc: super::cksum(b.as_bytes()),
        len: b.len() as u64,
        name: "a.json".into(),
    };
    assert!(s.matches(&[sum], &[]));
    // A value whose own text holds `": ` is put after the first one of the line.
    let c = a.replace("\"m1\"", "\"x\\\": y\"");
    let body = format!("4 {}\n3=\"x\\\": y\",\n", c.len());
    let (s, resend) = state_after(&format!("{}{}", p(4, "a.json", &a), x(5, "a.json", &body)));
    assert!(!resend);
    assert_eq!(status_of(&s), vec![("a".into(), "x\": y".into())]);
    // A value for a line without `": ` (the `{`), or of the wrong length: the file
    // keeps what navi held and navi asks for a snapshot.
    for body in [
        format!("4 {}\n0=x\n", a.len() + 1),
        format!("4 {}\n2=\"idle\",\n", a.len() + 5),
    ] {
        let (s, resend) = state_after(&format!("{}{}", p(4, "a.json", &a), x(5, "a.json", &body)));
        assert!(resend, "{body:?}");
        assert_eq!(status_of(&s), vec![("a".into(), "m1".into())], "{body:?}");
    }
}

/// Every way a difference can be wrong: the file keeps what navi held, and navi asks
/// for a snapshot (which heals it); later records still read.
#[test]
fn a_difference_that_does_not_apply_asks_for_a_resend() {
    let a = file("working", 1);
    let len = file("waiting", 2).len();
    let bad = [
        format!("3 {len}\n2   \"status\": \"waiting\",\n3   \"message\": \"m2\",\n"), // wrong base
        format!("4 {len}\n99 x\n"),                   // no such line
        format!("4 {len}\n18446744073709551616 x\n"), // index past u64
        format!("4 {len}\n{} x\n", usize::MAX),       // huge index
        format!("4 {}\n2   \"status\": \"waiting\",\n", len + 1), // wrong length
        format!("4 {len}\n3   \"message\": \"m2\",\n2   \"status\": \"waiting\",\n"), // out of order
        format!("4 {len}\n3 a\n3 b\n"),                                               // twice
        "4\n".to_string(),                                                            // no length
        format!("4 {len}\nnot a number\n"),
        format!("4 {len}\n2   no newline at the end"),
        String::new(),
    ];
    for body in bad {
        let stream = format!(
            "{}{}{}",
            p(4, "a.json", &a),
            x(5, "a.json", &body),
            p(6, "b.json", &file("idle", 9).replace("\"a\"", "\"b\""))
        );
        let (s, resend) = state_after(&stream);
        assert!(resend, "{body:?}");
        assert_eq!(
            status_of(&s),
            vec![("a".into(), "m1".into()), ("b".into(), "m9".into())],
            "{body:?}"
        );
    }
    // A difference for a file navi holds no base of (never sent on its own).
    let (_, resend) = state_after(&x(1, "c.json", "0 1\n0 x\n"));
    assert!(resend);
}

/// A length that is too long ends where the next record starts (no file holds the
/// nonce): the record is taken as broken, the next one is read.
#[test]
fn a_wrong_length_costs_only_its_record() {
    let a = file("working", 1);
    let stream = format!(
        "\nNAVI-{NONCE} P 1 {} a.json\n{a}\nNAVI-{NONCE} H t\n\nNAVI-{NONCE} END\n",
        a.len() + 500
    );
    let got = BatchReader::new(NONCE).push(stream.as_bytes()).unwrap();
    assert!(
        matches!(&got[0], Batch::Delta(r) if matches!(&r[0], Record::Diff { base: u64::MAX, .. })),
        "{got:?}"
    );
    assert_eq!(got[1], Batch::Heartbeat("t".into()));
    let (s, resend) = state_after(&stream[..stream.len()]);
    assert!(resend);
    assert!(status_of(&s).is_empty());
}

/// Headers that cannot be right stop the reader with a message that says why (the
/// caller names the remote).
#[test]
fn a_record_header_that_cannot_be_right_is_an_error() {
    for (head, want) in [
        (format!("P 1 {} a.json", 100 * 1024 * 1024), "over the"),
        (
            "P 1 99999999999999999999999999 a.json".to_string(),
            "does not parse",
        ),
        ("P x 10 a.json".to_string(), "does not parse"),
        ("X 1 -3 a.json".to_string(), "does not parse"),
        ("P 1 10".to_string(), "does not parse"),
    ] {
        let stream = format!("\nNAVI-{NONCE} {head}\n0123456789");
        let e = BatchReader::new(NONCE)
            .push(stream.as_bytes())
            .expect_err(&head);
        assert!(e.contains(want), "{head}: {e}");
    }
    // A header line that never ends.
    let stream = format!("\nNAVI-{NONCE} P 1 {}", "9".repeat(5000));
    let e = BatchReader::new(NONCE).push(stream.as_bytes()).unwrap_err();
    assert!(e.contains("header line"), "{e}");
}

/// A file sent whole again, skipped or removed drops the base: a later difference
/// against the old base does not apply.
#[test]
fn a_base_goes_with_its_file() {
    let a = file("working", 1);
    let diff = x(
        2,
        "a.json",
        &format!("1 {}\n3   \"message\": \"m5\",\n", a.len()),
    );
    for between in [
        format!("\nNAVI-{NONCE} DELTA\n\nNAVI-{NONCE} D a.json\n\nNAVI-{NONCE} END\n"),
        format!("\nNAVI-{NONCE} DELTA\n\nNAVI-{NONCE} S a.json\nfile is over the limit\nNAVI-{NONCE} END\n"),
        format!("\nNAVI-{NONCE} DELTA\n\nNAVI-{NONCE} F a.json\n{a}\nNAVI-{NONCE} END\n"),
    ] {
        let (_, resend) = state_after(&format!("{}{between}{diff}", p(1, "a.json", &a)));
        assert!(resend, "{between:?}");
    }
}

/// What the digest's differences name (see `PushState::differences`): a file held with
/// other bytes, one held that the remote did not list, one listed that navi does not
/// hold, marks alike, each as the remote has it; nothing when the digest describes what
/// is held.
#[test]
fn differences_name_the_remotes_side_of_each_entry() {
    use super::push_decode::Sum;
    let a = file("working", 1);
    let (state, _) = state_after(&p(1, "a.json", &a));
    let same = Sum {
        crc: super::cksum(a.as_bytes()),
        len: a.len() as u64,
        name: "a.json".into(),
    };
    assert!(state
        .differences(std::slice::from_ref(&same), &[])
        .is_empty());
    let other = Sum { crc: 7, ..same };
    let extra = Sum {
        crc: 9,
        len: 3,
        name: "b.json".into(),
    };
    let got: Vec<String> = state
        .differences(&[other, extra.clone()], &[extra])
        .into_iter()
        .collect();
    assert_eq!(
        got,
        vec![
            format!("F a.json 7 {}", a.len()),
            "F b.json 9 3".to_string(),
            "M b.json 9 3".to_string()
        ]
    );
    let gone: Vec<String> = state.differences(&[], &[]).into_iter().collect();
    assert_eq!(gone, vec!["F a.json -".to_string()]);
}
