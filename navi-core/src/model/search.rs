//! The dashboard's search.

use crate::SessionInfo;

/// Whether `s` matches the search `query`: every word of it (case-insensitive) appears
/// in the session's name, machine, directory, git branch, message, note, agents or tags;
/// a `#word` matches the tags only (by prefix); `agent:NAME` the session's agents only
/// (the lead's, `claude` for a file without one, and the helpers in `agents`).
pub fn matches_query(s: &SessionInfo, query: &str) -> bool {
    let agents = || {
        std::iter::once(s.agent_kind().name().to_string()).chain(
            s.agents
                .iter()
                .flat_map(|a| a.keys().map(|k| k.to_lowercase())),
        )
    };
    let lead = s.agent_kind().name();
    let fields = [
        Some(lead),
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
        if let Some(name) = word.strip_prefix("agent:") {
            return agents().any(|a| a.starts_with(name));
        }
        match word.strip_prefix('#') {
            Some(tag) => tags().any(|t| t.starts_with(tag)),
            None => {
                fields
                    .iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(&word))
                    || tags().any(|t| t.contains(&word))
                    || agents().any(|a| a.contains(&word))
            }
        }
    })
}

#[cfg(test)]
mod agent_tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn sessions_are_found_by_agent() {
        let mut s = SessionInfo {
            tmux_session: "w".into(),
            agent: Some("codex".into()),
            ..Default::default()
        };
        assert!(matches_query(&s, "agent:codex") && matches_query(&s, "CODEX"));
        assert!(!matches_query(&s, "agent:claude"));
        s.agent = None;
        assert!(matches_query(&s, "agent:claude"));
        s.agents = Some(BTreeMap::from([("opencode".into(), Default::default())]));
        assert!(matches_query(&s, "agent:open") && !matches_query(&s, "agent:gemini"));
    }
}
