//! The command line: `navi`, `navi --demo`, `navi list`, `navi remotes`, `navi remotes trust`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use navi_core::statusdir::agents::Agent;

/// What `--help` says after the options: the keys (from the dashboard's own table, see
/// [`after_help`]), then this.
const AFTER_KEYS: &str = "\
FILES:
  ~/.claude-sessions/*.json      one status file per tmux session, written by navi's Claude Code
                                 hooks (--sessions-dir, NAVI_SESSIONS_DIR)
  ~/.config/navi/remotes.yaml    the remote machines (--remotes, NAVI_REMOTES), e.g.
                                   remotes:
                                     - name: dev-server
                                       host: dev.example.com
                                       user: sean
                                       key: ~/.ssh/id_ed25519
                                       jump_host: bastion.example.com   # optional
  ~/.config/navi/config.yaml     settings (--config, NAVI_CONFIG), every key optional:
                                   layout: auto        # auto | roomy | compact
                                   sort: priority      # priority|name|age|status|directory|machine
                                   icons: emoji        # emoji | ascii
                                   show_offline: true  # list ended sessions and stale rows
                                   keep_ended_rows: false  # else ended rows go after 30 s
                                   notify:             # when a session needs you (also while
                                     on: [permission, waiting]   # attached): + done, error
                                     remotes: false    # a remote goes away / comes back
                                     bell: true
                                     desktop: true     # true | terminal (OSC) | system | false
                                     osc: auto         # auto | 777 | 9 | both
                                     title: true       # \"navi (2 need you)\"
                                     sound: true       # as ~/.config/navi/sounds.yaml says
                                     command: [notify.sh]   # NAVI_EVENT, NAVI_SESSION, ...
  ~/.config/navi/sounds.yaml     the Go navi's sounds (enabled, pack, volume, triggers, tts);
                                   packs in ~/.config/navi/soundpacks/PACK/EVENT[-N].wav|mp3|ogg
                                 (~/.config/navi/ is $XDG_CONFIG_HOME/navi/ when that is set)
  ~/.ssh/known_hosts             host keys are verified; add one with `navi remotes trust NAME`
  ~/.local/state/navi/navi.log   the log (--log-file; $XDG_STATE_HOME/navi/navi.log when set)

ENVIRONMENT:
  NAVI_SESSIONS_DIR, NAVI_REMOTES, NAVI_CONFIG, NAVI_LOG_FILE   defaults for the options above
  NAVI_LOG (or RUST_LOG)   log level / filter, e.g. NAVI_LOG=debug (default: info)
  TMUX                     set by tmux: navi then attaches with `tmux switch-client`
  SSH_AUTH_SOCK            ssh-agent used when a remote's key file is missing or encrypted

JSON (`navi list --json`): one object {\"sessions\": [...], \"sources\": [...]}. Each session is its
status file's fields plus \"remote\" (null when local), \"stale\", \"status_kind\" (the known
status or \"unknown\"), \"liveness\" (live, ended, unknown or stale: does its tmux session run?)
with \"liveness_reason\", and its marks \"bookmarked\", \"tags\", \"note\"; each source
is {\"name\", \"state\", \"reason\", \"reason_kind\", \"latency_ms\", \"last_ok\", \"sessions\",
\"skipped\"}. See navi-app/README.md.

EXIT STATUS: 0 success, 1 failure (the error is printed: a name tmux rejects, a missing
directory, an unreachable remote, a session that ended, ...), 2 usage error. `navi remotes` exits 1
when a remote is unavailable or the config has problems (a health check for scripts);
`navi hooks status` exits 1 when navi's hooks are not installed; `navi hook` always exits 0.

EXAMPLES:
  navi hooks install                     make Claude Code sessions in tmux show up (once)
  navi                                   the dashboard
  navi --demo                            the dashboard on sample data (no tmux or SSH needed)
  navi list                              every session once, as a table
  navi list --json | jq '.sessions[] | select(.status_kind == \"permission\") | .tmux_session'
  navi status --format tmux              \"2 waiting, 1 permission\" for a tmux status bar
  navi remotes                           is every remote reachable? latency, reason, sessions
  navi remotes trust dev-server          show dev-server's host key and add it to known_hosts
  navi mark dev-server:api --bookmark --tag review   bookmark and tag a session (every navi sees it)
  navi remotes setup dev-server          install navi's hooks on dev-server (copies navi if needed)
  navi new dev-server:api --dir '~/work/api'   start claude in a new tmux session on dev-server
  navi new web --agent codex --prompt 'fix the tests'   start codex (gemini, opencode) with a first prompt
  navi list --agent codex                only Codex sessions (the dashboard: A)
  navi preview dev-server:api            print what the session's screen shows
  navi sound list; navi sound test done  the sound packs; play the sound of `done` (sounds.yaml)
  navi send dev-server:api 'yes'         type an answer into it (then Enter)
  navi rename dev-server:api api-2; navi kill dev-server:api-2 --yes; navi dismiss old
  NAVI_LOG=debug navi --log-file /tmp/navi.log";

/// `--help`'s text after the options: every key of the dashboard, from the table `?`
/// shows ([`crate::keys::BINDINGS`]), then the files, environment and examples.
pub fn after_help() -> String {
    let mut text = String::from("KEYS (dashboard; change them with `keys:` in config.yaml):\n");
    let lines = crate::keys::help_lines(&crate::keys::Keymap::default());
    let key_w = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (keys, what) in lines {
        text.push_str(&format!("  {keys:<key_w$}  {what}\n"));
    }
    text.push_str("  mouse: the wheel scrolls, a click selects\n\n");
    text.push_str(AFTER_KEYS);
    text
}

/// The Go navi's single-dash long flags (`navi status -verbose -format tmux`, as tmux
/// configs written for it say) as navi's `--verbose --format`.
fn go_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let status = args
        .iter()
        .position(|a| a == "status")
        .unwrap_or(usize::MAX);
    args.into_iter()
        .enumerate()
        .map(|(i, a)| match a.to_str() {
            Some(s) if i > status && (s == "-verbose" || s.starts_with("-format")) => {
                format!("-{s}").into()
            }
            _ => a,
        })
        .collect()
}

/// Parses `args` (the program name first) as navi's command line, `--help` listing the
/// dashboard's keys and the Go navi's single-dash flags accepted.
pub fn parse_from(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let args = go_flags(args.into_iter().collect());
    let matches = Cli::command()
        .after_help(after_help())
        .try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// navi: a dashboard for Claude Code sessions in tmux, on this machine and on remotes over SSH.
///
/// Without a command, navi opens the dashboard: every session of every source, the
/// sessions that need you first, one indicator per remote (connected, connecting,
/// unavailable with its reason), and Enter to attach.
#[derive(Debug, Clone, Parser)]
#[command(name = "navi", version, max_term_width = 100)]
pub struct Cli {
    /// The command to run; without one, the dashboard opens.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Show built-in sample sessions and simulated remotes instead of real ones (no Claude,
    /// tmux or SSH needed; attaching only says what it would run).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Where the files are.
    #[command(flatten)]
    pub paths: Paths,
}

/// Files navi reads and writes.
#[derive(Debug, Clone, Default, Args)]
pub struct Paths {
    /// The local status directory [default: ~/.claude-sessions]
    #[arg(long, global = true, value_name = "DIR", env = "NAVI_SESSIONS_DIR",
        value_parser = path_parser())]
    pub sessions_dir: Option<PathBuf>,

    /// The remotes file [default: ~/.config/navi/remotes.yaml]
    #[arg(long, global = true, value_name = "FILE", env = "NAVI_REMOTES",
        value_parser = path_parser())]
    pub remotes: Option<PathBuf>,

    /// The settings file (layout, sort, icons, offline rows, notifications)
    /// [default: ~/.config/navi/config.yaml]
    #[arg(long, global = true, value_name = "FILE", env = "NAVI_CONFIG",
        value_parser = path_parser())]
    pub config: Option<PathBuf>,

    /// The log file [default: $XDG_STATE_HOME/navi/navi.log or ~/.local/state/navi/navi.log]
    #[arg(long, global = true, value_name = "FILE", env = "NAVI_LOG_FILE",
        value_parser = path_parser())]
    pub log_file: Option<PathBuf>,
}

/// Paths as given, empty included: `NAVI_SESSIONS_DIR=` (set but empty, as scripts
/// often leave it) means the default, not a usage error. See [`given`].
fn path_parser() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// The path of an option, `None` when it was not given or given empty.
pub fn given(p: &Option<PathBuf>) -> Option<&std::path::Path> {
    p.as_deref().filter(|p| !p.as_os_str().is_empty())
}

/// navi's commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Poll every source once, print the sessions and exit.
    ///
    /// Each source is asked once, concurrently, bounded by its timeout. The table has
    /// one line per session: status, name, [remote], age, directory, message. On a
    /// terminal it fits the width (directories cut in the middle so the project's name
    /// stays); piped, or with --wide, nothing is cut. Problems (an unavailable remote, a
    /// skipped file, a config error) go to stderr.
    List {
        /// Print one JSON object {"sessions": [...], "sources": [...]} instead of a table.
        #[arg(long)]
        json: bool,

        /// Print every column whole, even on a terminal.
        #[arg(long, short = 'w')]
        wide: bool,

        /// Only sessions of this coding agent (as lead or helper): claude, codex, gemini,
        /// opencode.
        #[arg(long, value_name = "AGENT", value_parser = parse_agent)]
        agent: Option<Agent>,
    },
    /// One line for a tmux status bar: how many sessions need you, local and remote.
    ///
    /// Answers in milliseconds and never waits on a network: while a dashboard or `navi
    /// watch` runs it publishes its counts (remote sessions included) and this reads them;
    /// once it has quit (or died), this reads the local status directory and remote sessions are
    /// unknown (`-v` and `--format json` say so). E.g.
    /// `set -g status-right '#(navi status --format tmux)'`.
    Status(StatusArgs),
    /// Keep notifications and the `navi status` summary going with no dashboard open.
    ///
    /// A headless process (no terminal) for a tmux window, a systemd user unit or a
    /// launchd agent: it follows the same sources as the dashboard (this machine and
    /// every remote of remotes.yaml), sends the notifications config.yaml's `notify:`
    /// asks for (system notification, sound, `command`, webhooks; the bell, the
    /// terminal's notification and the title need a dashboard) and publishes the counts
    /// `navi status` shows. Logs go to stderr: one line per notification and per source
    /// state change (NAVI_LOG=debug for more). Ends cleanly on SIGINT, SIGTERM or
    /// SIGHUP. Refuses to start (exit 1) while remotes.yaml, config.yaml or sounds.yaml
    /// has a problem, naming each.
    ///
    /// One navi notifies at a time: whichever holds the notifier lease
    /// ($XDG_RUNTIME_DIR/navi/notifier.lock). A dashboard opened beside `navi watch`
    /// shows everything but leaves notifying and the summary to it, and takes over
    /// within 2 s if it ends. E.g. in tmux: `tmux new-window -d -n navi-watch 'navi
    /// watch'`.
    Watch,
    /// Print a session's screen (its active tmux pane) as plain text.
    ///
    /// SESSION is NAME (this machine) or REMOTE:NAME.
    Preview {
        /// NAME or REMOTE:NAME.
        session: String,
    },
    /// A session's git state and pull request, as the dashboard's `G` shows them.
    ///
    /// Asked on the session's machine, in its directory: branch, changes, ahead /
    /// behind, last commit, remote URL, then the pull request through `gh` there (or,
    /// when the remote has no usable gh, through this machine's gh with the repository
    /// taken from the remote URL). SESSION is NAME or REMOTE:NAME.
    Git {
        /// NAME or REMOTE:NAME.
        session: String,
        /// Print the working tree's diff (`git diff`) instead.
        #[arg(long)]
        diff: bool,
    },
    /// Start a detached tmux session (locally or on a remote) running a command.
    ///
    /// e.g. `navi new dev-server:api --dir '~/work/api'` (`~` is that machine's home).
    New {
        /// NAME or REMOTE:NAME of the new session.
        session: String,
        /// Its working directory [default: ~].
        #[arg(long, default_value = "~")]
        dir: String,
        /// What runs in it [default: claude].
        #[arg(long)]
        command: Option<String>,
        /// Start this coding agent's program instead: claude, codex, gemini, opencode.
        #[arg(long, value_name = "AGENT", value_parser = parse_agent, conflicts_with = "command")]
        agent: Option<Agent>,
        /// Add --dangerously-skip-permissions as the last word of the command line (the
        /// Go navi's toggle; Claude Code's only, refused for the other agents).
        #[arg(long)]
        skip_permissions: bool,
        /// The first prompt, one argument never read by a shell (the command must then be
        /// plain words): the last argument (claude, codex, any command), or after
        /// --prompt-interactive (gemini) or --prompt (opencode).
        #[arg(long, value_name = "TEXT")]
        prompt: Option<String>,
    },
    /// Start a session whose claude ended again: a new tmux session of the same name (or
    /// NAME-resumed while the old one still runs) in its directory, on its machine,
    /// running `claude --resume SESSION_ID` (the id its status file kept).
    Resume {
        /// NAME or REMOTE:NAME.
        session: String,
    },
    /// Approve what Claude asks permission for, after reading the session's screen.
    ///
    /// navi reads the pane, recognises Claude Code's permission dialog, prints what it
    /// answers (tool and command), and sends the key only if the screen still shows that
    /// dialog (checked on the session's machine in the same step as the key); otherwise
    /// it refuses and says what the screen shows.
    Approve {
        /// NAME or REMOTE:NAME.
        session: String,
        /// "Yes, and don't ask again" (the dialog's second option).
        #[arg(long)]
        always: bool,
    },
    /// Deny what Claude asks permission for ("No"), verified as `navi approve` is.
    Deny {
        /// NAME or REMOTE:NAME.
        session: String,
    },
    /// End a tmux session and remove its status file (asks first unless --yes).
    Kill {
        /// NAME or REMOTE:NAME.
        session: String,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Rename a tmux session and move its status file.
    Rename {
        /// NAME or REMOTE:NAME.
        session: String,
        /// The new name.
        to: String,
    },
    /// Remove the status file of a session whose tmux session has ended.
    Dismiss {
        /// NAME or REMOTE:NAME.
        session: String,
    },
    /// Type one line into a session (then Enter), or with --keys send tmux keys.
    ///
    /// e.g. `navi send api 'run the tests'`, `navi send --keys dev:api Escape`,
    /// `navi send --keys api Up Up Enter`, `navi send --keys api C-c`.
    Send {
        /// NAME or REMOTE:NAME.
        session: String,
        /// Send tmux keys instead of a line: Enter, Escape (Esc), Tab, BTab, BSpace,
        /// Space, Up, Down, Left, Right, Home, End, PPage, NPage, IC, DC, F1-F12,
        /// C-a..C-z or one printable character; anything else is refused.
        #[arg(long)]
        keys: bool,
        /// The line to type: text only (a control character such as Ctrl-C, Escape or a
        /// line break is refused). With --keys: the keys, in order.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Bookmark, tag or annotate a session (kept on the machine that owns it, so every
    /// navi watching that machine sees the same marks).
    ///
    /// e.g. `navi mark dev:api --bookmark --tag review --untag wip --note 'after lunch'`.
    /// A tag is at most 32 characters, without spaces, commas or control characters;
    /// `--note ''` clears the note.
    Mark {
        /// NAME or REMOTE:NAME.
        session: String,
        /// Bookmark it (★).
        #[arg(long, conflicts_with = "unbookmark")]
        bookmark: bool,
        /// Remove the bookmark.
        #[arg(long)]
        unbookmark: bool,
        /// Add a tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Remove a tag (repeatable).
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
        /// Set the note (one short line; empty clears it).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The hook command of a coding agent (the agent runs it; `navi hooks install` sets
    /// it up): Claude Code by default, Codex, Gemini CLI or OpenCode with --agent.
    ///
    /// Reads the hook event's JSON on stdin and updates this tmux session's status file
    /// (~/.claude-sessions/<session>.json, or NAVI_SESSIONS_DIR) atomically, under a lock.
    /// The event decides the status; the file records the agent. Always exits 0 and prints
    /// only what the agent's hook protocol expects (nothing; `{}` for Gemini CLI); outside
    /// tmux it writes nothing; problems go to navi's log.
    Hook {
        /// The agent whose event is on stdin: claude (default), codex, gemini, opencode.
        #[arg(long, value_name = "AGENT", value_parser = parse_agent)]
        agent: Option<Agent>,
    },
    /// Install, remove or check navi's Claude Code hooks (what makes sessions show up).
    Hooks {
        /// What to do.
        #[command(subcommand)]
        action: HooksAction,
    },
    /// Check the sounds of ~/.config/navi/sounds.yaml (the Go navi's `navi sound`).
    ///
    /// `list` shows the packs in ~/.config/navi/soundpacks (the active one marked `*`),
    /// `test STATUS` plays one status's sound, `test-all` plays each status `triggers`
    /// turns on. They play even while sounds.yaml says `enabled: false`.
    Sound {
        /// What to do.
        #[command(subcommand)]
        action: SoundAction,
    },
    /// Show each configured remote's health (one poll), or trust a remote's host key.
    ///
    /// Without a subcommand: state (connected / unavailable), reason, latency, last good
    /// poll, session count, whether its hooks are installed (from the last `navi remotes
    /// setup`), and the config errors of remotes.yaml. Exits 1 when a remote is
    /// unavailable or the config has problems, so it works as a health check.
    Remotes {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,

        /// What to do; without one, the health table.
        #[command(subcommand)]
        action: Option<RemotesAction>,
    },
    /// Source plugins: programs that add sessions from anywhere (docs/plugin-protocol.md).
    Plugin {
        /// What to do.
        #[command(subcommand)]
        action: PluginAction,
    },
}

/// `navi plugin` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum PluginAction {
    /// Run the conformance checks against a plugin: `navi plugin check -- CMD ARGS...`.
    ///
    /// Starts CMD (no shell) as navi would and checks what every source owes navi: the
    /// hello, readable snapshots, repeatable polls, dropped polls that cost nothing,
    /// answers to retry_now and to unknown requests, refusals of actions on sessions that
    /// do not exist, attach commands that name the session, and an exit when stdin
    /// closes. Prints each check as ok, FAIL (with why) or skip; exits 1 when one fails.
    Check {
        /// The plugin's program and arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

/// An `--agent` value: `claude`, `codex`, `gemini` or `opencode`.
pub fn parse_agent(s: &str) -> Result<Agent, String> {
    Agent::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Agent::ALL.iter().map(|a| a.name()).collect();
        format!("unknown agent {s:?}; one of {}", names.join(", "))
    })
}

/// `navi sound` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum SoundAction {
    /// List the sound packs, the active one marked `*`.
    List,
    /// Play the sound of STATUS (waiting, permission, working, idle, stopped, done, error).
    Test {
        /// The status whose sound plays.
        status: String,
    },
    /// Play the sound of every status sounds.yaml's `triggers` turns on.
    TestAll,
}

/// Which agents a `navi hooks` action is for.
#[derive(Debug, Clone, Default, Args)]
pub struct AgentChoice {
    /// The agent: claude (the default), codex, gemini, opencode.
    #[arg(long, value_name = "AGENT", value_parser = parse_agent)]
    pub agent: Option<Agent>,
    /// Claude Code and every other agent found on this machine (its program on PATH or
    /// its settings directory).
    #[arg(long, conflicts_with = "agent")]
    pub all: bool,
}

/// `navi hooks` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum HooksAction {
    /// Add navi's hook to a coding agent's user settings for every event it needs.
    ///
    /// Claude Code (default): ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json
    /// when set); the Go navi's notify.sh / tool-tracker.sh entries are replaced. Codex:
    /// ~/.codex/hooks.json ($CODEX_HOME); Codex runs it once you trust it in `/hooks`.
    /// Gemini CLI: ~/.gemini/settings.json. OpenCode: navi's plugin
    /// ~/.config/opencode/plugins/navi.js (replacing the Go navi's plugin, kept aside).
    /// Each calls this binary by its absolute path. Every other setting and hook is kept;
    /// the file is edited in place (a symlink is followed, mode, owner and every byte
    /// outside navi's entries kept); the first pre-navi file is kept as
    /// <file>.navi-backup. Running it again changes nothing.
    Install {
        /// Show the change as a diff and write nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Which agents.
        #[command(flatten)]
        which: AgentChoice,
    },
    /// Remove exactly navi's entries from an agent's user settings (OpenCode: navi's
    /// plugin file).
    Uninstall {
        /// Show the change as a diff and write nothing.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Which agents.
        #[command(flatten)]
        which: AgentChoice,
    },
    /// Say whether navi's hooks are installed, where, and when a session last wrote a
    /// status file (for Codex, also how to trust the hook). Exits 1 when they are not
    /// (fully) installed.
    Status {
        /// Which agents.
        #[command(flatten)]
        which: AgentChoice,
    },
}

/// `navi status` options.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Output shape: `plain` and `tmux` print `2 waiting, 1 permission` (nothing when
    /// no session needs you); `json` prints counts and sessions.
    #[arg(long, value_enum, default_value = "plain")]
    pub format: Format,

    /// Count every status (working, waiting, permission, done, error, idle, stopped,
    /// offline, unknown), not only the ones that need you, and the remotes that could
    /// not be counted.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `navi remotes` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum RemotesAction {
    /// Make a remote write status files: install navi's Claude Code hooks there.
    ///
    /// Over navi's own SSH connection (no scp, no second login): uses a navi already on
    /// the remote's PATH or in ~/.local/bin; otherwise, when the remote's OS and CPU can
    /// run this binary, copies it to ~/.local/bin/navi (atomically, mode 755); otherwise
    /// prints the steps for that machine. Then runs `navi hooks install` there, creates
    /// the status directory, and checks: hooks installed, binary runs, directory present.
    /// `navi remotes` shows the result.
    Setup {
        /// The remote's `name` in remotes.yaml.
        name: String,
    },
    /// Fetch a remote's host key, show its fingerprint and add it to known_hosts.
    ///
    /// Connects (through the jump host, if any) only far enough to read the key; nothing
    /// is sent. Asks before writing unless --yes is given. Compare the fingerprint with
    /// the one the server's admin sees (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`).
    Trust {
        /// The remote's `name` in remotes.yaml.
        name: String,

        /// Write the key without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Output shape of `navi status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `2 waiting, 1 permission` (the Go navi's shape).
    Plain,
    /// The same line, for tmux's `#(...)`.
    Tmux,
    /// One JSON object with counts, sessions and where they came from.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_commands_and_global_options() {
        let cli = Cli::try_parse_from(["navi", "list", "--json", "--sessions-dir", "/x"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::List {
                json: true,
                wide: false,
                agent: None
            })
        ));
        assert_eq!(cli.paths.sessions_dir, Some(PathBuf::from("/x")));

        let cli = Cli::try_parse_from(["navi", "--demo"]).unwrap();
        assert!(cli.demo && cli.command.is_none());

        let cli = Cli::try_parse_from(["navi", "remotes", "trust", "dev", "--yes"]).unwrap();
        match cli.command {
            Some(Command::Remotes {
                action: Some(RemotesAction::Trust { name, yes }),
                ..
            }) => assert_eq!((name.as_str(), yes), ("dev", true)),
            other => panic!("unexpected {other:?}"),
        }
        let err = Cli::try_parse_from(["navi", "bogus"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
