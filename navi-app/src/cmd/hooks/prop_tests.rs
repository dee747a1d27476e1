//! A property over generated settings files (numbers in every form, escapes, user hook
//! groups on navi's events and others, any whitespace): every byte outside navi's entries
//! survives install, the meaning is the one the installer had when it edited values, and
//! uninstall gives the original bytes back.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use navi_core::statusdir::agents::Agent;

const CMD: &str = "/usr/local/bin/navi hook";

/// A JSON value as text, written with the generator's own whitespace.
#[derive(Clone, Debug)]
enum J {
    Raw(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "12345678901234567890123",
            "-98765432109876543210987654321",
            "1e2",
            "1E+2",
            "2e-308",
            "1.0",
            "-0",
            "0.5e-3",
            "-12.50",
            "true",
            "false",
            "null",
            r#""\u00e9\ud83d\ude00 \"q\" \\ \/ ]}""#,
            r#""naïve ☃""#,
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{1,30}".prop_map(|d| format!("1{d}")),
        "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn any_j() -> impl Strategy<Value = J> {
    scalar().prop_map(J::Raw).prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| J::Obj(m.into_iter().collect())),
        ]
    })
}

/// A hook group: its matcher, its commands (as JSON string texts), a timeout written as
/// the user wrote it, and whether `hooks` comes first.
#[derive(Clone, Debug)]
struct Group {
    matcher: Option<String>,
    commands: Vec<String>,
    timeout: Option<String>,
    hooks_first: bool,
}

fn command(clean: bool) -> BoxedStrategy<String> {
    let user = prop_oneof![
        "[a-z]{1,8}( --[a-z]{1,4})?".prop_map(|c| format!("\"{c}\"")),
        Just(r#""navigate hook""#.to_string()),
        Just(r#""echo \"navi hook\" \u00e9""#.to_string()),
    ];
    if clean {
        return user.boxed();
    }
    let navi = prop::sample::select(vec![
        r#""/usr/local/bin/navi hook""#,
        r#""\/usr\/bin\/navi hook""#,
        r#""'/opt/my navi/navi' --sessions-dir '/srv/s' hook""#,
        r#""~/.claude-sessions/hooks/notify.sh done""#,
        r#""~/.claude-sessions/hooks/tool-tracker.sh""#,
    ])
    .prop_map(str::to_string);
    prop_oneof![3 => user, 2 => navi].boxed()
}

fn group(clean: bool) -> impl Strategy<Value = Group> {
    (
        prop::option::of("[A-Za-z|]{0,8}"),
        prop::collection::vec(command(clean), 0..3),
        prop::option::of(scalar()),
        any::<bool>(),
    )
        .prop_map(|(matcher, commands, timeout, hooks_first)| Group {
            matcher,
            commands,
            timeout,
            hooks_first,
        })
}

fn group_j(g: &Group) -> J {
    let entries = g
        .commands
        .iter()
        .map(|c| {
            let mut fields = vec![
                ("type".to_string(), J::Raw(r#""command""#.into())),
                ("command".to_string(), J::Raw(c.clone())),
            ];
            if let Some(t) = &g.timeout {
                fields.push(("timeout".to_string(), J::Raw(t.clone())));
            }
            J::Obj(fields)
        })
        .collect();
    let mut members = vec![("hooks".to_string(), J::Arr(entries))];
    if let Some(m) = &g.matcher {
        let matcher = ("matcher".to_string(), J::Raw(format!("\"{m}\"")));
        match g.hooks_first {
            true => members.push(matcher),
            false => members.insert(0, matcher),
        }
    }
    J::Obj(members)
}

/// A settings file: other keys, maybe a `hooks` object among them, and a layout.
#[derive(Clone, Debug)]
struct Model {
    extra: Vec<(String, J)>,
    hooks: Option<Vec<(String, Vec<Group>)>>,
    hooks_at: usize,
    unit: Option<&'static str>,
    choices: Vec<u8>,
}

fn model(clean: bool) -> impl Strategy<Value = Model> {
    let events = prop::sample::select(vec![
        "Stop",
        "PreToolUse",
        "PostToolUse",
        "SessionStart",
        "Notification",
        "PreCompact",
        "Custom",
    ]);
    let groups = prop::collection::vec(group(clean), if clean { 1..3 } else { 0..3 });
    let hooks = prop::collection::btree_map(events, groups, if clean { 1..5 } else { 0..5 })
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    (
        prop::collection::btree_map("[a-z]{1,8}", any_j(), 0..5),
        prop::option::of(hooks),
        any::<usize>(),
        prop::option::of(prop::sample::select(vec!["  ", "    ", "\t", ""])),
        prop::collection::vec(any::<u8>(), 1..64),
    )
        .prop_map(|(extra, hooks, hooks_at, unit, choices)| Model {
            extra: extra.into_iter().filter(|(k, _)| k != "hooks").collect(),
            hooks,
            hooks_at,
            unit,
            choices,
        })
}

/// Whitespace between tokens: the chaotic layouts (no `unit`) take these.
const WS: &[&str] = &[
    "", " ", "\n", "\n  ", "\n    ", "\n\t", "  ", "\r\n  ", "\n\n ",
];

/// The text of a [`Model`], with what the property checks: where `hooks` is, where the
/// top-level object's last member ends, and the text of every group with none of navi's
/// or the Go navi's commands.
struct Doc {
    text: String,
    hooks_span: Option<(usize, usize)>,
    last_end: usize,
    user_groups: Vec<String>,
}

struct Writer<'m> {
    m: &'m Model,
    i: usize,
    out: String,
}

impl Writer<'_> {
    fn pick(&mut self) -> usize {
        self.i += 1;
        self.m.choices[self.i % self.m.choices.len()] as usize
    }

    fn gap(&mut self, depth: usize) {
        let ws = match self.m.unit {
            Some(unit) => format!("\n{}", unit.repeat(depth)),
            None => WS[self.pick() % WS.len()].to_string(),
        };
        self.out.push_str(&ws);
    }

    fn comma(&mut self) {
        let c = match (self.m.unit, self.pick() % 3) {
            (None, 0) => " ,",
            _ => ",",
        };
        self.out.push_str(c);
    }

    fn key(&mut self, k: &str) {
        let colon = match self.m.unit {
            Some(_) => ": ",
            None => [":", ": ", " : ", ":\n  "][self.pick() % 4],
        };
        // Now and then a key with its first letter escaped: the same key for JSON.
        let k = match self.pick() % 5 {
            0 => format!("\\u{:04x}{}", k.as_bytes()[0], &k[1..]),
            _ => k.to_string(),
        };
        self.out.push_str(&format!("\"{k}\"{colon}"));
    }

    fn value(&mut self, j: &J, depth: usize) {
        match j {
            J::Raw(s) => self.out.push_str(s),
            J::Arr(v) if v.is_empty() => self.out.push_str("[]"),
            J::Obj(v) if v.is_empty() => self.out.push_str("{}"),
            J::Arr(v) => {
                self.out.push('[');
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    self.gap(depth + 1);
                    self.value(e, depth + 1);
                }
                self.gap(depth);
                self.out.push(']');
            }
            J::Obj(v) => {
                self.out.push('{');
                for (i, (k, e)) in v.iter().enumerate() {
                    if i > 0 {
                        self.comma();
                    }
                    self.gap(depth + 1);
                    self.key(k);
                    self.value(e, depth + 1);
                }
                self.gap(depth);
                self.out.push('}');
            }
        }
    }
}

fn is_user_group(g: &Group) -> bool {
    g.commands.iter().all(|c| {
        let c: String = serde_json::from_str(c).unwrap();
        !is_navi(&c) && !is_go_navi(&c)
    })
}

fn write_doc(m: &Model) -> Doc {
    let mut w = Writer {
        m,
        i: 0,
        out: String::new(),
    };
    let mut user_groups = Vec::new();
    let mut hooks_span = None;
    w.gap(0);
    w.out.push('{');
    let mut keys: Vec<Option<&(String, J)>> = m.extra.iter().map(Some).collect();
    if m.hooks.is_some() {
        keys.insert(m.hooks_at % (keys.len() + 1), None);
    }
    let mut last_end = w.out.len();
    for (i, member) in keys.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        w.gap(1);
        let start = w.out.len();
        match member {
            Some((k, j)) => {
                w.key(k);
                w.value(j, 1);
            }
            None => {
                w.key("hooks");
                write_hooks(
                    &mut w,
                    m.hooks.as_deref().unwrap_or_default(),
                    &mut user_groups,
                );
                hooks_span = Some((start, w.out.len()));
            }
        }
        last_end = w.out.len();
    }
    if !keys.is_empty() {
        w.gap(0);
    }
    w.out.push('}');
    w.out.push('\n');
    Doc {
        text: w.out,
        hooks_span,
        last_end,
        user_groups,
    }
}

fn write_hooks(w: &mut Writer<'_>, hooks: &[(String, Vec<Group>)], user_groups: &mut Vec<String>) {
    if hooks.is_empty() {
        return w.out.push_str("{}");
    }
    w.out.push('{');
    for (i, (event, groups)) in hooks.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        w.gap(2);
        w.key(event);
        if groups.is_empty() {
            w.out.push_str("[]");
            continue;
        }
        w.out.push('[');
        for (j, g) in groups.iter().enumerate() {
            if j > 0 {
                w.comma();
            }
            w.gap(3);
            let start = w.out.len();
            w.value(&group_j(g), 3);
            if is_user_group(g) {
                user_groups.push(w.out[start..].to_string());
            }
        }
        w.gap(2);
        w.out.push(']');
    }
    w.gap(1);
    w.out.push('}');
}

/// The installer as it was before it edited text (on values): the oracle for meaning.
fn value_remove(settings: &Value, drop_: &mut dyn FnMut(&str) -> bool) -> Value {
    let mut out = settings.clone();
    let Some(Value::Object(hooks)) = out.get_mut("hooks") else {
        return out;
    };
    let mut touched = Vec::new();
    for (event, groups) in hooks.iter_mut() {
        let Value::Array(groups) = groups else {
            continue;
        };
        let before = groups.len();
        let mut emptied = vec![false; groups.len()];
        for (group, emptied) in groups.iter_mut().zip(&mut emptied) {
            let Some(Value::Array(list)) = group.get_mut("hooks") else {
                continue;
            };
            let n = list.len();
            list.retain(|h| {
                !h.get("command")
                    .and_then(Value::as_str)
                    .is_some_and(&mut *drop_)
            });
            *emptied = n > 0 && list.is_empty();
        }
        let mut flags = emptied.iter();
        groups.retain(|_| !flags.next().copied().unwrap_or(false));
        if before > 0 && groups.is_empty() {
            touched.push(event.clone());
        }
    }
    let emptied_events = !touched.is_empty();
    for event in touched {
        hooks.shift_remove(&event);
    }
    if emptied_events && hooks.is_empty() {
        out.as_object_mut().unwrap().shift_remove("hooks");
    }
    out
}

fn value_install(settings: &Value) -> Value {
    let mut out = value_remove(settings, &mut |c| is_navi(c) || is_go_navi(c));
    let hooks = out
        .as_object_mut()
        .unwrap()
        .entry("hooks")
        .or_insert_with(|| json!({}));
    for event in EVENTS {
        let groups = hooks
            .as_object_mut()
            .unwrap()
            .entry(*event)
            .or_insert_with(|| json!([]));
        groups
            .as_array_mut()
            .unwrap()
            .push(json!({ "hooks": [{ "type": "command", "command": CMD }] }));
    }
    out
}

fn check_install(doc: &Doc) -> Result<String, TestCaseError> {
    let text = &doc.text;
    let before: Value = serde_json::from_str(text).unwrap();
    let (new, _) = install(text, CMD).unwrap();
    let after: Value =
        serde_json::from_str(&new).map_err(|e| TestCaseError::fail(format!("{e}: {new}")))?;
    prop_assert_eq!(&after, &value_install(&before), "{}", new);
    // Every byte outside "hooks" is as it was.
    match doc.hooks_span {
        Some((start, end)) => {
            prop_assert_eq!(&new[..start], &text[..start]);
            prop_assert!(new.ends_with(&text[end..]), "{}", new);
        }
        None => {
            prop_assert_eq!(&new[..doc.last_end], &text[..doc.last_end]);
            prop_assert!(new.ends_with(&text[doc.last_end..]), "{}", new);
        }
    }
    // Every group of the user's own, byte for byte.
    for g in &doc.user_groups {
        prop_assert!(new.contains(g.as_str()), "{} is gone from {}", g, new);
    }
    prop_assert_eq!(install(&new, CMD).unwrap().0, new.clone(), "not idempotent");
    let removed = uninstall(&new).unwrap();
    let removed_v: Value = serde_json::from_str(&removed).unwrap();
    prop_assert_eq!(removed_v, value_remove(&after, &mut |c| is_navi(c)));
    Ok(removed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Without navi's entries before: install keeps every byte it does not own, and
    /// uninstall gives the original bytes back.
    #[test]
    fn install_then_uninstall_gives_the_same_bytes(m in model(true)) {
        let doc = write_doc(&m);
        let removed = check_install(&doc)?;
        prop_assert_eq!(removed, doc.text);
    }

    /// With navi's, an older navi's and the Go navi's entries among the user's: the
    /// meaning is the old installer's, every byte outside them stays.
    #[test]
    fn install_over_older_entries_keeps_the_rest(m in model(false)) {
        check_install(&write_doc(&m))?;
    }
}

/// Codex's `hooks.json` and Gemini CLI's `settings.json` have Claude Code's `hooks` shape:
/// the same generated files, installed for the agent, checked the same way; the entries
/// of Claude Code's navi hook (and the Go navi's) are another agent's and stay as they are.
fn check_agent(doc: &Doc, agent: Agent) -> Result<(), TestCaseError> {
    let cmd = hook_command_for(Path::new("/usr/local/bin/navi"), None, agent);
    let text = &doc.text;
    let (new, _) = install_for(text, &cmd, agent).unwrap();
    let after: Value =
        serde_json::from_str(&new).map_err(|e| TestCaseError::fail(format!("{e}: {new}")))?;
    prop_assert_eq!(
        installed_for(&after, agent),
        (events_of(agent), Some(cmd.clone()))
    );
    let (start, end) = doc.hooks_span.unwrap_or((doc.last_end, doc.last_end));
    prop_assert_eq!(&new[..start], &text[..start]);
    prop_assert!(new.ends_with(&text[end..]), "{}", new);
    for g in &doc.user_groups {
        prop_assert!(new.contains(g.as_str()), "{} is gone from {}", g, new);
    }
    prop_assert_eq!(
        install_for(&new, &cmd, agent).unwrap().0,
        new.clone(),
        "not idempotent"
    );
    // Nothing of the file was the agent's before: uninstall gives every byte back, but
    // for a `hooks` or an event list the user left empty, which goes with navi's entries
    // (as for Claude Code's settings).
    let removed = uninstall_for(&new, agent).unwrap();
    let empty_lists = doc.text.contains("[]") || doc.text.contains("{}");
    if !empty_lists {
        prop_assert_eq!(removed, text.clone());
    } else {
        let v: Value = serde_json::from_str(&removed).unwrap();
        let before: Value = serde_json::from_str(text).unwrap();
        prop_assert_eq!(without_empty_hooks(v), without_empty_hooks(before));
    }
    Ok(())
}

fn without_empty_hooks(mut v: Value) -> Value {
    if let Some(Value::Object(hooks)) = v.get_mut("hooks") {
        hooks.retain(|_, groups| groups.as_array().is_none_or(|g| !g.is_empty()));
        if hooks.is_empty() {
            v.as_object_mut().unwrap().shift_remove("hooks");
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn codex_and_gemini_install_keep_everything_else_and_uninstall_restores(
        m in model(false),
        gemini in any::<bool>(),
    ) {
        let agent = if gemini { Agent::Gemini } else { Agent::Codex };
        check_agent(&write_doc(&m), agent)?;
    }
}
