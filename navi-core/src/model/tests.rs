use super::*;

fn s(name: &str, remote: Option<&str>, status: &str, ts: i64) -> Arc<SessionInfo> {
    Arc::new(SessionInfo {
        tmux_session: name.into(),
        remote: remote.map(Into::into),
        status: Status::from_hook(status),
        timestamp: ts,
        ..Default::default()
    })
}

fn snap(sessions: Vec<Arc<SessionInfo>>) -> Arc<Snapshot> {
    let mut sessions = sessions;
    crate::sort_sessions_arc(&mut sessions);
    Arc::new(Snapshot {
        sessions,
        sources: vec![
            SourceHealth::connecting(None),
            SourceHealth::connecting(Some("dev".into())),
            SourceHealth::connecting(Some("staging".into())),
        ],
        generation: 1,
    })
}

#[test]
fn selection_follows_session_across_refresh() {
    let mut m = Model::new();
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
    ]));
    m.select_next();
    assert_eq!(m.selected_session().unwrap().tmux_session, "b");
    // A new session sorts above; the selection stays on b.
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
        s("c", None, "waiting", 1),
    ]));
    assert_eq!(m.selected_session().unwrap().tmux_session, "b");
    assert_eq!(m.selected_index(), Some(2));
    // b disappears: the cursor stays in range.
    m.update(snap(vec![s("a", None, "working", 10)]));
    assert_eq!(m.selected_session().unwrap().tmux_session, "a");
    m.update(snap(vec![]));
    assert!(m.selected_session().is_none());
}

#[test]
fn filter_cycle_and_offline() {
    let mut m = Model::new();
    let mut stale = SessionInfo::clone(&s("old", Some("staging"), "done", 1));
    stale.stale = true;
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
        s("gone", None, "offline", 3),
        Arc::new(stale),
    ]));
    assert_eq!(m.len(), 4);
    let mut seen = vec![m.filter().label().to_string()];
    for _ in 0..5 {
        m.cycle_filter();
        seen.push(format!("{}={}", m.filter().label(), m.len()));
    }
    assert_eq!(
        seen,
        ["all", "local=2", "remote=2", "dev=1", "staging=1", "all=4"]
    );
    m.toggle_offline();
    assert_eq!(
        m.rows()
            .map(|r| r.tmux_session.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    let c = m.counts();
    assert_eq!(
        (c.total, c.local, c.remote, c.stale, c.offline, c.shown),
        (4, 2, 2, 1, 1, 2)
    );
}

fn names(m: &Model) -> Vec<String> {
    m.rows().map(|r| r.tmux_session.clone()).collect()
}

#[test]
fn stale_rows_sort_after_live_rows_and_count_apart() {
    let mut stale = SessionInfo::clone(&s("old", Some("staging"), "permission", 99));
    stale.stale = true;
    let mut m = Model::new();
    m.update(snap(vec![
        Arc::new(stale),
        s("a", None, "done", 10),
        s("w", Some("dev"), "waiting", 5),
    ]));
    assert_eq!(names(&m), ["w", "a", "old"]);
    let c = m.counts();
    assert_eq!((c.attention, c.stale), (1, 1));
}

#[test]
fn a_working_lead_with_an_agent_asking_shows_the_agents_status() {
    let mut lead = SessionInfo::clone(&s("lead", None, "working", 10));
    lead.team = Some(crate::Team {
        name: Some("t".into()),
        agents: vec![
            crate::TeamAgent {
                name: Some("writer".into()),
                state: crate::AgentState {
                    status: Status::Waiting,
                    timestamp: None,
                },
            },
            crate::TeamAgent {
                name: Some("tester".into()),
                state: crate::AgentState {
                    status: Status::Permission,
                    timestamp: None,
                },
            },
        ],
    });
    assert_eq!(
        lead.combined_status(),
        (Status::Permission, Some("tester".to_string()))
    );
    let plain = s("plain", None, "working", 1);
    assert_eq!(plain.combined_status(), (Status::Working, None));
    let mut m = Model::new();
    m.update(snap(vec![Arc::new(lead), plain]));
    m.set_statuses(Some(vec![Status::Permission]));
    assert_eq!(names(&m), ["lead"]);
}

#[test]
fn search_status_filter_and_sort() {
    let mut api = SessionInfo::clone(&s("api", Some("dev"), "working", 10));
    api.cwd = "/home/sean/work/api".into();
    api.git = Some(crate::GitInfo {
        branch: Some("feature/Login".into()),
        ..Default::default()
    });
    let mut web = SessionInfo::clone(&s("web", None, "waiting", 20));
    web.message = "Run the migration?".into();
    let mut m = Model::new();
    m.update(snap(vec![
        Arc::new(api),
        Arc::new(web),
        s("Batch", None, "done", 5),
    ]));
    m.set_query("LOGIN");
    assert_eq!(names(&m), ["api"], "branch matches, case-insensitively");
    m.set_query("dev work");
    assert_eq!(names(&m), ["api"], "every word must match some field");
    m.set_query("migration");
    assert_eq!(names(&m), ["web"]);
    m.set_query("nothing-like-this");
    assert!(m.is_empty() && m.is_filtered());
    m.clear_filters();
    assert_eq!(names(&m), ["web", "api", "Batch"]);
    m.set_sort(SortMode::Name);
    assert_eq!(names(&m), ["api", "Batch", "web"]);
    m.set_sort(SortMode::Age);
    assert_eq!(names(&m), ["web", "api", "Batch"]);
    m.set_sort(SortMode::Machine);
    assert_eq!(names(&m), ["Batch", "web", "api"]);
    assert_eq!(SortMode::Machine.next(), SortMode::Priority);
    assert_eq!(SortMode::from_label("directory"), Some(SortMode::Directory));
    m.set_statuses(Some(vec![Status::Done, Status::Working]));
    assert_eq!(names(&m), ["Batch", "api"]);
}

#[test]
fn a_filter_that_hides_the_selection_does_not_lose_it() {
    let mut m = Model::new();
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
        s("c", None, "working", 1),
    ]));
    m.select_last();
    assert_eq!(m.selected_session().unwrap().tmux_session, "c");
    m.set_filter(Filter::Remote);
    assert_eq!(m.selected_session().unwrap().tmux_session, "b");
    m.set_filter(Filter::All);
    assert_eq!(m.selected_session().unwrap().tmux_session, "c");
}

#[test]
fn jumping_to_the_next_match_wraps() {
    let mut m = Model::new();
    m.update(snap(vec![
        s("w1", None, "waiting", 30),
        s("a", None, "working", 20),
        s("w2", None, "waiting", 25),
        s("b", None, "done", 1),
    ]));
    assert_eq!(names(&m), ["w1", "w2", "a", "b"]);
    m.select_last();
    assert!(m.select_next_where(true, |s| s.attention()));
    assert_eq!(m.selected_index(), Some(0));
    assert!(m.select_next_where(true, |s| s.attention()));
    assert_eq!(m.selected_index(), Some(1));
    assert!(m.select_next_where(false, |s| s.attention()));
    assert_eq!(m.selected_index(), Some(0));
    assert!(!m.select_next_where(true, |s| s.tmux_session == "zzz"));
    m.move_by(-5);
    assert_eq!(m.selected_index(), Some(0));
    m.move_by(2);
    assert_eq!(m.selected_index(), Some(2));
}

#[test]
fn search_matches_tags_and_notes_and_bookmarks_filter() {
    let mut s = SessionInfo {
        tmux_session: "api".into(),
        ..SessionInfo::default()
    };
    s.marks.tags = vec!["review".into(), "wip".into()];
    s.marks.note = Some("after lunch".into());
    assert!(matches_query(&s, "#rev"));
    assert!(matches_query(&s, "#WIP lunch"));
    assert!(!matches_query(&s, "#api"), "#word matches tags only");
    assert!(matches_query(&s, "review"));
    let mut other = s.clone();
    other.tmux_session = "web".into();
    s.marks.bookmarked = true;
    let mut m = Model::new();
    m.update(Arc::new(Snapshot {
        sessions: vec![Arc::new(s), Arc::new(other)],
        ..Snapshot::default()
    }));
    m.set_bookmarked_only(true);
    assert_eq!(m.len(), 1);
    assert!(m.is_filtered());
    m.clear_filters();
    assert_eq!(m.len(), 2);
}

#[test]
fn selection_follows_the_top_row_until_the_user_moves_it() {
    let mut m = Model::new();
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
    ]));
    assert!(m.follows_top());
    assert_eq!(m.selected_session().unwrap().tmux_session, "a");
    // A session that needs the user sorts above: the selection moves to it.
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
        s("c", None, "waiting", 1),
    ]));
    assert_eq!(m.selected_index(), Some(0));
    assert_eq!(m.selected_session().unwrap().tmux_session, "c");
    let before = m.revision();
    // The user moves: from then on the selection stays on its session.
    m.select_next();
    assert!(!m.follows_top());
    let chosen = m.selected_session().unwrap().tmux_session.clone();
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "working", 5),
        s("c", None, "waiting", 1),
        s("d", None, "permission", 1),
    ]));
    assert!(m.revision() > before);
    assert_eq!(m.selected_session().unwrap().tmux_session, chosen);
    assert_ne!(m.selected_index(), Some(0));
}

#[test]
fn counts_are_kept_per_snapshot_and_shown_follows_the_filter() {
    let mut m = Model::new();
    m.update(snap(vec![
        s("a", None, "working", 10),
        s("b", Some("dev"), "waiting", 5),
    ]));
    let c = m.counts();
    assert_eq!((c.total, c.local, c.remote, c.shown), (2, 1, 1, 2));
    assert_eq!((c.attention, c.working), (1, 1));
    m.set_filter(Filter::Local);
    assert_eq!((m.counts().total, m.counts().shown), (2, 1));
}

#[test]
fn agent_filter_cycles_through_the_agents_present_and_esc_clears_it() {
    let with = |name: &str, agent: Option<&str>, helper: Option<&str>| {
        let mut x = SessionInfo::clone(&s(name, None, "working", 5));
        x.agent = agent.map(Into::into);
        x.agents = helper.map(|h| [(h.to_string(), Default::default())].into_iter().collect());
        Arc::new(x)
    };
    let mut m = Model::new();
    m.update(snap(vec![
        with("plain", None, None),
        with("cx", Some("codex"), None),
        with("helped", None, Some("opencode")),
        with("gm", Some("gemini"), Some("OpenCode")),
    ]));
    assert_eq!(
        m.agents_present(),
        ["claude", "codex", "gemini", "opencode"]
    );
    let names = |m: &Model| {
        let mut v: Vec<String> = m.rows().map(|r| r.tmux_session.clone()).collect();
        v.sort();
        v.join(",")
    };
    let mut seen = vec![];
    for _ in 0..5 {
        m.cycle_agent();
        seen.push(format!("{}={}", m.agent().unwrap_or("all"), names(&m)));
    }
    assert_eq!(
        seen,
        [
            // A Claude session with an OpenCode helper is Claude's and OpenCode's.
            "claude=helped,plain",
            "codex=cx",
            "gemini=gm",
            "opencode=gm,helped",
            "all=cx,gm,helped,plain",
        ]
    );
    m.set_agent(Some("CODEX".into()));
    assert!(m.is_filtered());
    assert_eq!(names(&m), "cx");
    m.clear_filters();
    assert_eq!(m.agent(), None);
    assert_eq!(m.len(), 4);
}
