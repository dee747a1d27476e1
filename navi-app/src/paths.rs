//! Where navi's own files are: the one owner of the XDG base directories.
//!
//! | file | with the variable set | without |
//! |---|---|---|
//! | config.yaml, remotes.yaml, sounds.yaml, soundpacks/ | `$XDG_CONFIG_HOME/navi/` | `~/.config/navi/` |
//! | navi.log, remotes-setup.json | `$XDG_STATE_HOME/navi/` | `~/.local/state/navi/` |
//! | status.json (the `navi status` summary), notifier.lock (who notifies) | `$XDG_RUNTIME_DIR/navi/` | `~/.local/state/navi/` |
//!
//! A command-line option or a `NAVI_*` variable naming a file wins over these (see
//! `sources` and `logging`); the status directory (`~/.claude-sessions`) is the hooks'
//! and lives in `navi-source-local`.

use std::ffi::OsString;
use std::path::PathBuf;

/// The variables the places are derived from; [`Dirs::from_process`] reads them, tests
/// build them.
#[derive(Debug, Clone, Default)]
pub struct Dirs {
    pub home: Option<PathBuf>,
    pub config_home: Option<OsString>,
    pub state_home: Option<OsString>,
    pub runtime_dir: Option<OsString>,
}

impl Dirs {
    /// This process's `$HOME` and XDG variables.
    pub fn from_process() -> Dirs {
        Dirs {
            home: std::env::home_dir(),
            config_home: std::env::var_os("XDG_CONFIG_HOME"),
            state_home: std::env::var_os("XDG_STATE_HOME"),
            runtime_dir: std::env::var_os("XDG_RUNTIME_DIR"),
        }
    }

    /// `$XDG_CONFIG_HOME/navi/NAME`, else `~/.config/navi/NAME`. An empty variable is
    /// unset (as config.yaml has always read it).
    pub fn config_file(&self, name: &str) -> Option<PathBuf> {
        match self.config_home.as_ref().filter(|v| !v.is_empty()) {
            Some(dir) => Some(PathBuf::from(dir).join("navi").join(name)),
            None => self
                .home
                .as_ref()
                .map(|h| h.join(".config/navi").join(name)),
        }
    }

    /// `$XDG_STATE_HOME/navi/NAME`, else `~/.local/state/navi/NAME`; a relative
    /// `XDG_STATE_HOME` is ignored, as the specification asks.
    pub fn state_file(&self, name: &str) -> Option<PathBuf> {
        let state = absolute(self.state_home.as_ref())
            .or_else(|| self.home.as_ref().map(|h| h.join(".local/state")))?;
        Some(state.join("navi").join(name))
    }

    /// `$XDG_RUNTIME_DIR/navi/NAME` (gone at logout, as the summary should be), else
    /// the state directory's `navi/NAME`.
    pub fn runtime_file(&self, name: &str) -> Option<PathBuf> {
        match absolute(self.runtime_dir.as_ref()) {
            Some(dir) => Some(dir.join("navi").join(name)),
            None => self
                .home
                .as_ref()
                .map(|h| h.join(".local/state/navi").join(name)),
        }
    }
}

fn absolute(var: Option<&OsString>) -> Option<PathBuf> {
    var.map(PathBuf::from).filter(|p| p.is_absolute())
}

/// The default config.yaml.
pub fn config_yaml() -> Option<PathBuf> {
    Dirs::from_process().config_file("config.yaml")
}

/// The default remotes.yaml.
pub fn remotes_yaml() -> Option<PathBuf> {
    Dirs::from_process().config_file("remotes.yaml")
}

/// The Go navi's sounds.yaml (its packs are beside it, in `soundpacks/`).
pub fn sounds_yaml() -> Option<PathBuf> {
    Dirs::from_process().config_file("sounds.yaml")
}

/// The default log file.
pub fn log_file() -> Option<PathBuf> {
    Dirs::from_process().state_file("navi.log")
}

/// The last `navi remotes setup` check of every remote.
pub fn setup_checks() -> Option<PathBuf> {
    Dirs::from_process().state_file("remotes-setup.json")
}

/// The summary the dashboard publishes for `navi status`.
pub fn summary() -> Option<PathBuf> {
    Dirs::from_process().runtime_file("status.json")
}

/// The notifier lease: whichever navi holds it notifies and publishes the summary
/// ([`crate::lease`]).
pub fn notifier_lease() -> Option<PathBuf> {
    Dirs::from_process().runtime_file("notifier.lock")
}

/// Where `cmd` is on `PATH`: the first executable regular file of that name, as the
/// shell's search finds it.
pub fn find_on_path(cmd: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(cmd))
        .find(|exe| {
            std::fs::metadata(exe).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(config: Option<&str>, state: Option<&str>, runtime: Option<&str>) -> Dirs {
        Dirs {
            home: Some("/home/u".into()),
            config_home: config.map(OsString::from),
            state_home: state.map(OsString::from),
            runtime_dir: runtime.map(OsString::from),
        }
    }

    fn config_file_follows_xdg_config_home(name: &str) {
        let set = dirs(Some("/xdg/cfg"), None, None).config_file(name);
        assert_eq!(set, Some(PathBuf::from("/xdg/cfg/navi").join(name)));
        let unset = dirs(None, None, None).config_file(name);
        assert_eq!(
            unset,
            Some(PathBuf::from("/home/u/.config/navi").join(name))
        );
        let empty = dirs(Some(""), None, None).config_file(name);
        assert_eq!(empty, unset, "an empty XDG_CONFIG_HOME is unset");
    }

    #[test]
    fn config_yaml_honours_xdg_config_home() {
        config_file_follows_xdg_config_home("config.yaml");
    }

    #[test]
    fn remotes_yaml_honours_xdg_config_home() {
        config_file_follows_xdg_config_home("remotes.yaml");
    }

    #[test]
    fn sounds_yaml_honours_xdg_config_home_and_keeps_the_go_navi_place_without_it() {
        config_file_follows_xdg_config_home("sounds.yaml");
        let packs = dirs(Some("/xdg/cfg"), None, None)
            .config_file("sounds.yaml")
            .map(|f| crate::notify::sounds::packs_dir(&f));
        assert_eq!(packs, Some(PathBuf::from("/xdg/cfg/navi/soundpacks")));
    }

    #[test]
    fn the_log_and_setup_checks_follow_xdg_state_home_when_absolute() {
        let log = |state| dirs(None, state, None).state_file("navi.log");
        assert_eq!(log(Some("/st")), Some("/st/navi/navi.log".into()));
        let home = Some(PathBuf::from("/home/u/.local/state/navi/navi.log"));
        assert_eq!(log(None), home);
        assert_eq!(
            log(Some("rel")),
            home,
            "a relative XDG_STATE_HOME is ignored"
        );
        let checks = dirs(None, Some("/st"), None).state_file("remotes-setup.json");
        assert_eq!(checks, Some("/st/navi/remotes-setup.json".into()));
    }

    #[test]
    fn the_summary_follows_xdg_runtime_dir_else_the_state_dir() {
        let summary = |run| dirs(None, Some("/st"), run).runtime_file("status.json");
        assert_eq!(
            summary(Some("/run/1")),
            Some("/run/1/navi/status.json".into())
        );
        let home = Some(PathBuf::from("/home/u/.local/state/navi/status.json"));
        assert_eq!(summary(None), home, "as before: not XDG_STATE_HOME");
        assert_eq!(summary(Some("rel")), home);
    }

    #[test]
    fn no_home_and_no_variable_is_no_place() {
        let d = Dirs::default();
        assert_eq!(d.config_file("config.yaml"), None);
        assert_eq!(d.state_file("navi.log"), None);
        assert_eq!(d.runtime_file("status.json"), None);
    }
}
