//! Runs of the real experiment, small enough to keep the suite fast.

use super::*;
use crate::sys::sched as sys_sched;
use measure::capture_file;
use report::FIXED_FIELDS;
use std::io::Seek;
use std::os::fd::AsFd;

fn run_variant(trials: usize, variant: Variant) -> Race {
    let mut calls = 0;
    let race = run(&Options { trials, variant }, Lines::Count, &mut |p| {
        assert!(p.done <= p.total);
        calls += 1;
    })
    .unwrap();
    if race.skipped.is_none() {
        assert_eq!(
            calls,
            trials / trial::PROGRESS_EVERY,
            "progress every few hundred trials"
        );
    }
    race
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn every_trial_is_counted_once_for_every_way_and_measure() {
    for &via in Via::ALL {
        for &measure in Measure::ALL {
            let variant = Variant {
                via,
                measure,
                ..Variant::default()
            };
            let race = run_variant(600, variant);
            let first = race.first.unwrap();
            assert_eq!(race.trials, 600, "{variant}");
            assert_eq!(first.parent_first + first.child_first, 600, "{variant}");
            assert!(race.elapsed_s > 0.0 && race.per_trial_us > 0.0);
            assert!(race.trial_p50_us.unwrap() > 0.0, "{variant}");
            assert!(race.fork_error.is_none() && race.skipped.is_none());
        }
    }
}

#[test]
fn vfork_children_always_run_first() {
    for &measure in Measure::ALL {
        let race = run_variant(
            500,
            Variant {
                via: Via::Vfork,
                measure,
                ..Variant::default()
            },
        );
        assert_eq!(race.first.unwrap().child_first, 500);
        assert_eq!(race.expected_first, Some(First::Child));
        assert_eq!(race.expectation_met, Some(true));
        assert!(!race.failed());
    }
}

#[test]
fn tickets_give_latencies_and_an_order() {
    let race = run_variant(400, Variant::default());
    assert_eq!(race.order.len(), 400);
    assert_eq!(Tally::of(&race.order), race.first.unwrap());
    let l = race.latency.unwrap();
    assert!(l.parent_p50_ns > 0.0 && l.parent_p50_ns <= l.parent_p99_ns);
    assert!(l.child_p50_ns > 0.0 && l.child_p50_ns <= l.child_p99_ns);
    let trial_ns = race.trial_p50_us.unwrap() * 1e3;
    assert!(trial_ns >= l.parent_p50_ns.min(l.child_p50_ns));
    assert!(race.trial_p50_us <= race.trial_p99_us);
    assert_eq!(race.expected_first, None);
}

#[test]
fn written_lines_are_the_articles_two_per_trial() {
    let memfd = capture_file().unwrap();
    let options = Options {
        trials: 300,
        variant: Variant {
            measure: Measure::Stdout,
            ..Variant::default()
        },
    };
    let race = run(&options, Lines::Write(memfd.as_fd()), &mut |_| {}).unwrap();
    assert_eq!((race.trials, race.first), (300, None));
    let mut file = std::fs::File::from(memfd);
    file.rewind().unwrap();
    let text = std::io::read_to_string(file).unwrap();
    assert_eq!(text.lines().count(), 600);
    assert!(
        text.lines()
            .all(|l| l.ends_with(" parent") || l.ends_with(" child"))
    );
    let a = analyze(text.as_bytes(), "memfd").unwrap();
    assert_eq!((a.trials, a.malformed, a.unpaired), (300, 0, 0));
}

#[test]
fn pinning_and_policies_are_put_back() {
    let affinity = rustix::thread::sched_getaffinity(None).unwrap();
    let policy = sys_sched::get().unwrap();
    for &sched in Sched::ALL {
        let variant = Variant {
            pin: Pin::Same,
            sched,
            ..Variant::default()
        };
        let race = run_variant(300, variant);
        match &race.skipped {
            Some(reason) => {
                assert!(!is_root(), "{variant} skipped as root: {reason}");
                use std::io::Write;
                // Straight to the stderr handle: libtest would swallow an eprintln!.
                let _ = writeln!(std::io::stderr(), "SKIPPED {variant}: {reason}");
            }
            None => {
                assert_eq!(race.first.unwrap().trials(), 300);
                assert!(race.pinned_cpu.is_some());
            }
        }
        assert_eq!(
            rustix::thread::sched_getaffinity(None).unwrap(),
            affinity,
            "{variant}"
        );
        assert_eq!(sys_sched::get().unwrap(), policy, "{variant}");
    }
}

#[test]
fn fifo_runs_as_root_and_is_skipped_with_the_reason_otherwise() {
    let race = run_variant(
        200,
        Variant {
            sched: Sched::Fifo,
            ..Variant::default()
        },
    );
    if is_root() {
        assert_eq!(race.skipped, None);
        assert_eq!(race.first.unwrap().trials(), 200);
    } else {
        eprintln!("not root: checking that fifo is skipped");
        assert!(
            race.skipped
                .unwrap()
                .contains("SCHED_FIFO needs CAP_SYS_NICE")
        );
        assert_eq!((race.trials, race.first), (0, None));
    }
}

#[test]
fn zero_or_too_many_trials_is_an_error() {
    let err = run(
        &Options {
            trials: 0,
            ..Options::default()
        },
        Lines::Count,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "-n must be at least 1");
    let err = run(
        &Options {
            trials: MAX_TRIALS + 1,
            ..Options::default()
        },
        Lines::Count,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "-n 100000001 is too many: at most 100000000 trials"
    );
}

#[test]
fn the_json_has_the_issue_fields() {
    let race = run_variant(100, Variant::default());
    let json = serde_json::to_value(&race).unwrap();
    for key in FIXED_FIELDS {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    assert_eq!(
        (json["via"].as_str(), json["measure"].as_str()),
        (Some("fork"), Some("ticket"))
    );
    let back: Race = serde_json::from_value(json).unwrap();
    assert_eq!(back.first, race.first);
}

#[test]
fn a_sweep_runs_the_whole_matrix() {
    let mut last = 0;
    let sweep = sweep(256, Measure::Ticket, &mut |p| {
        assert!(p.done > last && p.done <= p.total);
        last = p.done;
    })
    .unwrap();
    assert_eq!(sweep.variants.len(), Variant::matrix(Measure::Ticket).len());
    assert_eq!(last, 256 * sweep.variants.len());
    for race in sweep.variants.iter().filter(|r| r.skipped.is_none()) {
        assert_eq!(race.first.unwrap().trials(), 256, "{}", race.variant());
    }
}

#[test]
fn a_failed_line_write_ends_the_run_with_its_cause() {
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (reader, closed) = std::io::pipe().unwrap();
    drop(reader);
    for via in [Via::Fork, Via::Vfork, Via::Clone] {
        let variant = Variant {
            via,
            measure: Measure::Stdout,
            ..Variant::default()
        };
        let options = Options {
            trials: 100_000,
            variant,
        };
        for (fd, errno) in [(full.as_fd(), libc::ENOSPC), (closed.as_fd(), libc::EPIPE)] {
            match run(&options, Lines::Write(fd), &mut |_| {}) {
                Err(Error::Write(e)) => assert_eq!(e.raw_os_error(), Some(errno), "{via}"),
                other => panic!("{via}: {other:?}"),
            }
        }
    }
}
