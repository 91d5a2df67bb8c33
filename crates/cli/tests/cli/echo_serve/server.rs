//! A `forklab echo serve` under test: started as a child on a free loopback port, read from
//! its first line; what the kernel says about it (children, zombies, threads, descriptors)
//! from /proc; killed with its children if the test fails.

use rustix::process::{Pid, Signal};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to say where it listens.
const START: Duration = Duration::from_secs(10);

/// A running server; dropped, it is killed (children first).
pub struct Server {
    child: Child,
    stdout: Option<BufReader<ChildStdout>>,
    log: tempfile::NamedTempFile,
    pub addr: SocketAddr,
    pub model: &'static str,
}

impl Server {
    /// `forklab echo serve --model MODEL --listen 127.0.0.1:0 ARGS…`, logging (the server's
    /// own lines at debug level) into a temporary file.
    pub fn start(model: &'static str, args: &[&str]) -> Server {
        Server::start_on(model, "127.0.0.1:0", args)
    }

    /// The same on `listen`.
    pub fn start_on(model: &'static str, listen: &str, args: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_forklab"));
        command.args(["echo", "serve", "--model", model, "--listen", listen]);
        Server::spawn(command.args(args), model)
    }

    /// The same inside the cgroups at `dirs` (one per v1 hierarchy), from birth: a shell
    /// joins them, then becomes the server.
    pub fn start_in(dirs: &[&Path], model: &'static str, args: &[&str]) -> Server {
        let joins: Vec<String> = dirs
            .iter()
            .map(|dir| format!("echo $$ > {}/cgroup.procs", dir.display()))
            .collect();
        let join = format!("{} && exec \"$0\" \"$@\"", joins.join(" && "));
        let mut command = Command::new("/bin/sh");
        command.args(["-c", &join, env!("CARGO_BIN_EXE_forklab")]);
        command.args(["echo", "serve", "--model", model, "--listen", "127.0.0.1:0"]);
        Server::spawn(command.args(args), model)
    }

    fn spawn(command: &mut Command, model: &'static str) -> Server {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = command
            .env("RUST_LOG", "info,forklab_echo=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = stdout;
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = tx.send((line, stdout));
        });
        let mut server = Server {
            child,
            stdout: None,
            log,
            addr: "0.0.0.0:0".parse().unwrap(),
            model,
        };
        let Ok((line, stdout)) = rx.recv_timeout(START) else {
            panic!(
                "{model}: no address within {START:?}; log: {}",
                server.log()
            );
        };
        let addr = line.trim_end().strip_prefix("listening on ");
        let addr = addr.and_then(|a| a.parse().ok());
        let Some(addr) = addr else {
            panic!("{model}: first line {line:?}; log: {}", server.log());
        };
        server.addr = addr;
        server.stdout = Some(stdout);
        server
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The failures the server survived by backing off, from its summary at exit.
    pub fn retried(&self) -> u64 {
        let log = self.log();
        let summary = log.lines().last().unwrap_or_default();
        let number = summary
            .strip_suffix(" retried")
            .and_then(|s| s.rsplit(' ').nth(1))
            .and_then(|n| n.parse().ok());
        number.unwrap_or_else(|| panic!("{}: no summary at the end of {log}", self.model))
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits until the log contains `text`.
    pub fn wait_for_log(&self, text: &str) {
        let found = eventually(Duration::from_secs(10), || self.log().contains(text));
        assert!(
            found,
            "{}: no {text:?} in the log: {}",
            self.model,
            self.log()
        );
    }

    /// Whether the server is still running (it has not exited).
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends `SIGKILL` and reaps the server.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends `SIGTERM`.
    pub fn terminate(&self) {
        rustix::process::kill_process(Pid::from_raw(self.pid()).unwrap(), Signal::TERM).unwrap();
    }

    /// Waits up to `limit` for the server to exit; asserts that nothing more was written on
    /// stdout after the first line.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut rest = String::new();
                if let Some(mut stdout) = self.stdout.take() {
                    stdout.read_to_string(&mut rest).unwrap();
                }
                assert_eq!(rest, "", "{}: stdout after the first line", self.model);
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{}: still running after {limit:?}; log: {}",
                self.model,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The server's children (pid, state, start time).
    pub fn children(&self) -> Vec<Task> {
        children_of(self.pid())
    }

    /// Children, zombies, threads and descriptors (the server's and its children's).
    pub fn census(&self) -> Census {
        let children = self.children();
        let fds = count(&format!("/proc/{}/fd", self.pid()))
            + children
                .iter()
                .map(|c| count(&format!("/proc/{}/fd", c.pid)))
                .sum::<usize>();
        Census {
            children: children.iter().filter(|c| c.state != 'Z').count(),
            zombies: children.iter().filter(|c| c.state == 'Z').count(),
            threads: count(&format!("/proc/{}/task", self.pid())),
            fds,
        }
    }

    /// Descriptors of the server and its children that are not close-on-exec, as
    /// `PID/FD -> target`: besides the standard three, only those the server inherited
    /// from this test process (the same number and target, open here without the flag).
    pub fn inheritable_descriptors(&self) -> Vec<String> {
        let ours = inheritable(std::process::id() as i32);
        let mut pids = vec![self.pid()];
        pids.extend(self.children().iter().map(|c| c.pid));
        pids.into_iter()
            .flat_map(|pid| inheritable(pid).into_iter().map(move |fd| (pid, fd)))
            .filter(|(_, fd)| fd.0 > 2 && !ours.contains(fd))
            .map(|(pid, (fd, target))| format!("{pid}/{fd} -> {target}"))
            .collect()
    }

    /// The census once it has stopped changing (two looks 50 ms apart agree), with no
    /// zombie: the server at rest.
    pub fn at_rest(&self) -> Census {
        let mut last = self.census();
        let settled = eventually(Duration::from_secs(10), || {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.census();
            let same = now == last && now.zombies == 0;
            last = now;
            same
        });
        assert!(settled, "{}: never at rest: {last:?}", self.model);
        last
    }

    /// Waits until the census is `baseline` again; asserts it is.
    pub fn back_to(&self, baseline: Census) {
        let mut now = self.census();
        eventually(Duration::from_secs(10), || {
            now = self.census();
            now == baseline
        });
        assert_eq!(now, baseline, "{}: not back to the baseline", self.model);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        for child in self.children() {
            if let Some(pid) = Pid::from_raw(child.pid) {
                let _ = rustix::process::kill_process(pid, Signal::KILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Processes, threads, descriptors: what must come back to where it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Live children (not zombies).
    pub children: usize,
    pub zombies: usize,
    /// Threads of the server process.
    pub threads: usize,
    /// Open descriptors of the server and its children.
    pub fds: usize,
}

/// A process, from /proc/PID/stat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    pub pid: i32,
    pub state: char,
    pub start_time: u64,
}

impl Task {
    /// Whether this process (the same pid and start time) still exists.
    pub fn exists(&self) -> bool {
        task(self.pid).is_some_and(|now| now.start_time == self.start_time)
    }

    /// Whether it exists and has not died (a zombie has: its new parent may not reap).
    pub fn alive(&self) -> bool {
        task(self.pid).is_some_and(|now| now.start_time == self.start_time && now.state != 'Z')
    }
}

fn children_of(parent: i32) -> Vec<Task> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, (_, ppid, _))| *ppid == parent)
        .map(|(pid, (state, _, start_time))| Task {
            pid,
            state,
            start_time,
        })
        .collect()
}

fn task(pid: i32) -> Option<Task> {
    let (state, _, start_time) = stat(pid)?;
    Some(Task {
        pid,
        state,
        start_time,
    })
}

/// State, parent and start time of a process (the fields after the command name, which may
/// hold spaces and parentheses).
fn stat(pid: i32) -> Option<(char, i32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start_time = fields.get(19)?.parse().ok()?;
    Some((state, ppid, start_time))
}

/// The descriptors of `pid` without `O_CLOEXEC`, with what they point to.
fn inheritable(pid: i32) -> Vec<(u32, String)> {
    const O_CLOEXEC: u32 = 0o2000000;
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let fds = dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
    let flags = |fd| {
        let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
        let octal = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
        u32::from_str_radix(octal.trim(), 8).ok()
    };
    fds.filter(|&fd| flags(fd).is_some_and(|f| f & O_CLOEXEC == 0))
        .map(|fd| {
            let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}"));
            (
                fd,
                target.map_or_else(|e| e.to_string(), |t| t.display().to_string()),
            )
        })
        .collect()
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(Path::new(dir)).map_or(0, |d| d.count())
}

/// Polls `check` every 20 ms until it holds or `limit` passes; whether it held.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
