//! Establishing a [`Connection`]: TCP (or a `direct-tcpip` channel through the jump
//! host), the SSH handshake with its host key check, and the key login.
//!
//! With a jump host the bastion is connected and authenticated first (its own host key,
//! checked under its own `host`/`port`; its own keys, then the remote's); the target's
//! session runs over a channel on it. The bastion's handle lives as long as the
//! target's.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use navi_core::SourceError;
use russh::client::{self, Handle};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};

use super::snapshot::LoopChannel;
use crate::auth::{authenticate, Login};
use crate::config::{check_host, check_user, host_port, JumpHost, Remote};
use crate::error::{io_error, russh_error};
use crate::hostkey::{HostCheck, HostKeyVerifier, KeyPolicy};
use crate::target::Target;

/// Channels open at once on one connection (sshd's default `MaxSessions`).
pub(crate) const MAX_CHANNELS: usize = 10;
/// Idle time before a keepalive is sent.
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Unanswered keepalives before the connection counts as dead.
pub(crate) const KEEPALIVE_MAX: usize = 3;

/// One live SSH session to the target (through its bastion, if any).
pub(crate) struct Connection {
    pub(super) handle: Handle<HostKeyVerifier>,
    /// Kept alive as long as the target: the target's transport runs through it.
    _bastion: Option<Handle<HostKeyVerifier>>,
    dead: Arc<AtomicBool>,
    /// A poll was abandoned mid-answer: ping before the next one.
    pub(super) suspect: AtomicBool,
    /// One permit per channel open at once ([`MAX_CHANNELS`]).
    pub(super) channels: Arc<Semaphore>,
    /// The long-lived snapshot loop, while it works.
    pub(super) loop_channel: Mutex<Option<LoopChannel>>,
    /// Loop channels that failed before their first answer.
    pub(super) loop_failures: AtomicU32,
}

impl Connection {
    pub(super) fn alive(&self) -> bool {
        !self.dead.load(Ordering::SeqCst) && !self.handle.is_closed()
    }

    pub(super) fn mark_dead(&self) {
        self.dead.store(true, Ordering::SeqCst);
    }
}

/// TCP (or the bastion's tunnel), handshake with host key check, login. `opened`
/// counts the connections made to the target.
pub(super) async fn connect(
    r: &Remote,
    target: &Target,
    opened: &AtomicU64,
) -> Result<Arc<Connection>, SourceError> {
    check_host(&r.host).map_err(|m| SourceError::Config(target.detail(format!("host {m}"))))?;
    check_user(&r.user).map_err(|m| SourceError::Config(target.detail(format!("user {m}"))))?;
    let dead = Arc::new(AtomicBool::new(false));
    let agent = agent_socket();
    let policy = KeyPolicy::Verify(HostCheck::of_remote(r));
    let (mut handle, bastion) = match &r.jump {
        None => {
            let tcp = dial(&r.host, r.port, target, r.timeout).await?;
            opened.fetch_add(1, Ordering::SeqCst);
            let h = handshake(tcp, policy, dead.clone(), target, r.timeout).await?;
            (h, None)
        }
        Some(j) => {
            let (bastion, jump) = connect_bastion(r, j, dead.clone(), agent.clone()).await?;
            let tunnel = open_tunnel(&bastion, r, &jump).await?;
            opened.fetch_add(1, Ordering::SeqCst);
            let h = handshake(tunnel, policy, dead.clone(), target, r.timeout).await?;
            (h, Some(bastion))
        }
    };
    let login = Login {
        user: &r.user,
        target,
    };
    authenticate(&mut handle, &login, &r.keys, agent).await?;
    tracing::info!(remote = %r.name, "connected");
    Ok(Arc::new(Connection {
        handle,
        _bastion: bastion,
        dead,
        suspect: AtomicBool::new(false),
        channels: Arc::new(Semaphore::new(MAX_CHANNELS)),
        loop_channel: Mutex::new(None),
        loop_failures: AtomicU32::new(0),
    }))
}

/// The jump host as a [`Target`] for messages, after checking its host and user, and
/// the check of its host key.
pub(super) fn bastion_parts(r: &Remote, j: &JumpHost) -> Result<(Target, HostCheck), SourceError> {
    let jump = Target::jump(r, j);
    check_host(&j.host).map_err(|m| SourceError::Config(jump.detail(format!("host {m}"))))?;
    check_user(&j.user).map_err(|m| SourceError::Config(jump.detail(format!("user {m}"))))?;
    Ok((jump, HostCheck::of_jump(r, j)))
}

/// The bastion's session, authenticated with its own keys (if any), then the remote's.
async fn connect_bastion(
    r: &Remote,
    j: &JumpHost,
    dead: Arc<AtomicBool>,
    agent: Option<PathBuf>,
) -> Result<(Handle<HostKeyVerifier>, Target), SourceError> {
    let (jump, check) = bastion_parts(r, j)?;
    let tcp = dial(&j.host, j.port, &jump, r.timeout).await?;
    let mut b = handshake(tcp, KeyPolicy::Verify(check), dead, &jump, r.timeout).await?;
    login_bastion(&mut b, r, j, &jump, agent).await?;
    Ok((b, jump))
}

/// Logs into the bastion `j` as its user, with its keys, then the remote's.
pub(super) async fn login_bastion(
    b: &mut Handle<HostKeyVerifier>,
    r: &Remote,
    j: &JumpHost,
    jump: &Target,
    agent: Option<PathBuf>,
) -> Result<(), SourceError> {
    let login = Login {
        user: &j.user,
        target: jump,
    };
    authenticate(b, &login, &j.keys_with(&r.keys), agent).await
}

/// A `direct-tcpip` channel from the bastion to the remote's sshd.
pub(super) async fn open_tunnel(
    bastion: &Handle<HostKeyVerifier>,
    r: &Remote,
    jump: &Target,
) -> Result<russh::ChannelStream<client::Msg>, SourceError> {
    bastion
        .channel_open_direct_tcpip(r.host.clone(), u32::from(r.port), "127.0.0.1", 0)
        .await
        .map(|ch| ch.into_stream())
        .map_err(|e| forward_error(e, jump, r))
}

fn forward_error(e: russh::Error, jump: &Target, r: &Remote) -> SourceError {
    let target = host_port(&r.host, r.port);
    match e {
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::ConnectFailed) => {
            SourceError::Refused(jump.detail(format!("could not connect to {target}")))
        }
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::AdministrativelyProhibited) => {
            SourceError::Refused(jump.detail(format!(
                "refused to forward to {target} (AllowTcpForwarding/PermitOpen on the bastion?)"
            )))
        }
        other => russh_error(other, jump, &format!("forwarding to {target}"), r.timeout),
    }
}

/// Resolves and dials `host:port` (TCP_NODELAY on); errors are about `target`.
pub(super) async fn dial(
    host: &str,
    port: u16,
    target: &Target,
    timeout: Duration,
) -> Result<TcpStream, SourceError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SourceError::Dns(target.detail(format!("{host}: {e}"))))?
        .collect();
    if addrs.is_empty() {
        return Err(SourceError::Dns(
            target.detail(format!("{host} has no address")),
        ));
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => io_error(e, target, "", timeout),
        None => SourceError::Refused(target.detail("no address could be reached")),
    })
}

/// The SSH handshake over `stream`, verifying (or scanning) the host key.
pub(super) async fn handshake<S>(
    stream: S,
    policy: KeyPolicy,
    dead: Arc<AtomicBool>,
    target: &Target,
    timeout: Duration,
) -> Result<Handle<HostKeyVerifier>, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = client_config(&policy).await;
    client::connect_stream(config, stream, HostKeyVerifier::new(policy, dead))
        .await
        .map_err(|e| e.into_source(target, "", timeout))
}

/// Keepalives on, no inactivity timeout, TCP_NODELAY, host key types known for the
/// host preferred.
pub(super) async fn client_config(policy: &KeyPolicy) -> Arc<client::Config> {
    let mut c = client::Config {
        keepalive_interval: Some(KEEPALIVE_INTERVAL),
        keepalive_max: KEEPALIVE_MAX,
        inactivity_timeout: None,
        nodelay: true,
        ..client::Config::default()
    };
    if let KeyPolicy::Verify(check) = policy {
        let check = check.clone();
        if let Ok(pref) = tokio::task::spawn_blocking(move || check.preferred()).await {
            c.preferred = pref;
        }
    }
    Arc::new(c)
}

/// The ssh-agent's socket, when `SSH_AUTH_SOCK` names one.
pub(super) fn agent_socket() -> Option<PathBuf> {
    std::env::var_os("SSH_AUTH_SOCK")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}
