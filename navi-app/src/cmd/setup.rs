//! `navi remotes setup NAME`: make a configured remote write status files, over navi's
//! own pooled connection (no `scp`, no second login).
//!
//! 1. Probe: the remote's OS and architecture, a `navi` on its PATH or in
//!    `~/.local/bin`, its home. A `navi` counts only if it proves to be this project's
//!    (its `--help` names [`IDENTITY`]): another program called `navi` (the
//!    cheat-sheet tool is one) is left alone and never run with navi's arguments.
//! 2. This project's navi found there is used as is, by its absolute path; otherwise,
//!    when the remote's OS and architecture are this binary's, this binary is copied to
//!    `~/.local/bin/navi` ([`navi_source_ssh::install_command`]: a hidden temp file,
//!    its size and digest checked on the remote, tried, then renamed into place, mode
//!    755; a copy that fails or is cut short leaves nothing at that path); otherwise the
//!    exact steps for that machine are printed.
//! 3. `navi hooks install` runs there, and the status directory is created; a failure
//!    shows the remote's words.
//! 4. A check: hooks installed, binary runs, status directory present. Its result is
//!    kept in `~/.local/state/navi/remotes-setup.json` for `navi remotes`.
//!
//! The remote side of each step (its script, its operands, how its answer reads) is
//! [`navi_source_ssh::setup`]'s: this module runs typed steps and says what they found.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use navi_core::text::sanitize;
use navi_source_ssh::setup::{CheckAnswer, Probe, SetupStep};
use navi_source_ssh::{install_command, Installed, Remote, RemoteCommand, RemoteOutput, SshSource};
use serde::{Deserialize, Serialize};

use crate::sources::SourceSet;
use navi_core::limits::{SETUP_COPY, SETUP_STEP};

const MAX_OUTPUT: usize = 256 * 1024;

/// What only this project's `navi --help` says (its first line, the CLI's about): how
/// setup tells it from another program called `navi` (a unit test keeps it true).
pub const IDENTITY: &str = "a dashboard for Claude Code sessions in tmux";

/// What `navi remotes setup` last found on one remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupCheck {
    /// When (unix seconds).
    pub checked_at: i64,
    /// navi's path there.
    pub navi: String,
    /// `navi --version` there.
    pub version: String,
    /// `navi hooks status` succeeded.
    pub hooks_installed: bool,
    /// The status directory exists.
    pub sessions_dir_present: bool,
}

/// The last setup check of every remote (empty when none, or unreadable).
pub fn load_checks(path: &Path) -> BTreeMap<String, SetupCheck> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn save_check(path: &Path, name: &str, check: SetupCheck) -> anyhow::Result<()> {
    let mut all = load_checks(path);
    all.insert(name.to_string(), check);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Runs the setup `step` on `source`; a non-zero exit is an error naming it.
async fn step(
    source: &SshSource,
    step: SetupStep<'_>,
    timeout: Duration,
) -> anyhow::Result<RemoteOutput> {
    run_step(source, step.name(), &step.command(), b"", timeout).await
}

/// Runs `cmd` on `source`; a non-zero exit is an error naming `step`, with the
/// remote's own words.
async fn run_step(
    source: &SshSource,
    step: &str,
    cmd: &RemoteCommand,
    stdin: &[u8],
    timeout: Duration,
) -> anyhow::Result<RemoteOutput> {
    let out = source
        .run(cmd, stdin, timeout, MAX_OUTPUT)
        .await
        .with_context(|| format!("{step} on {}", source.remote().name))?;
    if !out.success() {
        bail!(
            "{step} on {} failed (exit status {}): {}",
            source.remote().name,
            out.status.map_or("none".into(), |s| s.to_string()),
            out.summary()
        );
    }
    Ok(out)
}

/// `navi remotes setup NAME`.
pub async fn run(
    set: &SourceSet,
    name: &str,
    binary: &Path,
    checks: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if set.demo {
        bail!("`navi remotes setup` talks to real remotes; it does nothing in --demo");
    }
    let remote = find_remote(set, name)?;
    let source = SshSource::new(remote.clone());
    let navi = navi_there(&source, binary, out).await?;
    writeln!(out, "==> {}: navi hooks install", remote.name)?;
    let install = SetupStep::HooksInstall {
        navi: &navi,
        sessions_dir: &remote.sessions_dir,
    };
    let installed = step(&source, install, SETUP_STEP).await?;
    for line in String::from_utf8_lossy(&installed.stdout).lines() {
        writeln!(out, "    {}", sanitize(line))?;
    }
    let (check, hooks_said) = check(&source, &navi).await?;
    report_check(remote, &check, out)?;
    for line in hooks_said.iter().filter(|l| !l.trim().is_empty()).take(10) {
        writeln!(out, "      {}", sanitize(line))?;
    }
    let ok = check.hooks_installed && check.sessions_dir_present && !check.version.is_empty();
    if let Some(path) = checks {
        if let Err(e) = save_check(path, &remote.name, check) {
            tracing::warn!("cannot record the setup check in {}: {e}", path.display());
        }
    }
    if !ok {
        bail!("{} is not fully set up (see the check above)", remote.name);
    }
    writeln!(
        out,
        "Done: Claude Code sessions started in tmux on {} now show up in navi.",
        remote.name
    )?;
    Ok(())
}

/// The path of a navi that runs on the remote: one already there, or this binary
/// copied when the remote can run it; otherwise the steps for that machine and an error.
async fn navi_there(
    source: &SshSource,
    binary: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<String> {
    let remote = source.remote();
    writeln!(
        out,
        "==> {}: probing ({})",
        remote.name,
        remote.destination()
    )?;
    let probe = SetupStep::Probe { identity: IDENTITY };
    let probed = step(source, probe, SETUP_STEP).await?;
    let probe = Probe::parse(&probed.stdout);
    writeln!(
        out,
        "    {} {}, home {}",
        sanitize(&probe.os),
        sanitize(&probe.arch),
        sanitize(&probe.home)
    )?;
    if let Some(other) = &probe.other_on_path {
        writeln!(
            out,
            "    {} is another program called navi (not this project's): left alone",
            sanitize(other)
        )?;
    }
    match (&probe.on_path, &probe.local_bin) {
        (Some(p), _) | (None, Some(p)) => {
            if probe.local_bin.as_ref() == Some(p) && differs_from_this(&probe, binary) {
                writeln!(
                    out,
                    "==> {} is another build of navi (its SHA-256 is not this one's): replacing \
                     it with a verified copy",
                    sanitize(p)
                )?;
                return copy_binary(source, binary, out).await;
            }
            writeln!(out, "==> using the navi already there: {}", sanitize(p))?;
            Ok(p.clone())
        }
        (None, None) if probe.other_local_bin.is_some() => bail!(
            "{}: {} is another program called navi (not this project's); navi does not \
             overwrite it: move it away and run `navi remotes setup {}` again",
            remote.name,
            sanitize(probe.other_local_bin.as_deref().unwrap_or_default()),
            remote.name
        ),
        (None, None) if probe.runs_this_binary() => copy_binary(source, binary, out).await,
        (None, None) => {
            print_manual_steps(&probe, remote, out)?;
            bail!(
                "{} runs {} {}, which this navi ({} {}) cannot run; follow the steps above",
                remote.name,
                sanitize(&probe.os),
                sanitize(&probe.arch),
                std::env::consts::OS,
                std::env::consts::ARCH
            );
        }
    }
}

/// Whether navi's own copy on the remote (`~/.local/bin/navi`) is a build other than
/// this one (an older setup's, or one cut short before copies were verified) that this
/// binary can replace. Unknown (no `sha256sum` there, this binary unreadable): no.
fn differs_from_this(probe: &Probe, binary: &Path) -> bool {
    let Some(theirs) = &probe.local_bin_sha256 else {
        return false;
    };
    if !probe.runs_this_binary() {
        return false;
    }
    match std::fs::read(binary) {
        Ok(bytes) => navi_source_ssh::sha256_hex(&bytes) != *theirs,
        Err(_) => false,
    }
}

fn report_check(remote: &Remote, check: &SetupCheck, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "==> {}: check", remote.name)?;
    writeln!(
        out,
        "    navi:           {} ({})",
        sanitize(&check.navi),
        sanitize(&check.version)
    )?;
    writeln!(
        out,
        "    hooks:          {}",
        yes_no(check.hooks_installed, "installed")
    )?;
    writeln!(
        out,
        "    status dir:     {} {}",
        sanitize(&remote.sessions_dir),
        yes_no(check.sessions_dir_present, "present")
    )
}

fn yes_no(ok: bool, what: &str) -> String {
    match ok {
        true => what.to_string(),
        false => format!("NOT {what}"),
    }
}

fn find_remote<'a>(set: &'a SourceSet, name: &str) -> anyhow::Result<&'a Remote> {
    set.remotes.iter().find(|r| r.name == name).ok_or_else(|| {
        let names: Vec<&str> = set.remotes.iter().map(|r| r.name.as_str()).collect();
        match names.is_empty() {
            true => anyhow::anyhow!("no remote named `{name}`: no usable remote is configured"),
            false => anyhow::anyhow!(
                "no remote named `{name}` (configured: {})",
                names.join(", ")
            ),
        }
    })
}

async fn copy_binary(
    source: &SshSource,
    binary: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<String> {
    let bytes = std::fs::read(binary)
        .with_context(|| format!("cannot read this navi binary {}", binary.display()))?;
    writeln!(
        out,
        "==> {}: copying this navi ({:.1} MB) to ~/.local/bin/navi",
        source.remote().name,
        bytes.len() as f64 / 1e6
    )?;
    let cmd = install_command("~/.local/bin", "navi", &bytes);
    let copied = run_step(source, "copying navi", &cmd, &bytes, SETUP_COPY).await?;
    let Some(installed) = Installed::parse(&copied.stdout) else {
        bail!("copying navi to {} printed no path", source.remote().name);
    };
    writeln!(
        out,
        "    verified ({}), installed as {}",
        sanitize(&installed.verified_with),
        sanitize(&installed.path)
    )?;
    Ok(installed.path)
}

/// The check, and what `navi hooks status` said there when it failed.
async fn check(source: &SshSource, navi: &str) -> anyhow::Result<(SetupCheck, Vec<String>)> {
    let asked = SetupStep::Check {
        navi,
        sessions_dir: &source.remote().sessions_dir,
    };
    let out = step(source, asked, SETUP_STEP).await?;
    let answer = CheckAnswer::parse(&out.stdout);
    let check = SetupCheck {
        checked_at: crate::format::unix_now(),
        navi: navi.to_string(),
        version: answer.version,
        hooks_installed: answer.hooks_installed,
        sessions_dir_present: answer.sessions_dir_present,
    };
    let said = answer.hooks_said;
    Ok((check, said))
}

fn print_manual_steps(probe: &Probe, remote: &Remote, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "This navi is built for {} {}; {} runs {} {}. On {} (ssh {}):",
        std::env::consts::OS,
        std::env::consts::ARCH,
        remote.name,
        sanitize(&probe.os),
        sanitize(&probe.arch),
        remote.name,
        remote.destination()
    )?;
    writeln!(
        out,
        "  1. install Rust (https://rustup.rs) and build navi there:"
    )?;
    writeln!(out, "       cargo install --git <this repository> navi-app")?;
    writeln!(out, "  2. navi hooks install")?;
    writeln!(out, "  3. mkdir -p {}", sanitize(&remote.sessions_dir))?;
    writeln!(
        out,
        "then run `navi remotes setup {}` again to check.",
        remote.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_check_matches_this_navi_help() {
        use clap::CommandFactory as _;
        let help = crate::cli::Cli::command().render_long_help().to_string();
        assert!(help.contains(IDENTITY), "{help}");
        // What denisidoro/navi (the cheat-sheet tool) prints does not.
        assert!(
            !"navi 2.24.0\nAn interactive cheatsheet tool for the command-line".contains(IDENTITY)
        );
    }

    #[test]
    fn checks_are_kept_per_remote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/remotes-setup.json");
        assert!(load_checks(&path).is_empty());
        let c = SetupCheck {
            checked_at: 5,
            navi: "/home/u/.local/bin/navi".into(),
            version: "navi 0.1.0".into(),
            hooks_installed: true,
            sessions_dir_present: true,
        };
        save_check(&path, "dev", c.clone()).unwrap();
        save_check(
            &path,
            "gpu",
            SetupCheck {
                hooks_installed: false,
                ..c.clone()
            },
        )
        .unwrap();
        let all = load_checks(&path);
        assert_eq!(all["dev"], c);
        assert!(!all["gpu"].hooks_installed);
        std::fs::write(&path, "not json").unwrap();
        assert!(load_checks(&path).is_empty());
    }
}
