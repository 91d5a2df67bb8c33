//! Behaviour tests of forklab-spawn. Every test runs once per strategy: the `strategies!`
//! macro expands a body into one `#[test]` per `Strategy`, so a failure names the strategy.

mod support;

mod args_env;
mod errors;
mod exec_family;
mod lifecycle;
mod properties;
mod std_compat;
mod stdio_fds;
