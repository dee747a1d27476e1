//! Establishing a [`Connection`]: every jump host in turn, then the target, each an
//! authenticated SSH connection ([`Link`]) found in or added to the process-wide
//! [registry](super::registry) — so a bastion several remotes share, or a remote that
//! is also a bastion, is logged into once.
//!
//! Each link: TCP (or a `direct-tcpip` channel through the link before it), the SSH
//! handshake with its host key checked under its own `host`/`port`, and its own login
//! (its user, its keys, `IdentitiesOnly`, `IdentityAgent`). `ConnectTimeout` bounds the
//! TCP connect plus handshake of each; `ServerAliveInterval`/`ServerAliveCountMax`
//! are its keepalives. A link holds the one it runs through, so a bastion lives as
//! long as anything rides on it.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use navi_core::{Deadline, SourceError};
use russh::client::{self, Handle};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::link::Link;
use super::registry::{LinkKey, LINKS};
use crate::auth::{authenticate, Login};
use crate::config::{check_host, check_user, host_port, JumpHost, Remote, SshOptions};
use crate::error::{io_error, russh_error};
use crate::hostkey::{HostCheck, HostKeyVerifier, KeyPolicy};
use crate::target::Target;

/// SSH handshakes (TCP, key exchange and login) in flight at once, process-wide. With
/// hundreds of remotes, starting every handshake at once loads this machine and every
/// sshd's host until healthy remotes time out; in small batches each one is quick, and
/// the rest start as each ends.
pub(crate) const MAX_HANDSHAKES: usize = 16;

static HANDSHAKES: Semaphore = Semaphore::const_new(MAX_HANDSHAKES);

/// The largest SSH packet a remote may send us (russh's default is 32 KiB). russh reads
/// each packet into a buffer per connection that keeps its largest size, and queues up
/// to [`CHANNEL_QUEUE`] packets per channel before it stops reading the connection:
/// 16 KiB bounds both per remote; the per-packet overhead (about 50 bytes) stays under
/// 1 %.
pub(crate) const MAX_PACKET: u32 = 16 * 1024;

/// Packets russh queues per channel for a reader that has not taken them yet (its
/// default is 100, 3.2 MiB per channel at its default packet size; none of it counted
/// by the [budget](crate::budget)). Every channel navi opens is read as fast as it
/// arrives, so 16 (256 KiB at [`MAX_PACKET`]) only bounds the worst case.
pub(crate) const CHANNEL_QUEUE: usize = 16;

/// The channel window navi grants (russh's default is 2 MiB). russh grants more as
/// packets arrive, whether or not they have been read, so the window does not bound
/// memory ([`CHANNEL_QUEUE`] does); 512 KiB is about 5 MB/s per channel at a 100 ms
/// round trip, far more than status files and previews need.
pub(crate) const WINDOW: u32 = 512 * 1024;

/// A pool's use of the link to its target: the link, and whether this remote's last
/// poll on it was abandoned mid-answer. What the remote runs on it (its loops) the pool
/// keeps beside it, so this module knows no channel kind.
pub(crate) struct Connection {
    link: Arc<Link>,
    /// A poll was abandoned mid-answer: ping before the next one.
    pub(super) suspect: AtomicBool,
}

impl Deref for Connection {
    type Target = Link;

    fn deref(&self) -> &Link {
        &self.link
    }
}

/// One host to log into: where, as whom, with what, checked how.
struct Hop<'a> {
    host: &'a str,
    port: u16,
    user: &'a str,
    keys: Vec<PathBuf>,
    options: SshOptions,
    check: HostCheck,
    /// For messages: the remote and this place.
    target: Target,
    /// The remote's timeout (for timeout messages).
    timeout: Duration,
    /// Counts the connections this hop dials or tunnels (the target's, for
    /// [`SshSource::connections_opened`](crate::SshSource::connections_opened)).
    opened: Option<&'a AtomicU64>,
}

impl Hop<'_> {
    fn count_opened(&self) {
        if let Some(n) = self.opened {
            n.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn key(&self, route: &[(String, String, u16)]) -> LinkKey {
        LinkKey {
            route: route.to_vec(),
            user: self.user.to_string(),
            host: self.host.to_string(),
            port: self.port,
            keys: self.keys.clone(),
            identities_only: self.options.identities_only,
            agent: self.options.identity_agent.socket(),
            known_hosts: self.check.known_hosts.clone(),
        }
    }
}

/// The remote's jump host `j` as a hop (after checking its host and user).
fn jump_hop<'a>(
    r: &'a Remote,
    j: &'a JumpHost,
    options: SshOptions,
) -> Result<Hop<'a>, SourceError> {
    let (target, check) = bastion_parts(r, j)?;
    Ok(Hop {
        host: &j.host,
        port: j.port,
        user: &j.user,
        keys: j.keys_with(&r.keys),
        options,
        check,
        target,
        timeout: r.timeout,
        opened: None,
    })
}

/// The remote itself as a hop (after checking its host and user).
fn target_hop<'a>(r: &'a Remote, target: &Target) -> Result<Hop<'a>, SourceError> {
    check_host(&r.host).map_err(|m| SourceError::Config(target.detail(format!("host {m}"))))?;
    check_user(&r.user).map_err(|m| SourceError::Config(target.detail(format!("user {m}"))))?;
    Ok(Hop {
        host: &r.host,
        port: r.port,
        user: &r.user,
        keys: r.keys.clone(),
        options: r.options.clone(),
        check: HostCheck::of_remote(r),
        target: target.clone(),
        timeout: r.timeout,
        opened: None,
    })
}

/// The links of the remote's jump hosts, in order, each from the registry or new. A
/// link's error names the hop it is about.
pub(super) async fn connect_jumps(r: &Remote) -> Result<Option<(Arc<Link>, Target)>, SourceError> {
    let mut upstream: Option<(Arc<Link>, Target)> = None;
    let mut route = Vec::new();
    for (j, options) in r.jump_hosts() {
        let hop = jump_hop(r, j, options)?;
        let (link, _) = link_for(&hop, &route, upstream.as_ref()).await?;
        route.push((j.user.clone(), j.host.clone(), j.port));
        upstream = Some((link, hop.target));
    }
    Ok(upstream)
}

/// The live link of `hop` reached along `route` (through `upstream`), or a new one.
async fn link_for(
    hop: &Hop<'_>,
    route: &[(String, String, u16)],
    upstream: Option<&(Arc<Link>, Target)>,
) -> Result<(Arc<Link>, bool), SourceError> {
    LINKS
        .get_or_connect(hop.key(route), || open_link(hop, upstream))
        .await
}

/// Every jump host, then the target (each shared through the registry). `opened`
/// counts the connections to the target this pool dialled (or tunnelled).
pub(super) async fn connect(
    r: &Remote,
    target: &Target,
    opened: &AtomicU64,
) -> Result<Arc<Connection>, SourceError> {
    let hop = Hop {
        opened: Some(opened),
        ..target_hop(r, target)?
    };
    let upstream = connect_jumps(r).await?;
    let route: Vec<(String, String, u16)> = r
        .jump_hosts()
        .into_iter()
        .map(|(j, _)| (j.user.clone(), j.host.clone(), j.port))
        .collect();
    let (link, new) = link_for(&hop, &route, upstream.as_ref()).await?;
    if new {
        tracing::info!(remote = %r.name, "connected");
    } else {
        tracing::info!(remote = %r.name, "using the live connection to {}", hop.target.place);
    }
    Ok(Arc::new(Connection {
        link,
        suspect: AtomicBool::new(false),
    }))
}

/// A byte stream an SSH session runs over: TCP, or a `direct-tcpip` channel of a jump.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A new link to `hop`: dialled, or through `upstream`'s tunnel; handshake (bounded by
/// `ConnectTimeout`), then login.
async fn open_link(
    hop: &Hop<'_>,
    upstream: Option<&(Arc<Link>, Target)>,
) -> Result<Arc<Link>, SourceError> {
    // Never closed, so acquiring cannot fail; if it did, connect unthrottled.
    let _turn = HANDSHAKES.acquire().await.ok();
    let dead = Arc::new(AtomicBool::new(false));
    let policy = KeyPolicy::Verify(hop.check.clone());
    let reach = async {
        // Dialled directly or tunnelled through the hop before: one handshake either way.
        let stream: Box<dyn Stream> = match upstream {
            None => Box::new(dial(hop.host, hop.port, &hop.target, hop.timeout).await?),
            Some((up, up_target)) => {
                Box::new(open_tunnel(&up.handle, hop.host, hop.port, up_target, hop.timeout).await?)
            }
        };
        hop.count_opened();
        handshake(
            stream,
            policy,
            &hop.options,
            dead.clone(),
            &hop.target,
            hop.timeout,
        )
        .await
    };
    let mut handle = match hop.options.connect_timeout {
        Some(limit) => Deadline::within(limit, reach).await.map_err(|_| {
            SourceError::timeout_while(
                limit,
                format!(
                    "connecting to {} (TCP and SSH handshake; ~/.ssh/config ConnectTimeout)",
                    hop.target
                ),
            )
        })??,
        None => reach.await?,
    };
    let login = Login {
        user: hop.user,
        target: &hop.target,
    };
    authenticate(
        &mut handle,
        &login,
        &hop.keys,
        hop.options.identity_agent.socket(),
        hop.options.identities_only,
    )
    .await?;
    Ok(Arc::new(Link::new(
        handle,
        upstream.map(|(l, _)| l.clone()),
        dead,
    )))
}

/// The jump host as a [`Target`] for messages, after checking its host and user, and
/// the check of its host key.
pub(super) fn bastion_parts(r: &Remote, j: &JumpHost) -> Result<(Target, HostCheck), SourceError> {
    let jump = Target::jump(r, j);
    check_host(&j.host).map_err(|m| SourceError::Config(jump.detail(format!("host {m}"))))?;
    check_user(&j.user).map_err(|m| SourceError::Config(jump.detail(format!("user {m}"))))?;
    Ok((jump, HostCheck::of_jump(r, j)))
}

/// A `direct-tcpip` channel from the bastion (`through`, named `jump` in errors) to
/// `host:port`.
pub(super) async fn open_tunnel(
    through: &Handle<HostKeyVerifier>,
    host: &str,
    port: u16,
    jump: &Target,
    timeout: Duration,
) -> Result<russh::ChannelStream<client::Msg>, SourceError> {
    through
        .channel_open_direct_tcpip(host.to_string(), u32::from(port), "127.0.0.1", 0)
        .await
        .map(|ch| ch.into_stream())
        .map_err(|e| forward_error(e, jump, host, port, timeout))
}

fn forward_error(
    e: russh::Error,
    jump: &Target,
    host: &str,
    port: u16,
    timeout: Duration,
) -> SourceError {
    let target = host_port(host, port);
    match e {
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::ConnectFailed) => {
            SourceError::Refused(jump.detail(format!("could not connect to {target}")))
        }
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::AdministrativelyProhibited) => {
            SourceError::Refused(jump.detail(format!(
                "refused to forward to {target} (AllowTcpForwarding/PermitOpen on the bastion?)"
            )))
        }
        other => russh_error(other, jump, &format!("forwarding to {target}"), timeout),
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

/// The SSH handshake over `stream`, verifying the host key.
async fn handshake<S>(
    stream: S,
    policy: KeyPolicy,
    options: &SshOptions,
    dead: Arc<AtomicBool>,
    target: &Target,
    timeout: Duration,
) -> Result<Handle<HostKeyVerifier>, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = client_config(&policy, options).await;
    client::connect_stream(config, stream, HostKeyVerifier::new(policy, dead))
        .await
        .map_err(|e| e.into_source(target, "", timeout))
}

/// Keepalives as `options` say (`ServerAliveInterval` zero: none), no inactivity
/// timeout, TCP_NODELAY, host key types known for the host preferred, packets, queues
/// and windows bounded ([`MAX_PACKET`], [`CHANNEL_QUEUE`], [`WINDOW`]).
pub(super) async fn client_config(policy: &KeyPolicy, options: &SshOptions) -> Arc<client::Config> {
    let interval = options.server_alive_interval;
    let mut c = client::Config {
        keepalive_interval: (!interval.is_zero()).then_some(interval),
        keepalive_max: usize::try_from(options.server_alive_count_max.max(1)).unwrap_or(3),
        inactivity_timeout: None,
        nodelay: true,
        maximum_packet_size: MAX_PACKET,
        channel_buffer_size: CHANNEL_QUEUE,
        window_size: WINDOW,
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
