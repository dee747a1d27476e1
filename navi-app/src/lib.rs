//! The `navi` binary's library: CLI, dashboard and wiring.
//!
//! `main` only parses the command line, starts logging and calls [`run`]; everything else
//! lives here so tests can drive it: [`app::App`] (state and keys), [`ui::draw`] (a pure
//! function of the model, testable on ratatui's `TestBackend`), [`tui::run_loop`] (the
//! event loop with injectable events and attach runner), and [`cmd`] (`list`, `remotes`).
//!
//! The binary owns no source logic: it builds a [`navi_core::Aggregator`] from a
//! [`sources::SourceSet`] (the local status directory plus one SSH source per remote, or
//! the demo set) and shows what the aggregator publishes.

// Tests may unwrap; the code they test may not (workspace lints).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod answering;
mod app;
mod background;
mod cli;
mod cmd;
mod config;
mod demo;
mod event;
mod format;
mod icons;
mod json;
pub mod keys;
mod lease;
mod logging;
mod notify;
mod paths;
mod signals;
mod sources;
mod tui;
mod ui;
mod watch;

use std::io;

use anyhow::Context as _;

pub use app::UiState;
pub use cli::{parse_from as parse_cli, Cli, Command, HooksAction, RemotesAction};
pub use config::Density;
pub use format::width;
pub use logging::{init_logging, init_stderr_logging};
pub use ui::draw;

/// Runs the command line `cli`: the one place that matches on [`Command`]; each
/// subcommand's module owns what it does (`cmd::NAME::command`). A broken pipe on stdout
/// (`navi list | head`) is success.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    use navi_core::Action;
    let result = match &cli.command {
        None => on_runtime(async {
            let settings = sources::settings(&cli.paths);
            tui::run(source_set(&cli, false)?, settings).await
        }),
        Some(Command::Watch) => on_runtime(async {
            let settings = sources::settings(&cli.paths);
            watch::run(source_set(&cli, false)?, settings, signals::termination()).await
        }),
        // `navi status` runs in tmux's status bar every few seconds: no runtime, no network.
        Some(Command::Status(args)) => cmd::status::command(&cli, args),
        Some(Command::Hook { agent }) => {
            hook(&cli.paths, agent.unwrap_or_default());
            Ok(())
        }
        Some(Command::Hooks { action }) => return cmd::hooks::command(&cli, action),
        Some(Command::Sound { action }) => cmd::sound::command(action),
        Some(Command::List { json, wide, agent }) => on_runtime(async {
            let set = source_set(&cli, false)?;
            cmd::list::command(set, &cli.paths, *json, *wide, *agent).await
        }),
        Some(Command::Remotes { json, action }) => on_runtime(async {
            cmd::remotes::command(source_set(&cli, true)?, *json, action.as_ref()).await
        }),
        Some(Command::Plugin {
            action: cli::PluginAction::Check { command },
        }) => on_runtime(async {
            let passed = cmd::plugin::check(command, &mut io::stdout().lock()).await?;
            match passed {
                true => Ok(()),
                false => Err(anyhow::anyhow!("the plugin failed a check (see above)")),
            }
        }),
        Some(Command::Preview { session }) => act(&cli, session, || Ok(Action::Preview)),
        Some(Command::Git { session, diff }) => on_runtime(async {
            let set = source_set(&cli, false)?;
            cmd::git::run(&set, session, *diff, &mut io::stdout().lock()).await
        }),
        Some(Command::New {
            session,
            dir,
            command,
            agent,
            skip_permissions,
            prompt,
        }) => act(&cli, session, || {
            let command = match (agent, command) {
                (Some(a), _) => a.program(),
                (None, Some(c)) => c.as_str(),
                (None, None) => "claude",
            };
            cmd::actions::new_action(dir, command, *skip_permissions, prompt.as_deref())
        }),
        Some(Command::Resume { session }) => on_runtime(async {
            let set = source_set(&cli, false)?;
            cmd::answer::resume(&set, session, &mut io::stdout().lock()).await
        }),
        Some(Command::Approve { session, always }) => {
            let choice = match always {
                true => navi_core::permission::Choice::Always,
                false => navi_core::permission::Choice::Approve,
            };
            on_runtime(async {
                let set = source_set(&cli, false)?;
                cmd::answer::answer(&set, session, choice, &mut io::stdout().lock()).await
            })
        }
        Some(Command::Deny { session }) => on_runtime(async {
            let set = source_set(&cli, false)?;
            let choice = navi_core::permission::Choice::Deny;
            cmd::answer::answer(&set, session, choice, &mut io::stdout().lock()).await
        }),
        Some(Command::Kill { session, yes }) => {
            act(&cli, session, || cmd::actions::kill_action(session, *yes))
        }
        Some(Command::Rename { session, to }) => {
            act(&cli, session, || Ok(Action::Rename { to: to.clone() }))
        }
        Some(Command::Dismiss { session }) => act(&cli, session, || Ok(Action::Dismiss)),
        Some(Command::Send {
            session,
            keys,
            text,
        }) => act(&cli, session, || {
            cmd::actions::send_action(session, *keys, text)
        }),
        Some(Command::Mark {
            session,
            bookmark,
            unbookmark,
            tags,
            untags,
            note,
        }) => act(&cli, session, || {
            let ops =
                cmd::actions::mark_ops(*bookmark, *unbookmark, tags, untags, note.as_deref())?;
            Ok(Action::Mark { ops })
        }),
    };
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// The stack of each runtime thread.
const WORKER_STACK: usize = 8 * 1024 * 1024;
/// Runtime workers: navi's own work is a small part of a core even with 200 busy
/// remotes, and each thread that allocates keeps a malloc arena of its own for good
/// (one worker per core on a large machine would leave as many arenas behind).
const WORKERS: usize = 2;

/// Runs `task` on a multi-threaded runtime made for it.
fn on_runtime(task: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    // Tasks (a dashboard's actions) may make a remote's first connection, whose future is
    // deep (russh's handshake inside the action's): 8 MiB, as the main thread has, instead
    // of tokio's 2 MiB, so an unoptimised build does not overflow there.
    let workers = std::thread::available_parallelism().map_or(WORKERS, |n| n.get().min(WORKERS));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(workers)
        .thread_stack_size(WORKER_STACK)
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(task);
    // Do not wait for a poll that is still stuck in a blocking read.
    runtime.shutdown_timeout(navi_core::limits::SHUTDOWN_GRACE);
    result
}

/// `navi preview|new|kill|rename|dismiss|send|mark`: the sources are read first (a broken
/// remotes.yaml is reported before `kill` asks anything), then `action` is built.
fn act(
    cli: &Cli,
    session: &str,
    action: impl FnOnce() -> anyhow::Result<navi_core::Action>,
) -> anyhow::Result<()> {
    on_runtime(async {
        let set = source_set(cli, false)?;
        let action = action()?;
        cmd::actions::run(&set, session, action, &mut io::stdout().lock()).await
    })
}

/// The sources of the command line: the demo set with `--demo`, else the configured
/// ones; `remotes_only` leaves this machine out (`navi remotes`).
fn source_set(cli: &Cli, remotes_only: bool) -> anyhow::Result<sources::SourceSet> {
    if cli.demo {
        let mut set = demo::source_set();
        if remotes_only {
            set.sources.retain(|(s, _)| s.label().is_some());
        }
        Ok(set)
    } else if remotes_only {
        sources::SourceSet::remotes_only(&cli.paths)
    } else {
        sources::SourceSet::configured(&cli.paths)
    }
}

/// `navi hook` with no options (as `navi hooks install` writes it for the default status
/// directory): runs without building the command-line parser, as it does on every Claude
/// Code event. The paths come from the same variables the parser reads. With
/// `--sessions-dir` the parser runs (0.25 ms more) and the hook is the same.
pub fn hook_alone(agent: navi_core::statusdir::agents::Agent) {
    let var = |key| std::env::var_os(key).map(std::path::PathBuf::from);
    hook(
        &cli::Paths {
            sessions_dir: var("NAVI_SESSIONS_DIR"),
            log_file: var("NAVI_LOG_FILE"),
            ..cli::Paths::default()
        },
        agent,
    );
}

/// The agent of a `navi hook` command line the parser can be skipped for (`hook`,
/// `hook --agent X`, `hook --agent=X`, what `navi hooks install` writes); `None` for
/// any other (the parser then runs and says what is wrong).
pub fn hook_fast_path(args: &[std::ffi::OsString]) -> Option<navi_core::statusdir::agents::Agent> {
    use navi_core::statusdir::agents::Agent;
    let args: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    match args.as_slice() {
        ["hook"] => Some(Agent::Claude),
        ["hook", "--agent", name] => Agent::parse(name),
        ["hook", flag] => Agent::parse(flag.strip_prefix("--agent=")?),
        _ => None,
    }
}

/// Runs the hook; a problem goes to the log (opened only then), never to the agent. What
/// the agent's hook protocol expects on stdout is printed whatever happened.
fn hook(paths: &cli::Paths, agent: navi_core::statusdir::agents::Agent) {
    let dir = crate::cli::given(&paths.sessions_dir).map(sources::expand_tilde);
    if let Err(e) = cmd::hook::run_hook(dir, agent) {
        init_logging(paths);
        tracing::warn!("navi hook --agent {agent}: {e}");
    }
    let reply = agent.hook_reply();
    if !reply.is_empty() {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        // An agent that stopped reading has nothing left to tell.
        let _ = writeln!(out, "{reply}").and_then(|()| out.flush());
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                .is_some_and(|k| k == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let e = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
