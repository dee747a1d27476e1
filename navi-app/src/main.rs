//! `navi`: parse, start logging, run, map the result to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // `navi hook` runs on every Claude Code event: the form `navi hooks install` writes
    // skips the parser (and it opens the log only on a problem).
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if let Some(agent) = navi_app::hook_fast_path(&args) {
        navi_app::hook_alone(agent);
        return ExitCode::SUCCESS;
    }
    let cli = match navi_app::parse_cli(std::env::args_os()) {
        Ok(cli) => cli,
        // Help and version exit 0, usage errors 2 (clap's codes).
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // `navi hook` opens the log only on a problem.
    match cli.command {
        Some(navi_app::Command::Hook { .. }) => {}
        // `navi watch` has no screen to protect: its log is stderr (the journal's, the
        // tmux window's).
        Some(navi_app::Command::Watch) => navi_app::init_stderr_logging(),
        _ => navi_app::init_logging(&cli.paths),
    }
    match navi_app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("navi: {e:#}");
            ExitCode::FAILURE
        }
    }
}
