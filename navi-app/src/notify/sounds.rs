//! The Go navi's `~/.config/navi/sounds.yaml`, read unchanged: `enabled`, `pack`
//! (`~/.config/navi/soundpacks/<pack>/<event>[-N].{wav,mp3,ogg,flac}`), `files` (a file
//! per status, before the pack), `triggers` (status → bool), `volume` (`global` 0–100,
//! `events` status → 0.0–1.0), `tts` (`enabled`, `template` with `{session}` and
//! `{status}`), `cooldown_seconds`, `player` and `tts_engine` (`auto` or a command).
//! Players and speech engines are found on `PATH` as the Go navi looks for them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The events sounds.yaml knows (the Go navi's `navi sound test` list).
pub const EVENTS: &[&str] = &[
    "waiting",
    "permission",
    "working",
    "idle",
    "stopped",
    "done",
    "error",
];

/// sounds.yaml as the Go navi writes it (every key optional).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct Sounds {
    /// Sounds are played at all.
    pub enabled: bool,
    /// A pack under `~/.config/navi/soundpacks/`.
    pub pack: String,
    /// Global volume and per-status multipliers.
    pub volume: Volume,
    /// Which statuses sound.
    pub triggers: BTreeMap<String, bool>,
    /// A file per status (before the pack's).
    pub files: BTreeMap<String, String>,
    /// Text to speech.
    pub tts: Tts,
    /// Seconds between two sounds of one session.
    pub cooldown_seconds: u64,
    /// `auto` or a player command.
    pub player: String,
    /// `auto` or a speech command.
    pub tts_engine: String,
}

/// `volume:` of sounds.yaml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct Volume {
    /// 0–100.
    pub global: i64,
    /// Status → 0.0–1.0.
    pub events: BTreeMap<String, f64>,
}

/// `tts:` of sounds.yaml.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct Tts {
    /// Speak an announcement.
    pub enabled: bool,
    /// `{session}` and `{status}` are replaced.
    pub template: String,
}

impl Default for Sounds {
    fn default() -> Self {
        let triggers = [
            ("waiting", true),
            ("permission", true),
            ("working", false),
            ("idle", false),
            ("stopped", false),
            ("done", true),
            ("error", true),
        ];
        Sounds {
            enabled: false,
            pack: String::new(),
            volume: Volume::default(),
            triggers: triggers.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            files: BTreeMap::new(),
            tts: Tts::default(),
            cooldown_seconds: 5,
            player: "auto".into(),
            tts_engine: "auto".into(),
        }
    }
}

impl Default for Volume {
    fn default() -> Self {
        Volume {
            global: 100,
            events: BTreeMap::new(),
        }
    }
}

impl Default for Tts {
    fn default() -> Self {
        Tts {
            enabled: true,
            template: "{session} — {status}".into(),
        }
    }
}

/// `$XDG_CONFIG_HOME/navi/sounds.yaml`, else the Go navi's `~/.config/navi/sounds.yaml`.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::sounds_yaml()
}

/// Reads sounds.yaml: missing is the defaults (disabled); a broken file is the
/// defaults and a message saying what is wrong (the caller names the file).
pub fn load(path: &Path) -> (Sounds, Option<String>) {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Sounds::default(), None),
        Err(e) => (
            Sounds::default(),
            Some(format!("cannot read it ({e}); no sounds")),
        ),
        Ok(text) => match serde_yaml::from_str::<Option<Sounds>>(&text) {
            Ok(s) => (s.map(Sounds::normalized).unwrap_or_default(), None),
            Err(e) => (
                Sounds::default(),
                Some(format!("not valid ({e}); no sounds")),
            ),
        },
    }
}

impl Sounds {
    /// As the Go navi reads the file: a `triggers:` naming some statuses keeps the
    /// defaults of the others (its YAML decoder fills the default map), a zero
    /// cooldown and an empty template are the defaults.
    fn normalized(mut self) -> Sounds {
        let defaults = Sounds::default();
        for (status, on) in defaults.triggers {
            self.triggers.entry(status).or_insert(on);
        }
        if self.cooldown_seconds == 0 {
            self.cooldown_seconds = defaults.cooldown_seconds;
        }
        if self.tts.template.is_empty() {
            self.tts.template = defaults.tts.template;
        }
        self
    }

    /// Whether `status` sounds.
    pub fn triggers_on(&self, status: &str) -> bool {
        self.enabled && self.triggers.get(status).copied().unwrap_or(false)
    }

    /// The file for `status`: `files` first, then the pack (the first of its variants;
    /// `pick` chooses among several).
    pub fn file_for(&self, status: &str, packs: &Path, pick: usize) -> Option<PathBuf> {
        if let Some(f) = self.files.get(status).filter(|f| !f.is_empty()) {
            return Some(navi_core::text::expand_home(
                Path::new(f),
                std::env::home_dir().as_deref(),
            ));
        }
        if self.pack.is_empty() || self.pack.contains('/') || self.pack.starts_with('.') {
            return None;
        }
        let variants = pack_files(&packs.join(&self.pack), status);
        match variants.len() {
            0 => None,
            n => Some(variants[pick % n].clone()),
        }
    }

    /// 0–100 for `status`.
    pub fn volume_for(&self, status: &str) -> u32 {
        let m = self.volume.events.get(status).copied().unwrap_or(1.0);
        let v = (self.volume.global as f64 * m).round();
        v.clamp(0.0, 100.0) as u32
    }

    /// The spoken announcement.
    pub fn announcement(&self, session: &str, status: &str) -> String {
        self.tts
            .template
            .replace("{session}", session)
            .replace("{status}", status)
    }
}

/// The pack's files for `event`: `event.ext` and `event-N.ext`, sorted.
fn pack_files(dir: &Path, event: &str) -> Vec<PathBuf> {
    scan_pack(dir)
        .into_iter()
        .filter(|(e, _)| e == event)
        .map(|(_, p)| p)
        .collect()
}

/// Every sound file of a pack with its event (`waiting-2.ogg` is `waiting`), sorted
/// by path; other files and subdirectories are not sounds.
fn scan_pack(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|e| e.path())
        .filter_map(|p| Some((sound_event(&p)?, p)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// The event a sound file plays: its stem without a `-N` variant number; `None` when
/// it is not a wav, mp3, ogg or flac file.
fn sound_event(p: &Path) -> Option<String> {
    let ext = p.extension()?.to_str()?.to_ascii_lowercase();
    if !["wav", "mp3", "ogg", "flac"].contains(&ext.as_str()) {
        return None;
    }
    let stem = p.file_stem()?.to_str()?;
    let base = match stem.rsplit_once('-') {
        Some((b, n)) if !b.is_empty() && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
            b
        }
        _ => stem,
    };
    Some(base.to_string())
}

/// An installed sound pack (a directory under `soundpacks/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    /// Its directory's name: what `pack:` says.
    pub name: String,
    /// How many events it has a sound for.
    pub events: usize,
    /// How many sound files it has.
    pub files: usize,
}

impl Pack {
    /// The file a preview plays: the first of the first event (by name) it has.
    pub fn sample(&self, packs: &Path) -> Option<PathBuf> {
        let mut files = scan_pack(&packs.join(&self.name));
        files.sort();
        files.into_iter().next().map(|(_, p)| p)
    }
}

/// The packs under `packs`, by name; none when the directory does not exist.
pub fn list_packs(packs: &Path) -> std::io::Result<Vec<Pack>> {
    let entries = match std::fs::read_dir(packs) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other?,
    };
    let mut out = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // A name that is not text cannot be written as `pack:`.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let files = scan_pack(&entry.path());
        let events: std::collections::BTreeSet<&String> = files.iter().map(|(e, _)| e).collect();
        out.push(Pack {
            events: events.len(),
            files: files.len(),
            name,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `~/.config/navi/soundpacks`, beside sounds.yaml.
pub fn packs_dir(sounds_yaml: &Path) -> PathBuf {
    sounds_yaml
        .parent()
        .map_or_else(PathBuf::new, |d| d.join("soundpacks"))
}

/// A player command for `file` at `volume`: the configured one or the first found of
/// the Go navi's candidates.
pub fn player_argv(player: &str, file: &Path, volume: u32) -> Option<Vec<String>> {
    let candidates: &[&str] = match cfg!(target_os = "macos") {
        true => &["afplay"],
        false => &["pw-play", "paplay", "aplay", "ffplay", "mpv"],
    };
    let name = match player {
        "" | "auto" => candidates.iter().find(|c| on_path(c))?.to_string(),
        other => other.to_string(),
    };
    let file = file.display().to_string();
    let base = Path::new(&name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let mut argv = vec![name];
    if volume < 100 {
        match base.as_str() {
            "paplay" => argv.push(format!("--volume={}", volume * 65536 / 100)),
            "pw-play" => argv.push(format!("--volume={:.2}", f64::from(volume) / 100.0)),
            "afplay" => argv.extend(["-v".into(), format!("{:.2}", f64::from(volume) / 100.0)]),
            "mpv" => argv.push(format!("--volume={volume}")),
            "ffplay" => argv.extend(["-volume".into(), volume.to_string()]),
            _ => {}
        }
    }
    match base.as_str() {
        "ffplay" => argv.extend(["-nodisp", "-autoexit", "-loglevel", "quiet"].map(String::from)),
        "mpv" => argv.extend(
            [
                "--no-video",
                "--no-config",
                "--really-quiet",
                "--no-terminal",
            ]
            .map(String::from),
        ),
        _ => {}
    }
    argv.push(file);
    Some(argv)
}

/// A speech command for `text`: the configured one or the first found.
pub fn tts_argv(engine: &str, text: &str) -> Option<Vec<String>> {
    let candidates: &[&str] = match cfg!(target_os = "macos") {
        true => &["say"],
        false => &["espeak-ng", "espeak", "spd-say"],
    };
    let name = match engine {
        "" | "auto" => candidates.iter().find(|c| on_path(c))?.to_string(),
        other => other.to_string(),
    };
    // A text starting with `-` would be read as an option.
    let text = match text.starts_with('-') {
        true => format!(" {text}"),
        false => text.to_string(),
    };
    Some(vec![name, text])
}

/// Whether `cmd` is an executable on `PATH`.
pub fn on_path(cmd: &str) -> bool {
    crate::paths::find_on_path(cmd).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_go_navi_sounds_yaml_is_read_unchanged() {
        let text = "enabled: true\npack: starcraft\nvolume:\n  global: 80\n  events:\n    done: 0.5\n\
                    triggers:\n  waiting: true\n  done: false\nfiles:\n  permission: ~/sounds/ping.wav\n\
                    tts:\n  enabled: false\n  template: \"{session} is {status}\"\ncooldown_seconds: 9\n\
                    player: paplay\n";
        let s: Sounds = serde_yaml::from_str(text).unwrap();
        assert!(s.triggers_on("waiting") && !s.triggers_on("done") && !s.triggers_on("idle"));
        assert_eq!(s.volume_for("done"), 40);
        assert_eq!(s.volume_for("waiting"), 80);
        assert_eq!(s.announcement("api", "waiting"), "api is waiting");
        assert_eq!(s.cooldown_seconds, 9);
        let packs = tempfile::tempdir().unwrap();
        let f = s.file_for("permission", packs.path(), 0).unwrap();
        assert!(f.ends_with("sounds/ping.wav"), "{f:?}");
    }

    #[test]
    fn packs_are_scanned_with_variants() {
        let packs = tempfile::tempdir().unwrap();
        let dir = packs.path().join("retro");
        std::fs::create_dir(&dir).unwrap();
        for f in [
            "waiting-1.wav",
            "waiting-2.ogg",
            "done.mp3",
            "notes.txt",
            "waiting-x.wav",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        let s = Sounds {
            enabled: true,
            pack: "retro".into(),
            ..Sounds::default()
        };
        let a = s.file_for("waiting", packs.path(), 0).unwrap();
        let b = s.file_for("waiting", packs.path(), 1).unwrap();
        assert!(a.ends_with("waiting-1.wav") && b.ends_with("waiting-2.ogg"));
        assert!(s
            .file_for("done", packs.path(), 7)
            .unwrap()
            .ends_with("done.mp3"));
        assert_eq!(s.file_for("error", packs.path(), 0), None);
        let escape = Sounds {
            pack: "../etc".into(),
            ..s
        };
        assert_eq!(escape.file_for("done", packs.path(), 0), None);
    }

    #[test]
    fn a_partial_triggers_map_keeps_the_go_navis_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sounds.yaml");
        std::fs::write(
            &path,
            "enabled: true\ntriggers:\n  error: false\n  idle: true\n",
        )
        .unwrap();
        let (s, e) = load(&path);
        assert!(e.is_none());
        let on: Vec<&str> = EVENTS
            .iter()
            .copied()
            .filter(|e| s.triggers_on(e))
            .collect();
        assert_eq!(on, ["waiting", "permission", "idle", "done"]);
        std::fs::write(&path, "enabled: true\n").unwrap();
        let (s, _) = load(&path);
        let on: Vec<&str> = EVENTS
            .iter()
            .copied()
            .filter(|e| s.triggers_on(e))
            .collect();
        assert_eq!(
            on,
            ["waiting", "permission", "done", "error"],
            "the Go navi's defaults"
        );
    }

    #[test]
    fn missing_and_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let (s, e) = load(&dir.path().join("sounds.yaml"));
        assert!(!s.enabled && e.is_none());
        std::fs::write(dir.path().join("sounds.yaml"), "enabled: [").unwrap();
        let (s, e) = load(&dir.path().join("sounds.yaml"));
        assert!(!s.enabled);
        assert!(e.unwrap().starts_with("not valid"));
    }

    #[test]
    fn player_arguments_follow_the_player() {
        let f = Path::new("/s/a.wav");
        assert_eq!(
            player_argv("paplay", f, 50).unwrap(),
            ["paplay", "--volume=32768", "/s/a.wav"]
        );
        assert_eq!(
            player_argv("/usr/bin/aplay", f, 100).unwrap(),
            ["/usr/bin/aplay", "/s/a.wav"]
        );
        assert_eq!(tts_argv("espeak", "hi").unwrap(), ["espeak", "hi"]);
        assert_eq!(tts_argv("say", "-rf").unwrap(), ["say", " -rf"]);
    }
}
