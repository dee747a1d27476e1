//! The argv that attaches to a remote session with the SYSTEM `ssh` (it owns the
//! terminal; navi resumes when the user detaches):
//!
//! ```text
//! ssh -t [-i KEY]... [-p PORT] -o UserKnownHostsFile=FILE [-o ProxyCommand=...] USER@HOST
//!     'COMMAND LINE'
//! ```
//!
//! ssh hands the command line to the remote user's login shell, which may be fish, tcsh
//! or csh, so it is built by [`RemoteCommand`]: the POSIX script `tmux has-session -t
//! "$1" || exit 113; exec tmux -u attach-session -t "$2"` (`-u`: UTF-8 whatever the
//! remote's locale says) and the session's name reach `sh`
//! encoded in characters every shell reads alike. The name always arrives as one exact
//! word, whatever it contains (quotes, `!`, `\`, newlines).
//!
//! A jump host is not `-J`: ssh does not apply `-i` and `-o` to the jump hop, so it would
//! use the wrong key and known_hosts. Instead a `ProxyCommand` runs `ssh -W %h:%p` to the
//! bastion with its keys and the remote's known_hosts (several hops nest one
//! `ProxyCommand` per hop); every word of it is quoted for the local `sh` that runs it
//! and `%` is doubled against ssh's token expansion.
//!
//! The command is the same inside tmux (`AttachContext::inside_tmux`): the remote tmux
//! then runs nested in the current pane, which is what `ssh -t host tmux attach` does.

use crate::remote::shell_quote;
use crate::shell::RemoteCommand;
use navi_core::{AttachCommand, SourceError};

use crate::config::{check_host, check_user, Remote};

/// `ssh -t ... user@host COMMAND` (see [`remote_command`]); `socket` is the tmux server
/// the session's hook recorded (`None`: the server a plain `tmux` reaches there).
pub fn attach_argv(
    remote: &Remote,
    session: &str,
    socket: Option<&str>,
) -> Result<AttachCommand, SourceError> {
    let bad = |what: &str, m: String| {
        SourceError::Config(format!("remote {}: {what} {m}", remote.name).into())
    };
    check_host(&remote.host).map_err(|m| bad("host", m))?;
    check_user(&remote.user).map_err(|m| bad("user", m))?;
    let keys: Vec<String> = remote
        .keys
        .iter()
        .map(|k| k.to_string_lossy().into_owned())
        .collect();
    let known_hosts = format!(
        "UserKnownHostsFile={}",
        ssh_config_word(&remote.known_hosts.to_string_lossy())
    );

    let mut argv: Vec<String> = vec!["ssh".into(), "-t".into()];
    for k in &keys {
        argv.push("-i".into());
        argv.push(escape_percent(k));
    }
    if remote.port != 22 {
        argv.push("-p".into());
        argv.push(remote.port.to_string());
    }
    argv.push("-o".into());
    argv.push(escape_percent(&known_hosts));
    for o in ssh_options(&remote.options) {
        argv.push("-o".into());
        argv.push(escape_percent(&o));
    }
    let hops = remote.jump_hosts();
    if !hops.is_empty() {
        for (j, _) in &hops {
            check_host(&j.host).map_err(|m| bad("jump host", m))?;
            check_user(&j.user).map_err(|m| bad("jump user", m))?;
        }
        argv.push("-o".into());
        argv.push(format!(
            "ProxyCommand={}",
            proxy_command(&hops, &remote.keys, &known_hosts)
        ));
    }
    argv.push(format!("{}@{}", remote.user, remote.host));
    navi_core::SessionName::existing(session)
        .map_err(|e| SourceError::Rejected(format!("{e} (on {})", remote.name).into()))?;
    let command = remote_command(session, socket)
        .to_command_line()
        .map_err(|e| bad("tmux session", format!("{session:?}: {e}")))?;
    // The remote's part of `ssh -t`: only a built command line, never a string.
    argv.push(String::from(command));
    Ok(AttachCommand::new(argv))
}

/// The `ProxyCommand` that reaches the host after the last of `hops`: `ssh -W %h:%p`
/// to that hop with its keys and the remote's known_hosts, itself through a
/// `ProxyCommand` for the hops before it (`ProxyJump a,b` nests one level per hop).
///
/// Every word is quoted for the local `sh` that runs it; `%` is doubled against the
/// outer ssh's expansion of the command, and once more in values the inner ssh expands
/// itself (`-i`, `UserKnownHostsFile`, a nested `ProxyCommand`).
fn proxy_command(
    hops: &[(&crate::config::JumpHost, crate::config::SshOptions)],
    remote_keys: &[std::path::PathBuf],
    known_hosts: &str,
) -> String {
    let Some(((j, options), before)) = hops.split_last() else {
        return String::new();
    };
    // Two rounds of %-expansion: the outer ssh expands the ProxyCommand, the inner
    // one its -i and -o values.
    let twice = |s: &str| escape_percent(&escape_percent(s));
    let mut words: Vec<String> = vec!["ssh".into()];
    for k in j.keys_with(remote_keys) {
        words.push("-i".into());
        words.push(shell_quote(&twice(&k.to_string_lossy())));
    }
    words.push("-p".into());
    words.push(j.port.to_string());
    words.push("-o".into());
    words.push(shell_quote(&twice(known_hosts)));
    for o in ssh_options(options) {
        words.push("-o".into());
        words.push(shell_quote(&twice(&o)));
    }
    if !before.is_empty() {
        let inner = format!(
            "ProxyCommand={}",
            proxy_command(before, remote_keys, known_hosts)
        );
        words.push("-o".into());
        words.push(shell_quote(&escape_percent(&inner)));
    }
    words.push("-W".into());
    words.push("%h:%p".into());
    words.push(shell_quote(&format!(
        "{}@{}",
        escape_percent(&j.user),
        j.host
    )));
    words.join(" ")
}

/// `-o` values for the settings that differ from ssh's defaults (`IdentitiesOnly`,
/// `IdentityAgent`), unescaped.
fn ssh_options(o: &crate::config::SshOptions) -> Vec<String> {
    let mut out = Vec::new();
    if o.identities_only {
        out.push("IdentitiesOnly=yes".to_string());
    }
    match &o.identity_agent {
        crate::config::IdentityAgent::FromEnv => {}
        crate::config::IdentityAgent::None => out.push("IdentityAgent=none".to_string()),
        crate::config::IdentityAgent::Socket(p) => out.push(format!(
            "IdentityAgent={}",
            ssh_config_word(&p.to_string_lossy())
        )),
    }
    out
}

/// The remote's part of attach (`src/scripts/attach.sh`), after the line setting
/// `$no_such_session`.
const ATTACH: &str = include_str!("../scripts/attach.sh");

/// What the remote runs to attach: `tmux has-session -t "=NAME" || exit 113; exec tmux
/// -u attach-session -t "NAME"`, the name as an operand (never spliced into the script);
/// with `-S SOCKET` when the hook recorded the session's server.
///
/// The check first matters because tmux resolves a bare `-t NAME` to a session whose
/// name merely *starts with* NAME when no session has exactly that name: attaching to a
/// session that ended would silently land in another one. `=NAME` matches exactly; a
/// missing session ends the command with [`navi_core::EXIT_NO_SUCH_SESSION`], which the
/// app turns into a clear message.
pub(crate) fn remote_command(session: &str, socket: Option<&str>) -> RemoteCommand {
    // The exit status is a constant compiled into navi, so it is written as text.
    RemoteCommand::new(&format!(
        "no_such_session={}\n{ATTACH}",
        navi_core::EXIT_NO_SUCH_SESSION
    ))
    .arg(navi_core::tmux_target(session))
    .arg(navi_core::tmux_arg(session))
    .arg(socket.unwrap_or(""))
    .for_terminal()
}

/// `%` is a token in ssh's IdentityFile, UserKnownHostsFile and ProxyCommand.
fn escape_percent(s: &str) -> String {
    s.replace('%', "%%")
}

/// A value for ssh's own option parser (`-o Key=Value`): double-quoted when it holds
/// whitespace or quotes.
fn ssh_config_word(s: &str) -> String {
    if s.chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\')
    {
        let mut out = String::from("\"");
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests;
