//! The user's settings: `~/.config/navi/config.yaml` (`--config`, `NAVI_CONFIG`).
//!
//! ```yaml
//! layout: auto          # auto | roomy | compact  (the `v` key cycles it)
//! sort: priority        # priority | name | age | status | directory | machine  (`s`)
//! icons: emoji          # emoji | ascii
//! show_offline: true    # keep ended sessions and stale rows of unavailable remotes  (`o`)
//! keep_ended_rows: false # false: a row whose tmux session ended is dismissed after 30 s
//! notify:               # notifications (see crate::notify::settings)
//!   on: [permission, waiting]
//!   bell: true
//! prices:               # USD per million tokens, over navi_core::cost's table
//!   claude-sonnet-4-5: {input: 3, output: 15, cache_write: 3.75, cache_read: 0.3}
//! sources:              # source plugins (docs/plugin-protocol.md), argv without a shell
//!   - name: pods
//!     command: [navi-source-k8s, --namespace, dev]
//! ```
//!
//! Every key is optional. A problem (unknown key, wrong value, broken YAML) is reported
//! with the file and the key and never stops navi: the other keys still apply, and a
//! missing file is simply the defaults.

use std::path::{Path, PathBuf};

use navi_core::SortMode;
use serde_yaml::Value;

use crate::icons::IconSet;
use crate::notify::settings::NotifySettings;

pub(crate) mod plugins;
mod prices;
pub(crate) mod values;

use values::{describe, unknown_key};

/// How many lines a session takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Density {
    /// Roomy while every row fits, compact otherwise.
    #[default]
    Auto,
    /// Two or three lines per session.
    Roomy,
    /// One line per session.
    Compact,
}

impl Density {
    /// The density named `name` (`auto`, `roomy` or `compact`).
    pub fn from_name(name: &str) -> Option<Density> {
        match name {
            "auto" => Some(Density::Auto),
            "roomy" => Some(Density::Roomy),
            "compact" => Some(Density::Compact),
            _ => None,
        }
    }
}

/// The keys config.yaml knows, for "did you mean" hints.
const KEYS: &[&str] = &[
    "layout",
    "sort",
    "icons",
    "show_offline",
    "keep_ended_rows",
    "notify",
    "keys",
    "prices",
    "sources",
];

/// What config.yaml chose; defaults for everything it does not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Rows: roomy, compact or auto.
    pub layout: Density,
    /// The dashboard's initial sort.
    pub sort: SortMode,
    /// Status glyphs.
    pub icons: IconSet,
    /// Whether offline sessions and stale rows are listed (the `o` key toggles).
    pub show_offline: bool,
    /// Keep the rows (status files) of sessions whose tmux session ended; otherwise
    /// the dashboard dismisses them after a grace period, as the Go navi cleans them.
    pub keep_ended_rows: bool,
    /// Notifications: what triggers them and through which channels.
    pub notify: NotifySettings,
    /// The dashboard's keys (`keys:` action → keys; the defaults otherwise).
    pub keys: crate::keys::Keymap,
    /// Prices for the cost estimate: the built-in table with `prices:` over it.
    pub prices: navi_core::cost::PriceTable,
    /// Source plugins (`sources:`), in file order.
    pub sources: Vec<plugins::PluginConfig>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            layout: Density::Auto,
            sort: SortMode::Priority,
            icons: IconSet::Emoji,
            show_offline: true,
            keep_ended_rows: false,
            notify: NotifySettings::default(),
            keys: crate::keys::Keymap::default(),
            prices: navi_core::cost::PriceTable::default(),
            sources: Vec::new(),
        }
    }
}

/// The settings of one file and each problem in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The settings (defaults where the file is silent or wrong).
    pub settings: Settings,
    /// Each problem, naming the file and the key.
    pub errors: Vec<SettingsError>,
}

/// One problem in config.yaml: the file, the key when there is one, and what is wrong
/// (and what navi does instead). Composed into a line only where it is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The settings file.
    pub file: PathBuf,
    /// The offending key; `None` for a problem of the whole file.
    pub field: Option<String>,
    /// What is wrong, and what navi does instead.
    pub message: String,
}

impl SettingsError {
    fn file(file: &Path, message: String) -> SettingsError {
        SettingsError {
            file: file.to_path_buf(),
            field: None,
            message,
        }
    }
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.display();
        match &self.field {
            Some(field) => write!(f, "{file}: field `{field}`: {}", self.message),
            None => write!(f, "{file}: {}", self.message),
        }
    }
}

/// `--config`, `NAVI_CONFIG`, `$XDG_CONFIG_HOME/navi/config.yaml` or
/// `~/.config/navi/config.yaml`.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::config_yaml()
}

/// Reads `file`; a file that does not exist is the defaults.
pub fn load(file: &Path) -> Loaded {
    match std::fs::read_to_string(file) {
        Ok(text) => parse(&text, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::default(),
        Err(e) => Loaded {
            settings: Settings::default(),
            errors: vec![SettingsError::file(
                file,
                format!("cannot read it ({e}); using the default settings"),
            )],
        },
    }
}

/// Parses config.yaml's text; `file` names it in messages.
pub fn parse(text: &str, file: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let doc: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            loaded.errors.push(SettingsError::file(
                file,
                format!("not valid YAML ({e}); using the default settings"),
            ));
            return loaded;
        }
    };
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return loaded,
        _ => {
            loaded.errors.push(SettingsError::file(
                file,
                "expected `key: value` lines (e.g. `layout: compact`); using the default \
                 settings"
                    .into(),
            ));
            return loaded;
        }
    };
    for (key, value) in &map {
        let Some(key) = key.as_str() else {
            loaded.errors.push(SettingsError::file(
                file,
                format!("a key that is not text ({key:?}) is ignored"),
            ));
            continue;
        };
        if key == "notify" {
            for (field, message) in loaded.settings.notify.apply(value, file) {
                loaded.errors.push(SettingsError {
                    file: file.to_path_buf(),
                    field: Some(field),
                    message,
                });
            }
            continue;
        }
        if key == "prices" {
            for (field, message) in prices::apply(&mut loaded.settings.prices, value) {
                loaded.errors.push(SettingsError {
                    file: file.to_path_buf(),
                    field: Some(field),
                    message,
                });
            }
            continue;
        }
        if key == "sources" {
            let (sources, problems) = plugins::read(value);
            loaded.settings.sources = sources;
            for (field, message) in problems {
                loaded.errors.push(SettingsError {
                    file: file.to_path_buf(),
                    field: Some(field),
                    message,
                });
            }
            continue;
        }
        if key == "keys" {
            match key_overrides(value).and_then(|o| crate::keys::Keymap::with(&o)) {
                Ok(keys) => loaded.settings.keys = keys,
                Err(problems) => {
                    loaded
                        .errors
                        .extend(problems.into_iter().map(|p| SettingsError {
                            file: file.to_path_buf(),
                            field: Some("keys".into()),
                            message: format!("{p}; the default keys are used"),
                        }))
                }
            }
            continue;
        }
        if let Err(message) = loaded.settings.apply(key, value) {
            loaded.errors.push(SettingsError {
                file: file.to_path_buf(),
                field: Some(key.to_string()),
                message,
            });
        }
    }
    loaded
}

impl Settings {
    /// Sets one key; `Err` says what is wrong and what to write instead.
    fn apply(&mut self, key: &str, value: &Value) -> Result<(), String> {
        match key {
            "layout" => {
                self.layout = choice(value, Density::from_name, "auto, roomy or compact")?;
            }
            "sort" => {
                self.sort = choice(
                    value,
                    SortMode::from_label,
                    "priority, name, age, status, directory or machine",
                )?;
            }
            "icons" => self.icons = choice(value, IconSet::from_name, "emoji or ascii")?,
            "show_offline" => self.show_offline = flag(value)?,
            "keep_ended_rows" => self.keep_ended_rows = flag(value)?,
            other => return Err(unknown_key(other, KEYS)),
        }
        Ok(())
    }
}

/// `keys:`: action → one key or a list of keys, each as text.
fn key_overrides(value: &Value) -> Result<Vec<(String, Vec<String>)>, Vec<String>> {
    let Value::Mapping(map) = value else {
        return Err(vec![format!(
            "expected `action: [keys]` lines (e.g. `sources: [M]`), found {}",
            describe(value)
        )]);
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (action, keys) in map {
        let Some(action) = action.as_str() else {
            problems.push(format!(
                "an action that is not text ({}) ",
                describe(action)
            ));
            continue;
        };
        let keys = match keys {
            Value::String(k) => vec![k.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Sequence(list) => list
                .iter()
                .map(|k| match k {
                    Value::String(k) => k.clone(),
                    other => describe(other),
                })
                .collect(),
            other => {
                problems.push(format!(
                    "{action}: expected a key or a list of keys, found {}",
                    describe(other)
                ));
                continue;
            }
        };
        out.push((action.to_string(), keys));
    }
    match problems.is_empty() {
        true => Ok(out),
        false => Err(problems),
    }
}

/// `true` or `false`.
fn flag(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "expected true or false, found {}; ignored",
            describe(other)
        )),
    }
}

/// One of a fixed set of words.
fn choice<T>(
    value: &Value,
    by_name: impl Fn(&str) -> Option<T>,
    one_of: &str,
) -> Result<T, String> {
    match value.as_str() {
        Some(s) => by_name(s.trim()).ok_or_else(|| {
            format!(
                "{:?} is not one of {one_of}; ignored",
                navi_core::text::sanitize(s)
            )
        }),
        None => Err(format!(
            "expected one of {one_of}, found {}; ignored",
            describe(value)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Loaded {
        parse(text, Path::new("/home/u/.config/navi/config.yaml"))
    }

    #[test]
    fn every_key_is_read() {
        let l = parse_str(
            "layout: compact\nsort: machine\nicons: ascii\nshow_offline: false\nkeep_ended_rows: true\n",
        );
        assert_eq!(l.errors, Vec::<SettingsError>::new());
        assert_eq!(
            l.settings,
            Settings {
                layout: Density::Compact,
                sort: SortMode::Machine,
                icons: IconSet::Ascii,
                show_offline: false,
                keep_ended_rows: true,
                notify: NotifySettings::default(),
                keys: crate::keys::Keymap::default(),
                prices: navi_core::cost::PriceTable::default(),
                sources: Vec::new(),
            }
        );
    }

    #[test]
    fn keys_rebind_and_problems_are_named() {
        use crate::keys::{KeyAction, Mode};
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let l = parse_str("keys:\n  sources: [S, F2]\n  sounds: Ctrl-s\n");
        assert_eq!(l.errors, Vec::<SettingsError>::new());
        let k = |c| {
            l.settings
                .keys
                .action(&KeyEvent::new(c, KeyModifiers::NONE), Mode::List)
        };
        assert_eq!(k(KeyCode::Char('S')), Some(KeyAction::ToggleSources));
        assert_eq!(k(KeyCode::F(2)), Some(KeyAction::ToggleSources));
        assert_eq!(k(KeyCode::Char('M')), None, "the old key is free");
        let help = crate::keys::help_lines(&l.settings.keys);
        assert!(help
            .iter()
            .any(|(keys, what)| keys == "S F2" && what.contains("every machine")));
        // A typo, an unknown key and a conflict: each named, the defaults kept.
        let l = parse_str("keys:\n  sorces: [z]\n  kill: [Hyper-x]\n  refresh: [j]\n");
        let text: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        let all = text.join("\n");
        assert!(
            all.contains("unknown action \"sorces\"; did you mean `sources`?"),
            "{all}"
        );
        assert!(all.contains("kill: unknown key \"Hyper-x\""), "{all}");
        assert!(all.contains("j is bound to both down and refresh"), "{all}");
        assert!(all.contains("field `keys`"), "{all}");
        assert_eq!(l.settings.keys, crate::keys::Keymap::default());
    }

    #[test]
    fn empty_and_missing_files_are_the_defaults() {
        assert_eq!(parse_str(""), Loaded::default());
        assert_eq!(parse_str("# nothing yet\n"), Loaded::default());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&dir.path().join("config.yaml")), Loaded::default());
    }

    #[test]
    fn a_wrong_key_costs_only_itself_and_is_named() {
        let l = parse_str("sortt: name\nlayout: compact\nicons: nerd\nshow_offline: maybe\n");
        assert_eq!(
            l.settings.layout,
            Density::Compact,
            "the good key still applies"
        );
        assert_eq!(l.settings.sort, SortMode::Priority);
        assert_eq!(l.settings.icons, IconSet::Emoji);
        assert!(l.settings.show_offline);
        assert_eq!(l.errors.len(), 3, "{:?}", l.errors);
        assert_eq!(
            l.errors[0].to_string(),
            "/home/u/.config/navi/config.yaml: field `sortt`: unknown key is ignored; did you \
             mean `sort`?"
        );
        assert_eq!(l.errors[0].field.as_deref(), Some("sortt"));
        assert!(l.errors[1]
            .to_string()
            .contains("field `icons`: \"nerd\" is not one of emoji or ascii"));
        assert!(l.errors[2]
            .to_string()
            .contains("field `show_offline`: expected true or false, found \"maybe\""));
    }

    #[test]
    fn broken_yaml_is_reported_with_its_place() {
        let l = parse_str("layout: [compact\n");
        assert_eq!(l.settings, Settings::default());
        assert_eq!(l.errors.len(), 1);
        let e = l.errors[0].to_string();
        assert!(e.starts_with("/home/u/.config/navi/config.yaml: not valid YAML"));
        assert!(e.contains("line"), "{e}");

        let l = parse_str("- layout\n");
        assert!(l.errors[0]
            .to_string()
            .contains("expected `key: value` lines"));
    }

    #[test]
    fn the_notify_section_is_read() {
        use crate::notify::settings::{Desktop, OscFlavour};
        let l = parse_str(
            "notify:\n  on: [permission, waiting, done, error]\n  remotes: true\n  bell: false\n  \
             desktop: system\n  osc: 9\n  title: false\n  sound: false\n  \
             command: [~/bin/hook, --from, navi]\n",
        );
        assert_eq!(l.errors, Vec::<SettingsError>::new());
        let n = &l.settings.notify;
        assert_eq!(
            n.on.iter().copied().collect::<Vec<_>>(),
            ["done", "error", "permission", "waiting"]
        );
        assert!(n.remotes && !n.bell && !n.title && !n.sound);
        assert_eq!(n.desktop, Desktop::System);
        assert_eq!(n.osc, OscFlavour::Osc9);
        assert_eq!(n.command, ["~/bin/hook", "--from", "navi"]);
        assert!(n.triggers().remotes);

        let l = parse_str("notify:\n  desktop: false\n  osc: both\n  on: waiting\n");
        assert_eq!(l.errors, Vec::<SettingsError>::new());
        assert_eq!(l.settings.notify.desktop, Desktop::Off);
        assert_eq!(l.settings.notify.osc, OscFlavour::Both);
        assert_eq!(l.settings.notify.on.len(), 1);
        assert_eq!(parse_str("notify:\n"), Loaded::default());
    }

    #[test]
    fn notify_problems_are_named_and_cost_only_themselves() {
        let l = parse_str(
            "notify:\n  bel: false\n  on: [permission, asleep]\n  desktop: maybe\n  \
             osc: 7\n  command: \"notify.sh --x\"\n  title: false\n  sound: yes please\n\
             layout: compact\n",
        );
        assert!(!l.settings.notify.title, "the good key still applies");
        assert_eq!(l.settings.layout, Density::Compact);
        assert_eq!(l.settings.notify.on, NotifySettings::default().on);
        let lines: Vec<String> = l.errors.iter().map(|e| e.to_string()).collect();
        let expected = [
            "field `notify.bel`: unknown key is ignored; did you mean `bell`?",
            "field `notify.on`: \"asleep\" is not one of permission, waiting, done, error",
            "field `notify.desktop`: expected true, false, terminal or system, found \"maybe\"",
            "field `notify.osc`: expected auto, 777, 9 or both, found 7",
            "field `notify.command`: expected a list of arguments",
            "field `notify.sound`: expected true or false, found \"yes please\"",
        ];
        assert_eq!(lines.len(), expected.len(), "{lines:#?}");
        for (line, want) in lines.iter().zip(expected) {
            assert!(line.contains(want), "{line} should contain {want}");
        }
        assert_eq!(l.errors[0].field.as_deref(), Some("notify.bel"));

        let l = parse_str("notify: loud\n");
        assert!(l.errors[0].to_string().contains(
            "field `notify`: expected `key: value` lines (e.g. `bell: false`), found \"loud\""
        ));
        let l = parse_str("notify:\n  command: []\n");
        assert!(l.errors[0].to_string().contains("the command is empty"));
        let l = parse_str("notfy:\n  bell: false\n");
        assert!(l.errors[0].to_string().contains("did you mean `notify`?"));
    }

    #[test]
    fn hostile_values_are_sanitized_in_messages() {
        let l = parse_str("layout: \"\\e[2Jboom\"\n");
        assert_eq!(l.errors.len(), 1);
        assert!(
            !l.errors[0].to_string().contains('\u{1b}'),
            "{}",
            l.errors[0]
        );
    }
}
