//! `navi --demo`: the dashboard on embedded data, wired like any other source set.
//!
//! * local: the five fixture status files of `navi_core::fixtures`, with timestamps moved
//!   so the newest is 20 s old;
//! * `dev-server`: a healthy remote that answers after 120 ms;
//! * `staging`: a remote that answered once and is now refused, so its rows show stale.

use std::sync::Arc;

use navi_core::{
    Detail, DynSessionSource, Flaky, Latent, MemorySource, SessionInfo, SourceError, SourceOptions,
    Status,
};
use navi_source_local::LocalSource;

use crate::format::unix_now;
use crate::sources::SourceSet;
use navi_core::limits;

/// The fixture sessions, timestamps moved so the newest is `newest_age` seconds before `now`.
pub fn fixture_sessions(now: i64, newest_age: i64) -> Vec<SessionInfo> {
    let mut sessions: Vec<SessionInfo> = navi_core::fixtures::FILES
        .iter()
        .filter_map(|(name, text)| {
            SessionInfo::parse(text.as_bytes(), name.strip_suffix(".json")).ok()
        })
        .collect();
    let newest = sessions.iter().map(|s| s.timestamp).max().unwrap_or(now);
    let shift = now - newest_age - newest;
    for s in &mut sessions {
        if s.timestamp > 0 {
            s.timestamp += shift;
        }
        let team = s
            .team
            .iter_mut()
            .flat_map(|t| t.agents.iter_mut().map(|a| &mut a.state));
        let external = s.agents.iter_mut().flat_map(|m| m.values_mut());
        for a in team.chain(external) {
            a.timestamp = a.timestamp.map(|t| t + shift);
        }
    }
    sessions
}

fn session(name: &str, status: Status, message: &str, cwd: &str, ts: i64) -> SessionInfo {
    SessionInfo {
        tmux_session: name.into(),
        status,
        message: message.into(),
        cwd: cwd.into(),
        timestamp: ts,
        ..SessionInfo::default()
    }
}

/// `remote`'s attach command, built by the SSH source's own rules from the remotes.yaml
/// `navi remotes` shows as its example: attaching to a demo remote session shows the real
/// command navi would run.
fn demo_attach(remote: &str) -> navi_core::AttachFn {
    let env = navi_source_ssh::Env {
        home: Some("/home/you".into()),
        ssh_config: None,
        user: Some("you".into()),
    };
    let loaded = navi_source_ssh::load_remotes_from_str(
        std::path::Path::new("(demo remotes)"),
        crate::cmd::remotes::EXAMPLE,
        &env,
    );
    let found = loaded.remotes.into_iter().find(|r| r.name == remote);
    Arc::new(
        move |s: &SessionInfo, _: &navi_core::AttachContext| match &found {
            Some(r) => navi_source_ssh::attach_argv(r, &s.tmux_session, None),
            None => Err(SourceError::Unsupported("not a demo remote".into())),
        },
    )
}

/// The demo source set.
pub fn source_set() -> SourceSet {
    let now = unix_now();
    let local = MemorySource::new(None, fixture_sessions(now, 20));

    let mut api = session(
        "api",
        Status::Working,
        "Running tests...",
        "/home/sean/work/api",
        now - 300,
    );
    api.git = Some(navi_core::GitInfo {
        branch: Some("main".into()),
        dirty: Some(false),
        ..Default::default()
    });
    let dev = MemorySource::new(
        Some("dev-server"),
        vec![
            api,
            session(
                "ml-train",
                Status::Waiting,
                "Epoch 12 finished. Continue with the learning-rate sweep?",
                "/home/sean/ml/train",
                now - 95,
            ),
            session("scratch", Status::Idle, "", "/tmp/scratch", now - 7200),
        ],
    )
    .with_attach(demo_attach("dev-server"));
    let staging = MemorySource::new(
        Some("staging"),
        vec![session(
            "deploy",
            Status::Done,
            "Deployment complete",
            "/home/deploy/app",
            now - 600,
        )],
    )
    .with_attach(demo_attach("staging"));
    let remote_options =
        SourceOptions::new(limits::DEMO_REMOTE_TIMEOUT, limits::REMOTE_POLL_INTERVAL);
    SourceSet {
        sources: vec![
            (Arc::new(local) as DynSessionSource, LocalSource::OPTIONS),
            (
                Arc::new(Latent::new(dev, limits::DEMO_LATENCY)),
                remote_options,
            ),
            (
                Arc::new(Flaky::new(
                    staging,
                    1,
                    SourceError::Refused(
                        Detail::new("connection refused (simulated by --demo)")
                            .at("staging.example.com:22"),
                    ),
                )),
                remote_options,
            ),
        ],
        sessions_dir: "(demo data)".into(),
        demo: true,
        warm_up_polls: 1,
        ..SourceSet::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::SourceState;
    use std::time::Duration;

    #[test]
    fn fixtures_are_shifted_to_recent() {
        let now = 2_000_000_000;
        let s = fixture_sessions(now, 20);
        assert_eq!(s.len(), 5);
        assert_eq!(s.iter().map(|s| s.timestamp).max(), Some(now - 20));
        // Relative order is kept: hyperion is the newest fixture, legacy the oldest.
        let ts = |n: &str| s.iter().find(|s| s.tmux_session == n).map(|s| s.timestamp);
        assert_eq!(ts("hyperion"), Some(now - 20));
        assert!(ts("legacy") < ts("notes"));
    }

    #[tokio::test(start_paused = true)]
    async fn demo_has_a_healthy_and_an_unavailable_remote_with_stale_rows() {
        let set = source_set();
        let mut agg = set.aggregator();
        for _ in 0..set.warm_up_polls {
            agg.poll_once().await;
        }
        let snap = agg.poll_once().await;
        let states: Vec<_> = snap
            .sources
            .iter()
            .map(|h| (h.display_name().to_string(), h.state))
            .collect();
        assert_eq!(
            states,
            [
                ("local".to_string(), SourceState::Connected),
                ("dev-server".to_string(), SourceState::Connected),
                ("staging".to_string(), SourceState::Unavailable),
            ]
        );
        assert_eq!(snap.sources[1].latency, Some(Duration::from_millis(120)));
        assert_eq!(
            snap.sources[2].reason.as_ref().map(|r| r.kind()),
            Some("refused")
        );
        // Attaching to a demo remote session shows the real ssh command.
        let ml = snap
            .sessions
            .iter()
            .find(|s| s.tmux_session == "ml-train")
            .unwrap();
        let cmd = navi_core::attach_command(&agg.sources(), ml, &Default::default()).unwrap();
        assert_eq!(cmd.argv[0], "ssh");
        assert!(
            cmd.argv.iter().any(|a| a.contains("sean@dev.example.com")),
            "{cmd:?}"
        );
        let stale: Vec<_> = snap.sessions.iter().filter(|s| s.stale).collect();
        assert_eq!(stale.len(), 1);
        assert_eq!(stale[0].remote.as_deref(), Some("staging"));
        assert_eq!(snap.sessions.len(), 9);
    }
}
