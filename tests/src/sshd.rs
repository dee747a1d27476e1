//! A real OpenSSH sshd on loopback.
