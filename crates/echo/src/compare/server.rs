//! One server model running as a child process (`forklab echo serve --listen 127.0.0.1:0`),
//! as the book measured each design: a process of its own, whose CPU time, and that of the
//! workers it forks and reaps, the kernel adds up for us when we reap it.
//!
//! The server is pinned to one CPU and this process (the load generator) to the other when
//! there are two or more: the affinity of the calling thread is what a new process inherits,
//! so the thread that spawns switches to the server's CPU for the spawn and back afterwards.

use super::Error;
use super::tasks::{self, Tasks};
use crate::server::Model;
use forklab_spawn::{Child, Command, Signal, Stdio};
use std::io::Read;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a server may take to say where it listens.
const START_LIMIT: Duration = Duration::from_secs(10);
/// How often its tasks are counted.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);

/// Which CPU the server runs on and which the load generator runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pinning {
    /// The server's CPU.
    pub server_cpu: usize,
    /// The load generator's CPU.
    pub client_cpu: usize,
}

/// A server started and listening. Dropped without [`Running::stop`] (a failed or
/// panicking load), it kills and reaps the server, so none is left behind.
pub(crate) struct Running {
    child: Option<Child>,
    pub(crate) addr: SocketAddr,
    cpu_before: Duration,
    sampler: Option<Sampler>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(Signal::KILL);
            let _ = child.wait();
        }
        if let Some(sampler) = self.sampler.take() {
            sampler.stop();
        }
    }
}

/// What a server used, once reaped.
pub(crate) struct Finished {
    /// User + system CPU time of the server and the workers it reaped.
    pub(crate) cpu: Duration,
    /// The most threads + child processes seen at once.
    pub(crate) peak_tasks: usize,
    /// The most zombies seen at any one look while it served (a child between its exit and
    /// the server's `waitpid` counts: a moment's zombie is normal, a growing count is not).
    pub(crate) peak_zombies: usize,
}

/// Starts `forklab echo serve --model MODEL` (the binary `forklab`), on `pinning`'s server
/// CPU, and waits for its `listening on` line.
pub(crate) fn start(
    forklab: &Path,
    model: Model,
    workers: usize,
    pinning: Option<Pinning>,
) -> Result<Running, Error> {
    let cpu_before = crate::sys::rusage::children_cpu();
    let mut command = Command::new(forklab);
    command
        .args([
            "echo",
            "serve",
            "--model",
            model.name(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--workers", &workers.to_string(), "--drain-timeout", "5s"])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let (child, pinned_back) = match pinning {
        Some(p) => on_cpu(p.server_cpu, || command.spawn(), p.client_cpu)?,
        None => (command.spawn(), Ok(())),
    };
    let mut child = child.map_err(|e| Error::Start(model, format!("{e:#}")))?;
    if let Err(e) = pinned_back {
        let _ = child.kill(Signal::KILL);
        let _ = child.wait();
        return Err(e);
    }
    let addr = match listening_line(&mut child) {
        Ok(addr) => addr,
        Err(why) => {
            let _ = child.kill(Signal::KILL);
            let _ = child.wait();
            return Err(Error::Start(model, why));
        }
    };
    let sampler = Sampler::start(child.id().as_raw());
    Ok(Running {
        child: Some(child),
        addr,
        cpu_before,
        sampler: Some(sampler),
    })
}

/// Runs `spawn` with this thread on `cpu`, then puts this thread back on `back` (a thread
/// that cannot go back is an error, after the spawn: the caller ends what it spawned).
fn on_cpu<T>(
    cpu: usize,
    spawn: impl FnOnce() -> T,
    back: usize,
) -> Result<(T, Result<(), Error>), Error> {
    pin_this_thread(cpu)?;
    let spawned = spawn();
    Ok((spawned, pin_this_thread(back)))
}

/// Two CPUs this process may run on, for the server and the load generator: the first two
/// of its affinity mask; `None` with fewer.
pub(crate) fn two_cpus() -> Option<Pinning> {
    let allowed = rustix::thread::sched_getaffinity(None).ok()?;
    let mut cpus = (0..rustix::thread::CpuSet::MAX_CPU).filter(|&cpu| allowed.is_set(cpu));
    Some(Pinning {
        server_cpu: cpus.next()?,
        client_cpu: cpus.next()?,
    })
}

/// Puts the calling thread (and what it creates from now on) on one CPU.
pub(crate) fn pin_this_thread(cpu: usize) -> Result<(), Error> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(|e| Error::Pin(cpu, e.into()))
}

/// Reads the server's first line, `listening on IP:PORT`, within [`START_LIMIT`].
fn listening_line(child: &mut Child) -> Result<SocketAddr, String> {
    let pipe = child.stdout.as_mut().ok_or("no stdout pipe")?;
    let mut line = Vec::new();
    let deadline = std::time::Instant::now() + START_LIMIT;
    while !line.ends_with(b"\n") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let timeout = rustix::time::Timespec::try_from(left).map_err(|e| e.to_string())?;
        let fd = pipe.as_fd();
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        if rustix::event::poll(&mut fds, Some(&timeout)).map_err(|e| e.to_string())? == 0 {
            return Err(format!("no `listening on` line within {START_LIMIT:?}"));
        }
        let mut byte = [0];
        match pipe.read(&mut byte) {
            Ok(0) => return Err("it exited before listening".into()),
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let text = String::from_utf8_lossy(&line);
    let addr = text.trim().strip_prefix("listening on ");
    addr.and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("unexpected first line {:?}", text.trim()))
}

impl Running {
    /// SIGTERM, then reap (SIGKILL if it has not ended within `limit`); what it used.
    pub(crate) fn stop(mut self, limit: Duration) -> Result<Finished, Error> {
        let seen = self.sampler.take().map(Sampler::stop).unwrap_or_default();
        let child = self.child.as_mut().expect("a running server has its child");
        child.kill(Signal::TERM).map_err(Error::Stop)?;
        if child.wait_timeout(limit).map_err(Error::Stop)?.is_none() {
            child.kill(Signal::KILL).map_err(Error::Stop)?;
            child.wait().map_err(Error::Stop)?;
        }
        self.child = None; // reaped: nothing for Drop to do
        let cpu = crate::sys::rusage::children_cpu().saturating_sub(self.cpu_before);
        Ok(Finished {
            cpu,
            peak_tasks: seen.0.total(),
            peak_zombies: seen.1,
        })
    }

    /// Zombies among its children now (after the load, once they had time to be reaped).
    pub(crate) fn zombies_now(&self) -> usize {
        let pid = self.child.as_ref().map(|c| c.id().as_raw());
        pid.and_then(tasks::sample).map_or(0, |t| t.zombies)
    }
}

/// A thread counting a server's tasks until stopped: the peak, and the most zombies.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Tasks, usize)>,
}

impl Sampler {
    fn start(pid: i32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut peak, mut zombies) = (Tasks::default(), 0);
            while !flag.load(Ordering::Relaxed) {
                let Some(now) = tasks::sample(pid) else { break };
                if now.total() > peak.total() {
                    peak = now;
                }
                zombies = zombies.max(now.zombies);
                std::thread::sleep(SAMPLE_EVERY);
            }
            (peak, zombies)
        });
        Sampler { stop, thread }
    }

    fn stop(self) -> (Tasks, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}
