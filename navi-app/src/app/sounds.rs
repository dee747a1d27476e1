//! `S`: the Go navi's sound-pack picker. Lists the packs of
//! `~/.config/navi/soundpacks`, plays one (`p` or Space) and makes the highlighted one
//! the pack (Enter): the running notifier switches to it at once and `pack:` is set in
//! sounds.yaml, the rest of the file kept byte for byte.

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

    /// `S`: opens the picker on the packs found now.
    pub(crate) fn open_sound_picker(&mut self) {
        let Some(paths) = &self.sound_paths else {
            self.ui
                .set_message(Level::Error, "sound packs: HOME is not set");
            return;
        };
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

    fn highlighted(&self) -> Option<(&SoundPaths, &Pack)> {
        let paths = self.sound_paths.as_ref()?;
        let picker = self.ui.sound_picker.as_ref()?;
        Some((paths, picker.packs.get(picker.cursor)?))
    }

    /// Plays a sound of the highlighted pack with sounds.yaml's player and volume.
    fn preview_pack(&mut self) -> Effect {
        let Some((paths, pack)) = self.highlighted() else {
            return Effect::None;
        };
        let (s, _) = sounds::load(&paths.yaml);
        let argv = pack
            .sample(&paths.packs)
            .ok_or_else(|| format!("{} has no sound file", pack.name))
            .and_then(|file| {
                sounds::player_argv(&s.player, &file, s.volume_for("waiting")).ok_or_else(|| {
                    "no audio player found (pw-play, paplay, aplay, ffplay, mpv): install one or set `player:` in sounds.yaml".to_string()
                })
            });
        match argv {
            Ok(argv) => Effect::PlaySound(argv),
            Err(e) => {
                self.picker_error(e);
                Effect::None
            }
        }
    }

    /// Makes the highlighted pack the one in use: the notifier switches now, and
    /// sounds.yaml says so from now on.
    fn choose_pack(&mut self) -> Effect {
        let Some((paths, pack)) = self.highlighted() else {
            return Effect::None;
        };
        let name = pack.name.clone();
        match crate::cmd::sound::save_pack(&paths.yaml, &name) {
            Ok(()) => {
                self.pack.send_replace(name.clone());
                self.close_sound_picker();
                let name = navi_core::text::sanitize(&name).into_owned();
                self.ui.set_message(
                    Level::Info,
                    format!("sound pack: {name} (saved in sounds.yaml)"),
                );
            }
            Err(e) => self.picker_error(format!("{e:#}")),
        }
        Effect::None
    }

    fn picker_error(&mut self, e: String) {
        if let Some(p) = &mut self.ui.sound_picker {
            p.error = Some(navi_core::text::sanitize(&e).into_owned());
        }
    }

    /// Follows the pack chosen with `S` (the notifier's sound channel).
    pub fn pack_switch(&self) -> tokio::sync::watch::Receiver<String> {
        self.pack.subscribe()
    }
}
