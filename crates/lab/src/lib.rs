//! forklab's experiments. Each one measures something the article claims, on this machine,
//! and returns a plain serde value; rendering (tables, JSON, the HTML report) is the caller's.
//!
//! - [`spawn_cost`]: how long a spawn+wait takes per strategy as the parent grows
//!   (Figure 1 of "A fork() in the road", HotOS 2019).
//! - [`race`]: who runs first after `fork()`, the article's closing experiment.
//!
//! ```no_run
//! use forklab_lab::spawn_cost::{self, Method, Options};
//!
//! let options = Options { n: 50, parent_mib: vec![0], ..Options::default() };
//! let report = spawn_cost::run(&options, &mut |_| {})?;
//! for cell in &report.results {
//!     println!("{} at {} MiB: {:.0} µs", cell.strategy, cell.parent_mib, cell.median_us);
//! }
//! # Ok::<(), spawn_cost::Error>(())
//! ```
//!
//! Experiments never print: progress goes through a callback.
//!
//! Also here: [`inherit`], what crosses `fork(2)` and `execve(2)`, measured (TLPI's table),
//! and [`exec_limits`], the `E2BIG` boundary, `MAX_ARG_STRLEN`, empty `argv` and `#!` lines,
//! found with real `execve` calls. [`ballast`] makes the parent large for spawn cost, within
//! what the machine and the process's cgroups allow ([`cgroup_memory`]). All `unsafe` code is
//! in the private `sys` module.
#![deny(missing_docs)]

pub mod ballast;
pub mod cgroup_memory;
pub mod exec_limits;
pub mod inherit;
pub mod race;
pub mod spawn_cost;
pub mod stats;
#[allow(unsafe_code)]
mod sys;
pub mod system;
