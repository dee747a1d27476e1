//! `S`: the Go navi's sound-pack picker. Lists the packs of
//! `~/.config/navi/soundpacks`, plays one (`p` or Space) and makes the highlighted one
//! the pack (Enter): the running notifier switches to it at once and `pack:` is set in
//! sounds.yaml, the rest of the file kept byte for byte.
//!
//! The app decides; the files are read and written by [`perform`], which the dashboard's
//! loop runs for an [`Effect::Sound`] (the app itself does no I/O).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::{App, Effect, KeyAction, Level, Overlay};
use crate::cmd::sound::SoundPaths;
use crate::notify::sounds::{self, Pack};

/// The picker's state while it is open.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoundPicker {
    /// The packs, by name.
    pub packs: Vec<Pack>,
    /// The highlighted pack.
    pub cursor: usize,
    /// The pack sounds.yaml names (`*`).
    pub active: String,
    /// What went wrong last (reading, playing, saving), shown in the picker.
    pub error: Option<String>,
}

impl App {
    /// Where sounds.yaml and the packs are (the real HOME's in the dashboard, a temporary
    /// one in tests); without them `S` says so.
    pub fn set_sound_paths(&mut self, paths: SoundPaths) {
        self.sound_paths = Some(paths);
    }

    /// `S`: asks for the packs found now ([`SoundIo::Load`]).
    pub(crate) fn open_sound_picker(&mut self) -> Effect {
        match &self.sound_paths {
            Some(paths) => Effect::Sound(SoundIo::Load(paths.clone())),
            None => {
                self.ui
                    .set_message(Level::Error, "sound packs: HOME is not set");
                Effect::None
            }
        }
    }

    /// The packs and sounds.yaml as read: the picker opens on them.
    pub fn sound_picker_loaded(&mut self, mut picker: SoundPicker) {
        picker.cursor = picker
            .packs
            .iter()
            .position(|p| p.name == picker.active)
            .unwrap_or(0);
        self.ui.sound_picker = Some(picker);
        self.ui.overlay = Overlay::SoundPacks;
    }

    /// A key while the picker is open: navigation moves, `p`/Space plays, Enter chooses,
    /// Esc (or `S`, `q`) closes.
    pub(crate) fn on_sound_picker_key(&mut self, key: &KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        match key.code {
            KeyCode::Enter => return self.choose_pack(),
            KeyCode::Char('p' | ' ') => return self.preview_pack(),
            KeyCode::Esc | KeyCode::Char('q' | 'S') => {
                self.close_sound_picker();
                return Effect::None;
            }
            _ => {}
        }
        let action = self.keys.action(key, super::Mode::Overlay);
        let Some(picker) = &mut self.ui.sound_picker else {
            return Effect::None;
        };
        let last = picker.packs.len().saturating_sub(1);
        picker.cursor = match action {
            Some(KeyAction::Down) => (picker.cursor + 1).min(last),
            Some(KeyAction::Up) => picker.cursor.saturating_sub(1),
            Some(KeyAction::Top) => 0,
            Some(KeyAction::Bottom) => last,
            Some(KeyAction::Quit) => return Effect::Quit,
            _ => picker.cursor,
        };
        Effect::None
    }

    fn close_sound_picker(&mut self) {
        self.ui.sound_picker = None;
        self.ui.overlay = Overlay::None;
    }

    fn highlighted(&self) -> Option<(SoundPaths, Pack)> {
        let paths = self.sound_paths.as_ref()?;
        let picker = self.ui.sound_picker.as_ref()?;
        Some((paths.clone(), picker.packs.get(picker.cursor)?.clone()))
    }

    /// Plays a sound of the highlighted pack ([`SoundIo::Play`]).
    fn preview_pack(&mut self) -> Effect {
        match self.highlighted() {
            Some((paths, pack)) => Effect::Sound(SoundIo::Play(paths, pack)),
            None => Effect::None,
        }
    }

    /// Makes the highlighted pack the one in use ([`SoundIo::Save`], then
    /// [`App::pack_saved`]).
    fn choose_pack(&mut self) -> Effect {
        match self.highlighted() {
            Some((paths, pack)) => Effect::Sound(SoundIo::Save(paths, pack.name)),
            None => Effect::None,
        }
    }

    /// sounds.yaml says `name` now (or could not be changed): the notifier switches now.
    pub fn pack_saved(&mut self, name: String, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.pack.send_replace(name.clone());
                self.close_sound_picker();
                let name = navi_core::text::sanitize(&name).into_owned();
                self.ui.set_message(
                    Level::Info,
                    format!("sound pack: {name} (saved in sounds.yaml)"),
                );
            }
            Err(e) => self.sound_picker_failed(e),
        }
    }

    /// What went wrong (reading, playing, saving), shown in the picker.
    pub fn sound_picker_failed(&mut self, e: String) {
        if let Some(p) = &mut self.ui.sound_picker {
            p.error = Some(navi_core::text::sanitize(&e).into_owned());
        }
    }

    /// Follows the pack chosen with `S` (the notifier's sound channel).
    pub fn pack_switch(&self) -> tokio::sync::watch::Receiver<String> {
        self.pack.subscribe()
    }
}

/// The picker's file work, run by the dashboard's loop ([`perform`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoundIo {
    /// Read sounds.yaml and list the packs.
    Load(SoundPaths),
    /// Play a sample of the pack with sounds.yaml's player and volume.
    Play(SoundPaths, Pack),
    /// Set `pack:` in sounds.yaml to this name.
    Save(SoundPaths, String),
}

/// Does `io` (reads, writes, finds the player) and hands the result to `app`; the effect
/// left for the loop (a sound to play).
pub fn perform(app: &mut App, io: SoundIo) -> Effect {
    match io {
        SoundIo::Load(paths) => {
            app.sound_picker_loaded(load_picker(&paths));
            Effect::None
        }
        SoundIo::Play(paths, pack) => match preview_argv(&paths, &pack) {
            Ok(argv) => Effect::PlaySound(argv),
            Err(e) => {
                app.sound_picker_failed(e);
                Effect::None
            }
        },
        SoundIo::Save(paths, name) => {
            let saved =
                crate::cmd::sound::save_pack(&paths.yaml, &name).map_err(|e| format!("{e:#}"));
            app.pack_saved(name, saved);
            Effect::None
        }
    }
}

/// The picker over the packs found now and the pack sounds.yaml names.
fn load_picker(paths: &SoundPaths) -> SoundPicker {
    let (s, problem) = sounds::load(&paths.yaml);
    let mut picker = SoundPicker {
        active: s.pack.clone(),
        error: problem.map(|p| format!("{}: {p}", paths.yaml.display())),
        ..SoundPicker::default()
    };
    match sounds::list_packs(&paths.packs) {
        Ok(packs) => picker.packs = packs,
        Err(e) => picker.error = Some(format!("cannot read {}: {e}", paths.packs.display())),
    }
    picker
}

/// The player's argv for a sample of `pack`, with sounds.yaml's player and volume.
fn preview_argv(paths: &SoundPaths, pack: &Pack) -> Result<Vec<String>, String> {
    let (s, _) = sounds::load(&paths.yaml);
    let file = pack
        .sample(&paths.packs)
        .ok_or_else(|| format!("{} has no sound file", pack.name))?;
    sounds::player_argv(&s.player, &file, s.volume_for("waiting")).ok_or_else(|| {
        "no audio player found (pw-play, paplay, aplay, ffplay, mpv): install one or set \
         `player:` in sounds.yaml"
            .to_string()
    })
}
