//! End-to-end tests of the `forklab` binary: exit statuses, messages, JSON documents.

mod support;

mod cat;
mod conventions;
mod echo_compare;
mod echo_load;
mod echo_serve;
mod exec_limits;
mod guard;
mod inherit;
mod init;
mod jail;
mod lab;
mod limits;
mod packaging;
mod race;
mod report;
mod set_id;
mod spawn_cost;
