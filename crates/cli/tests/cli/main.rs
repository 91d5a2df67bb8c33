//! End-to-end tests of the `forklab` binary: exit statuses, messages, JSON documents.

mod support;

mod cat;
mod set_id;
mod spawn_cost;
