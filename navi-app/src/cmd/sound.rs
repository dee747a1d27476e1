//! `navi sound list | test STATUS | test-all`: the Go navi's commands to check the
//! sounds of `~/.config/navi/sounds.yaml` without waiting for a session to change.
//!
//! As in the Go navi, `test` and `test-all` play whatever sounds.yaml configures even
//! while `enabled: false` (that is what checking a setup before enabling it needs);
//! `test-all` plays the statuses `triggers` turns on, one after the other.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::notify::sounds::{self, Sounds, EVENTS};
use navi_core::limits::SOUND_PLAY;

/// Plays one argv to its end (bounded); what went wrong otherwise.
pub type Play<'a> = &'a dyn Fn(&[String]) -> Result<(), String>;

/// Where sounds.yaml and the packs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundPaths {
    /// `~/.config/navi/sounds.yaml`.
    pub yaml: PathBuf,
    /// `~/.config/navi/soundpacks`.
    pub packs: PathBuf,
}

impl SoundPaths {
    /// The Go navi's places, under `$HOME`.
    pub fn default_paths() -> anyhow::Result<SoundPaths> {
        let yaml = sounds::default_path().context("HOME is not set: cannot find sounds.yaml")?;
        let packs = sounds::packs_dir(&yaml);
        Ok(SoundPaths { yaml, packs })
    }
}

/// sounds.yaml, or an error naming it (a broken file plays nothing).
fn load(paths: &SoundPaths) -> anyhow::Result<Sounds> {
    match sounds::load(&paths.yaml) {
        (s, None) => Ok(s),
        (_, Some(problem)) => bail!("{}: {problem}; fix it and retry", paths.yaml.display()),
    }
}

/// `navi sound list`: the packs, the active one marked `*`.
pub fn list(paths: &SoundPaths, out: &mut dyn Write) -> anyhow::Result<()> {
    let s = load(paths)?;
    let packs = sounds::list_packs(&paths.packs)
        .with_context(|| format!("cannot read {}", paths.packs.display()))?;
    if packs.is_empty() {
        writeln!(out, "No sound packs found")?;
        writeln!(out, "Install packs to: {}/", paths.packs.display())?;
        return Ok(());
    }
    writeln!(out, "Available sound packs:")?;
    for p in &packs {
        let active = if p.name == s.pack { "*" } else { " " };
        let name = navi_core::text::sanitize(&p.name);
        writeln!(
            out,
            "  {active} {name:<20} {} events, {} files",
            p.events, p.files
        )?;
    }
    match s.pack.is_empty() {
        true => writeln!(out, "\nNo active pack (using per-file config)")?,
        false => writeln!(out, "\nActive pack: {}", navi_core::text::sanitize(&s.pack))?,
    }
    Ok(())
}

/// `navi sound test STATUS`: plays the sound of one status.
pub fn test(
    paths: &SoundPaths,
    status: &str,
    play: Play,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if !EVENTS.contains(&status) {
        bail!(
            "unknown status {:?}; one of: {}",
            navi_core::text::sanitize(status),
            EVENTS.join(", ")
        );
    }
    let s = load(paths)?;
    let Some(file) = s.file_for(status, &paths.packs, 0) else {
        bail!(
            "no sound configured for {status}: set `files: {{{status}: FILE}}` or a `pack:` \
             with a {status} sound in {}",
            paths.yaml.display()
        );
    };
    let volume = s.volume_for(status);
    writeln!(
        out,
        "Event:  {status}\nFile:   {}\nVolume: {volume}",
        shown(&file)
    )?;
    out.flush()?;
    let argv = player(&s, &file, volume)?;
    play(&argv).map_err(|e| anyhow::anyhow!("cannot play {}: {e}", file.display()))
}

/// `navi sound test-all`: every status `triggers` turns on that has a sound.
pub fn test_all(paths: &SoundPaths, play: Play, out: &mut dyn Write) -> anyhow::Result<()> {
    let s = load(paths)?;
    let mut played = 0;
    for status in EVENTS {
        if !s.triggers.get(*status).copied().unwrap_or(false) {
            continue;
        }
        let Some(file) = s.file_for(status, &paths.packs, 0) else {
            continue;
        };
        let volume = s.volume_for(status);
        writeln!(out, "{status:<12} {} (vol: {volume})", shown(&file))?;
        out.flush()?;
        let argv = player(&s, &file, volume)?;
        match play(&argv) {
            Ok(()) => played += 1,
            Err(e) => writeln!(out, "  Error: {e}")?,
        }
    }
    if played == 0 {
        writeln!(out, "No sounds configured for any enabled trigger")?;
    }
    Ok(())
}

/// A path for the terminal (a file name may hold escape sequences).
fn shown(p: &Path) -> String {
    navi_core::text::sanitize(&p.display().to_string()).into_owned()
}

fn player(s: &Sounds, file: &Path, volume: u32) -> anyhow::Result<Vec<String>> {
    sounds::player_argv(&s.player, file, volume).context(
        "no audio player found (pw-play, paplay, aplay, ffplay or mpv; afplay on macOS): \
         install one or set `player:` in sounds.yaml",
    )
}

/// Plays `argv` to its end, at most [`SOUND_PLAY`]; the player's own messages are
/// dropped, its exit status is the answer.
pub fn play_bounded(argv: &[String]) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no player")?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    match navi_source_local::process::output_within(cmd, SOUND_PLAY) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("{program} exited with {}", o.status)),
        Err(e) => Err(format!("{program}: {e}")),
    }
}

/// sounds.yaml's text with `pack:` set to `name`, every other byte kept (comments,
/// order, quoting of the rest): the top-level `pack:` line's value is replaced (its
/// comment kept), or a `pack:` line is added at the end. The result is read back: an
/// edit that does not give `pack: name` exactly (a layout this edit does not know) is
/// refused rather than written.
pub fn set_pack(text: &str, name: &str) -> Result<String, String> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err("a pack name must be text without control characters".into());
    }
    let value = yaml_scalar(name);
    let mut out = String::with_capacity(text.len() + value.len() + 8);
    let mut found = false;
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("pack:").filter(|_| !found) {
            Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']) => {
                found = true;
                out.push_str("pack: ");
                out.push_str(&value);
                out.push_str(after_value(rest));
            }
            _ => out.push_str(line),
        }
    }
    if !found {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("pack: {value}\n"));
    }
    match serde_yaml::from_str::<Option<Sounds>>(&out) {
        Ok(Some(s)) if s.pack == name => Ok(out),
        _ => Err(
            "sounds.yaml is laid out in a way navi cannot edit safely; set `pack:` by hand".into(),
        ),
    }
}

/// What follows a `pack:` value on its line: its comment (` # ...`) and line end.
fn after_value(rest: &str) -> &str {
    let body = rest.trim_start_matches([' ', '\t']);
    let end = match body.chars().next() {
        Some(q @ ('"' | '\'')) => closing_quote(body, q).map_or(body.len(), |i| i + 1),
        _ => {
            let stop = body
                .find(" #")
                .or_else(|| body.find("\t#"))
                .or_else(|| body.find(['\r', '\n']))
                .unwrap_or(body.len());
            // The spaces before a comment stay with it.
            body[..stop].trim_end_matches([' ', '\t']).len()
        }
    };
    &body[end..]
}

/// The byte index of the quote closing a quoted scalar that opens `s`.
fn closing_quote(s: &str, q: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if q == '"' => {
                chars.next();
            }
            // `''` is a quote inside a single-quoted scalar.
            '\'' if q == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                chars.next();
            }
            c if c == q => return Some(i),
            _ => {}
        }
    }
    None
}

/// `name` plain when YAML reads it back as that text, else double-quoted.
fn yaml_scalar(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && matches!(serde_yaml::from_str::<serde_yaml::Value>(name), Ok(serde_yaml::Value::String(s)) if s == name);
    match plain {
        true => name.to_string(),
        false => format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// Sets `pack: name` in the sounds.yaml at `path` (created when missing), keeping the
/// rest of the file, written atomically through its symlinks with its mode.
pub fn save_pack(path: &Path, name: &str) -> anyhow::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let text = set_pack(old.as_deref().unwrap_or(""), name)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    crate::cmd::hooks::file::write(path, &text, old.as_deref(), false)?;
    Ok(())
}

/// `navi sound list | test STATUS | test-all`.
pub fn command(action: &crate::cli::SoundAction) -> anyhow::Result<()> {
    use crate::cli::SoundAction;
    let paths = SoundPaths::default_paths()?;
    let out = &mut std::io::stdout().lock();
    let play = &play_bounded;
    match action {
        SoundAction::List => list(&paths, out),
        SoundAction::Test { status } => test(&paths, status, play, out),
        SoundAction::TestAll => test_all(&paths, play, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_set_and_every_other_byte_kept() {
        let text = "# my sounds\nenabled: true   # on\npack: retro # the old one\n\
                    volume:\n  global: 80\npackage: x\n";
        let out = set_pack(text, "zen").unwrap();
        assert_eq!(
            out,
            "# my sounds\nenabled: true   # on\npack: zen # the old one\n\
             volume:\n  global: 80\npackage: x\n"
        );
        // Quoted values with a `#` inside, CRLF lines, no pack yet, no final newline.
        let out = set_pack("pack: \"a # b\"  # c\r\nenabled: true\r\n", "z").unwrap();
        assert_eq!(out, "pack: z  # c\r\nenabled: true\r\n");
        let out = set_pack("pack: 'it''s'\n", "z").unwrap();
        assert_eq!(out, "pack: z\n");
        assert_eq!(
            set_pack("enabled: true", "z").unwrap(),
            "enabled: true\npack: z\n"
        );
        assert_eq!(set_pack("", "z").unwrap(), "pack: z\n");
        // Names YAML would read as something else are quoted.
        assert_eq!(set_pack("", "true").unwrap(), "pack: \"true\"\n");
        assert_eq!(set_pack("", "a: b #c").unwrap(), "pack: \"a: b #c\"\n");
        assert_eq!(set_pack("", "8bit").unwrap(), "pack: \"8bit\"\n");
    }

    #[test]
    fn layouts_the_edit_does_not_know_are_refused() {
        // A block scalar on the next lines, flow mappings, nested `pack:` only.
        assert!(set_pack("pack: >\n  retro\n", "z").is_err());
        assert!(set_pack("{enabled: true, pack: retro}\n", "z").is_err());
        assert!(set_pack("files:\n  pack: x\n", "z").is_ok_and(|t| t.ends_with("\npack: z\n")));
        assert!(set_pack("enabled: [\n", "z").is_err());
        assert!(set_pack("", "a\u{1b}[2J").is_err());
    }
}
