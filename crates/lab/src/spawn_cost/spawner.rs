//! One method's command, built once and spawned for every sample: the timed spawn+wait
//! itself. Nothing here decides what to measure; the run does.

use super::{Error, Method};
use forklab_spawn::Command;
use std::fs::File;
use std::path::Path;
use std::time::Instant;

/// One method's command, built once and spawned for every sample.
pub(super) struct Spawner {
    /// What it measures.
    pub(super) method: Method,
    command: SpawnCommand,
    /// The strategy that ran last (what `auto` chose; `std` for std).
    pub(super) used: String,
}

enum SpawnCommand {
    Ours(Command),
    Std(std::process::Command),
}

/// One timed spawn+wait.
pub(super) struct Sample {
    /// From just before the spawn call to just after the reap.
    pub(super) micros: f64,
    /// Whether the program exited 0.
    pub(super) success: bool,
}

impl Spawner {
    /// Builds the command and spawns it once, untimed: a missing program fails here, before
    /// anything is allocated.
    pub(super) fn new(program: &Path, method: Method, null: &File) -> Result<Spawner, Error> {
        // std's errors do not name the program (ours do).
        let fail = |error: std::io::Error| Error::Spawn {
            method,
            error: match method {
                Method::Std => std::io::Error::new(
                    error.kind(),
                    format!("cannot run {:?}: {error}", program.display().to_string()),
                ),
                Method::Spawn(_) => error,
            },
        };
        let stream = || null.try_clone().map_err(Error::DevNull);
        let command = match method {
            Method::Spawn(strategy) => {
                let mut command = Command::new(program);
                command
                    .strategy(strategy)
                    .stdin(stream()?)
                    .stdout(stream()?)
                    .stderr(stream()?);
                SpawnCommand::Ours(command)
            }
            Method::Std => {
                let mut command = std::process::Command::new(program);
                command.stdin(stream()?).stdout(stream()?).stderr(stream()?);
                SpawnCommand::Std(command)
            }
        };
        let mut spawner = Spawner {
            method,
            command,
            used: String::new(),
        };
        spawner.once().map_err(|e| match e {
            Error::Spawn { error, .. } => fail(error),
            other => other,
        })?;
        Ok(spawner)
    }

    /// Spawns and reaps once, timing it.
    pub(super) fn once(&mut self) -> Result<Sample, Error> {
        let method = self.method;
        let fail = |error| Error::Spawn { method, error };
        let start = Instant::now();
        let (success, used) = match &mut self.command {
            SpawnCommand::Ours(command) => {
                let mut child = command
                    .spawn()
                    .map_err(|e| fail(std::io::Error::new(e.kind(), format!("{e:#}"))))?;
                let status = child.wait().map_err(fail)?;
                (status.success(), child.strategy().name())
            }
            SpawnCommand::Std(command) => {
                let status = command.spawn().and_then(|mut c| c.wait()).map_err(fail)?;
                (status.success(), "std")
            }
        };
        let micros = start.elapsed().as_secs_f64() * 1e6;
        if self.used != used {
            self.used = used.to_string();
        }
        Ok(Sample { micros, success })
    }
}
