//! One test per pam_limits rule the crate documents.

use forklab_limits::*;

fn bob() -> Subject {
    Subject {
        user: "bob".into(),
        uid: 1000,
        gid: 1000,
        groups: vec![("bob".into(), 1000), ("dev".into(), 2000)],
    }
}

fn root() -> Subject {
    Subject {
        user: "root".into(),
        uid: 0,
        gid: 0,
        groups: vec![("root".into(), 0)],
    }
}

/// (soft, hard) of `item` as "value@line", "-" when not set.
fn show(text: &str, who: &Subject, dialect: Dialect, item: &str) -> (String, String) {
    let r = resolve(&[parse("f", text, dialect)], who, dialect);
    let row = r.items.iter().find(|i| i.item.name() == item).unwrap();
    let s = |s: &Option<Setting>| {
        s.as_ref()
            .map_or("-".into(), |s| format!("{}@{}", s.value, s.source.line))
    };
    (s(&row.soft), s(&row.hard))
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.into(), b.into())
}

fn problems(text: &str, dialect: Dialect) -> Vec<String> {
    parse("f", text, dialect)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn user_beats_group_beats_wildcard_whatever_the_order() {
    let text = "bob soft nproc 1\n@dev soft nproc 2\n* soft nproc 3\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("1@1", "-")
    );
    let text = "* soft nproc 3\n@dev soft nproc 2\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("2@2", "-")
    );
}

#[test]
fn among_equals_the_later_line_wins() {
    let text = "* hard nofile 10\n* hard nofile 20\n@dev - nofile 5\n@bob - nofile 6\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nofile"),
        pair("6@4", "6@4")
    );
}

#[test]
fn a_uid_range_is_as_specific_as_a_user_name() {
    let text = "bob soft nproc 1\n1000: soft nproc 2\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("2@2", "-")
    );
    let text = ":999 soft nproc 1\n900:999 soft nproc 2\n1001: soft nproc 3\n";
    assert_eq!(show(text, &bob(), Dialect::Debian, "nproc"), pair("-", "-"));
}

#[test]
fn gid_ranges_look_at_the_primary_group_and_exact_gids_at_all() {
    let text = "@2000: soft nproc 1\n";
    assert_eq!(show(text, &bob(), Dialect::Debian, "nproc"), pair("-", "-"));
    let text = "@:2000 soft nproc 1\n@1000:1000 hard nproc 2\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("1@1", "2@2")
    );
}

#[test]
fn a_blocked_soft_value_stops_a_dash_line_before_its_hard_value() {
    let text = "bob soft nproc 1\n* - nproc 9\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("1@1", "-")
    );
}

#[test]
fn debian_does_not_apply_wildcard_or_named_group_lines_to_root() {
    let text = "* soft nproc 1\n@root hard nproc 2\n";
    assert_eq!(
        show(text, &root(), Dialect::Debian, "nproc"),
        pair("-", "-")
    );
    assert_eq!(
        show(text, &root(), Dialect::Upstream, "nproc"),
        pair("1@1", "2@2")
    );
    let text = "0: soft nproc 3\n@:0 hard nproc 4\nroot soft core 5\n";
    assert_eq!(
        show(text, &root(), Dialect::Debian, "nproc"),
        pair("3@1", "4@2")
    );
    assert_eq!(
        show(text, &root(), Dialect::Debian, "core"),
        pair("5@3", "-")
    );
}

#[test]
fn a_no_limits_line_clears_everything_and_stops() {
    let later = parse("g", "bob soft nofile 7\n", Dialect::Debian);
    let first = parse("f", "* soft nproc 1\n@dev -\n", Dialect::Debian);
    let r = resolve(&[first, later], &bob(), Dialect::Debian);
    assert_eq!(r.no_limits.unwrap().to_string(), "f:2");
    assert!(r.items.iter().all(|i| i.soft.is_none() && i.hard.is_none()));
    let mine = resolve(
        &[parse("f", "root -\n", Dialect::Debian)],
        &root(),
        Dialect::Debian,
    );
    assert!(mine.no_limits.is_some());
    let group = resolve(
        &[parse("f", "@root -\n", Dialect::Debian)],
        &root(),
        Dialect::Debian,
    );
    assert!(group.no_limits.is_some(), "@group - applies to root too");
}

#[test]
fn a_wildcard_no_limits_line_has_no_effect_and_is_reported() {
    let text = "* -\n* soft nproc 1\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("1@2", "-")
    );
    assert_eq!(problems(text, Dialect::Debian).len(), 1);
    assert!(problems(text, Dialect::Debian)[0].starts_with("f:1: \"* -\" has no effect"));
}

#[test]
fn priority_nonewprivs_and_chroot_have_no_precedence() {
    let text = "bob - priority 3\n* - priority 7\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "priority"),
        pair("7@2", "7@2")
    );
    let text = "bob - chroot /jail\n* soft chroot /other\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "chroot"),
        pair("/other@2", "/other@2")
    );
}

#[test]
fn chroot_is_debian_only_and_lowercased() {
    assert_eq!(
        show("* - chroot /tmp/JAIL\n", &bob(), Dialect::Debian, "chroot").0,
        "/tmp/jail@1"
    );
    let p = problems("* - chroot /tmp\n", Dialect::Upstream);
    assert_eq!(
        p,
        ["f:1: unknown item \"chroot\"; pam_limits skips the line"]
    );
}

#[test]
fn maxlogins_and_maxsyslogins_share_one_slot() {
    let text = "bob - maxlogins 4\n* - maxsyslogins 9\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "maxlogins"),
        pair("-", "-")
    );
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "maxsyslogins"),
        pair("4@1", "4@1")
    );
    let text = "%dev hard maxlogins 2\n% - maxlogins 3\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "maxlogins"),
        pair("2@1", "2@1")
    );
}

#[test]
fn percent_domains_are_for_maxlogins_only() {
    let p = problems(
        "% - maxsyslogins 5\n%dev soft nproc 1\n%1:5 - maxlogins 1\n",
        Dialect::Debian,
    );
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[0].contains("for maxlogins only, not maxsyslogins"));
    assert!(p[2].contains("gid ranges are not supported with %"));
}

#[test]
fn case_rules_type_item_value_lowercased_domain_not() {
    let text = "* SOFT NPROC 5\nBOB hard nproc 6\n* Hard Nofile UNLIMITED\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nproc"),
        pair("5@1", "-")
    );
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nofile"),
        pair("-", "unlimited@3")
    );
}

#[test]
fn invalid_lines_are_reported_never_used() {
    let text = "bob soft\n* soft nofile\n* bogus nproc 1\n* soft nproc abc\n* soft nosuch 1\n\
                bob\n1:2:3 soft nproc 1\n* soft nice unlimited\n";
    let parsed = parse("f", text, Dialect::Debian);
    assert!(parsed.entries.is_empty(), "{:?}", parsed.entries);
    let p: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
    assert_eq!(p.len(), 8, "{p:?}");
    assert!(p[0].starts_with("f:1: wrong field count: 2 fields"));
    assert!(p[1].starts_with("f:2: wrong field count: 3 fields"));
    assert!(p[2].starts_with("f:3: bad type \"bogus\""));
    assert!(p[3].starts_with("f:4: bad value \"abc\" for nproc"));
    assert!(p[4].starts_with("f:5: unknown item \"nosuch\""));
    assert!(p[5].starts_with("f:6: wrong field count: 1 field "));
    assert!(p[6].starts_with("f:7: invalid uid/gid range \"1:2:3\""));
    assert!(p[7].starts_with("f:8: bad value \"unlimited\" for nice"));
    assert!(parsed.problems.iter().all(|p| p.skipped));
}

#[test]
fn lines_used_differently_from_how_they_look_are_reported_and_used() {
    let text = "* soft nproc 12abc\n* hard nproc -5\n* soft nice 30\n* - nonewprivs yes\n\
                * soft core 99999999999999999999999\n";
    let parsed = parse("f", text, Dialect::Debian);
    assert_eq!(parsed.entries.len(), 5);
    assert!(parsed.problems.iter().all(|p| !p.skipped));
    let p: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        p[0],
        "f:1: \"abc\" after the number is ignored: pam_limits reads 12"
    );
    assert!(p[1].contains("wraps around: pam_limits reads 18446744073709551611"));
    assert!(p[2].contains("clamps it to 19"));
    assert!(p[3].contains("sets 0"));
    assert!(p[4].contains("reads it as unlimited"));
    let nonewprivs = &parsed.entries[3].rule;
    assert!(matches!(
        nonewprivs,
        Rule::Set {
            value: Value::Flag(false),
            ..
        }
    ));
}

#[test]
fn a_fifth_field_debian_ignores_it_upstream_makes_it_part_of_the_value() {
    let text = "* soft nofile unlimited extra\n";
    assert_eq!(
        show(text, &bob(), Dialect::Debian, "nofile").0,
        "unlimited@1"
    );
    assert_eq!(
        problems(text, Dialect::Debian),
        ["f:1: \"extra\" after the value is ignored"]
    );
    assert_eq!(show(text, &bob(), Dialect::Upstream, "nofile").0, "-");
    assert!(problems(text, Dialect::Upstream)[0].contains("bad value \"unlimited extra\""));
}

#[test]
fn the_two_field_line_needs_a_type_starting_with_dash() {
    let parsed = parse("f", "bob -x\nbob soft\n", Dialect::Debian);
    assert_eq!(parsed.entries.len(), 1);
    assert_eq!(parsed.entries[0].rule, Rule::NoLimits);
    assert!(parsed.problems[0].message.contains("reads it as \"-\""));
    assert!(parsed.problems[1].skipped);
}

#[test]
fn types_are_ignored_for_maxlogins_and_nonewprivs() {
    let parsed = parse(
        "f",
        "bob whatever maxlogins 3\nbob x nonewprivs 1\nbob x priority 1\n",
        Dialect::Debian,
    );
    assert_eq!(parsed.entries.len(), 2);
    assert!(parsed.problems[2].skipped);
}

#[test]
fn effective_values_use_the_units() {
    let row = |item: &str| {
        let text = "* soft core 10\n* soft cpu 2\n* soft msgqueue 10\n* soft nice -5\n";
        let r = resolve(
            &[parse("f", text, Dialect::Debian)],
            &bob(),
            Dialect::Debian,
        );
        let row = r.items.into_iter().find(|i| i.item.name() == item).unwrap();
        effective_rlimit(row.item, &row.soft.unwrap().value)
    };
    assert_eq!(row("core"), Some(10240));
    assert_eq!(row("cpu"), Some(120));
    assert_eq!(row("msgqueue"), Some(10));
    assert_eq!(row("nice"), Some(25));
}

#[test]
fn soft_above_hard_is_lowered() {
    let r = resolve(
        &[parse(
            "f",
            "* soft nproc 10\n* hard nproc 5\n",
            Dialect::Debian,
        )],
        &bob(),
        Dialect::Debian,
    );
    let row = r.items.iter().find(|i| i.item == Item::Nproc).unwrap();
    assert!(row.soft_lowered());
}

#[test]
fn limits_d_files_are_conf_only_sorted_bytewise_no_dotfiles() {
    let names = [
        "b.conf",
        "A.conf",
        ".hidden.conf",
        "a.conf",
        "notes.txt",
        "10-x.conf",
        "conf",
    ];
    assert_eq!(
        limits_d_order(names),
        ["10-x.conf", "A.conf", "a.conf", "b.conf"]
    );
}

#[test]
fn rttime_is_upstreams_and_debian_skips_it() {
    // Debian 12's pam_limits.so predates rttime: the line is skipped there, and reported.
    let text = "* - rttime 5\n";
    assert_eq!(
        problems(text, Dialect::Debian).len(),
        1,
        "{:?}",
        problems(text, Dialect::Debian)
    );
    assert!(problems(text, Dialect::Upstream).is_empty());
    assert_eq!(
        show(text, &bob(), Dialect::Upstream, "rttime"),
        pair("5@1", "5@1")
    );
}
