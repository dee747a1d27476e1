//! Whether a row's tmux session runs, decided once for every source and consumer.
//!
//! # The rule
//!
//! A status file names the tmux server its session runs in (`navi hook` records the
//! server's socket, pid and the session's id in the file's `tmux` block; files the Go
//! hooks wrote have none). The source asks exactly that server, or for a file without a
//! block the server navi reaches, and hands the answers to [`decide`]:
//!
//! * **live**: the server answered and holds the session (by name, or by its id under a
//!   new name after a rename made in tmux itself, see [`Verdict::renamed_to`]);
//! * **ended**: the server answered and the session is not in it: the only positive
//!   evidence, and the only state in which navi removes anything by itself;
//! * **unknown**: the server could not be asked (no tmux on `PATH`, no server at that
//!   socket, a tmux that fails after an upgrade, a remote whose non-interactive
//!   environment reaches another server): shown with the reason, never removed;
//! * **stale**: the source is unavailable and the row is its last-known data.
//!
//! [`Liveness::allows_removal`] is the one check every remover (the dashboard's clean-up,
//! `dismiss` in both sources) asks.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// The state of a row's tmux session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Liveness {
    /// Its tmux server holds it (or nothing asked tmux: a source without tmux, the demo).
    #[default]
    Live,
    /// Its tmux server answered without it: the status file is left over.
    Ended,
    /// tmux could not be asked; the reason, for the user.
    Unknown(String),
    /// Last-known data of a source that is unavailable now.
    Stale,
}

impl Liveness {
    /// `live`, `ended`, `unknown` or `stale`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Liveness::Live => "live",
            Liveness::Ended => "ended",
            Liveness::Unknown(_) => "unknown",
            Liveness::Stale => "stale",
        }
    }

    /// Whether the row may announce a change (a notification): live rows only.
    pub fn is_live(&self) -> bool {
        matches!(self, Liveness::Live)
    }

    /// Whether navi may remove the status file without the user asking: only on
    /// positive evidence that the session ended. `Err` says why not, for the user.
    pub fn allows_removal(&self) -> Result<(), String> {
        match self {
            Liveness::Ended => Ok(()),
            Liveness::Live => Err("it is still running in tmux".into()),
            Liveness::Unknown(why) => {
                Err(format!("navi cannot tell whether it still runs ({why})"))
            }
            Liveness::Stale => Err("its machine cannot be reached now".into()),
        }
    }

    /// The reason of an unknown row.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Liveness::Unknown(why) => Some(why),
            _ => None,
        }
    }
}

impl Serialize for Liveness {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A tmux server: the one a plain `tmux` reaches there, or the one at a socket path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TmuxServer {
    /// Whatever `tmux` reaches with navi's environment (`$TMUX`, `$TMUX_TMPDIR`).
    Default,
    /// The server at this socket (`tmux -S PATH`).
    Socket(String),
}

impl TmuxServer {
    /// The server the row's file names, `Default` when it names none.
    pub fn of(info: &crate::SessionInfo) -> TmuxServer {
        match info.tmux.as_ref().and_then(|t| t.socket.as_deref()) {
            Some(s) if !s.is_empty() => TmuxServer::Socket(s.to_string()),
            _ => TmuxServer::Default,
        }
    }
}

/// One session a tmux server listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSession {
    /// `#{session_id}` (`$3`).
    pub id: String,
    /// `#{session_name}`, as tmux stores it.
    pub name: String,
}

/// What one server said when asked for its sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    /// It answered.
    Sessions {
        /// The server's pid (`#{pid}`), when it listed a session.
        pid: Option<i64>,
        /// Its sessions.
        sessions: Vec<ListedSession>,
    },
    /// It could not be asked: why.
    Unreachable(String),
}

/// The `-F` format of the listing [`parse_listing`] reads: pid, id, name.
pub const LIST_FORMAT: &str = "#{pid} #{session_id} #{session_name}";

/// Reads a `tmux list-sessions -F LIST_FORMAT` answer (tmux escapes control characters
/// in names, so one session is one line). Lines that do not fit are ignored.
pub fn parse_listing(text: &str) -> ServerAnswer {
    let mut pid = None;
    let mut sessions = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(p), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !id.starts_with('$') {
            continue;
        }
        pid = pid.or_else(|| p.parse().ok());
        sessions.push(ListedSession {
            id: id.to_string(),
            name: name.to_string(),
        });
    }
    ServerAnswer::Sessions { pid, sessions }
}

/// Why a `tmux list-sessions` that failed with `stderr` (exit status non-zero) could not
/// answer, for the user: tmux's own words, shortened to its first line.
pub fn unreachable_reason(server: &TmuxServer, stderr: &str) -> String {
    let said = crate::text::sanitize(stderr.lines().next().unwrap_or("").trim()).into_owned();
    let at = match server {
        TmuxServer::Default => "the default tmux server".to_string(),
        TmuxServer::Socket(s) => format!("the tmux server at {s}"),
    };
    if said.contains("no server running") || said.contains("error connecting") {
        return format!("no answer from {at} ({said})");
    }
    if said.contains("not found") || said.is_empty() {
        return format!(
            "tmux could not run ({})",
            if said.is_empty() { "no output" } else { &said }
        );
    }
    format!("{at} failed: {said}")
}

/// What a source learned from tmux in one poll: each server it asked and its answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TmuxView {
    /// The answers.
    pub servers: BTreeMap<TmuxServer, ServerAnswer>,
    /// Server pids recorded in rows whose server did not answer, that the source found
    /// not running on the machine: the recorded server is gone, so its sessions ended
    /// (the last session's end stops a tmux server and removes its socket). A pid that
    /// runs, or could not be checked, is not here: a server whose socket a tmp cleaner
    /// removed still runs, unreachable.
    pub gone_pids: std::collections::BTreeSet<i64>,
}

impl TmuxView {
    /// The servers the rows of `sessions` name (each asked once).
    pub fn servers_to_ask<'a, S: std::borrow::Borrow<crate::SessionInfo> + 'a>(
        sessions: impl IntoIterator<Item = &'a S>,
    ) -> std::collections::BTreeSet<TmuxServer> {
        (sessions.into_iter())
            .map(|s| TmuxServer::of(s.borrow()))
            .collect()
    }

    /// The recorded server pids of `sessions` whose server did not answer (the ones a
    /// source checks for [`gone_pids`](Self::gone_pids)).
    pub fn pids_to_check<'a, S: std::borrow::Borrow<crate::SessionInfo> + 'a>(
        &self,
        sessions: impl IntoIterator<Item = &'a S>,
    ) -> std::collections::BTreeSet<i64> {
        sessions
            .into_iter()
            .map(std::borrow::Borrow::borrow)
            .filter(|s: &&crate::SessionInfo| {
                let server = TmuxServer::of(s);
                server != TmuxServer::Default
                    && matches!(
                        self.servers.get(&server),
                        Some(ServerAnswer::Unreachable(_))
                    )
            })
            .filter_map(|s| s.tmux.as_ref().and_then(|t| t.server_pid))
            .filter(|pid| *pid > 1)
            .collect()
    }

    /// Every answer marks its sessions unknown with `why` (tmux itself cannot run).
    pub fn all_unreachable(servers: impl IntoIterator<Item = TmuxServer>, why: &str) -> TmuxView {
        TmuxView {
            servers: servers
                .into_iter()
                .map(|s| (s, ServerAnswer::Unreachable(why.to_string())))
                .collect(),
            ..TmuxView::default()
        }
    }
}

/// The decision for one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Live, ended or unknown.
    pub liveness: Liveness,
    /// The session runs under this other name (renamed in tmux): the file and its marks
    /// should follow it.
    pub renamed_to: Option<String>,
}

/// Decides one row from what its server said (see the module docs).
pub fn decide(info: &crate::SessionInfo, view: &TmuxView) -> Verdict {
    let server = TmuxServer::of(info);
    let verdict = |liveness| Verdict {
        liveness,
        renamed_to: None,
    };
    let (pid, sessions) = match view.servers.get(&server) {
        None => return verdict(Liveness::Unknown("tmux was not asked".into())),
        Some(ServerAnswer::Unreachable(why)) => {
            let pid = info.tmux.as_ref().and_then(|t| t.server_pid);
            return match (&server, pid) {
                (TmuxServer::Socket(_), Some(pid)) if view.gone_pids.contains(&pid) => {
                    verdict(Liveness::Ended)
                }
                _ => verdict(Liveness::Unknown(why.clone())),
            };
        }
        Some(ServerAnswer::Sessions { pid, sessions }) => (*pid, sessions),
    };
    if sessions.iter().any(|s| s.name == info.tmux_session) {
        return verdict(Liveness::Live);
    }
    let recorded = info.tmux.as_ref();
    let recorded_id = recorded.and_then(|t| t.session_id.as_deref());
    let recorded_pid = recorded.and_then(|t| t.server_pid);
    // An id is only meaningful in the server that gave it: a restarted server at the same
    // socket numbers its sessions from `$0` again.
    let same_server = match (recorded_pid, pid) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if let (Some(id), true) = (recorded_id, same_server) {
        if let Some(s) = sessions.iter().find(|s| s.id == id) {
            return Verdict {
                liveness: Liveness::Live,
                renamed_to: Some(s.name.clone()),
            };
        }
    }
    verdict(Liveness::Ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SessionInfo, TmuxPlace};

    fn row(name: &str, tmux: Option<(&str, i64, &str)>) -> SessionInfo {
        SessionInfo {
            tmux_session: name.into(),
            tmux: tmux.map(|(socket, pid, id)| TmuxPlace {
                socket: Some(socket.into()),
                server_pid: Some(pid),
                session_id: Some(id.into()),
            }),
            ..SessionInfo::default()
        }
    }

    fn listed(pid: i64, list: &[(&str, &str)]) -> ServerAnswer {
        ServerAnswer::Sessions {
            pid: Some(pid),
            sessions: list
                .iter()
                .map(|(id, name)| ListedSession {
                    id: id.to_string(),
                    name: name.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn ended_needs_the_rows_own_server_to_answer() {
        let work = TmuxServer::Socket("/tmp/tmux-0/work".into());
        let on_work = row("api", Some(("/tmp/tmux-0/work", 7, "$1")));
        let plain = row("web", None);
        let mut view = TmuxView::default();
        // Nothing asked: unknown.
        assert!(matches!(
            decide(&on_work, &view).liveness,
            Liveness::Unknown(_)
        ));
        // The default server answered without `api`: says nothing about `work`.
        view.servers
            .insert(TmuxServer::Default, listed(5, &[("$0", "other")]));
        assert!(matches!(
            decide(&on_work, &view).liveness,
            Liveness::Unknown(_)
        ));
        assert_eq!(decide(&plain, &view).liveness, Liveness::Ended);
        view.servers.insert(
            work.clone(),
            ServerAnswer::Unreachable("protocol version mismatch".into()),
        );
        let v = decide(&on_work, &view);
        assert_eq!(v.liveness.reason(), Some("protocol version mismatch"));
        assert!(v.liveness.allows_removal().is_err());
        // The recorded server's pid no longer runs: its sessions ended with it.
        view.gone_pids.insert(7);
        assert_eq!(decide(&on_work, &view).liveness, Liveness::Ended);
        view.gone_pids.clear();
        view.servers
            .insert(work.clone(), listed(7, &[("$1", "api")]));
        assert_eq!(decide(&on_work, &view).liveness, Liveness::Live);
        view.servers
            .insert(work.clone(), listed(7, &[("$2", "db")]));
        assert_eq!(decide(&on_work, &view).liveness, Liveness::Ended);
        assert!(decide(&on_work, &view).liveness.allows_removal().is_ok());
    }

    #[test]
    fn a_rename_in_tmux_is_followed_in_the_same_server_only() {
        let work = TmuxServer::Socket("/s".into());
        let r = row("api", Some(("/s", 7, "$1")));
        let mut view = TmuxView::default();
        view.servers
            .insert(work.clone(), listed(7, &[("$1", "api-new")]));
        let v = decide(&r, &view);
        assert_eq!(v.liveness, Liveness::Live);
        assert_eq!(v.renamed_to.as_deref(), Some("api-new"));
        // A restarted server reuses ids: `$1` is somebody else now.
        view.servers.insert(work, listed(8, &[("$1", "other")]));
        let v = decide(&r, &view);
        assert_eq!((v.liveness, v.renamed_to), (Liveness::Ended, None));
    }

    #[test]
    fn listings_and_errors_read() {
        let a = parse_listing("12 $0 my app\n12 $3 x y z\ngarbage\n");
        assert_eq!(
            a,
            ServerAnswer::Sessions {
                pid: Some(12),
                sessions: vec![
                    ListedSession {
                        id: "$0".into(),
                        name: "my app".into()
                    },
                    ListedSession {
                        id: "$3".into(),
                        name: "x y z".into()
                    },
                ],
            }
        );
        let s = TmuxServer::Socket("/tmp/t/default".into());
        let why = unreachable_reason(&s, "protocol version mismatch (client 8, server 7)\n");
        assert!(
            why.contains("/tmp/t/default") && why.contains("protocol version"),
            "{why}"
        );
        let why = unreachable_reason(&TmuxServer::Default, "sh: 1: tmux: not found");
        assert!(why.contains("could not run"), "{why}");
    }
}
