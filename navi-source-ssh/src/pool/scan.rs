//! The host-key scan of `navi remotes trust`: connect far enough to read the key the
//! server presents, authenticate to nothing (except a trusted bastion), write nothing.

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
use crate::hostkey::{HostKeyVerifier, KeyPolicy, ScannedHostKey};
use crate::target::Target;

/// The scan for `navi remotes trust`: the target's key (through a verified, logged-in
/// bastion), or the bastion's own key while the bastion is not yet trusted.
pub(crate) async fn scan(r: &Remote) -> Result<ScannedHostKey, SourceError> {
    let target = Target::remote(r);
    check_host(&r.host).map_err(|m| SourceError::Config(target.detail(format!("host {m}"))))?;
    let Some(j) = &r.jump else {
        let tcp = dial(&r.host, r.port, &target, r.timeout).await?;
        return scan_stream(tcp, &r.host, r.port, r, &target).await;
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
                Some(key) => Ok(ScannedHostKey::new(&j.host, j.port, &key, &r.known_hosts)),
                None => Err(SourceError::HostKey(m.into())),
            };
        }
        Err(e) => return Err(e.into_source(&jump, "", r.timeout)),
    };
    login_bastion(&mut bastion, r, j, &jump, agent_socket()).await?;
    let tunnel = open_tunnel(&bastion, r, &jump).await?;
    scan_stream(tunnel, &r.host, r.port, r, &target).await
}

fn take_seen(seen: &std::sync::Mutex<Option<PublicKey>>) -> Option<PublicKey> {
    match seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// The key the server at the end of `stream` presents (`host`/`port` name it in
/// known_hosts).
async fn scan_stream<S>(
    stream: S,
    host: &str,
    port: u16,
    r: &Remote,
    target: &Target,
) -> Result<ScannedHostKey, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let verifier = HostKeyVerifier::new(KeyPolicy::Scan, Arc::new(AtomicBool::new(false)));
    let seen = verifier.seen();
    let config = client_config(&KeyPolicy::Scan).await;
    let res = client::connect_stream(config, stream, verifier).await;
    match (take_seen(&seen), res) {
        (Some(key), _) => Ok(ScannedHostKey::new(host, port, &key, &r.known_hosts)),
        (None, Err(e)) => Err(e.into_source(target, "", r.timeout)),
        (None, Ok(_)) => Err(SourceError::HostKey(
            target.detail("the server presented no plain host key (a certificate?)"),
        )),
    }
}
