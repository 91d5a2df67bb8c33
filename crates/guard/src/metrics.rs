//! The guard's counters in the Prometheus text exposition format (version 0.0.4), for a
//! fleet's Prometheus to scrape from `--metrics ADDR`.
//!
//! Rendered by hand: a handful of counters and gauges from one snapshot, where a metrics
//! registry crate would add its own global state and types for nothing the format needs.

use crate::guard::Snapshot;
use std::fmt::Write;

/// The snapshot as Prometheus text.
pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let by_uid = |value: &dyn Fn(&crate::detect::UserCounters) -> String| {
        snapshot
            .users
            .iter()
            .map(|u| (format!("{{uid=\"{}\"}}", u.uid), value(u)))
            .collect::<Vec<_>>()
    };
    let one = |value: String| vec![(String::new(), value)];
    family(
        "forklab_guard_forks_total",
        "counter",
        "Process forks seen, by uid.",
        by_uid(&|u| u.forks_total.to_string()),
    );
    family(
        "forklab_guard_tasks",
        "gauge",
        "Live processes, by uid.",
        by_uid(&|u| u.tasks.to_string()),
    );
    family(
        "forklab_guard_fork_score",
        "gauge",
        "Decayed fork score, by uid.",
        by_uid(&|u| format!("{:.3}", u.score)),
    );
    let mut incidents: Vec<_> = snapshot.incidents.iter().collect();
    incidents.sort();
    family(
        "forklab_guard_incidents_total",
        "counter",
        "Incidents, by uid.",
        incidents
            .into_iter()
            .map(|(uid, n)| (format!("{{uid=\"{uid}\"}}"), n.to_string()))
            .collect(),
    );
    family(
        "forklab_guard_events_total",
        "counter",
        "Process-connector events read.",
        one(snapshot.events_total.to_string()),
    );
    family(
        "forklab_guard_events_lost_total",
        "counter",
        "Times the kernel dropped events (ENOBUFS) and /proc was read again.",
        one(snapshot.events_lost_total.to_string()),
    );
    let last = snapshot.last_incident.as_ref();
    family(
        "forklab_guard_last_incident_zero_ms",
        "gauge",
        "Milliseconds from the last incident's first fork to no process of its uid left.",
        last.and_then(|i| i.zero_ms)
            .map(|ms| one(format!("{ms:.1}")))
            .unwrap_or_default(),
    );
    family(
        "forklab_guard_last_incident_uid",
        "gauge",
        "The uid of the last incident.",
        last.map(|i| one(i.uid.to_string())).unwrap_or_default(),
    );
    family(
        "forklab_guard_known_processes",
        "gauge",
        "Processes the detector tracks.",
        one(snapshot.known_processes.to_string()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::UserCounters;

    #[test]
    fn families_with_labels() {
        let mut s = Snapshot {
            users: vec![UserCounters {
                uid: 1000,
                forks_total: 12,
                tasks: 3,
                score: 1.5,
            }],
            events_total: 40,
            events_lost_total: 1,
            ..Snapshot::default()
        };
        s.incidents.insert(61000, 2);
        let text = render(&s);
        for line in [
            "# TYPE forklab_guard_forks_total counter",
            "forklab_guard_forks_total{uid=\"1000\"} 12",
            "forklab_guard_tasks{uid=\"1000\"} 3",
            "forklab_guard_incidents_total{uid=\"61000\"} 2",
            "forklab_guard_events_total 40",
            "forklab_guard_events_lost_total 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        // Each family's samples follow its own header.
        let forks = text.find("forklab_guard_forks_total{").unwrap();
        let tasks_header = text.find("# HELP forklab_guard_tasks ").unwrap();
        assert!(forks < tasks_header);
        assert!(text.ends_with('\n'));
    }
}
