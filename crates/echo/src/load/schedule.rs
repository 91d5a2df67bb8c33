//! When each connection starts. K workers each run one connection at a time, so at most K
//! are open; they take the connections' numbers in order from one counter.
//!
//! - Closed loop (no rate): a worker starts the next connection as soon as its last one ends,
//!   and latency is measured from that moment.
//! - Open loop (`rate` N): connection i is due at `t0 + i / N`, whatever happened before.
//!   If every worker is still busy when it falls due, it starts late, and its latencies are
//!   measured from when it was due (wrk2's correction for coordinated omission: a server
//!   that stalls is charged for the connections it kept from starting, not just for the few
//!   that were in flight). A worker that is free before then sleeps until it is due; tokio's
//!   timer wakes it up to a millisecond late, and that lateness is the generator's, not the
//!   server's: latency then counts from when the worker woke. How late every connection
//!   started against the timetable is recorded either way.
//!
//! What this module does not do: the connection itself, or the statistics.

use super::connection::{self, Buffers, Plan};
use super::payload::{Pattern, Payload};
use super::tally::Shared;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How connections are paced.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Schedule {
    /// Each worker starts a connection as soon as its previous one ends.
    Closed,
    /// Connection i is due at `t0 + i / per_second`.
    Open { t0: Instant, per_second: f64 },
}

impl Schedule {
    /// When connection `i` is due, or `None` for "now" (closed loop).
    fn due(self, i: u64) -> Option<Instant> {
        match self {
            Schedule::Closed => None,
            Schedule::Open { t0, per_second } => {
                // Beyond what an Instant holds (a rate of one a century): a year from now.
                let far = || t0 + Duration::from_secs(365 * 86_400);
                let offset = Duration::try_from_secs_f64(i as f64 / per_second).ok();
                Some(offset.and_then(|o| t0.checked_add(o)).unwrap_or_else(far))
            }
        }
    }
}

/// What every worker shares.
pub(crate) struct Work {
    pub shared: Arc<Shared>,
    pub plan: Arc<Plan>,
    pub pattern: Pattern,
    pub schedule: Schedule,
    /// Connections in all.
    pub total: u64,
}

/// One worker: connections one after another until `total` have been taken.
pub(crate) async fn worker(work: Work) {
    let Work {
        shared,
        plan,
        pattern,
        schedule,
        total,
    } = work;
    let rng = SmallRng::from_rng(&mut rand::rng());
    let mut buffers = Buffers::new(&plan, Payload::new(pattern, rng));
    loop {
        let i = shared.take_next();
        if i >= total {
            return;
        }
        let (start, lag) = match schedule.due(i) {
            None => (Instant::now(), None),
            Some(due) => start_when_due(due).await,
        };
        let result = connection::run(&plan, &mut buffers, i, start).await;
        shared.record(result, lag);
    }
}

/// Waits for a connection due at `due`; returns where its latencies count from and how late
/// it started. Already late: every worker was busy, it counts from `due`. Early: from when
/// the timer woke the worker (up to a millisecond after `due`).
async fn start_when_due(due: Instant) -> (Instant, Option<Duration>) {
    let now = Instant::now();
    if now >= due {
        return (due, Some(now - due));
    }
    tokio::time::sleep_until(due.into()).await;
    let woke = Instant::now();
    (woke, Some(woke.saturating_duration_since(due)))
}

#[cfg(test)]
mod tests {
    use super::Schedule;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_late_start_counts_from_when_it_was_due_an_early_one_from_the_timer() {
        let due = Instant::now() - Duration::from_millis(30);
        let (start, lag) = super::start_when_due(due).await;
        assert_eq!(start, due);
        assert!(lag.unwrap() >= Duration::from_millis(30));

        let due = Instant::now() + Duration::from_millis(5);
        let (start, lag) = super::start_when_due(due).await;
        assert!(start >= due && start <= Instant::now());
        assert_eq!(start - due, lag.unwrap());
    }

    #[test]
    fn the_open_loop_timetable_is_evenly_spaced() {
        let t0 = Instant::now();
        let open = Schedule::Open {
            t0,
            per_second: 200.0,
        };
        assert_eq!(open.due(0), Some(t0));
        assert_eq!(open.due(1), Some(t0 + Duration::from_millis(5)));
        assert_eq!(open.due(200), Some(t0 + Duration::from_secs(1)));
        assert_eq!(Schedule::Closed.due(7), None);
    }
}
