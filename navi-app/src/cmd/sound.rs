//! `navi sound list | test STATUS | test-all`: the Go navi's commands to check the
//! sounds of `~/.config/navi/sounds.yaml` without waiting for a session to change.
//!
//! As in the Go navi, `test` and `test-all` play whatever sounds.yaml configures even
//! while `enabled: false` (that is what checking a setup before enabling it needs);
//! `test-all` plays the statuses `triggers` turns on, one after the other.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::notify::sounds::{self, Sounds, EVENTS};

/// The longest one sound may play before it is stopped (with its children).
const PLAY_LIMIT: Duration = Duration::from_secs(30);

/// Plays one argv to its end (bounded); what went wrong otherwise.
pub type Play<'a> = &'a dyn Fn(&[String]) -> Result<(), String>;

/// Where sounds.yaml and the packs are.
#[derive(Debug, Clone)]
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
        file.display()
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
        writeln!(out, "{status:<12} {} (vol: {volume})", file.display())?;
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

fn player(s: &Sounds, file: &Path, volume: u32) -> anyhow::Result<Vec<String>> {
    sounds::player_argv(&s.player, file, volume).context(
        "no audio player found (pw-play, paplay, aplay, ffplay or mpv; afplay on macOS): \
         install one or set `player:` in sounds.yaml",
    )
}

/// Plays `argv` to its end, at most [`PLAY_LIMIT`]; the player's own messages are
/// dropped, its exit status is the answer.
pub fn play_bounded(argv: &[String]) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("no player")?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    match navi_source_local::process::output_within(cmd, PLAY_LIMIT) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("{program} exited with {}", o.status)),
        Err(e) => Err(format!("{program}: {e}")),
    }
}
