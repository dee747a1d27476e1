//! One module per subcommand, each with its own `run`.

pub mod list;
pub mod remotes;
pub mod status;
