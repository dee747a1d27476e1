//! The order sessions are listed in.

use super::SessionInfo;

/// The order navi users know: attention first (permission, waiting, or an agent waiting),
/// then working, then the rest; newest first inside a tier; then by name and machine so the
/// order never depends on which source answered first.
pub fn compare_sessions(a: &SessionInfo, b: &SessionInfo) -> std::cmp::Ordering {
    a.priority()
        .cmp(&b.priority())
        .then_with(|| b.timestamp.cmp(&a.timestamp))
        .then_with(|| a.tmux_session.cmp(&b.tmux_session))
        .then_with(|| a.remote.cmp(&b.remote))
}

/// Sorts shared sessions in place with [`compare_sessions`].
pub fn sort_sessions_arc(sessions: &mut [std::sync::Arc<SessionInfo>]) {
    sort_by_priority(sessions, |s| s);
}

/// The tier is computed once per session (it scans agents), not once per comparison.
pub(crate) fn sort_by_priority<T, F: Fn(&T) -> &SessionInfo>(items: &mut [T], get: F) {
    let mut keyed: Vec<(u8, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (get(t).priority(), i))
        .collect();
    keyed.sort_unstable_by(|(pa, ia), (pb, ib)| {
        pa.cmp(pb).then_with(|| {
            let (a, b) = (get(&items[*ia]), get(&items[*ib]));
            b.timestamp
                .cmp(&a.timestamp)
                .then_with(|| a.tmux_session.cmp(&b.tmux_session))
                .then_with(|| a.remote.cmp(&b.remote))
                .then_with(|| ia.cmp(ib))
        })
    });
    // Apply the permutation in place by following cycles.
    let mut order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
    // Position k must receive the item now at order[k].
    for start in 0..order.len() {
        let mut cur = start;
        loop {
            let next = order[cur];
            order[cur] = cur;
            if next == start || next == cur {
                break;
            }
            items.swap(cur, next);
            cur = next;
        }
    }
}
