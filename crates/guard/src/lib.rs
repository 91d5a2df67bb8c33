//! Fork-bomb prevention and detection: a cgroup that caps and ends a command's processes
//! ([`cgroup`]), `forklab jail` built on it ([`jail`]), and the article's bombs to prove
//! them ([`bomb`]).

pub mod bomb;
pub mod cgroup;
pub mod detect;
pub mod jail;
pub mod procfs;
pub mod respond;

#[allow(unsafe_code)]
mod sys;
