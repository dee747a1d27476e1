//! The installer's text edits: the span scanner and the splicing.

use serde_json::Value;

use super::spans::{scan, Kind, Node, ScanError};
use super::*;

const CMD: &str = "/usr/local/bin/navi hook";

fn raw<'t>(text: &'t str, n: &Node) -> &'t str {
    &text[n.start..n.end]
}

fn members(n: &Node) -> &spans::Container {
    match &n.kind {
        Kind::Object(c) | Kind::Array(c) => c,
        Kind::Scalar => panic!("not a container"),
    }
}

#[test]
fn the_scanner_finds_each_value_as_written() {
    let text = r#" {"big": 12345678901234567890123, "n": [1e2, 1.0, -0.5E-3, 0],
        "c\u0041": "x\"]}\\", "é": "\u00e9\ud83d\ude00", "deep": {"hooks": {"Stop": []}},
        "t": true, "f": false, "z": null} "#;
    let root = scan(text).unwrap();
    assert_eq!(raw(text, &root), text.trim());
    let top = members(&root);
    let keys: Vec<&str> = top
        .elems
        .iter()
        .map(|e| e.key.as_ref().unwrap().0.as_str())
        .collect();
    assert_eq!(keys, ["big", "n", "cA", "é", "deep", "t", "f", "z"]);
    assert_eq!(raw(text, &top.elems[0].value), "12345678901234567890123");
    let numbers: Vec<&str> = members(&top.elems[1].value)
        .elems
        .iter()
        .map(|e| raw(text, &e.value))
        .collect();
    assert_eq!(numbers, ["1e2", "1.0", "-0.5E-3", "0"]);
    assert_eq!(raw(text, &top.elems[2].value), r#""x\"]}\\""#);
    assert_eq!(top.elems[2].value.as_str(text).unwrap(), "x\"]}\\");
    assert_eq!(top.elems[3].value.as_str(text).unwrap(), "é😀");
    // The member starts at its key; the text up to the value is the key and the colon.
    let e = &top.elems[4];
    assert_eq!(&text[e.start..e.value.start], r#""deep": "#);
    // A "hooks" deeper down is not the top-level one.
    assert_eq!(top.member("hooks"), Ok(None));
    assert_eq!(members(&e.value).member("hooks"), Ok(Some(0)));
    assert!(!root.changed());
}

#[test]
fn the_scanner_refuses_what_is_not_json() {
    for (text, at) in [
        (r#"{"a" 1}"#, 5),
        ("[1,]", 3),
        ("01", 1),
        (r#""\x""#, 2),
        (r#"{"a":1} x"#, 8),
        (r#"{"a": "open"#, 11),
        ("[1e]", 3),
        ("[-]", 2),
        ("{\"a\":\"tab\there\"}", 9),
        ("tru", 0),
        ("", 0),
    ] {
        assert_eq!(scan(text).map(|_| ()).unwrap_err().at, at, "{text}");
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert_eq!(
        scan(&deep).map(|_| ()).unwrap_err(),
        ScanError {
            at: 128,
            what: "JSON nested deeper than 128 levels"
        }
    );
    let duplicate = scan(r#"{"hooks": {}, "ho\u006fks": {}}"#).unwrap();
    assert!(members(&duplicate).member("hooks").is_err());
}

const FOUR_SPACES: &str = r#"{
    "env": {"API_KEY": "sk-1", "BIG": 12345678901234567890123},
    "cleanupPeriodDays": 1e2,
    "ratio": 1.0,
    "name": "caf\u00e9",
    "hooks": {
        "Stop": [
            {
                "matcher": "",
                "hooks": [{"type": "command", "command": "say done", "timeout": 30.50}]
            }
        ]
    }
}
"#;

#[test]
fn install_appends_in_the_files_own_style_and_uninstall_gives_the_bytes_back() {
    let (new, changes) = install(FOUR_SPACES, CMD).unwrap();
    assert!(changes.replaced.is_empty());
    // Everything before the user's Stop group's end is as it was, numbers and escapes too.
    let kept = FOUR_SPACES.find("\n        ]\n    }").unwrap();
    assert_eq!(&new[..kept], &FOUR_SPACES[..kept]);
    let navi_group = r#"{
                "hooks": [
                    {
                        "type": "command",
                        "command": "/usr/local/bin/navi hook"
                    }
                ]
            }"#;
    // Appended after the user's group, indented as it is.
    assert!(
        new[kept..].starts_with(&format!(",\n            {navi_group}\n        ]")),
        "{new}"
    );
    // New events after Stop, one level in, four spaces a level.
    assert!(
        new.contains("\n        \"SessionStart\": [\n            {\n                \"hooks\": ["),
        "{new}"
    );
    assert!(new.ends_with("\n        ]\n    }\n}\n"), "{new}");
    let v: Value = serde_json::from_str(&new).unwrap();
    assert_eq!(installed(&v), (EVENTS.to_vec(), Some(CMD.to_string())));
    assert_eq!(uninstall(&new).unwrap(), FOUR_SPACES);
    assert_eq!(install(&new, CMD).unwrap().0, new);
}

#[test]
fn a_one_line_file_gets_one_line_additions_and_crlf_files_keep_crlf() {
    let text = r#"{"n":1e2,"hooks":{"Stop":[{"hooks":[{"type":"command","command":"x"}]}]}}"#;
    let (new, _) = install(text, CMD).unwrap();
    assert!(!new.contains('\n'), "{new}");
    let group = r#"{"hooks":[{"type":"command","command":"/usr/local/bin/navi hook"}]}"#;
    assert!(
        new.starts_with(&format!(
            r#"{{"n":1e2,"hooks":{{"Stop":[{{"hooks":[{{"type":"command","command":"x"}}]}},{group}],"SessionStart":[{group}]"#
        )),
        "{new}"
    );
    assert_eq!(uninstall(&new).unwrap(), text);

    let crlf = "{\r\n\t\"a\": 1.50,\r\n\t\"b\": []\r\n}\r\n";
    let (new, _) = install(crlf, CMD).unwrap();
    assert!(
        new.starts_with("{\r\n\t\"a\": 1.50,\r\n\t\"b\": [],\r\n\t\"hooks\": {\r\n\t\t\"SessionStart\": [\r\n\t\t\t{\r\n\t\t\t\t\"hooks\": ["),
        "{new:?}"
    );
    assert!(!new.replace("\r\n", "").contains('\n'), "{new:?}");
    assert_eq!(uninstall(&new).unwrap(), crlf);
}

#[test]
fn only_navis_entries_change_in_a_mixed_group() {
    // The Go navi's entry sits between the user's two; an older navi (written with `\/`
    // escapes) has a group of its own on Stop.
    let text = r#"{
  "hooks": {
    "PostToolUse": [{"matcher": "Edit", "hooks": [
      {"type": "command", "command": "cargo fmt", "timeout": 1E+3},
      {"type": "command", "command": "~/.claude-sessions/hooks/tool-tracker.sh"},
      {"type": "command", "command": "cargo clippy"}
    ]}],
    "Stop": [
      {"hooks": [{"type": "command", "command": "\/old\/bin\/navi hook"}]}
    ],
    "Custom": [{"hooks": [{"type": "command", "command": "'/opt/navi' hook"}]}]
  },
  "after": 12345678901234567890123
}"#;
    let (new, changes) = install(text, CMD).unwrap();
    assert_eq!(
        changes.replaced,
        [(
            "PostToolUse".to_string(),
            "~/.claude-sessions/hooks/tool-tracker.sh".to_string()
        )]
    );
    assert!(
        new.contains(
            r#"{"matcher": "Edit", "hooks": [
      {"type": "command", "command": "cargo fmt", "timeout": 1E+3},
      {"type": "command", "command": "cargo clippy"}
    ]}, {"hooks": [{"type": "command", "command": "/usr/local/bin/navi hook"}]}]"#
        ),
        "{new}"
    );
    // The old navi's Stop group is replaced where it was; the event keeps its place.
    let navi_group = "{\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"/usr/local/bin/navi hook\"\n          }\n        ]\n      }";
    assert!(
        new.contains("]}, {\"hooks\"")
            && new.contains(&format!(
                "\"Stop\": [\n      {navi_group}\n    ],\n    \"SessionStart\""
            )),
        "{new}"
    );
    assert!(!new.contains("old") && !new.contains("Custom"), "{new}");
    assert!(
        new.ends_with("  },\n  \"after\": 12345678901234567890123\n}"),
        "{new}"
    );
    let v: Value = serde_json::from_str(&new).unwrap();
    assert_eq!(installed(&v), (EVENTS.to_vec(), Some(CMD.to_string())));
}

#[test]
fn empty_lists_and_escaped_keys() {
    // `"ho\u006fks"` is the hooks key: navi's events go into it, not into a second one.
    let text = "{\"ho\\u006fks\": {\"Stop\": []}, \"x\": 1e2}";
    let (new, _) = install(text, CMD).unwrap();
    // A file on one line gets its additions on one line.
    assert!(
        new.starts_with("{\"ho\\u006fks\": {\"Stop\": [{\"hooks\": [{\"type\": \"command\", "),
        "{new}"
    );
    assert!(new.ends_with("navi hook\"}]}]}, \"x\": 1e2}"), "{new}");
    assert_eq!(new.matches("\"hooks\":").count(), EVENTS.len(), "{new}");
    // An event list that was empty comes back absent: the same for Claude Code.
    assert_eq!(uninstall(&new).unwrap(), "{\"x\": 1e2}");
    // A missing or blank file: created; uninstalled to an empty object.
    let (created, _) = install("", CMD).unwrap();
    assert!(created.starts_with("{\n  \"hooks\": {\n    \"SessionStart\": [\n"));
    assert!(created.ends_with("\n  }\n}\n"));
    assert_eq!(uninstall(&created).unwrap(), "{}\n");
    assert_eq!(uninstall("").unwrap(), "");
    // A second "hooks", or a hook event listed twice, is for the user to settle.
    for bad in [
        r#"{"hooks": {}, "hooks": {"Stop": []}}"#,
        r#"{"hooks": {"Stop": [], "Stop": []}}"#,
    ] {
        let err = install(bad, CMD).unwrap_err().to_string();
        assert!(
            err.contains("twice") && err.contains("fix it by hand"),
            "{err}"
        );
    }
    let err = install(r#"{"hooks": {"Stop": {}}}"#, CMD)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a list"), "{err}");
}
