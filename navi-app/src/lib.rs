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

mod app;
mod cli;
mod cmd;
mod config;
mod demo;
mod event;
mod format;
mod icons;
mod json;
pub mod keys;
mod logging;
mod notify;
mod paths;
mod sources;
mod tui;
mod ui;

use std::io::{self, IsTerminal as _};
use std::time::Duration;

use anyhow::Context as _;

pub use app::{Density, UiState};
pub use cli::{parse_from as parse_cli, Cli, Command, HooksAction, RemotesAction};
pub use format::width;
pub use logging::init_logging;
pub use ui::draw;

use sources::SourceSet;

/// Runs the command line `cli`. A broken pipe on stdout (`navi list | head`) is success.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // `navi status` runs in tmux's status bar every few seconds: no runtime, no network.
    match &cli.command {
        Some(Command::Status(args)) => return status(&cli, args),
        Some(Command::Hook) => {
            hook(&cli.paths);
            return Ok(());
        }
        Some(Command::Hooks { action }) => return hooks(&cli, action),
        Some(Command::Sound { action }) => return sound(action),
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(dispatch(cli));
    // Do not wait for a poll that is still stuck in a blocking read.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// `navi hook` with no options (as `navi hooks install` writes it for the default status
/// directory): runs without building the command-line parser, as it does on every Claude
/// Code event. The paths come from the same variables the parser reads. With
/// `--sessions-dir` the parser runs (0.25 ms more) and the hook is the same.
pub fn hook_alone() {
    let var = |key| std::env::var_os(key).map(std::path::PathBuf::from);
    hook(&cli::Paths {
        sessions_dir: var("NAVI_SESSIONS_DIR"),
        log_file: var("NAVI_LOG_FILE"),
        ..cli::Paths::default()
    });
}

/// Runs the hook; a problem goes to the log (opened only then), never to Claude.
fn hook(paths: &cli::Paths) {
    let dir = crate::cli::given(&paths.sessions_dir).map(sources::expand_tilde);
    if let Err(e) = cmd::hook::run_hook(dir) {
        init_logging(paths);
        tracing::warn!("navi hook: {e}");
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let source_set = |remotes_only: bool| -> anyhow::Result<SourceSet> {
        if cli.demo {
            let mut set = demo::source_set();
            if remotes_only {
                set.sources.retain(|(s, _)| s.label().is_some());
            }
            Ok(set)
        } else if remotes_only {
            SourceSet::remotes_only(&cli.paths)
        } else {
            SourceSet::configured(&cli.paths)
        }
    };
    match &cli.command {
        None => tui::run(source_set(false)?, sources::settings(&cli.paths)).await,
        Some(
            Command::Status(_) | Command::Hook | Command::Hooks { .. } | Command::Sound { .. },
        ) => Ok(()),
        Some(
            c @ (Command::Preview { .. }
            | Command::New { .. }
            | Command::Kill { .. }
            | Command::Rename { .. }
            | Command::Dismiss { .. }
            | Command::Send { .. }
            | Command::Mark { .. }),
        ) => {
            let set = source_set(false)?;
            action_command(&set, c).await
        }
        Some(Command::List { json, wide }) => list(&cli, source_set(false)?, *json, *wide).await,
        Some(Command::Remotes { json, action: None }) => {
            let set = source_set(true)?;
            let checks = cmd::setup::checks_path()
                .map(|p| cmd::setup::load_checks(&p))
                .unwrap_or_default();
            cmd::remotes::health(
                &set,
                *json,
                &checks,
                &mut io::stdout().lock(),
                &mut io::stderr(),
            )
            .await
        }
        Some(Command::Remotes {
            action: Some(RemotesAction::Setup { name }),
            ..
        }) => {
            let set = source_set(true)?;
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .context("cannot find the path of this navi binary")?;
            let checks = cmd::setup::checks_path();
            cmd::setup::run(
                &set,
                name,
                &exe,
                checks.as_deref(),
                &mut io::stdout().lock(),
            )
            .await
        }
        Some(Command::Remotes {
            action: Some(RemotesAction::Trust { name, yes }),
            ..
        }) => {
            let set = source_set(true)?;
            cmd::remotes::trust(
                &set,
                name,
                *yes,
                &mut io::stdin().lock(),
                &mut io::stdout().lock(),
            )
            .await
        }
    }
}

/// `navi list [--json] [--wide]`.
async fn list(cli: &Cli, mut set: SourceSet, json: bool, wide: bool) -> anyhow::Result<()> {
    let settings = sources::settings(&cli.paths);
    set.add_settings_errors(settings.errors);
    // A terminal gets a table that fits; a pipe or a file gets every column whole.
    let width = match io::stdout().is_terminal() && !wide {
        true => Some(crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w))),
        false => None,
    };
    let style = cmd::list::TableStyle {
        width,
        icons: settings.settings.icons,
    };
    cmd::list::run(
        &set,
        json,
        style,
        &mut io::stdout().lock(),
        &mut io::stderr(),
    )
    .await
}

fn status(cli: &Cli, args: &cli::StatusArgs) -> anyhow::Result<()> {
    let remotes = if cli.demo {
        Vec::new()
    } else {
        SourceSet::remotes_only(&cli.paths)?
            .remotes
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    let dir = if cli.demo {
        std::path::PathBuf::new()
    } else {
        sources::sessions_dir(&cli.paths)?
    };
    let published = cmd::status::summary_path();
    let result = cmd::status::run(
        args.format,
        args.verbose,
        &dir,
        remotes,
        published.as_deref(),
        &mut io::stdout().lock(),
    );
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// `navi preview|new|kill|rename|dismiss|send|mark`.
async fn action_command(set: &SourceSet, command: &Command) -> anyhow::Result<()> {
    use navi_core::Action;
    let (address, action) = match command {
        Command::Preview { session } => (session, Action::Preview),
        Command::New {
            session,
            dir,
            command,
            skip_permissions,
        } => {
            let command = navi_core::new_session_command(command, *skip_permissions)
                .map_err(|e| anyhow::anyhow!("--command: {e}"))?;
            (
                session,
                Action::New {
                    dir: dir.clone(),
                    command,
                    create_dir: false,
                },
            )
        }
        Command::Kill { session, yes } => {
            let stdin = io::stdin();
            if !*yes && !cmd::actions::confirm(session, &mut stdin.lock(), &mut io::stdout())? {
                anyhow::bail!("not killed");
            }
            (session, Action::Kill)
        }
        Command::Rename { session, to } => (session, Action::Rename { to: to.clone() }),
        Command::Dismiss { session } => (session, Action::Dismiss),
        Command::Send { session, text } => {
            navi_core::check_send_text(text)
                .map_err(|e| anyhow::anyhow!("not sent to {session}: {e}"))?;
            (session, Action::Send { text: text.clone() })
        }
        Command::Mark {
            session,
            bookmark,
            unbookmark,
            tags,
            untags,
            note,
        } => {
            let ops =
                cmd::actions::mark_ops(*bookmark, *unbookmark, tags, untags, note.as_deref())?;
            (session, Action::Mark { ops })
        }
        _ => return Ok(()),
    };
    cmd::actions::run(set, address, action, &mut io::stdout().lock()).await
}

fn hooks(cli: &Cli, action: &cli::HooksAction) -> anyhow::Result<()> {
    let path = cmd::hooks::settings_path()?;
    let out = &mut io::stdout().lock();
    match action {
        cli::HooksAction::Install { dry_run } => {
            let exe = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .context("cannot find the path of this navi binary")?;
            // A status directory other than the default goes into the hook command.
            let dir = crate::cli::given(&cli.paths.sessions_dir)
                .map(sources::expand_tilde)
                .filter(|d| Some(d) != navi_source_local::LocalSource::default_dir().as_ref());
            cmd::hooks::install_cmd(&path, &exe, dir.as_deref(), *dry_run, out)
        }
        cli::HooksAction::Uninstall { dry_run } => cmd::hooks::uninstall_cmd(&path, *dry_run, out),
        cli::HooksAction::Status => {
            let dir = sources::sessions_dir(&cli.paths)?;
            match cmd::hooks::status_cmd(&path, &dir, out)? {
                true => Ok(()),
                false => anyhow::bail!("navi's hooks are not fully installed"),
            }
        }
    }
}

/// `navi sound list | test STATUS | test-all`.
fn sound(action: &cli::SoundAction) -> anyhow::Result<()> {
    let paths = cmd::sound::SoundPaths::default_paths()?;
    let out = &mut io::stdout().lock();
    let play = &cmd::sound::play_bounded;
    let result = match action {
        cli::SoundAction::List => cmd::sound::list(&paths, out),
        cli::SoundAction::Test { status } => cmd::sound::test(&paths, status, play, out),
        cli::SoundAction::TestAll => cmd::sound::test_all(&paths, play, out),
    };
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
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
