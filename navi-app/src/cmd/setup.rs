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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use navi_core::text::sanitize;
use navi_source_ssh::{install_command, Installed, Remote, RemoteCommand, RemoteOutput, SshSource};
use serde::{Deserialize, Serialize};

use crate::sources::SourceSet;

/// A probe or check is small; copying the binary gets longer.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const COPY_TIMEOUT: Duration = Duration::from_secs(300);
const MAX_OUTPUT: usize = 256 * 1024;

/// What the probe found on the remote.
#[derive(Debug, Default, PartialEq, Eq)]
struct Probe {
    os: String,
    arch: String,
    home: String,
    /// A `navi` on the remote's PATH that runs.
    on_path: Option<String>,
    /// `~/.local/bin/navi`, when it exists and runs.
    local_bin: Option<String>,
    /// A `navi` on the PATH that is another program (left alone).
    other_on_path: Option<String>,
    /// `~/.local/bin/navi` exists and is another program (never overwritten).
    other_local_bin: Option<String>,
}

/// What only this project's `navi --help` says (its first line, the CLI's about): how
/// setup tells it from another program called `navi` (a unit test keeps it true).
pub const IDENTITY: &str = "a dashboard for Claude Code sessions in tmux";

/// `$1`: [`IDENTITY`]. `other_*`: a `navi` there that is some other program.
const PROBE: &str = r#"printf 'os=%s\n' "$(uname -s 2>/dev/null)"
printf 'arch=%s\n' "$(uname -m 2>/dev/null)"
printf 'home=%s\n' "$HOME"
ours() {
  h=$("$1" --help </dev/null 2>/dev/null) || return 1
  case $h in *"$id"*) return 0;; esac
  return 1
}
id=$1
p=$(command -v navi 2>/dev/null)
case $p in
  /*) if ours "$p"; then printf 'on_path=%s\n' "$p"; else printf 'other_on_path=%s\n' "$p"; fi;;
esac
l="$HOME/.local/bin/navi"
if [ -e "$l" ]; then
  if ours "$l"; then printf 'local_bin=%s\n' "$l"; else printf 'other_local_bin=%s\n' "$l"; fi
fi
"#;

impl Probe {
    fn parse(out: &[u8]) -> Probe {
        let mut p = Probe::default();
        for line in String::from_utf8_lossy(out).lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().to_string();
            match k {
                "os" => p.os = v,
                "arch" => p.arch = v,
                "home" => p.home = v,
                "on_path" if !v.is_empty() => p.on_path = Some(v),
                "local_bin" if !v.is_empty() => p.local_bin = Some(v),
                "other_on_path" if !v.is_empty() => p.other_on_path = Some(v),
                "other_local_bin" if !v.is_empty() => p.other_local_bin = Some(v),
                _ => {}
            }
        }
        p
    }

    /// Whether this binary can run there: same kernel and machine as this build.
    fn runs_this_binary(&self) -> bool {
        let os = match std::env::consts::OS {
            "linux" => "Linux",
            "macos" => "Darwin",
            "freebsd" => "FreeBSD",
            other => other,
        };
        let arch_ok = match std::env::consts::ARCH {
            "x86_64" => self.arch == "x86_64" || self.arch == "amd64",
            "aarch64" => self.arch == "aarch64" || self.arch == "arm64",
            other => self.arch == other,
        };
        self.os == os && arch_ok
    }
}

/// hooks install, then the status directory ($1 = navi, $2 = the sessions_dir, with a
/// leading `~/` meaning the remote's home). A sessions_dir other than the default is
/// written into the hook command, so the hook writes where navi reads.
const INSTALL: &str = r#"if [ "$s" = "$HOME/.claude-sessions" ]; then "$1" hooks install; else "$1" --sessions-dir "$s" hooks install; fi </dev/null || exit
mkdir -p -- "$s"
"#;

/// The check: `navi hooks status` (exit 0 when installed; otherwise what it said, as
/// `hooks_said=` lines), version, status directory.
const CHECK: &str = r#"v=$("$1" --version </dev/null 2>/dev/null) && printf 'version=%s\n' "$v"
if h=$("$1" --sessions-dir "$s" hooks status </dev/null 2>&1); then
  printf 'hooks=installed\n'
else
  printf '%s\n' "$h" | while IFS= read -r l; do printf 'hooks_said=%s\n' "$l"; done
fi
[ -d "$s" ] && printf 'sessions_dir=present\n'
true
"#;

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

/// Runs `script` with `args` on `source`; a non-zero exit is an error naming `step`.
async fn step(
    source: &SshSource,
    step: &str,
    script: &str,
    args: &[&str],
    stdin: &[u8],
    timeout: Duration,
) -> anyhow::Result<RemoteOutput> {
    // `$s`: the remote's status directory (operand 2, `~` its home), for the scripts
    // that take one.
    let script = format!("{}\n{script}", navi_source_ssh::set_home_path("s", 2));
    let mut cmd = RemoteCommand::new(&script);
    for a in args {
        cmd = cmd.arg(a);
    }
    run_step(source, step, &cmd, stdin, timeout).await
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
    let installed = step(
        &source,
        "navi hooks install",
        INSTALL,
        &[&navi, &remote.sessions_dir],
        b"",
        STEP_TIMEOUT,
    )
    .await?;
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
    let probed = step(source, "probing", PROBE, &[IDENTITY], b"", STEP_TIMEOUT).await?;
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
    let copied = run_step(source, "copying navi", &cmd, &bytes, COPY_TIMEOUT).await?;
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
    let dir = source.remote().sessions_dir.clone();
    let out = step(source, "checking", CHECK, &[navi, &dir], b"", STEP_TIMEOUT).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
            .map(str::to_string)
    };
    let said = text
        .lines()
        .filter_map(|l| l.strip_prefix("hooks_said="))
        .map(str::to_string)
        .collect();
    let check = SetupCheck {
        checked_at: crate::format::unix_now(),
        navi: navi.to_string(),
        version: field("version").unwrap_or_default(),
        hooks_installed: field("hooks").is_some(),
        sessions_dir_present: field("sessions_dir").is_some(),
    };
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
    fn the_probe_is_read_and_hostile_lines_ignored() {
        let p = Probe::parse(
            b"os=Linux\narch=x86_64\nhome=/home/u\non_path=\nlocal_bin=/home/u/.local/bin/navi\n\
              junk\x1b[2J\nos2=x\n",
        );
        assert_eq!(p.os, "Linux");
        assert_eq!(p.arch, "x86_64");
        assert_eq!(p.on_path, None);
        assert_eq!(p.local_bin.as_deref(), Some("/home/u/.local/bin/navi"));
        let same = Probe {
            os: "Linux".into(),
            arch: std::env::consts::ARCH.into(),
            ..Probe::default()
        };
        assert_eq!(same.runs_this_binary(), std::env::consts::OS == "linux");
        let other = Probe {
            os: "Darwin".into(),
            arch: "arm64".into(),
            ..Probe::default()
        };
        assert!(!other.runs_this_binary() || std::env::consts::OS == "macos");
    }

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
