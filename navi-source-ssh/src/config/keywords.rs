//! Which `~/.ssh/config` keywords navi follows, which it may safely ignore, and which
//! would make OpenSSH connect differently from navi (those are reported once per remote
//! instead of being silently dropped).

/// What navi does with one option line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Support {
    /// navi follows it.
    Used,
    /// It does not change how navi's connection is made (an interactive, local or
    /// logging setting, or a value that is OpenSSH's default anyway).
    Ignored,
    /// OpenSSH would connect differently: the message says how navi does it instead.
    Unsupported(&'static str),
    /// Not a keyword navi knows (OpenSSH would refuse the file unless `IgnoreUnknown`
    /// names it).
    Unknown,
}

/// Keywords navi follows (lowercase).
const USED: &[&str] = &[
    "hostname",
    "port",
    "user",
    "identityfile",
    "identitiesonly",
    "identityagent",
    "proxyjump",
    "connecttimeout",
    "serveraliveinterval",
    "serveralivecountmax",
    "userknownhostsfile",
    "globalknownhostsfile",
];

/// Keywords that do not change how navi connects (lowercase).
const IGNORED: &[&str] = &[
    "addkeystoagent",
    "batchmode",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "challengeresponseauthentication",
    "channeltimeout",
    "checkhostip",
    "clearallforwardings",
    "compression",
    "connectionattempts",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "gssapidelegatecredentials",
    // Debian's GSSAPI key exchange patch.
    "gssapiclientidentity",
    "gssapikeyexchange",
    "gssapikexalgorithms",
    "gssapirenewalforcesrekey",
    "gssapiserveridentity",
    "gssapitrustdns",
    "hashknownhosts",
    "ignoreunknown",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "localcommand",
    "loglevel",
    "logverbose",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "preferredauthentications",
    "proxyusefdpass",
    "rekeylimit",
    "requesttty",
    "requiredrsasize",
    "sendenv",
    "sessiontype",
    "setenv",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "syslogfacility",
    "tag",
    "tcpkeepalive",
    "updatehostkeys",
    "usekeychain",
    "visualhostkey",
    "xauthlocation",
    // Deprecated or removed keywords OpenSSH itself still accepts and ignores.
    "cipher",
    "compressionlevel",
    "protocol",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "uselogin",
    "useprivilegedport",
    "useroaming",
];

/// What navi does with `keyword` (any case) set to `args`.
pub(crate) fn support(keyword: &str, args: &[String]) -> Support {
    let key = keyword.to_ascii_lowercase();
    let first = args
        .first()
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    let is = |values: &[&str]| values.contains(&first.as_str());
    if USED.contains(&key.as_str()) {
        return Support::Used;
    }
    let unsupported = match key.as_str() {
        "proxycommand" if !is(&["none"]) => {
            "navi connects with its own SSH client and runs no proxy command; use ProxyJump"
        }
        "localforward" | "remoteforward" | "dynamicforward" => "navi opens no port forwardings",
        "controlmaster" if !is(&["no"]) => {
            "navi keeps its own pooled connection and does not use a control socket"
        }
        "controlpath" if !is(&["none"]) => {
            "navi keeps its own pooled connection and does not use a control socket"
        }
        "controlpersist" if !is(&["no"]) => {
            "navi keeps its own pooled connection and does not use a control socket"
        }
        "certificatefile" => {
            "navi does not log in with user certificates; it offers the plain keys"
        }
        "hostkeyalias" => {
            "navi looks host keys up under the host name (or address) and port it connects to"
        }
        "stricthostkeychecking" if !is(&["yes", "true"]) => {
            "navi always verifies host keys: an unknown key needs `navi remotes trust`"
        }
        "knownhostscommand" => "navi reads only the known_hosts files",
        "revokedhostkeys" => {
            "navi honours @revoked lines in known_hosts but does not read this file"
        }
        "verifyhostkeydns" if !is(&["no", "false"]) => {
            "navi verifies host keys against known_hosts only, never DNS"
        }
        "hostkeyalgorithms"
        | "kexalgorithms"
        | "ciphers"
        | "macs"
        | "pubkeyacceptedalgorithms"
        | "pubkeyacceptedkeytypes"
        | "casignaturealgorithms"
        | "hostbasedacceptedalgorithms" => {
            "navi negotiates its own algorithm lists (modern defaults)"
        }
        "hostbasedauthentication" | "gssapiauthentication" if !is(&["no", "false"]) => {
            "navi logs in with keys (files and the agent) only"
        }
        "pubkeyauthentication" if is(&["no", "false"]) => {
            "navi logs in with keys (files and the agent) only"
        }
        "pkcs11provider" | "securitykeyprovider" if !is(&["none"]) => {
            "navi uses key files and the agent, not token providers"
        }
        "canonicalizehostname" if !is(&["no", "false", "none"]) => {
            "navi connects to the host name as written (or its HostName)"
        }
        "addressfamily" if !is(&["any"]) => "navi tries every address of the host",
        "bindaddress" | "bindinterface" => "navi lets the system choose the source address",
        "remotecommand" => "navi runs its own remote command",
        "tunnel" if !is(&["no", "false"]) => "navi opens no tunnel device",
        "tunneldevice" => return Support::Ignored,
        other if IGNORED.contains(&other) => return Support::Ignored,
        // A value that keeps OpenSSH's default (e.g. `ControlMaster no`).
        "proxycommand"
        | "controlmaster"
        | "controlpath"
        | "controlpersist"
        | "stricthostkeychecking"
        | "verifyhostkeydns"
        | "hostbasedauthentication"
        | "gssapiauthentication"
        | "pubkeyauthentication"
        | "pkcs11provider"
        | "securitykeyprovider"
        | "canonicalizehostname"
        | "addressfamily"
        | "tunnel" => return Support::Ignored,
        _ => return Support::Unknown,
    };
    Support::Unsupported(unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(keyword: &str, value: &str) -> Support {
        support(keyword, &[value.to_string()])
    }

    #[test]
    fn connection_changing_keywords_are_unsupported_unless_default() {
        assert_eq!(s("HostName", "x"), Support::Used);
        assert_eq!(s("serveralivecountmax", "2"), Support::Used);
        assert!(matches!(
            s("ProxyCommand", "ssh -W %h:%p gate"),
            Support::Unsupported(_)
        ));
        assert_eq!(s("ProxyCommand", "none"), Support::Ignored);
        assert!(matches!(
            s("LocalForward", "8080 x:80"),
            Support::Unsupported(_)
        ));
        assert!(matches!(
            s("ControlMaster", "auto"),
            Support::Unsupported(_)
        ));
        assert_eq!(s("ControlMaster", "no"), Support::Ignored);
        assert!(matches!(
            s("CertificateFile", "~/.ssh/c"),
            Support::Unsupported(_)
        ));
        assert!(matches!(s("HostKeyAlias", "x"), Support::Unsupported(_)));
        assert!(matches!(
            s("StrictHostKeyChecking", "no"),
            Support::Unsupported(_)
        ));
        assert_eq!(s("StrictHostKeyChecking", "yes"), Support::Ignored);
        assert_eq!(s("ForwardAgent", "yes"), Support::Ignored);
        assert_eq!(s("LogLevel", "DEBUG"), Support::Ignored);
        assert_eq!(s("Bogus", "1"), Support::Unknown);
    }
}
