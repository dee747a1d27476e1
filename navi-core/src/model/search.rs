//! The dashboard's search.

use crate::SessionInfo;

/// Whether `s` matches the search `query`: every word of it (case-insensitive) appears
/// in the session's name, machine, directory, git branch, message, note or tags; a
/// `#word` matches the tags only (by prefix).
pub fn matches_query(s: &SessionInfo, query: &str) -> bool {
    let fields = [
        Some(s.tmux_session.as_str()),
        s.remote.as_deref(),
        Some(s.cwd.as_str()),
        s.git.as_ref().and_then(|g| g.branch.as_deref()),
        Some(s.message.as_str()),
        s.marks.note.as_deref(),
    ];
    let tags = || s.marks.tags.iter().map(|t| t.to_lowercase());
    query.split_whitespace().all(|word| {
        let word = word.to_lowercase();
        match word.strip_prefix('#') {
            Some(tag) => tags().any(|t| t.starts_with(tag)),
            None => {
                fields
                    .iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(&word))
                    || tags().any(|t| t.contains(&word))
            }
        }
    })
}
