//! The measurement run for real, small: cells, sizes, refusals.

use super::*;

#[test]
fn method_names_round_trip() {
    for method in Method::all() {
        assert_eq!(method.to_string().parse::<Method>().unwrap(), method);
    }
    let err = "fast".parse::<Method>().unwrap_err();
    assert!(err.starts_with("unknown strategy \"fast\""), "{err}");
}

#[test]
fn measures_every_cell_with_real_samples() {
    let options = Options {
        n: 3,
        parent_mib: vec![0, 1],
        warmup: 1,
        ..Options::default()
    };
    let mut rounds = 0;
    let report = run(&options, &mut |_| rounds += 1).unwrap();
    assert_eq!(rounds, 6);
    assert_eq!(report.results.len(), Method::all().len() * 2);
    for cell in &report.results {
        assert_eq!(cell.n, 3);
        assert!(
            cell.p10_us > 0.0 && cell.p10_us <= cell.median_us && cell.median_us <= cell.p90_us
        );
        assert_ne!(cell.used, "auto");
    }
}

#[test]
fn a_missing_program_is_an_error_before_any_allocation() {
    let options = Options {
        program: "/nonexistent/prog".into(),
        parent_mib: vec![u64::MAX >> 21],
        ..Options::default()
    };
    let err = run(&options, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("No such file"), "{err}");
    let options = Options {
        methods: vec![Method::Std],
        ..options
    };
    let err = run(&options, &mut |_| {}).unwrap_err().to_string();
    assert!(
        err.contains("/nonexistent/prog") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn repeated_methods_and_sizes_are_measured_once() {
    let options = Options {
        methods: vec![Method::Std, Method::Spawn(Strategy::Auto), Method::Std],
        parent_mib: vec![0, 0],
        n: 2,
        warmup: 0,
        ..Options::default()
    };
    let report = run(&options, &mut |_| {}).unwrap();
    let cells: Vec<_> = report.results.iter().map(|c| c.strategy.as_str()).collect();
    assert_eq!(cells, ["std", "auto"]);
}

#[test]
fn a_run_hands_over_each_size_as_it_is_measured() {
    let options = Options {
        methods: vec![Method::Spawn(Strategy::Auto), Method::Std],
        parent_mib: vec![0, 2, 0],
        n: 2,
        warmup: 0,
        ..Options::default()
    };
    let mut rounds = 0;
    let mut run = Run::start(&options, |_| rounds += 1).unwrap();
    assert!(run.report().results.is_empty());
    let mut sizes = Vec::new();
    while let Some(cells) = run.next() {
        let cells = cells.unwrap();
        assert!(run.report().results.ends_with(&cells));
        sizes.push(cells.iter().map(|c| c.parent_mib).collect::<Vec<_>>());
    }
    assert_eq!(sizes, [[0, 0], [2, 2]]);
    let report = run.into_report();
    assert_eq!(report.results.len(), 4);
    assert_eq!(rounds, 4, "one call per round, two rounds per size");
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_any_is_measured() {
    let options = Options {
        parent_mib: vec![0, crate::ballast::MAX_MIB],
        n: 1,
        ..Options::default()
    };
    let mut rounds = 0;
    let err = Run::start(&options, |_| rounds += 1).err().unwrap();
    assert!(
        err.to_string().starts_with("cannot make the parent "),
        "{err}"
    );
    assert_eq!(rounds, 0);
}

#[test]
fn too_many_spawns_are_refused_before_anything_runs() {
    let options = Options {
        n: MAX_N + 1,
        ..Options::default()
    };
    let err = run(&options, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "-n 1000001 is too many: at most 1000000 spawns per cell"
    );
}

#[test]
fn children_that_fail_are_counted() {
    let options = Options {
        program: "/bin/false".into(),
        methods: vec![Method::Spawn(Strategy::Auto), Method::Std],
        parent_mib: vec![0],
        n: 3,
        warmup: 0,
    };
    let report = run(&options, &mut |_| {}).unwrap();
    assert!(report.results.iter().all(|c| c.failed == 3), "{report:?}");
}
