//! Times spawn+wait of a program with `Strategy::Auto`, from a process with one thread, or
//! (`--with-thread`) with a second, idle thread. The difference is what copying the
//! environment under std's lock costs: a single-threaded process passes its environment as
//! it is, since no `set_var` can run meanwhile. `bench/spawn_cost.py` runs both alternately.
//!
//! Usage: spawn_threaded [--with-thread] N PROGRAM   →   prints "median_us p10_us p90_us"

use forklab_spawn::{Command, Stdio, Strategy};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let with_thread = args.first().is_some_and(|a| a == "--with-thread");
    let rest = &args[usize::from(with_thread)..];
    let (Some(n), Some(program)) = (
        rest.first().and_then(|n| n.parse::<usize>().ok()),
        rest.get(1),
    ) else {
        eprintln!("usage: spawn_threaded [--with-thread] N PROGRAM");
        std::process::exit(2);
    };
    let (stop, idle) = std::sync::mpsc::channel::<()>();
    let thread = with_thread.then(|| std::thread::spawn(move || idle.recv()));
    let mut command = Command::new(program);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .strategy(Strategy::Auto);
    let _ = command.status(); // the first spawn maps the child stack: not timed
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let status = command.status().expect("spawn");
            assert!(status.success(), "{program}: {status}");
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    drop(stop);
    if let Some(thread) = thread {
        let _ = thread.join();
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!("{:.1} {:.1} {:.1}", at(0.5), at(0.1), at(0.9));
}
