//! The host-key scan of `navi remotes trust`: connect far enough to read the key the
//! server presents, authenticate to nothing (except a trusted bastion), write nothing.
//! The key comes back with its status in the remote's known_hosts files.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use navi_core::SourceError;
use russh::client;
use russh::keys::PublicKey;
use tokio::io::{AsyncRead, AsyncWrite};

use super::connect::{bastion_parts, client_config, connect_jumps, dial, open_tunnel};
use super::link::Link;
use crate::config::{check_host, Remote, SshOptions};
use crate::hostkey::{HostCheck, HostKeyVerifier, KeyPolicy, ScannedHostKey};
use crate::target::Target;

/// The scan for `navi remotes trust`: the target's key (through verified, logged-in
/// jump hosts), or the key of the first jump host that is not yet trusted.
///
/// The jump hosts are reached as a poll reaches them (through the shared links, so a
/// bastion that is already connected is not logged into again); the first one whose
/// host key is refused is scanned instead, through the hops before it.
pub(crate) async fn scan(r: &Remote) -> Result<ScannedHostKey, SourceError> {
    let target = Target::remote(r);
    check_host(&r.host).map_err(|m| SourceError::Config(target.detail(format!("host {m}"))))?;
    let hops = r.jump_hosts();
    let mut upstream: Option<(Arc<Link>, Target)> = None;
    for (i, (j, _)) in hops.iter().enumerate() {
        let prefix = Remote {
            further_jumps: r.further_jumps.iter().take(i).cloned().collect(),
            ..r.clone()
        };
        match connect_jumps(&prefix).await {
            Ok(up) => upstream = up,
            Err(SourceError::HostKey(m)) => {
                // An unverified bastion could fake every key behind it: scan it first.
                let (jump, check) = bastion_parts(r, j)?;
                let stream = reach(r, &j.host, j.port, &jump, upstream.as_ref()).await;
                return match stream {
                    Ok(Stream::Tcp(s)) => scan_stream(s, check, r, &jump, Some(i)).await,
                    Ok(Stream::Tunnel(s)) => scan_stream(s, check, r, &jump, Some(i)).await,
                    Err(_) => Err(SourceError::HostKey(m)),
                };
            }
            Err(e) => return Err(e),
        }
    }
    let check = HostCheck::of_remote(r);
    match reach(r, &r.host, r.port, &target, upstream.as_ref()).await? {
        Stream::Tcp(s) => scan_stream(s, check, r, &target, None).await,
        Stream::Tunnel(s) => scan_stream(s, check, r, &target, None).await,
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Tunnel(russh::ChannelStream<client::Msg>),
}

/// `host:port`, dialled or through `upstream`.
async fn reach(
    r: &Remote,
    host: &str,
    port: u16,
    target: &Target,
    upstream: Option<&(Arc<Link>, Target)>,
) -> Result<Stream, SourceError> {
    match upstream {
        None => dial(host, port, target, r.timeout).await.map(Stream::Tcp),
        Some((link, up_target)) => open_tunnel(&link.handle, host, port, up_target, r.timeout)
            .await
            .map(Stream::Tunnel),
    }
}

fn take_seen(seen: &std::sync::Mutex<Option<PublicKey>>) -> Option<PublicKey> {
    match seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// The typed result: the key, its known_hosts line and its status in `r`'s files
/// (read off the async threads).
async fn scanned(
    host: &str,
    port: u16,
    key: &PublicKey,
    r: &Remote,
    jump_hop: Option<usize>,
    target: &Target,
) -> Result<ScannedHostKey, SourceError> {
    let (host, key, files) = (host.to_string(), key.clone(), r.known_hosts_files());
    tokio::task::spawn_blocking(move || ScannedHostKey::new(&host, port, &key, &files, jump_hop))
        .await
        .map_err(|e| format!("reading known_hosts failed: {e}"))
        .and_then(|r| r)
        .map_err(|m| SourceError::HostKey(target.detail(m)))
}

/// The key the server at the end of `stream` presents (`check` names the host in
/// known_hosts). The host key types known_hosts lists for the host are asked for first,
/// as a verifying connection does, so the scan sees the key a connection would; never a
/// certificate (trust writes plain keys).
async fn scan_stream<S>(
    stream: S,
    check: HostCheck,
    r: &Remote,
    target: &Target,
    jump_hop: Option<usize>,
) -> Result<ScannedHostKey, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (host, port) = (check.host.clone(), check.port);
    let options = SshOptions::default();
    let mut config = client_config(&KeyPolicy::Verify(check), &options).await;
    match Arc::get_mut(&mut config) {
        Some(c) => c.preferred.host_key_certificates = Vec::new().into(),
        None => config = client_config(&KeyPolicy::Scan, &options).await,
    }
    let verifier = HostKeyVerifier::new(KeyPolicy::Scan, Arc::new(AtomicBool::new(false)));
    let seen = verifier.seen();
    let res = client::connect_stream(config, stream, verifier).await;
    match (take_seen(&seen), res) {
        (Some(key), _) => scanned(&host, port, &key, r, jump_hop, target).await,
        (None, Err(e)) => Err(e.into_source(target, "", r.timeout)),
        (None, Ok(_)) => Err(SourceError::HostKey(
            target.detail("the server presented no host key"),
        )),
    }
}
