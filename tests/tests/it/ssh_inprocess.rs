//! ssh_inprocess tests
