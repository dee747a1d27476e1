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
    /// Type one line of text into the session's pane, then Enter.
    Send {
        /// The line (sent literally). Text only: the sources refuse control characters
        /// ([`check_send_text`]), so a send can never type Ctrl-C, Escape or a line break.
        text: String,
    },
    /// Change the session's marks ([`crate::Marks`]): the operations, in order, applied
    /// to the marks as they are on the owning machine (see the `marks` module).
    Mark {
        /// What to change.
        ops: Vec<crate::MarkOp>,
    },
    /// The git state of the working tree at `cwd` on the session's machine (`~` is that
    /// machine's home): branch, changes, ahead / behind, last commit, remote URL
    /// ([`ActionOutput::Git`]).
    Git {
        /// The session's directory.
        cwd: String,
    },
    /// The pull request of the branch checked out at `cwd`, from `gh pr view` run there
    /// ([`ActionOutput::Pr`]); a missing, logged-out or failing `gh` is an answer too.
    PullRequest {
        /// The session's directory.
        cwd: String,
    },
    /// `git diff` of the working tree at `cwd`, with git's colours
    /// ([`ActionOutput::Text`], cut at [`crate::git::MAX_DIFF`]).
    Diff {
        /// The session's directory.
        cwd: String,
    },
    /// Answer Claude Code's permission dialog: on the session's machine, in one step, the
    /// screen is captured again and the key of `choice` is sent only if the screen still
    /// shows the dialog of `expect` (its [`fingerprint`](crate::permission::Dialog::fingerprint),
    /// from a preview the user saw); otherwise nothing is sent and the refusal says what
    /// the screen shows.
    Answer {
        /// Which option.
        choice: crate::permission::Choice,
        /// The fingerprint of the dialog shown to the user.
        expect: String,
    },
    /// Send tmux keys to the session's pane (`Escape`, `Up`, `C-c`, `y`, ...), each
    /// checked against the allow-list of [`crate::keys::check_keys`].
    Keys {
        /// The keys, in order.
        keys: Vec<String>,
    },
}

impl Action {
    /// `preview`, `new`, `kill`, `rename`, `dismiss`, `tidy`, `acknowledge`, `send`,
    /// `mark`, `git`, `pull request`, `diff`, `approve`, `approve always`, `deny` or
    /// `send keys to`.
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
            Action::Git { .. } => "git",
            Action::PullRequest { .. } => "pull request",
            Action::Diff { .. } => "diff",
            Action::Answer { choice, .. } => choice.verb(),
            Action::Keys { .. } => "send keys to",
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
    /// [`Action::Git`], [`Action::PullRequest`] and [`Action::Diff`].
    pub git: bool,
    /// [`Action::Answer`].
    pub answer: bool,
    /// [`Action::Keys`].
    pub keys: bool,
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
        git: true,
        answer: true,
        keys: true,
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
            Action::Git { .. } | Action::PullRequest { .. } | Action::Diff { .. } => self.git,
            Action::Answer { .. } => self.answer,
            Action::Keys { .. } => self.keys,
        }
    }
}

/// What an action produced: a sentence for the status line, a pane's or a diff's text,
/// a git report or a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutput {
    /// Done; what happened ("killed api on dev-server").
    Done(String),
    /// The preview's (or the diff's) text.
    Text(String),
    /// [`Action::Git`]'s answer.
    Git(Box<crate::git::GitReport>),
    /// [`Action::PullRequest`]'s answer.
    Pr(Box<crate::git::PrStatus>),
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

/// Why `text` cannot be typed by [`Action::Send`], if it cannot: it is text, one line,
/// without control characters (C0, DEL, C1). tmux types `send-keys -l` text as keys, so
/// a `\u{3}` would be a Ctrl-C to the program and a line break an Enter. The message
/// names each character ("U+0003 (Ctrl-C)"). Invisible characters that change how the
/// text reads (line and paragraph separators, bidirectional controls, the byte-order
/// mark) are refused too: what is typed is what the user saw.
pub fn check_send_text(text: &str) -> Result<(), String> {
    let mut bad: Vec<char> = Vec::new();
    for c in text
        .chars()
        .filter(|&c| c.is_control() || invisible_format(c))
    {
        if !bad.contains(&c) {
            bad.push(c);
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    let mut named: Vec<String> = bad.iter().take(4).map(|&c| control_name(c)).collect();
    if bad.len() > 4 {
        named.push(format!("{} more", bad.len() - 4));
    }
    let lead = if bad.iter().all(|c| matches!(c, '\n' | '\r')) {
        "send one line at a time"
    } else {
        "send types text only, not control keys"
    };
    Err(format!(
        "{lead}: the text holds {} (nothing was sent)",
        named.join(", ")
    ))
}

/// Line and paragraph separators, bidirectional controls (embeddings, overrides,
/// isolates, marks) and the byte-order mark: characters that show as nothing, or move
/// other text, where the text is displayed.
fn invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{2028}'
            | '\u{2029}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// `U+0003 (Ctrl-C)`, `U+001B (Escape)`, `U+0085 (a C1 control)`.
fn control_name(c: char) -> String {
    let code = u32::from(c);
    let name = match c {
        '\t' => "Tab".to_string(),
        '\n' => "line feed".to_string(),
        '\r' => "carriage return".to_string(),
        '\u{1b}' => "Escape".to_string(),
        '\u{7f}' => "Delete".to_string(),
        // Ctrl-@ .. Ctrl-_ : the key that types it.
        _ if code < 0x20 => match char::from_u32(code + 0x40) {
            Some(k) => format!("Ctrl-{k}"),
            None => "a control character".to_string(),
        },
        '\u{2028}' => "line separator".to_string(),
        '\u{2029}' => "paragraph separator".to_string(),
        '\u{feff}' => "byte-order mark".to_string(),
        _ if invisible_format(c) => "a bidirectional control".to_string(),
        _ => "a C1 control character".to_string(),
    };
    format!("U+{code:04X} ({name})")
}

/// The command of a new session from what the user typed (`command`, one shell command
/// line, read by that machine's shell as typed) and the skip-permissions switch, which
/// adds `--dangerously-skip-permissions` as the last word of that line. The result is
/// one argument, so tmux hands it to the shell whole (several arguments would be run as
/// a program and its arguments, the first named by the whole line). Empty: the user's
/// shell (no switch possible).
pub fn new_session_command(command: &str, skip_permissions: bool) -> Result<Vec<String>, String> {
    let line = command.trim();
    if !skip_permissions {
        return Ok(if line.is_empty() {
            Vec::new()
        } else {
            vec![line.to_string()]
        });
    }
    if line.is_empty() {
        return Err(
            "--skip-permissions needs a command to add --dangerously-skip-permissions to \
             (e.g. claude)"
                .into(),
        );
    }
    crate::statusdir::agents::Agent::refuse_skip_permissions(line)?;
    if line.contains(['\n', '\r']) {
        return Err("--skip-permissions needs the command on one line".into());
    }
    if let Some(why) = ends_open(line) {
        return Err(format!(
            "cannot add --dangerously-skip-permissions after this command: it {why}; \
             write the flag into the command yourself"
        ));
    }
    Ok(vec![format!("{line} --dangerously-skip-permissions")])
}

/// Why a word appended to `line` would not be its last command's argument, if so: the
/// line ends in an operator or a backslash, leaves a quote open or ends in a comment.
fn ends_open(line: &str) -> Option<&'static str> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut escaped = false;
    for c in line.chars() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if prev.is_whitespace() || matches!(prev, ';' | '&' | '|') => {
                return Some("ends in a comment")
            }
            _ => {}
        }
        prev = c;
    }
    if escaped {
        return Some("ends in a backslash");
    }
    if quote.is_some() {
        return Some("leaves a quote open");
    }
    match line.trim_end().chars().last() {
        Some(';' | '&' | '|' | '(' | '{') => Some("ends in an operator"),
        // `claude >`: the flag would be the name of a file.
        Some('<' | '>') => Some("ends in a redirection"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_refuses_control_characters_naming_them() {
        assert_eq!(check_send_text("hello, world é日本 \u{200b}"), Ok(()));
        assert_eq!(check_send_text(""), Ok(()));
        let e = check_send_text("hello\u{3}").unwrap_err();
        assert!(e.contains("U+0003 (Ctrl-C)"), "{e}");
        assert!(e.contains("not control keys"), "{e}");
        let e = check_send_text("a\nb\r\n").unwrap_err();
        assert!(e.starts_with("send one line at a time"), "{e}");
        assert!(
            e.contains("U+000A (line feed), U+000D (carriage return)"),
            "{e}"
        );
        for (c, name) in [
            ('\u{0}', "U+0000 (Ctrl-@)"),
            ('\u{1a}', "U+001A (Ctrl-Z)"),
            ('\t', "U+0009 (Tab)"),
            ('\u{1b}', "U+001B (Escape)"),
            ('\u{1c}', "U+001C (Ctrl-\\)"),
            ('\u{7f}', "U+007F (Delete)"),
            ('\u{9b}', "U+009B (a C1 control character)"),
            ('\u{2028}', "U+2028 (line separator)"),
            ('\u{202e}', "U+202E (a bidirectional control)"),
            ('\u{2067}', "U+2067 (a bidirectional control)"),
            ('\u{feff}', "U+FEFF (byte-order mark)"),
        ] {
            let e = check_send_text(&format!("x{c}y")).unwrap_err();
            assert!(e.contains(name), "{c:?}: {e}");
        }
        let e = check_send_text("\u{1}\u{2}\u{3}\u{4}\u{5}\u{1}").unwrap_err();
        assert!(e.contains("U+0004 (Ctrl-D), 1 more"), "{e}");
    }

    #[test]
    fn skip_permissions_ends_the_command_line() {
        let ok = |c: &str, skip| new_session_command(c, skip).unwrap();
        assert_eq!(ok("claude", false), ["claude"]);
        assert_eq!(ok("  ", false), Vec::<String>::new());
        assert_eq!(ok("sleep 300", false), ["sleep 300"]);
        assert_eq!(
            ok(" claude --model opus ", true),
            ["claude --model opus --dangerously-skip-permissions"]
        );
        assert_eq!(
            ok(
                r##"cd ~/w && claude --append-system-prompt 'say "#hi"'"##,
                true
            ),
            [
                r##"cd ~/w && claude --append-system-prompt 'say "#hi"' --dangerously-skip-permissions"##
            ]
        );
        for (bad, why) in [
            ("", "needs a command"),
            ("claude # mine", "comment"),
            ("claude;", "operator"),
            ("claude &", "operator"),
            ("claude >", "redirection"),
            ("claude 2>", "redirection"),
            ("claude <<", "redirection"),
            ("claude \\", "backslash"),
            ("claude 'open", "quote open"),
            ("a\nb", "one line"),
        ] {
            let e = new_session_command(bad, true).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

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
