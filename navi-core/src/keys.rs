//! What navi may type besides text: tmux key names from an allow-list
//! ([`Action::Keys`](crate::Action::Keys)), the command that resumes a Claude Code
//! session, and a new session's first prompt. Every value here reaches tmux or a remote
//! as one argv word (an operand), never inside a command line.

use crate::statusdir::agents::Agent;

/// The named keys navi sends, as tmux spells them (any case accepted, and the aliases
/// `Esc`, `Return`, `Backspace`, `Del`, `PgUp`, `PgDn`).
const NAMED: &[&str] = &[
    "Enter", "Escape", "Tab", "BTab", "BSpace", "Space", "Up", "Down", "Left", "Right", "Home",
    "End", "PPage", "NPage", "IC", "DC",
];

/// Aliases users type, and the tmux name they mean.
const ALIASES: &[(&str, &str)] = &[
    ("esc", "Escape"),
    ("return", "Enter"),
    ("backspace", "BSpace"),
    ("del", "DC"),
    ("delete", "DC"),
    ("insert", "IC"),
    ("pgup", "PPage"),
    ("pageup", "PPage"),
    ("pgdn", "NPage"),
    ("pagedown", "NPage"),
    ("s-tab", "BTab"),
];

/// The most keys one [`Action::Keys`](crate::Action::Keys) sends.
pub const MAX_KEYS: usize = 32;

/// `name` as tmux's key name, if it is on the allow-list: a named key ([`NAMED`], any
/// case, or an alias), `F1`..`F12`, `C-a`..`C-z` (Ctrl and a letter), or one printable
/// ASCII character. Everything else (words, `M-` combinations, control characters,
/// several characters) is refused with what is allowed.
pub fn tmux_key(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    if let Some(k) = NAMED.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return Ok(k.to_string());
    }
    if let Some((_, k)) = ALIASES.iter().find(|(a, _)| *a == lower) {
        return Ok(k.to_string());
    }
    if let Some(digits) = lower
        .strip_prefix('f')
        .filter(|d| !d.starts_with('0') && d.chars().all(|c| c.is_ascii_digit()))
    {
        if let Ok(n @ 1..=12) = digits.parse::<u8>() {
            return Ok(format!("F{n}"));
        }
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next(), chars.next(), chars.next()) {
        (Some(c), None, _, _) if c.is_ascii_graphic() => return Ok(c.to_string()),
        (Some('C' | 'c'), Some('-'), Some(l), None) if l.is_ascii_alphabetic() => {
            return Ok(format!("C-{}", l.to_ascii_lowercase()))
        }
        _ => {}
    }
    Err(format!(
        "unknown key {:?}: keys are Enter, Escape (Esc), Tab, BTab, BSpace, Space, Up, Down, \
         Left, Right, Home, End, PPage (PgUp), NPage (PgDn), IC, DC, F1-F12, C-a..C-z or one \
         printable character",
        crate::text::sanitize(name)
    ))
}

/// Every key of `keys` as tmux names it; `Err` for the first one not allowed, for none
/// and for more than [`MAX_KEYS`].
pub fn check_keys(keys: &[String]) -> Result<Vec<String>, String> {
    if keys.is_empty() {
        return Err("no keys to send (e.g. Escape, Up, Enter, C-c)".into());
    }
    if keys.len() > MAX_KEYS {
        return Err(format!("at most {MAX_KEYS} keys at a time"));
    }
    keys.iter().map(|k| tmux_key(k)).collect()
}

/// Why `id` is not a Claude Code session id, if it is not: 8-4-4-4-12 hexadecimal digits
/// (a UUID), as Claude Code writes them; nothing else may follow `--resume`.
pub fn check_session_id(id: &str) -> Result<(), String> {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let ok = groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    match ok {
        true => Ok(()),
        false => Err(format!(
            "session id {:?} is not a Claude Code session id (a UUID)",
            crate::text::sanitize(id)
        )),
    }
}

/// The argv that resumes Claude Code session `id` (`claude --resume ID`), `id` checked.
pub fn resume_command(id: &str) -> Result<Vec<String>, String> {
    check_session_id(id)?;
    Ok(vec!["claude".into(), "--resume".into(), id.to_string()])
}

/// A new session's command with a first prompt: the words of `command` (a plain command:
/// words of letters, digits and `_ . / = : @ % + , -`, so no shell has to read it), the
/// skip-permissions flag when asked (Claude Code's only), then `prompt` as one more
/// argument, after the option an agent wants it behind ([`Agent::prompt_args`]:
/// `gemini --prompt-interactive PROMPT`). tmux runs the
/// argv itself, so the prompt reaches claude byte for byte. Without a prompt: as
/// [`crate::new_session_command`].
pub fn command_with_prompt(
    command: &str,
    skip_permissions: bool,
    prompt: &str,
) -> Result<Vec<String>, String> {
    if prompt.is_empty() {
        return crate::new_session_command(command, skip_permissions);
    }
    crate::check_send_text(prompt).map_err(|e| format!("the first prompt: {e}"))?;
    if prompt.starts_with('-') {
        return Err(
            "the first prompt may not start with '-' (the agent would read an option)".into(),
        );
    }
    let plain = |w: &str| {
        w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:@%+,-".contains(c))
    };
    let mut words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    if words.is_empty() {
        return Err("a first prompt needs a command to give it to (e.g. claude)".into());
    }
    if let Some(w) = words.iter().find(|w| !plain(w)) {
        return Err(format!(
            "with a first prompt the command must be plain words (no quotes or shell \
             syntax): {:?}",
            crate::text::sanitize(w)
        ));
    }
    if skip_permissions {
        Agent::refuse_skip_permissions(command)?;
        words.push("--dangerously-skip-permissions".into());
    }
    // An agent's program takes the prompt its own way (Gemini CLI and OpenCode by an
    // option); any other command as its last argument.
    let agent = Agent::of_command(command).unwrap_or_default();
    words.extend(agent.prompt_args(prompt));
    Ok(words)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_on_the_allow_list_and_nothing_else() {
        for (given, tmux) in [
            ("Esc", "Escape"),
            ("escape", "Escape"),
            ("ENTER", "Enter"),
            ("Up", "Up"),
            ("pgdn", "NPage"),
            ("BSpace", "BSpace"),
            ("Backspace", "BSpace"),
            ("C-c", "C-c"),
            ("c-D", "C-d"),
            ("F1", "F1"),
            ("f12", "F12"),
            ("y", "y"),
            ("1", "1"),
            (";", ";"),
            ("-", "-"),
        ] {
            assert_eq!(tmux_key(given).unwrap(), tmux, "{given}");
        }
        for bad in [
            "",
            " ",
            "F0",
            "F13",
            "F+1",
            "F01",
            "C-1",
            "C-",
            "M-x",
            "rm -rf",
            "Enter;",
            "é",
            "\u{1b}",
            "\n",
            "ls",
            "C-cc",
            "send-keys",
        ] {
            let e = tmux_key(bad).unwrap_err();
            assert!(e.starts_with("unknown key"), "{bad:?}: {e}");
        }
        assert!(check_keys(&[]).is_err());
        assert!(check_keys(&vec!["a".to_string(); MAX_KEYS + 1]).is_err());
        assert_eq!(
            check_keys(&["Esc".into(), "Up".into()]).unwrap(),
            ["Escape", "Up"]
        );
    }

    #[test]
    fn session_ids_are_uuids() {
        assert!(check_session_id("0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21").is_ok());
        for bad in [
            "",
            "abc",
            "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f2",
            "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21; rm -rf ~",
            "--help",
            "0b5c2a6e_1f2d_4c3b_9a8e_7d6c5b4a3f21",
            "zb5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21",
        ] {
            assert!(check_session_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            resume_command("0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21").unwrap(),
            ["claude", "--resume", "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21"]
        );
    }

    #[test]
    fn a_first_prompt_is_one_argument() {
        let p = "fix the \"bug\" in `main`; rm -rf $HOME 'now'";
        assert_eq!(
            command_with_prompt("claude --model opus", true, p).unwrap(),
            [
                "claude",
                "--model",
                "opus",
                "--dangerously-skip-permissions",
                p
            ]
        );
        assert_eq!(
            command_with_prompt("claude", false, "").unwrap(),
            ["claude"]
        );
        for (cmd, prompt, why) in [
            ("claude | tee x", "hi", "plain words"),
            ("", "hi", "needs a command"),
            ("claude", "-p x", "start with '-'"),
            ("claude", "a\nb", "one line"),
        ] {
            let e = command_with_prompt(cmd, false, prompt).unwrap_err();
            assert!(e.contains(why), "{cmd:?} {prompt:?}: {e}");
        }
    }
}
