//! Whether a host certificate signed by a CA the user trusts for the host is one
//! OpenSSH would accept.

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Algorithm, Certificate, HashAlg};

use super::shorten;

/// OpenSSH's checks of a host certificate whose CA is trusted for the host: a host
/// certificate, signed with an algorithm OpenSSH accepts (no SHA-1 RSA, no DSA), with a
/// valid signature, valid now, issued for `host` (or for any host: no principals), and
/// without critical options.
pub(crate) fn validate_host_certificate(
    cert: &Certificate,
    host: &str,
    now: u64,
) -> Result<(), String> {
    if cert.cert_type() != CertType::Host {
        return Err("it is a user certificate, not a host certificate".into());
    }
    let signed_with = cert.signature().algorithm();
    if matches!(signed_with, Algorithm::Rsa { hash: None } | Algorithm::Dsa) {
        return Err(format!(
            "its CA signed it with {}, which OpenSSH no longer accepts for certificates",
            signed_with.as_str()
        ));
    }
    if now < cert.valid_after() {
        return Err(format!(
            "it is not valid yet (valid from unix time {})",
            cert.valid_after()
        ));
    }
    if now >= cert.valid_before() {
        return Err(format!(
            "it expired (valid until unix time {})",
            cert.valid_before()
        ));
    }
    let principals = cert.valid_principals();
    if !principals.is_empty() && !principals.iter().any(|p| p == host) {
        let listed: Vec<String> = principals.iter().take(8).map(|p| shorten(p)).collect();
        return Err(format!(
            "it is not issued for {host} (its principals: {})",
            listed.join(", ")
        ));
    }
    if !cert.critical_options().is_empty() {
        return Err(
            "it carries critical options, which OpenSSH refuses in a host certificate".into(),
        );
    }
    let ca = cert.signature_key().fingerprint(HashAlg::Sha256);
    cert.validate_at(now, [&ca])
        .map_err(|_| "its signature does not verify against its CA".to_string())
}
