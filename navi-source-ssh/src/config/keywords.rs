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
    if USED.contains(&key.as_str()) {
        return Support::Used;
    }
    if let Some(why) = connection_reason(&key, &first).or_else(|| login_reason(&key, &first)) {
        return Support::Unsupported(why);
    }
    match IGNORED.contains(&key.as_str()) || KEPT_DEFAULTS.contains(&key.as_str()) {
        true => Support::Ignored,
        false => Support::Unknown,
    }
}

/// Keywords whose value keeps OpenSSH's default (e.g. `ControlMaster no`) when no reason
/// below applies to it.
const KEPT_DEFAULTS: &[&str] = &[
    "proxycommand",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "stricthostkeychecking",
    "verifyhostkeydns",
    "hostbasedauthentication",
    "gssapiauthentication",
    "pubkeyauthentication",
    "pkcs11provider",
    "securitykeyprovider",
    "canonicalizehostname",
    "addressfamily",
    "tunnel",
    "tunneldevice",
];

/// Why navi cannot honour `key` = `first` (how it connects), if it cannot.
fn connection_reason(key: &str, first: &str) -> Option<&'static str> {
    let is = |values: &[&str]| values.contains(&first);
    const CONTROL: &str = "navi keeps its own pooled connection and does not use a control socket";
    Some(match key {
        "proxycommand" if !is(&["none"]) => {
            "navi connects with its own SSH client and runs no proxy command; use ProxyJump"
        }
        "localforward" | "remoteforward" | "dynamicforward" => "navi opens no port forwardings",
        "controlmaster" if !is(&["no"]) => CONTROL,
        "controlpath" if !is(&["none"]) => CONTROL,
        "controlpersist" if !is(&["no"]) => CONTROL,
        "canonicalizehostname" if !is(&["no", "false", "none"]) => {
            "navi connects to the host name as written (or its HostName)"
        }
        "addressfamily" if !is(&["any"]) => "navi tries every address of the host",
        "bindaddress" | "bindinterface" => "navi lets the system choose the source address",
        "remotecommand" => "navi runs its own remote command",
        "tunnel" if !is(&["no", "false"]) => "navi opens no tunnel device",
        _ => return None,
    })
}

/// Why navi cannot honour `key` = `first` (host keys and login), if it cannot.
fn login_reason(key: &str, first: &str) -> Option<&'static str> {
    let is = |values: &[&str]| values.contains(&first);
    const KEYS_ONLY: &str = "navi logs in with keys (files and the agent) only";
    Some(match key {
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
        "hostbasedauthentication" | "gssapiauthentication" if !is(&["no", "false"]) => KEYS_ONLY,
        "pubkeyauthentication" if is(&["no", "false"]) => KEYS_ONLY,
        "pkcs11provider" | "securitykeyprovider" if !is(&["none"]) => {
            "navi uses key files and the agent, not token providers"
        }
        _ => return None,
    })
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
