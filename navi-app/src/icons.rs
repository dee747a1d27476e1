//! How a status looks: one table, used by the rows, `navi list` and the help legend.
//!
//! The emoji are written without the variation selector (U+FE0F): with it, ⚙️ and ⏹️ are
//! two cells to ratatui but one to tmux 3.3 and several terminals, so the selection bar
//! got holes and names shifted by a column. Without it every terminal agrees on the
//! width, and [`status_cell`] pads each icon to the same two cells.

use navi_core::Status;

use crate::format::width;

/// Which glyphs to draw statuses with (`icons:` in config.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IconSet {
    /// Emoji (without variation selectors).
    #[default]
    Emoji,
    /// Plain ASCII, for terminals or fonts without emoji.
    Ascii,
}

impl IconSet {
    /// The set named `name` (`emoji` or `ascii`).
    pub fn from_name(name: &str) -> Option<IconSet> {
        match name {
            "emoji" => Some(IconSet::Emoji),
            "ascii" => Some(IconSet::Ascii),
            _ => None,
        }
    }
}

/// Every status navi distinguishes, with its emoji and ASCII icon, in the legend's order.
pub const STATUS_ICONS: &[(&str, &str, &str)] = &[
    ("working", "⚙", "*"),
    ("waiting", "⏳", "?"),
    ("permission", "❓", "!"),
    ("done", "✅", "+"),
    ("idle", "💤", "z"),
    ("stopped", "⏹", "#"),
    ("error", "❌", "x"),
    ("offline", "📴", "-"),
    ("unknown", "❔", "~"),
];

/// The icon navi shows for `status`.
pub fn status_icon(status: &Status, set: IconSet) -> &'static str {
    let name = status.as_str();
    let (_, emoji, ascii) = STATUS_ICONS
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or(&("unknown", "❔", "~"));
    match set {
        IconSet::Emoji => emoji,
        IconSet::Ascii => ascii,
    }
}

/// The icon padded to exactly two cells, so columns line up whatever the glyph.
pub fn status_cell(status: &Status, set: IconSet) -> String {
    let icon = status_icon(status, set);
    format!("{icon}{}", " ".repeat(2usize.saturating_sub(width(icon))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_icon_and_no_variation_selector() {
        for (name, emoji, ascii) in STATUS_ICONS {
            let status = Status::from_hook(name);
            assert_eq!(status_icon(&status, IconSet::Emoji), *emoji, "{name}");
            assert_eq!(status_icon(&status, IconSet::Ascii), *ascii, "{name}");
            assert!(!emoji.contains('\u{fe0f}'), "{name} has a VS16");
            assert_eq!(width(&status_cell(&status, IconSet::Emoji)), 2, "{name}");
            assert_eq!(width(&status_cell(&status, IconSet::Ascii)), 2, "{name}");
        }
        let unknown = Status::from_hook("compacting");
        assert_eq!(status_icon(&unknown, IconSet::Emoji), "❔");
        assert_eq!(IconSet::from_name("ascii"), Some(IconSet::Ascii));
        assert_eq!(IconSet::from_name("nerd"), None);
    }
}
