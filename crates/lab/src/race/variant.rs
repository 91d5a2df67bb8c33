//! The knobs of the experiment: how the child is created ([`Via`]), where the parent runs
//! ([`Pin`]), under which scheduling policy ([`Sched`]), and how "first" is observed
//! ([`Measure`]). Each has a name used on the command line and in JSON.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident, $what:literal {
        $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every choice, in the order `--sweep` runs them.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The name on the command line and in JSON.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.name())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<$name, String> {
                $name::ALL.iter().copied().find(|c| c.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|c| c.name()).collect();
                    format!("unknown {} {s:?} (expected one of: {})", $what, names.join(", "))
                })
            }
        }
    };
}

choice! {
    /// How each trial creates its child.
    Via, "way to create the child" {
        /// The `fork(2)` system call: the child continues on a copy of the parent.
        #[default]
        Fork => "fork",
        /// `clone(CLONE_VM|CLONE_VFORK)`: the parent sleeps until the child exits, so the child
        /// runs first by construction.
        Vfork => "vfork",
        /// `clone(2)` without `CLONE_VM`: a copy like fork, started in a function on a stack
        /// of its own.
        Clone => "clone",
    }
}

choice! {
    /// Where the parent runs.
    Pin, "CPU pinning" {
        /// Wherever the scheduler puts it; the child may start on another CPU.
        #[default]
        None => "none",
        /// Pinned to the CPU it is on before the first fork; the child inherits the pinning,
        /// so both compete for one CPU.
        Same => "same",
    }
}

choice! {
    /// The scheduling policy of the parent, inherited by the child.
    Sched, "scheduling policy" {
        /// `SCHED_OTHER`, the normal time-sharing policy.
        #[default]
        Other => "other",
        /// `SCHED_BATCH`: time-sharing, treated as CPU-bound (fewer wake-up preemptions).
        Batch => "batch",
        /// `SCHED_IDLE`: runs only when nothing else wants the CPU.
        Idle => "idle",
        /// `SCHED_FIFO` priority 1: real time; runs until it blocks. Needs root.
        Fifo => "fifo",
    }
}

choice! {
    /// How "who ran first" is observed.
    Measure, "measure" {
        /// Both sides take a ticket from an atomic counter in shared memory as their first
        /// action and note the time: independent of stdout, and it gives fork-return latencies.
        #[default]
        Ticket => "ticket",
        /// The article's method: each side writes its own line, unbuffered; the order of the
        /// lines is the answer.
        Stdout => "stdout",
    }
}

/// One combination of the knobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Variant {
    /// How the child is created.
    pub via: Via,
    /// Where the parent runs.
    pub pin: Pin,
    /// The parent's scheduling policy.
    pub sched: Sched,
    /// How "first" is observed.
    pub measure: Measure,
}

impl Variant {
    /// The `--sweep` matrix: every `via`, `pin` and `sched`, with one `measure`.
    pub fn matrix(measure: Measure) -> Vec<Variant> {
        let mut all = Vec::new();
        for &via in Via::ALL {
            for &pin in Pin::ALL {
                for &sched in Sched::ALL {
                    all.push(Variant {
                        via,
                        pin,
                        sched,
                        measure,
                    });
                }
            }
        }
        all
    }
}

/// `via fork, pin none, sched other, measure ticket`.
impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "via {}, pin {}, sched {}, measure {}",
            self.via, self.pin, self.sched, self.measure
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_is_expected() {
        for &via in Via::ALL {
            assert_eq!(via.name().parse::<Via>(), Ok(via));
        }
        for &sched in Sched::ALL {
            assert_eq!(sched.to_string().parse::<Sched>(), Ok(sched));
        }
        let err = "spoon".parse::<Via>().unwrap_err();
        assert_eq!(
            err,
            "unknown way to create the child \"spoon\" (expected one of: fork, vfork, clone)"
        );
        assert!("FIFO".parse::<Sched>().is_err());
    }

    #[test]
    fn json_names_are_the_command_line_names() {
        let json = serde_json::to_string(&Variant::default()).unwrap();
        assert_eq!(
            json,
            r#"{"via":"fork","pin":"none","sched":"other","measure":"ticket"}"#
        );
    }

    #[test]
    fn the_matrix_has_every_combination_once() {
        let matrix = Variant::matrix(Measure::Stdout);
        assert_eq!(matrix.len(), 3 * 2 * 4);
        let unique: std::collections::HashSet<_> = matrix.iter().collect();
        assert_eq!(unique.len(), matrix.len());
        assert!(matrix.iter().all(|v| v.measure == Measure::Stdout));
    }
}
