//! The remote side of `navi remotes setup`: each step's script (a file under
//! `src/scripts/`, checked by shellcheck) and how its answer is read, so that the app
//! runs typed steps and never writes remote script text itself.
//!
//! Every value reaches a script as an operand; each step's output is `key=value` lines.

use crate::shell::{set_home_path, RemoteCommand};

/// Step 1: the remote's OS, architecture and home, and a `navi` of this project there.
const PROBE: &str = include_str!("scripts/setup_probe.sh");

/// Step 3: `navi hooks install` and the status directory.
const INSTALL: &str = include_str!("scripts/setup_install.sh");

/// Step 4: the check.
const CHECK: &str = include_str!("scripts/setup_check.sh");

/// One step of `navi remotes setup` on a remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupStep<'a> {
    /// What the remote is, and whether this project's navi is on its `PATH` or in
    /// `~/.local/bin`: a `navi` counts only if its `--help` contains `identity`.
    Probe {
        /// What only this project's `navi --help` prints.
        identity: &'a str,
    },
    /// `navi hooks install` there, then the status directory is made.
    HooksInstall {
        /// navi's absolute path there.
        navi: &'a str,
        /// The status directory (a leading `~` is the remote's home).
        sessions_dir: &'a str,
    },
    /// Hooks installed, navi runs, the status directory is there.
    Check {
        /// navi's absolute path there.
        navi: &'a str,
        /// The status directory (a leading `~` is the remote's home).
        sessions_dir: &'a str,
    },
}

impl SetupStep<'_> {
    /// What the step is called in progress lines and errors.
    pub fn name(&self) -> &'static str {
        match self {
            SetupStep::Probe { .. } => "probing",
            SetupStep::HooksInstall { .. } => "navi hooks install",
            SetupStep::Check { .. } => "checking",
        }
    }

    /// The remote command of the step: its script, the values as operands.
    pub fn command(&self) -> RemoteCommand {
        match *self {
            SetupStep::Probe { identity } => RemoteCommand::new(PROBE).arg(identity),
            SetupStep::HooksInstall { navi, sessions_dir } => with_dir(INSTALL, navi, sessions_dir),
            SetupStep::Check { navi, sessions_dir } => with_dir(CHECK, navi, sessions_dir),
        }
    }
}

/// `script` with `$s` set to the status directory (operand 2, `~` the remote's home)
/// and `$1` navi's path.
fn with_dir(script: &str, navi: &str, sessions_dir: &str) -> RemoteCommand {
    RemoteCommand::new(&format!("{}\n{script}", set_home_path("s", 2)))
        .arg(navi)
        .arg(sessions_dir)
}

/// What the probe found on the remote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `uname -s`.
    pub os: String,
    /// `uname -m`.
    pub arch: String,
    /// `$HOME`.
    pub home: String,
    /// A `navi` on the remote's PATH that is this project's.
    pub on_path: Option<String>,
    /// `~/.local/bin/navi`, when it exists and is this project's.
    pub local_bin: Option<String>,
    /// A `navi` on the PATH that is another program (left alone).
    pub other_on_path: Option<String>,
    /// `~/.local/bin/navi` exists and is another program (never overwritten).
    pub other_local_bin: Option<String>,
    /// The SHA-256 of `local_bin` (lowercase hex), where the remote has `sha256sum`.
    pub local_bin_sha256: Option<String>,
}

impl Probe {
    /// Reads the probe's output; lines it does not know are ignored.
    pub fn parse(out: &[u8]) -> Probe {
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
                "local_bin_sha256" if !v.is_empty() => p.local_bin_sha256 = Some(v),
                _ => {}
            }
        }
        p
    }

    /// Whether this binary can run there: same kernel and machine as this build.
    pub fn runs_this_binary(&self) -> bool {
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

/// What the check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckAnswer {
    /// `navi --version` there (empty when it did not run).
    pub version: String,
    /// `navi hooks status` succeeded.
    pub hooks_installed: bool,
    /// The status directory exists.
    pub sessions_dir_present: bool,
    /// What `navi hooks status` said when it failed, a line each.
    pub hooks_said: Vec<String>,
}

impl CheckAnswer {
    /// Reads the check's output.
    pub fn parse(out: &[u8]) -> CheckAnswer {
        let text = String::from_utf8_lossy(out);
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
                .map(str::to_string)
        };
        CheckAnswer {
            version: field("version").unwrap_or_default(),
            hooks_installed: field("hooks").is_some(),
            sessions_dir_present: field("sessions_dir").is_some(),
            hooks_said: text
                .lines()
                .filter_map(|l| l.strip_prefix("hooks_said="))
                .map(str::to_string)
                .collect(),
        }
    }
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
    fn the_check_is_read() {
        let c = CheckAnswer::parse(b"version=navi 0.1\nhooks_said=not installed\nhooks_said=x\n");
        assert_eq!(c.version, "navi 0.1");
        assert!(!c.hooks_installed && !c.sessions_dir_present);
        assert_eq!(c.hooks_said, ["not installed", "x"]);
        let ok = CheckAnswer::parse(b"hooks=installed\nsessions_dir=present\n");
        assert!(ok.hooks_installed && ok.sessions_dir_present);
    }

    /// The values are operands, never script text: a hostile path stays data.
    #[test]
    fn setup_values_are_operands() {
        let hostile = "'; touch /tmp/x #";
        let step = SetupStep::HooksInstall {
            navi: hostile,
            sessions_dir: hostile,
        };
        let program = step.command().for_terminal().program().unwrap();
        let text = String::from_utf8_lossy(&program);
        let (head, script) = text.split_once('\n').unwrap();
        assert!(head.starts_with("set -- "), "{head}");
        assert!(!script.contains("touch"), "{script}");
    }
}
