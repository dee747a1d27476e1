//! How a status looks: one table, used by the rows, `navi list` and the help legend.

use navi_core::Status;

/// Every status navi distinguishes, with its icon, in the legend's order.
pub const STATUS_ICONS: &[(&str, &str)] = &[
    ("working", "⚙️"),
    ("waiting", "⏳"),
    ("permission", "❓"),
    ("done", "✅"),
    ("idle", "💤"),
    ("stopped", "⏹️"),
    ("error", "❌"),
    ("offline", "📴"),
    ("unknown", "❔"),
];

/// The icon navi shows for `status`.
pub fn status_icon(status: &Status) -> &'static str {
    let name = status.as_str();
    STATUS_ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("❔", |(_, icon)| icon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_icon() {
        for (name, icon) in STATUS_ICONS {
            assert_eq!(status_icon(&Status::from_hook(name)), *icon, "{name}");
        }
        assert_eq!(status_icon(&Status::from_hook("compacting")), "❔");
        assert_eq!(status_icon(&Status::Working), "⚙️");
    }
}
