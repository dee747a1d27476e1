//! What configuration takes from the local machine: the home directory, the default
//! login user, the OpenSSH client config's location and the standard key files.

use std::path::{Path, PathBuf};

/// The parts of the process environment configuration depends on; injectable for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// The local home directory: `~` in local paths (key, known_hosts) expands to it.
    pub home: Option<PathBuf>,
    /// The OpenSSH client config to resolve host aliases with (`None`: don't).
    pub ssh_config: Option<PathBuf>,
    /// The default login user (`$USER`, else `$LOGNAME`, else the account of this
    /// process's uid in `/etc/passwd`, as OpenSSH does).
    pub user: Option<String>,
}

impl Env {
    /// The real environment: `$HOME`, `$HOME/.ssh/config`, `$USER`/`$LOGNAME` (or the
    /// passwd entry of the current uid when neither is set, e.g. under cron or su).
    pub fn from_process() -> Env {
        let home = std::env::home_dir();
        let user = ["USER", "LOGNAME"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|u| !u.is_empty())
            .or_else(current_account);
        Env {
            ssh_config: home.as_ref().map(|h| h.join(".ssh/config")),
            home,
            user,
        }
    }
}

/// The login name of this process's uid (from `/proc/self` and `/etc/passwd`).
fn current_account() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    account_for_uid(&passwd, uid)
}

/// The name of the first `/etc/passwd` entry with this uid.
pub(super) fn account_for_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let entry_uid: u32 = fields.nth(1)?.parse().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`: those that exist.
pub(super) fn default_keys(home: Option<&Path>) -> Vec<PathBuf> {
    let Some(home) = home else {
        return Vec::new();
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|k| home.join(".ssh").join(k))
        .filter(|p| p.is_file())
        .collect()
}

pub(super) fn default_known_hosts(home: Option<&Path>) -> PathBuf {
    match home {
        Some(h) => h.join(".ssh/known_hosts"),
        None => PathBuf::from("~/.ssh/known_hosts"),
    }
}

/// OpenSSH's default `UserKnownHostsFile`: `~/.ssh/known_hosts ~/.ssh/known_hosts2`.
pub(super) fn default_user_known_hosts(home: Option<&Path>) -> Vec<PathBuf> {
    let second = match home {
        Some(h) => h.join(".ssh/known_hosts2"),
        None => PathBuf::from("~/.ssh/known_hosts2"),
    };
    vec![default_known_hosts(home), second]
}

/// The files read after the first by default: `~/.ssh/known_hosts2`, then the default
/// global files.
pub(super) fn default_other_known_hosts(home: Option<&Path>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = default_user_known_hosts(home).into_iter().skip(1).collect();
    files.extend(default_global_known_hosts());
    files
}

/// OpenSSH's default `GlobalKnownHostsFile`.
pub(super) fn default_global_known_hosts() -> Vec<PathBuf> {
    vec![
        PathBuf::from("/etc/ssh/ssh_known_hosts"),
        PathBuf::from("/etc/ssh/ssh_known_hosts2"),
    ]
}
