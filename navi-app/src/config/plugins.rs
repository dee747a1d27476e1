//! `sources:` in config.yaml: source plugins, each a name and a command (argv, no shell).
//!
//! ```yaml
//! sources:
//!   - name: pods
//!     command: [navi-source-k8s, --namespace, dev]
//! ```

use serde_yaml::Value;

use super::values::describe;

/// One configured source plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginConfig {
    /// Its label (`[pods]` on its rows); letters, digits, `.`, `_` and `-`.
    pub name: String,
    /// The program and its arguments, run without a shell.
    pub command: Vec<String>,
}

/// Reads `sources:`: the good entries, and `(field, problem)` for each bad one (a bad
/// entry is left out; the others still run).
pub(crate) fn read(value: &Value) -> (Vec<PluginConfig>, Vec<(String, String)>) {
    let mut plugins: Vec<PluginConfig> = Vec::new();
    let mut problems = Vec::new();
    let Value::Sequence(entries) = value else {
        problems.push((
            "sources".into(),
            format!(
                "expected a list of `- name: NAME` / `command: [PROGRAM, ARGS...]` entries, \
                 found {}; no plugin runs",
                describe(value)
            ),
        ));
        return (plugins, problems);
    };
    for (i, entry) in entries.iter().enumerate() {
        match entry_of(entry) {
            Ok(p) if plugins.iter().any(|q| q.name == p.name) => problems.push((
                format!("sources[{i}].name"),
                format!("{:?} is used twice; this entry is left out", p.name),
            )),
            Ok(p) => plugins.push(p),
            Err((field, message)) => problems.push((
                format!(
                    "sources[{i}]{}",
                    field.map(|f| format!(".{f}")).unwrap_or_default()
                ),
                format!("{message}; this entry is left out"),
            )),
        }
    }
    (plugins, problems)
}

type Problem = (Option<&'static str>, String);

fn entry_of(entry: &Value) -> Result<PluginConfig, Problem> {
    let Value::Mapping(map) = entry else {
        return Err((
            None,
            format!("expected `name:` and `command:`, found {}", describe(entry)),
        ));
    };
    for key in map.keys() {
        let known = key.as_str().is_some_and(|k| k == "name" || k == "command");
        if !known {
            return Err((
                None,
                format!(
                    "unknown key {}; an entry has `name` and `command`",
                    describe(key)
                ),
            ));
        }
    }
    let name = match map.get("name") {
        Some(Value::String(n)) if valid_name(n) => n.clone(),
        Some(Value::String(n)) => {
            return Err((
                Some("name"),
                format!(
                    "{:?} is not a plugin name (letters, digits, `.`, `_` and `-`, at most 64)",
                    navi_core::text::sanitize(n)
                ),
            ))
        }
        Some(other) => {
            return Err((
                Some("name"),
                format!("expected text, found {}", describe(other)),
            ))
        }
        None => return Err((Some("name"), "missing (e.g. `name: pods`)".into())),
    };
    let command = match map.get("command") {
        Some(Value::Sequence(words)) if !words.is_empty() => words
            .iter()
            .map(|w| match w {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err((
                    Some("command"),
                    format!("every word is text, found {}", describe(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::String(_)) => {
            return Err((
                Some("command"),
                "is a list of words, run without a shell (e.g. `command: [navi-source-k8s, \
                 --namespace, dev]`)"
                    .into(),
            ))
        }
        Some(other) => {
            return Err((
                Some("command"),
                format!("expected a list of words, found {}", describe(other)),
            ))
        }
        None => {
            return Err((
                Some("command"),
                "missing (e.g. `command: [my-plugin]`)".into(),
            ))
        }
    };
    if command[0].trim().is_empty() {
        return Err((Some("command"), "its program is empty".into()));
    }
    Ok(PluginConfig { name, command })
}

/// A name that reads well as a label and is never confused with `REMOTE:NAME`.
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> (Vec<PluginConfig>, Vec<(String, String)>) {
        read(&serde_yaml::from_str::<Value>(text).unwrap())
    }

    #[test]
    fn good_entries_run_and_bad_ones_are_named_by_field() {
        let (ok, bad) = read_str(
            "- name: pods\n  command: [navi-source-k8s, --namespace, dev]\n\
             - name: 'a b'\n  command: [x]\n\
             - name: sh\n  command: 'sh -c x'\n\
             - name: pods\n  command: [y]\n\
             - command: [z]\n\
             - name: c\n  command: []\n\
             - name: d\n  command: [x]\n  shell: true\n",
        );
        assert_eq!(
            ok,
            [PluginConfig {
                name: "pods".into(),
                command: vec!["navi-source-k8s".into(), "--namespace".into(), "dev".into()],
            }]
        );
        let fields: Vec<&str> = bad.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sources[1].name",
                "sources[2].command",
                "sources[3].name",
                "sources[4].name",
                "sources[5].command",
                "sources[6]"
            ]
        );
        assert!(bad[1].1.contains("without a shell"), "{bad:?}");
        let (_, bad) = read_str("pods");
        assert_eq!(bad[0].0, "sources");
    }
}
