//! Every time limit and pace of navi, in one place, each with why it is what it is.
//!
//! Limits are enforced by [`Deadline`](crate::Deadline) (the one layer that bounds an
//! operation); paces (how often something is redrawn, polled or refreshed) are read by
//! the loops that keep them. A remote's own `timeout` and `poll_interval` in
//! `remotes.yaml` override the remote defaults here.

use std::time::Duration;

// ---- Sources: polls and actions ------------------------------------------------------

/// The longest one poll of the local status directory may take: it reads a directory
/// and asks tmux, milliseconds when all is well.
pub const LOCAL_POLL: Duration = Duration::from_secs(2);

/// The longest one action (kill, rename, send, preview, mark, new, ...) may take, here or
/// on a remote; the remote's command gets a second less so it reports its own end.
pub const ACTION: Duration = Duration::from_secs(20);

/// The longest one tmux command may take before it is killed: tmux answers in
/// milliseconds; a server that hangs (stopped, swapped out, a wedged upgrade) must not
/// hold a poll or an action forever.
pub const TMUX_COMMAND: Duration = Duration::from_secs(5);

/// How long `new` waits before checking that the session's command still runs: a command
/// that exits at once (no `claude` on `PATH`, a typo) has exited by then.
pub const NEW_SETTLE: Duration = Duration::from_millis(300);

/// How long an attach's existence check (`tmux has-session`) may take: a tmux that does
/// not answer must not hold the dashboard; past it the attach goes ahead and says why.
pub const ATTACH_CHECK: Duration = Duration::from_secs(5);

/// The longest a health-only change (a new latency, a later "retrying in") waits for a
/// snapshot of its own when nothing visible changes.
pub const HEALTH_REFRESH: Duration = Duration::from_secs(5);
/// The shortest time between two published snapshots: changes that come faster (busy
/// remotes) are gathered into the next one, so the dashboard, the notifier and the
/// summary publisher each do their work once per this, not once per status write. The
/// dashboard draws at most once per [`FRAME`] anyway.
pub const SNAPSHOT_EVERY: Duration = Duration::from_millis(100);

/// How long a finished child's output is still read, even past its deadline (the pipe
/// may hold the last bytes).
pub const PROCESS_READ_GRACE: Duration = Duration::from_millis(50);

/// How long apart a dead pane's exit status is asked for again (tmux may mark the pane
/// dead before it has collected the status).
pub const EXIT_STATUS_RETRY: Duration = Duration::from_millis(50);

/// The first and the longest nap between two looks at a child that has not exited: short
/// at first (tmux answers in microseconds), doubling up to a few milliseconds.
pub const CHILD_FIRST_NAP: Duration = Duration::from_micros(20);
/// See [`CHILD_FIRST_NAP`].
pub const CHILD_LONGEST_NAP: Duration = Duration::from_millis(5);

/// The most one git command of the git dialog may take (a huge tree's `git status`).
pub const GIT_COMMAND: Duration = Duration::from_secs(10);
/// The most `gh pr view` may take (it asks GitHub).
pub const GH_COMMAND: Duration = Duration::from_secs(20);
/// The most the browser opener (`xdg-open`, `open`) may take to hand the page over.
pub const BROWSER_OPEN: Duration = Duration::from_secs(10);
/// How often a waiting opener is looked at.
pub const BROWSER_OPEN_CHECK: Duration = Duration::from_millis(20);
/// How often an open git dialog asks again (the Go navi's PR refresh).
pub const GIT_EVERY: Duration = Duration::from_secs(30);

/// The least time between two memory samples of a machine's sessions (the local source
/// on its polls, a remote's push loop when navi asks it): a sample reads every process
/// of the machine, cheap but not free; memory moves slowly.
pub const MEMORY_SAMPLE: Duration = Duration::from_secs(10);
/// The least time between two memory samples of a remote whose sessions did not change
/// since the last one: an idle remote's processes hardly grow, and a sample costs that
/// remote a few processes and a read of its whole process table.
pub const MEMORY_SAMPLE_IDLE: Duration = Duration::from_secs(60);
/// The most `ps` may take for a memory sample where there is no `/proc` (macOS).
pub const MEMORY_PS: Duration = Duration::from_secs(5);

// ---- The local status directory --------------------------------------------------------

/// How often the directory is polled when it cannot be watched.
pub const UNWATCHED_POLL: Duration = Duration::from_millis(500);
/// How often the directory is polled while it is watched (the safety net).
pub const WATCHED_POLL: Duration = Duration::from_secs(5);
/// How long a wake-up waits for the rest of a burst of file events.
pub const WATCH_COALESCE: Duration = Duration::from_millis(15);
/// How long after a failed watch set-up the next one is tried.
pub const WATCH_RETRY: Duration = Duration::from_secs(30);

// ---- tmux control mode (tmux events and the live preview, here and on remotes) --------

/// The least time between two pane changes a preview is told of (at most ~20 a second):
/// a busy pane's output is coalesced into one capture per interval.
pub const PANE_CHANGE_EVERY: Duration = Duration::from_millis(50);
/// How long a pane's control client stays after the last wait for it ended (the app
/// asks again right after each capture; a closed preview lets it go).
pub const PANE_WATCH_LINGER: Duration = Duration::from_secs(3);
/// How long a control client may take to attach (or fail) before it is taken for one
/// that does not work (an old tmux, a server that does not answer).
pub const CONTROL_ATTACH: Duration = Duration::from_secs(5);
/// How long after a control client failed to attach to a server the next try is made
/// (meanwhile that server's sessions are listed on every poll, as without events).
pub const CONTROL_RETRY: Duration = Duration::from_secs(60);
/// While a control client reports a server's session events, its sessions are still
/// listed this often (a safety net: an event lost is healed by then).
pub const TMUX_SAFETY_POLL: Duration = Duration::from_secs(30);

// ---- The hook (Claude Code waits for it) -----------------------------------------------

/// The most one `navi hook` run may take, whatever tmux, git or the files do: Claude Code
/// waits for its hooks. The common case takes a few milliseconds.
pub const HOOK_BUDGET: Duration = Duration::from_secs(2);
/// How long navi's OpenCode plugin lets one `navi hook --agent opencode` run before it
/// kills it: longer than [`HOOK_BUDGET`] (the hook bounds itself), so only a wedged
/// process is killed; the plugin never waits for it, OpenCode is never held.
pub const OPENCODE_PLUGIN_KILL: Duration = Duration::from_secs(5);
/// The most the transcript read may take of one hook run: less than
/// [`HOOK_LOCK_PATIENCE`], so a parallel hook of the same session waiting for the lock is
/// not turned away by it. A longer read goes on at the next event.
pub const TRANSCRIPT_SHARE: Duration = Duration::from_millis(300);
/// How long the hook waits for tmux to name its session: tmux answers in a few ms; a
/// stopped server, or a socket that accepts and stays silent, would otherwise hold the
/// hook (and Claude Code with it) for ever. Leaves most of [`HOOK_BUDGET`] for the rest.
pub const HOOK_TMUX_PATIENCE: Duration = Duration::from_millis(1200);
/// How long a hook waits for `git status` (timed from its start). Past it git is stopped
/// and the file keeps its previous git block: a huge work tree never holds Claude up.
pub const HOOK_GIT: Duration = Duration::from_millis(500);
/// How long the hook waits for the status file's lock (another hook of the same session
/// holds it for a millisecond). Past it the file is written without the lock (the rename
/// is still atomic): a stuck lock holder never stops a status change.
pub const HOOK_LOCK_PATIENCE: Duration = Duration::from_millis(500);
/// The first and the longest nap between two tries of the status file's lock (its holder
/// keeps it for a millisecond).
pub const LOCK_FIRST_NAP: Duration = Duration::from_micros(100);
/// See [`LOCK_FIRST_NAP`].
pub const LOCK_LONGEST_NAP: Duration = Duration::from_millis(10);
/// A temp file of a navi writer whose process is gone is removed by the next hook that
/// ends a turn or a session once it is this old (a writer killed between writing and
/// renaming leaves one).
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(60);

// ---- Remotes ---------------------------------------------------------------------------

/// Connect and poll timeout of a remote unless its `timeout` says otherwise.
pub const REMOTE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time between a remote's polls unless its `poll_interval` says otherwise.
pub const REMOTE_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Idle time before a keepalive is sent unless `ServerAliveInterval` says otherwise.
pub const SERVER_ALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// The time limit a command gets on the remote unless it says otherwise.
pub const REMOTE_COMMAND: Duration = Duration::from_secs(120);
/// A remote command's own time limit is this much under navi's wait for it (and at least
/// this), so the remote ends it and says so before navi gives up on the answer.
pub const REMOTE_LIMIT_MARGIN: Duration = Duration::from_secs(1);
/// How long the remote check and removal of a dismissed session may take.
pub const REMOTE_DISMISS: Duration = Duration::from_secs(20);
/// How long an abandoned channel's command gets to end before navi closes it.
pub const CHANNEL_CLOSE_GRACE: Duration = Duration::from_secs(5);
/// First reconnect delay after a failed attempt; doubles per failure.
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest reconnect delay.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60);
/// The wait after a refused connection (jittered by ±20%), whatever came before.
pub const REFUSED_RETRY: Duration = Duration::from_millis(2500);
/// The longest an action waits for the push loop to show its effect.
pub const SETTLE_WAIT: Duration = Duration::from_secs(3);
/// How long a suspect connection gets to answer a ping.
pub const PING_WAIT: Duration = Duration::from_secs(3);
/// How often the push loop's heartbeat goes out.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long the remote push loop holds a status file's change before sending it, so a
/// file rewritten several times in a burst (a hook per tool use) goes once, with its last
/// bytes. Short beside what a person notices; long enough for a writer's burst of
/// rewrites. Only where the remote's `sh` has a fractional `read -t` (bash, zsh, mksh);
/// dash, busybox and ksh93 send each change at once.
pub const PUSH_COALESCE: Duration = Duration::from_millis(30);
/// How often navi checks a remote's digest against what it holds.
pub const RESYNC: Duration = Duration::from_secs(60);
/// A `remotes setup` probe or check is small.
pub const SETUP_STEP: Duration = Duration::from_secs(30);
/// Copying navi's binary to a remote over a slow link takes longer.
pub const SETUP_COPY: Duration = Duration::from_secs(300);

// ---- Notifications ---------------------------------------------------------------------

/// Changes that reach navi within this window are one notification. Sessions that change
/// at the same moment reach navi a little apart: each machine's poll or push arrives on
/// its own (a few hundred milliseconds between remotes), the local directory's watch
/// fires per file. Long enough that two machines' changes 200 ms apart are one
/// notification; short enough that the bell still comes with the moment.
pub const NOTIFY_COALESCE: Duration = Duration::from_millis(750);
/// The least time between two notifications of one session unless `config.yaml` says
/// otherwise.
pub const NOTIFY_PER_SESSION: Duration = Duration::from_secs(10);
/// How long a notification's program may run: a sound or a spoken sentence takes a few
/// seconds, notify-send and tmux less; a minute is generous and still bounded.
pub const NOTIFY_LAUNCH: Duration = Duration::from_secs(60);
/// How often the reaper looks at its children while it has some (they end on their own in
/// a few seconds; a zombie for a quarter of a second costs nothing).
pub const NOTIFY_REAP_EVERY: Duration = Duration::from_millis(250);
/// How often a process that does not hold the notifier lease (a dashboard beside `navi
/// watch`) tries to take it: when the holder exits or dies, notifications resume within
/// this, and a notice in between is not lost (the watcher follows every snapshot).
pub const NOTIFY_LEASE_RETRY: Duration = Duration::from_secs(2);
/// How long one webhook request may take (connect, send, answer): phone and chat
/// services answer in well under a second; a hung endpoint must not hold a slot long.
pub const WEBHOOK_TRY: Duration = Duration::from_secs(5);
/// The wait before a webhook's second try, doubled before each later one: a 5xx or a
/// refused connection often clears within a second or two.
pub const WEBHOOK_BACKOFF: Duration = Duration::from_secs(1);
/// How long past [`WEBHOOK_TRY`] navi waits for curl (which enforces the try's limit
/// itself) before killing it with its process group.
pub const WEBHOOK_KILL_GRACE: Duration = Duration::from_secs(1);
/// The longest one sound of `navi sound test` may play before it is stopped.
pub const SOUND_PLAY: Duration = Duration::from_secs(30);

// ---- The dashboard ---------------------------------------------------------------------

/// The shortest time between two frames that are not answers to a key (~10 frames/s).
pub const FRAME: Duration = Duration::from_millis(100);
/// How often the screen is redrawn when nothing else changes (ages move on).
pub const TICK: Duration = Duration::from_secs(1);
/// How long a status-line message stays.
pub const MESSAGE_TTL: Duration = Duration::from_secs(6);
/// How often a visible preview is refreshed.
pub const PREVIEW_EVERY: Duration = Duration::from_secs(1);
/// How long a row whose tmux session ended stays before the dashboard dismisses it
/// (unless `keep_ended_rows: true`). The Go navi removes such files at once; the grace
/// keeps a row that a slow tmux start or a rename left ended for a moment.
pub const ENDED_GRACE: Duration = Duration::from_secs(30);
/// How long the terminal reader waits for input before it looks at its instructions.
pub const INPUT_POLL: Duration = Duration::from_millis(50);
/// How long the terminal reader is given to stop when the dashboard hands the terminal
/// to an attach.
pub const INPUT_PAUSE: Duration = Duration::from_secs(1);
/// How long tasks still running at exit get to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);
/// A published `navi status` summary older than this is not trusted even while its writer
/// runs (a dashboard that hangs, or is stopped, keeps its pid).
pub const STATUS_FRESH_FOR: Duration = Duration::from_secs(15);
/// The dashboard republishes unchanged counts this often, so they stay fresh.
pub const STATUS_REPUBLISH_EVERY: Duration = Duration::from_secs(5);

// ---- The demo (`navi --demo`) ----------------------------------------------------------

/// The demo's remotes answer after this long, so the health line shows a latency.
pub const DEMO_LATENCY: Duration = Duration::from_millis(120);
/// The demo's remotes' poll timeout: short, as the flaky one fails on purpose.
pub const DEMO_REMOTE_TIMEOUT: Duration = Duration::from_secs(3);

// ---- Source plugins (navi_core::plugin) --------------------------------------------------

/// How long a started plugin has for its hello and first snapshot: a plugin that lists
/// containers or pods asks a daemon or an API first, seconds at worst.
pub const PLUGIN_START: Duration = Duration::from_secs(10);
/// A plugin source's poll timeout: a poll reads what the plugin last said (memory), so
/// only a start waits, and [`PLUGIN_START`] bounds that.
pub const PLUGIN_TIMEOUT: Duration = Duration::from_secs(12);
/// Time between polls of a plugin source; its snapshots wake the aggregator sooner.
pub const PLUGIN_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// A plugin says something (a snapshot or a health line) at least this often, so navi
/// can tell a quiet plugin from a hung one.
pub const PLUGIN_HEARTBEAT: Duration = Duration::from_secs(15);
/// A plugin silent this long (four heartbeats missed) is taken for hung: killed and
/// restarted.
pub const PLUGIN_SILENCE: Duration = Duration::from_secs(60);
/// How long navi waits for a plugin's answer to an attach request (the user waits).
pub const PLUGIN_ATTACH: Duration = Duration::from_secs(5);
/// How long a plugin's answer to `retry_now` is waited for by `navi plugin check`.
pub const PLUGIN_ANSWER: Duration = Duration::from_secs(5);
/// First restart delay after a plugin failed; doubles per failure up to
/// [`PLUGIN_BACKOFF_CAP`].
pub const PLUGIN_BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest restart delay of a failing plugin.
pub const PLUGIN_BACKOFF_CAP: Duration = Duration::from_secs(60);
/// How long a plugin run must stay up (its polls good) before its restart backoff starts
/// over: a plugin that crashes right after its first snapshot keeps doubling its delay
/// instead of being restarted every [`PLUGIN_BACKOFF_START`].
pub const PLUGIN_STABLE: Duration = Duration::from_secs(30);
/// How long a plugin has to exit once its stdin is closed (`navi plugin check`).
pub const PLUGIN_EXIT: Duration = Duration::from_secs(3);
/// How often a plugin's exit is looked at while waiting for it.
pub const PLUGIN_EXIT_CHECK: Duration = Duration::from_millis(20);
