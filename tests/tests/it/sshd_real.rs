//! sshd_real tests
