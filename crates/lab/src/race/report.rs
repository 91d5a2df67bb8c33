//! What a race run found: serde values whose field names are fixed by issue 3 (`trials`,
//! `parent_first`, `child_first`, `parent_first_pct`, `elapsed_s`, `per_trial_us`, `via`,
//! `pin`, `measure`, `kernel`, `cpus`); fields are added, never renamed or dropped.

use super::variant::{Measure, Pin, Sched, Variant, Via};
use serde::{Deserialize, Serialize};

/// The JSON fields issue 3 fixes, for a run and for an analysis alike.
#[cfg(test)]
pub(super) const FIXED_FIELDS: [&str; 11] = [
    "trials",
    "parent_first",
    "child_first",
    "parent_first_pct",
    "elapsed_s",
    "per_trial_us",
    "via",
    "pin",
    "measure",
    "kernel",
    "cpus",
];

/// Which process of a trial acted first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum First {
    /// The process that called fork.
    Parent,
    /// The new process.
    Child,
}

impl First {
    /// `parent` or `child`, as in the article's lines.
    pub fn name(self) -> &'static str {
        match self {
            First::Parent => "parent",
            First::Child => "child",
        }
    }
}

/// Who was first, counted over the trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Trials in which the parent was first.
    pub parent_first: u64,
    /// Trials in which the child was first.
    pub child_first: u64,
    /// `parent_first` as a percentage of the trials.
    pub parent_first_pct: f64,
    /// `child_first` as a percentage of the trials.
    pub child_first_pct: f64,
}

impl Tally {
    /// From the two counts.
    pub fn new(parent_first: u64, child_first: u64) -> Tally {
        let total = parent_first + child_first;
        let pct = |n: u64| {
            if total == 0 {
                0.0
            } else {
                n as f64 * 100.0 / total as f64
            }
        };
        Tally {
            parent_first,
            child_first,
            parent_first_pct: pct(parent_first),
            child_first_pct: pct(child_first),
        }
    }

    /// Counts an order, trial by trial.
    pub fn of(order: &[First]) -> Tally {
        let child = order.iter().filter(|&&f| f == First::Child).count() as u64;
        Tally::new(order.len() as u64 - child, child)
    }

    /// Trials counted.
    pub fn trials(&self) -> u64 {
        self.parent_first + self.child_first
    }
}

/// Fork-return latencies of the ticket measure: from just before the fork call to each side's
/// first action after it (taking its ticket).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median time to the child's first instruction, ns.
    pub child_p50_ns: f64,
    /// 99th percentile of the same, ns.
    pub child_p99_ns: f64,
    /// Median time until fork returned in the parent, ns.
    pub parent_p50_ns: f64,
    /// 99th percentile of the same, ns.
    pub parent_p99_ns: f64,
}

/// One race run: a variant, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Race {
    /// Trials completed (fewer than `requested` when a fork failed).
    pub trials: u64,
    /// Who was first; absent when the lines went straight to the caller's descriptor and
    /// were not read back (`--format tlpi --measure stdout`).
    #[serde(flatten)]
    pub first: Option<Tally>,
    /// Wall time of the trials, from the first fork to the last reap, seconds.
    pub elapsed_s: f64,
    /// `elapsed_s` per trial, µs.
    pub per_trial_us: f64,
    /// Median wall time of one trial (just before the fork to just after the reap), µs:
    /// unlike the mean `per_trial_us`, robust to a noisy machine.
    pub trial_p50_us: Option<f64>,
    /// 99th percentile of the same, µs.
    pub trial_p99_us: Option<f64>,
    /// How the child was created.
    pub via: Via,
    /// Where the parent ran.
    pub pin: Pin,
    /// How "first" was observed.
    pub measure: Measure,
    /// The parent's scheduling policy.
    pub sched: Sched,
    /// Kernel release.
    pub kernel: String,
    /// CPUs this process may run on.
    pub cpus: usize,
    /// Trials asked for.
    pub requested: u64,
    /// The CPU the parent was pinned to (`pin same`).
    pub pinned_cpu: Option<usize>,
    /// Fork-return latencies (`measure ticket`).
    pub latency: Option<Latency>,
    /// Who must be first by construction, when something guarantees it (vfork: the child).
    pub expected_first: Option<First>,
    /// Whether every trial met `expected_first`; absent when nothing is expected.
    pub expectation_met: Option<bool>,
    /// `/proc/sys/kernel/sched_child_runs_first`, absent on kernels without it (the knob had
    /// no effect once EEVDF took over task placement in 6.6, and the sysctl was then removed).
    pub sched_child_runs_first: Option<u32>,
    /// Why the variant did not run (it then has 0 trials).
    pub skipped: Option<String>,
    /// The fork failure that ended the run early.
    pub fork_error: Option<String>,
    /// Who was first in each trial, in order (`measure ticket`), for `--format tlpi`.
    #[serde(skip)]
    pub order: Vec<First>,
}

impl Race {
    /// The variant this run measured.
    pub fn variant(&self) -> Variant {
        Variant {
            via: self.via,
            pin: self.pin,
            sched: self.sched,
            measure: self.measure,
        }
    }

    /// True when the run found something wrong: a fork failed, or an expectation was missed.
    pub fn failed(&self) -> bool {
        self.fork_error.is_some() || self.expectation_met == Some(false)
    }
}

/// The `--sweep` matrix: one run per variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The runs, in matrix order.
    pub variants: Vec<Race>,
    /// Trials asked for per variant.
    pub trials: u64,
    /// Kernel release.
    pub kernel: String,
    /// CPUs this process may run on.
    pub cpus: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_percentages() {
        let t = Tally::new(9983, 17);
        assert_eq!(t.trials(), 10000);
        assert!((t.parent_first_pct - 99.83).abs() < 1e-9);
        assert!((t.child_first_pct - 0.17).abs() < 1e-9);
        assert_eq!(Tally::new(0, 0).parent_first_pct, 0.0);
        let order = [First::Parent, First::Child, First::Parent];
        assert_eq!(Tally::of(&order), Tally::new(2, 1));
    }
}
