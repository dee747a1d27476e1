//! Which sources navi watches: the configured ones (local directory + remotes.yaml) or the
//! demo set. Both are a [`SourceSet`] the commands wire the same way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use navi_core::{Aggregator, DynSessionSource, SourceOptions};
use navi_source_local::plugin::PluginSource;
use navi_source_local::LocalSource;
use navi_source_ssh::{ConfigError, LoadedRemotes, Remote, SshSource};

use crate::cli::Paths;
use crate::config::SettingsError;

/// One problem in navi's configuration, kept structured up to where it is printed
/// (`navi list` and `navi remotes` on stderr, the dashboard's header and problems list).
/// Each names its file and, where known, its remote and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigProblem {
    /// An entry (or the whole file) of remotes.yaml, or of `~/.ssh/config`.
    Remotes(ConfigError),
    /// navi's own settings file, config.yaml.
    Settings(SettingsError),
}

impl ConfigProblem {
    /// The remote the problem is about, when it is about one entry of remotes.yaml.
    pub fn remote(&self) -> Option<&str> {
        match self {
            ConfigProblem::Remotes(e) => Some(&e.remote),
            ConfigProblem::Settings(_) => None,
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigProblem::Remotes(e) => e.fmt(f),
            ConfigProblem::Settings(e) => e.fmt(f),
        }
    }
}

/// The sources of one navi run and what the user should know about them.
#[derive(Debug, Default)]
pub struct SourceSet {
    /// Each source with its poll options, local first, then remotes in file order.
    pub sources: Vec<(DynSessionSource, SourceOptions)>,
    /// The remotes that were configured (empty in demo mode).
    pub remotes: Vec<Remote>,
    /// The names of the source plugins of config.yaml's `sources:`.
    pub plugins: Vec<String>,
    /// The problems of the remotes file (and, for `navi list`, of config.yaml).
    pub config_errors: Vec<ConfigProblem>,
    /// The local status directory, for the "no sessions" hint.
    pub sessions_dir: PathBuf,
    /// The remotes file that was read (or would be), if any.
    pub remotes_file: Option<PathBuf>,
    /// Demo data: attaching only says what it would run.
    pub demo: bool,
    /// Polls to run before the first one that counts (the demo uses one so a remote has
    /// data before it goes offline and its stale rows show).
    pub warm_up_polls: usize,
}

impl SourceSet {
    /// The local status directory plus one SSH source per valid remote. Config errors
    /// are collected, never fatal: the valid remotes still run.
    pub fn configured(paths: &Paths) -> anyhow::Result<SourceSet> {
        let sessions_dir = sessions_dir(paths)?;
        let remotes_file = remotes_file(paths);
        let loaded = match &remotes_file {
            Some(file) => load_remotes(file),
            None => LoadedRemotes::default(),
        };
        let mut set = SourceSet {
            sessions_dir: sessions_dir.clone(),
            remotes_file,
            config_errors: loaded
                .errors
                .into_iter()
                .map(ConfigProblem::Remotes)
                .collect(),
            ..SourceSet::default()
        };
        set.sources.push((
            Arc::new(LocalSource::new(sessions_dir).with_tmux_check()) as DynSessionSource,
            navi_source_local::LocalSource::OPTIONS,
        ));
        for remote in loaded.remotes {
            let source = SshSource::new(remote.clone());
            let options = source.options();
            set.sources.push((Arc::new(source), options));
            set.remotes.push(remote);
        }
        set.add_plugins(paths);
        Ok(set)
    }

    /// One [`PluginSource`] per `sources:` entry of config.yaml (its problems are
    /// reported with the rest of config.yaml's); a name a remote already has is refused.
    fn add_plugins(&mut self, paths: &Paths) {
        let Some(file) = settings_file(paths) else {
            return;
        };
        let plugins = crate::config::load(&file).settings.sources;
        for (i, plugin) in plugins.into_iter().enumerate() {
            if self.remotes.iter().any(|r| r.name == plugin.name) {
                self.config_errors
                    .push(ConfigProblem::Settings(SettingsError {
                        file: file.clone(),
                        field: Some(format!("sources[{i}].name")),
                        message: format!(
                            "{:?} is a remote's name in remotes.yaml too; this plugin is left out",
                            plugin.name
                        ),
                    }));
                continue;
            }
            self.plugins.push(plugin.name.clone());
            self.sources.push((
                Arc::new(PluginSource::new(plugin.name, plugin.command)) as DynSessionSource,
                PluginSource::OPTIONS,
            ));
        }
    }

    /// Only the remotes of [`configured`](SourceSet::configured) (for `navi remotes`).
    pub fn remotes_only(paths: &Paths) -> anyhow::Result<SourceSet> {
        let mut set = SourceSet::configured(paths)?;
        let remotes: Vec<String> = set.remotes.iter().map(|r| r.name.clone()).collect();
        set.sources
            .retain(|(s, _)| s.label().is_some_and(|l| remotes.iter().any(|r| r == l)));
        Ok(set)
    }

    /// Adds the problems of config.yaml to those of the remotes file.
    pub fn add_settings_errors(&mut self, errors: impl IntoIterator<Item = SettingsError>) {
        self.config_errors
            .extend(errors.into_iter().map(ConfigProblem::Settings));
    }

    /// The problems of the remotes.yaml entry named `name` (an entry that did not load
    /// cannot be a remote, so these say why).
    pub fn errors_for_remote<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a ConfigProblem> + 'a {
        self.config_errors
            .iter()
            .filter(move |e| e.remote().map(str::trim) == Some(name))
    }

    /// `navi: config: PROBLEM`, one line each, sanitized (the one-shot commands' stderr).
    pub fn write_config_errors(&self, err: &mut dyn Write) -> std::io::Result<()> {
        for e in &self.config_errors {
            writeln!(
                err,
                "navi: config: {}",
                navi_core::text::sanitize(&e.to_string())
            )?;
        }
        Ok(())
    }

    /// An aggregator over these sources.
    pub fn aggregator(&self) -> Aggregator {
        let mut agg = Aggregator::new();
        for (source, options) in &self.sources {
            agg.add_source(source.clone(), *options);
        }
        agg
    }

    /// One snapshot for the one-shot commands: every source polled once, concurrently,
    /// each bounded by its own timeout (after the demo's warm-up polls).
    pub async fn poll_once(&self) -> navi_core::Snapshot {
        let mut aggregator = self.aggregator();
        for _ in 0..self.warm_up_polls {
            aggregator.poll_once().await;
        }
        aggregator.poll_once().await
    }
}

/// Reads remotes.yaml. A file that does not exist is no remotes (checked here too, so
/// a missing file never reaches the parser).
fn load_remotes(file: &Path) -> LoadedRemotes {
    if !file.exists() {
        tracing::debug!(file = %file.display(), "no remotes file");
        return LoadedRemotes::default();
    }
    let loaded = navi_source_ssh::load_remotes(file);
    for e in &loaded.errors {
        tracing::warn!("{e}");
    }
    loaded
}

/// `--sessions-dir`, `NAVI_SESSIONS_DIR` or `~/.claude-sessions`.
pub fn sessions_dir(paths: &Paths) -> anyhow::Result<PathBuf> {
    match crate::cli::given(&paths.sessions_dir) {
        Some(dir) => Ok(expand_tilde(dir)),
        None => LocalSource::default_dir().context(
            "cannot find the home directory for ~/.claude-sessions; pass --sessions-dir DIR \
             or set NAVI_SESSIONS_DIR",
        ),
    }
}

/// `--remotes`, `NAVI_REMOTES`, `$XDG_CONFIG_HOME/navi/remotes.yaml` or
/// `~/.config/navi/remotes.yaml`.
pub fn remotes_file(paths: &Paths) -> Option<PathBuf> {
    match crate::cli::given(&paths.remotes) {
        Some(file) => Some(expand_tilde(file)),
        None => crate::paths::remotes_yaml(),
    }
}

/// config.yaml: `--config`, `NAVI_CONFIG` or the default place.
fn settings_file(paths: &Paths) -> Option<PathBuf> {
    match crate::cli::given(&paths.config) {
        Some(file) => Some(expand_tilde(file)),
        None => crate::config::default_path(),
    }
}

/// The user's settings: `--config`, `NAVI_CONFIG` or the default config.yaml.
pub fn settings(paths: &Paths) -> crate::config::Loaded {
    let file = settings_file(paths);
    let loaded = file.map(|f| crate::config::load(&f)).unwrap_or_default();
    for e in &loaded.errors {
        tracing::warn!("{e}");
    }
    loaded
}

/// Expands a leading `~` to this user's home (paths from environment variables are not
/// expanded by a shell); see [`navi_core::text::expand_home`].
pub fn expand_tilde(p: &Path) -> PathBuf {
    navi_core::text::expand_home(p, std::env::home_dir().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_without_remotes_file_is_local_only() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            sessions_dir: Some(dir.path().to_path_buf()),
            remotes: Some(dir.path().join("missing.yaml")),
            log_file: None,
            config: None,
        };
        let set = SourceSet::configured(&paths).unwrap();
        assert_eq!(set.sources.len(), 1);
        assert!(set.sources[0].0.label().is_none());
        assert_eq!(set.sources[0].1, navi_source_local::LocalSource::OPTIONS);
        assert!(set.config_errors.is_empty() && !set.demo);
        assert_eq!(set.sessions_dir, dir.path());
    }

    #[test]
    fn config_problems_stay_structured_until_printed() {
        let remote_error = |remote: &str, field: &str| {
            ConfigProblem::Remotes(ConfigError {
                file: "/x/remotes.yaml".into(),
                remote: remote.into(),
                field: field.into(),
                message: "is wrong".into(),
            })
        };
        let mut set = SourceSet {
            config_errors: vec![
                remote_error("dev-server", "host"),
                remote_error("dev", "port"),
            ],
            ..SourceSet::default()
        };
        set.add_settings_errors([SettingsError {
            file: "/x/dev/config.yaml".into(),
            field: Some("layout".into()),
            message: "\"dev\" is not one of auto, roomy or compact; ignored".into(),
        }]);
        let dev: Vec<String> = set
            .errors_for_remote("dev")
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            dev,
            ["/x/remotes.yaml: remote \"dev\": field `port`: is wrong"],
            "only the entry named dev, not dev-server nor a settings problem naming dev"
        );
        assert_eq!(set.errors_for_remote("staging").count(), 0);

        let mut err = Vec::new();
        set.write_config_errors(&mut err).unwrap();
        let err = String::from_utf8(err).unwrap();
        assert_eq!(err.lines().count(), 3, "{err}");
        assert!(
            err.ends_with(
                "navi: config: /x/dev/config.yaml: field `layout`: \"dev\" is not one of \
                 auto, roomy or compact; ignored\n"
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_paths_mean_the_defaults() {
        use clap::Parser as _;
        let cli =
            crate::Cli::try_parse_from(["navi", "--sessions-dir", "", "--remotes", ""]).unwrap();
        assert_eq!(
            sessions_dir(&cli.paths).ok(),
            LocalSource::default_dir(),
            "empty --sessions-dir"
        );
        assert_eq!(remotes_file(&cli.paths), crate::paths::remotes_yaml());
        let cli = crate::Cli::try_parse_from(["navi", "--sessions-dir", "/x"]).unwrap();
        assert_eq!(sessions_dir(&cli.paths).unwrap(), PathBuf::from("/x"));
    }

    #[test]
    fn tilde_expansion() {
        assert_eq!(expand_tilde(Path::new("/abs")), PathBuf::from("/abs"));
        if let Some(home) = std::env::home_dir() {
            assert_eq!(expand_tilde(Path::new("~/x")), home.join("x"));
        }
    }
}
