//! One module per subcommand, each with its own `run`.

pub mod actions;
pub mod answer;
pub mod git;
pub mod hook;
pub mod hooks;
pub mod list;
pub mod plugin;
pub mod remotes;
pub mod setup;
pub mod sound;
pub mod status;
