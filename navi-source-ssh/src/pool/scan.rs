//! The host-key scan of `navi remotes trust`: connect far enough to read the key the
//! server presents, authenticate to nothing (except a trusted bastion), write nothing.
//! The key comes back with its status in the remote's known_hosts files.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use navi_core::SourceError;
use russh::client;
use russh::keys::PublicKey;
use tokio::io::{AsyncRead, AsyncWrite};

use super::connect::{
    agent_socket, bastion_parts, client_config, dial, login_bastion, open_tunnel,
};
use crate::config::{check_host, Remote};
use crate::error::SshError;
use crate::hostkey::{HostCheck, HostKeyVerifier, KeyPolicy, ScannedHostKey};
use crate::target::Target;

/// The scan for `navi remotes trust`: the target's key (through a verified, logged-in
/// bastion), or the bastion's own key while the bastion is not yet trusted.
pub(crate) async fn scan(r: &Remote) -> Result<ScannedHostKey, SourceError> {
    let target = Target::remote(r);
    check_host(&r.host).map_err(|m| SourceError::Config(target.detail(format!("host {m}"))))?;
    let Some(j) = &r.jump else {
        let tcp = dial(&r.host, r.port, &target, r.timeout).await?;
        return scan_stream(tcp, HostCheck::of_remote(r), r, &target).await;
    };
    let (jump, check) = bastion_parts(r, j)?;
    let tcp = dial(&j.host, j.port, &jump, r.timeout).await?;
    let policy = KeyPolicy::Verify(check);
    let config = client_config(&policy).await;
    let verifier = HostKeyVerifier::new(policy, Arc::new(AtomicBool::new(false)));
    let seen = verifier.seen();
    let mut bastion = match client::connect_stream(config, tcp, verifier).await {
        Ok(b) => b,
        Err(SshError::UnknownHostKey(m)) => {
            // The bastion must be trusted first (an unverified bastion could fake the
            // target's key): hand back its key.
            return match take_seen(&seen) {
                Some(key) => scanned(&j.host, j.port, &key, r, true, &jump).await,
                None => Err(SourceError::HostKey(m.into())),
            };
        }
        Err(e) => return Err(e.into_source(&jump, "", r.timeout)),
    };
    login_bastion(&mut bastion, r, j, &jump, agent_socket()).await?;
    let tunnel = open_tunnel(&bastion, r, &jump).await?;
    scan_stream(tunnel, HostCheck::of_remote(r), r, &target).await
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
    is_jump_host: bool,
    target: &Target,
) -> Result<ScannedHostKey, SourceError> {
    let (host, key, files) = (host.to_string(), key.clone(), r.known_hosts_files());
    tokio::task::spawn_blocking(move || {
        ScannedHostKey::new(&host, port, &key, &files, is_jump_host)
    })
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
) -> Result<ScannedHostKey, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (host, port) = (check.host.clone(), check.port);
    let mut config = client_config(&KeyPolicy::Verify(check)).await;
    match Arc::get_mut(&mut config) {
        Some(c) => c.preferred.host_key_certificates = Vec::new().into(),
        None => config = client_config(&KeyPolicy::Scan).await,
    }
    let verifier = HostKeyVerifier::new(KeyPolicy::Scan, Arc::new(AtomicBool::new(false)));
    let seen = verifier.seen();
    let res = client::connect_stream(config, stream, verifier).await;
    match (take_seen(&seen), res) {
        (Some(key), _) => scanned(&host, port, &key, r, false, target).await,
        (None, Err(e)) => Err(e.into_source(target, "", r.timeout)),
        (None, Ok(_)) => Err(SourceError::HostKey(
            target.detail("the server presented no host key"),
        )),
    }
}
