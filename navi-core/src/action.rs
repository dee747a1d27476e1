//! What a source can do to a session besides attaching: preview, new, kill, rename,
//! dismiss, send input. The source that owns the session runs it (the Model knows no
//! tmux and no SSH); [`SessionSource::supports`](crate::SessionSource::supports) says
//! which actions it offers, so the UI offers only what works.

/// One action on a session of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The session's active pane as tmux shows it, with the 50 lines of scrollback above
    /// its screen (plain text, no escape sequences).
    Preview,
    /// A new detached tmux session named by the target, in `dir` (`~` is that machine's
    /// home), running `command` (argv; empty: the user's shell).
    New {
        /// The working directory.
        dir: String,
        /// What runs in it.
        command: Vec<String>,
        /// Create the directory (and its parents) first when it does not exist; without
        /// it a missing directory is refused with `no such directory: DIR`.
        create_dir: bool,
    },
    /// End the tmux session and remove its status file.
    Kill,
    /// Rename the tmux session and move its status file (its `tmux_session` rewritten).
    Rename {
        /// The new name.
        to: String,
    },
    /// Remove the status file (and the marks) of a session, on the user's request. The
    /// source refuses while the session runs, and while it cannot tell (tmux could not be
    /// asked): only [`Liveness::allows_removal`](crate::Liveness::allows_removal) lets it.
    Dismiss,
    /// navi's own clean-up of a session that ended: as [`Action::Dismiss`] (the source
    /// checks the liveness again on the session's own server), but the marks stay: they
    /// are only ever removed by the user.
    Tidy,
    /// The Go navi's acknowledge (`d`): the session's status back to `working`, its
    /// message cleared and its timestamp now, rewritten under the lock `navi hook` holds
    /// (so a hook writing at the same moment is never lost). Refused without a status file.
    Acknowledge,
    /// Type one line into the session's pane, then Enter.
    Send {
        /// The line (sent literally).
        text: String,
    },
    /// Change the session's marks ([`crate::Marks`]): the operations, in order, applied
    /// to the marks as they are on the owning machine (see the `marks` module).
    Mark {
        /// What to change.
        ops: Vec<crate::MarkOp>,
    },
}

impl Action {
    /// `preview`, `new`, `kill`, `rename`, `dismiss`, `tidy`, `acknowledge`, `send` or
    /// `mark`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Preview => "preview",
            Action::New { .. } => "new",
            Action::Kill => "kill",
            Action::Rename { .. } => "rename",
            Action::Dismiss => "dismiss",
            Action::Tidy => "tidy",
            Action::Acknowledge => "acknowledge",
            Action::Send { .. } => "send",
            Action::Mark { .. } => "mark",
        }
    }
}

/// Which actions a source supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// [`Action::Preview`].
    pub preview: bool,
    /// [`Action::New`].
    pub new: bool,
    /// [`Action::Kill`].
    pub kill: bool,
    /// [`Action::Rename`].
    pub rename: bool,
    /// [`Action::Dismiss`].
    pub dismiss: bool,
    /// [`Action::Acknowledge`].
    pub acknowledge: bool,
    /// [`Action::Send`].
    pub send: bool,
    /// [`Action::Mark`].
    pub mark: bool,
}

impl Capabilities {
    /// Every action.
    pub const ALL: Capabilities = Capabilities {
        preview: true,
        new: true,
        kill: true,
        rename: true,
        dismiss: true,
        acknowledge: true,
        send: true,
        mark: true,
    };

    /// Whether `action` is supported.
    pub fn allows(&self, action: &Action) -> bool {
        match action {
            Action::Preview => self.preview,
            Action::New { .. } => self.new,
            Action::Kill => self.kill,
            Action::Rename { .. } => self.rename,
            Action::Dismiss | Action::Tidy => self.dismiss,
            Action::Acknowledge => self.acknowledge,
            Action::Send { .. } => self.send,
            Action::Mark { .. } => self.mark,
        }
    }
}

/// What an action produced: a sentence for the status line, or the pane's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutput {
    /// Done; what happened ("killed api on dev-server").
    Done(String),
    /// The preview's text.
    Text(String),
}

/// A status file acknowledged ([`Action::Acknowledge`]): `status` `working`, `message`
/// empty, `timestamp` `now`, every other field as it was (the Go navi's `d`). `Err` when
/// the file is not a JSON object (a broken file is left for the reader to salvage).
pub fn acknowledged(status_file: &[u8], now: i64) -> Result<Vec<u8>, String> {
    let mut value: serde_json::Value = serde_json::from_slice(status_file)
        .map_err(|e| format!("its status file is not valid JSON ({e}); left as it is"))?;
    let Some(fields) = value.as_object_mut() else {
        return Err("its status file is not a JSON object; left as it is".into());
    };
    fields.insert("status".into(), "working".into());
    fields.insert("message".into(), "".into());
    fields.insert("timestamp".into(), now.into());
    serde_json::to_vec_pretty(&value).map_err(|e| e.to_string())
}

/// Why `name` cannot be a new tmux session name, if it cannot: the rule of
/// [`SessionName::new_for_tmux`](crate::SessionName::new_for_tmux) (names tmux would
/// store changed are refused too), as a message.
pub fn check_session_name(name: &str) -> Result<(), String> {
    crate::SessionName::new_for_tmux(name)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tmux_rejects() {
        assert!(check_session_name("api-v2 (it's \"mine\") `x` ! ;").is_ok());
        assert!(check_session_name("é日本").is_ok());
        for bad in ["", "  ", "a:b", "a.b", "x\ny", "-rf", "a $b", "%1"] {
            assert!(check_session_name(bad).is_err(), "{bad:?}");
        }
        let caps = Capabilities {
            preview: true,
            ..Capabilities::default()
        };
        assert!(caps.allows(&Action::Preview) && !caps.allows(&Action::Kill));
        assert!(Capabilities::ALL.allows(&Action::Send { text: "y".into() }));
    }

    #[test]
    fn acknowledging_rewrites_status_message_and_time_only() {
        let file = br#"{"tmux_session":"api","status":"permission","message":"Bash?","cwd":"/w","timestamp":1,"x":[1]}"#;
        let out = acknowledged(file, 99).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["status"], "working");
        assert_eq!(v["message"], "");
        assert_eq!(v["timestamp"], 99);
        assert_eq!(
            (v["cwd"].as_str(), v["x"][0].as_i64()),
            (Some("/w"), Some(1))
        );
        assert!(acknowledged(b"[1]", 1).is_err() && acknowledged(b"{", 1).is_err());
    }
}
