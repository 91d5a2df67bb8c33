//! The page rendered from real `forklab lab` reports (tests/fixtures, made on a 2-core
//! machine with Linux 6.18) and from reports that are damaged in every way we could think
//! of: sections skipped, failed, missing or of the wrong type, a whole report that is not an
//! object, a future version. `render` must never panic and never give a blank page.

use forklab_report::{SECTIONS, check, render};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The findings of a page, in order, unescaped enough to compare.
fn findings(html: &str) -> Vec<String> {
    html.split("<p class=\"finding\">")
        .skip(1)
        .map(|s| s.split("</p>").next().unwrap_or("").replace("&#39;", "'"))
        .collect()
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// What every page must be, whatever it was made from.
fn assert_page(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "no doctype");
    assert!(html.trim_end().ends_with("</html>"), "not a whole page");
    assert!(html.contains("<h1>forklab report</h1>"));
    for key in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{key}\"")),
            "no section {key}"
        );
    }
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "a script tag"
    );
    for token in html.split(|c: char| !c.is_ascii_alphanumeric() && c != '.') {
        let t = token.trim_matches('.');
        assert!(
            !matches!(t, "NaN" | "inf" | "infinity" | "Infinity"),
            "{t} on the page"
        );
    }
    for (open, close) in [
        ("<svg", "</svg>"),
        ("<g>", "</g>"),
        ("<figure>", "</figure>"),
        ("<table", "</table>"),
        ("<section", "</section>"),
        ("<tr", "</tr>"),
        ("<p ", "</p>"),
    ] {
        assert_eq!(
            count(html, open),
            count(html, close),
            "{open} and {close} unbalanced"
        );
    }
    // Every section says something: a finding or a message.
    for part in html.split("<section id=").skip(1) {
        assert!(
            part.contains("class=\"finding\"")
                || part.contains("class=\"warn\"")
                || part.contains("class=\"fail\"")
                || part.contains("class=\"skipped\""),
            "a silent section: {}",
            &part[..part.len().min(200)]
        );
    }
}

#[test]
fn the_quick_sample_reads_as_the_lab_measured_it() {
    let report = fixture("quick_report.json");
    let html = render(&report);
    assert_page(&html);
    assert_eq!(
        findings(&html),
        [
            "The parent ran first in 99.9% of 2,000 forks; across all 16 fork and clone variants it was 99.25–100%, and vfork's child always ran first, as vfork guarantees.",
            "At 256 MiB, fork+exec costs 28× what vfork-exec does (17.9\u{a0}ms against 629\u{a0}µs), and vfork-exec stays flat (within 16% of its cost at 0 MiB).",
            "All 40 attributes behave as POSIX and the man pages say; 0 mismatches.",
            "execve accepted 2,096,622 bytes (2\u{a0}MiB) of arguments and environment, exactly what the kernel's formula predicts, and single strings up to 131,071 bytes; nothing differs from the kernel's rules.",
            "The fork-per-client server used 5.8× the CPU of prefork for the same 500 connections and completed 5.4× fewer connections per second.",
            "Every bomb was caught within 174\u{a0}ms and gone within 281\u{a0}ms; the benign burst of 1,500 processes raised no incident.",
            "pam_limits sets no limits for root (uid 0) from /etc/security/limits.conf: every limit keeps its current value.",
        ]
    );
    assert!(check(&report).is_empty(), "{:?}", check(&report));
    // Machine facts at the top.
    for fact in [
        "6.18.44-fc-v669",
        "24\u{a0}GiB",
        "2.36",
        "2026-11-30 11:58 UTC",
        "quick (--quick)",
    ] {
        assert!(html.contains(fact), "no {fact}");
    }
}

#[test]
fn the_full_sample_has_its_sweep_and_its_limits() {
    let html = render(&fixture("full_report.json"));
    assert_page(&html);
    let f = findings(&html);
    assert_eq!(
        f[1],
        "At 1,024 MiB, fork+exec costs 69× what vfork-exec does (41.2\u{a0}ms against 601\u{a0}µs), and vfork-exec stays flat (within 14% of its cost at 0 MiB)."
    );
    assert_eq!(
        f[6],
        "pam_limits sets 4 of 21 limits for nobody (uid 65534) from limits.conf: core, nofile, stack, nproc; it skips or misreads 1 line (forklab limits check lists them)."
    );
    // One column per parent size, a row per strategy.
    for size in [
        "0 MiB (µs)",
        "64 MiB (µs)",
        "256 MiB (µs)",
        "1,024 MiB (µs)",
    ] {
        assert!(html.contains(size), "no column {size}");
    }
    assert!(html.contains("<th scope=\"row\">auto (clone3)</th>"));
    assert!(html.contains("<th scope=\"row\">nproc</th><td>100</td><td>200</td>"));
    assert!(html.contains("log scale"));
    assert!(html.contains(">full<"));
}

#[test]
fn every_chart_is_one_labelled_svg_per_layout() {
    let html = render(&fixture("quick_report.json"));
    let ids = [
        "chart-race",
        "chart-spawn-cost",
        "chart-echo-cpu",
        "chart-echo-rate",
        "chart-guard",
    ];
    assert_eq!(count(&html, "class=\"chart chart-wide\""), ids.len());
    assert_eq!(count(&html, "class=\"chart chart-narrow\""), ids.len());
    assert_eq!(count(&html, "<figure>"), ids.len());
    for id in ids {
        assert!(
            html.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
            "{id}"
        );
        assert!(html.contains(&format!("<title id=\"{id}-title\">")), "{id}");
        assert!(
            html.contains(&format!("<title id=\"{id}-narrow-title\">")),
            "{id}"
        );
    }
    for figure in html.split("<figure>").skip(1) {
        let figure = figure.split("</figure>").next().unwrap_or("");
        assert_eq!(count(figure, "chart-wide"), 1);
        assert!(figure.contains("viewBox=\"0 0 640 "));
        assert!(figure.contains("<figcaption>"));
    }
    // Axis titles with their units.
    for axis in [
        "trials in which the parent ran first (%)",
        "median time (µs, log scale)",
        "server CPU time, user + system (s)",
        "connections per second",
        "milliseconds from the bomb&#39;s start",
    ] {
        assert!(html.contains(axis), "no axis {axis}");
    }
}

#[test]
fn tables_have_their_rows() {
    let html = render(&fixture("quick_report.json"));
    assert_eq!(
        count(&html, "<th scope=\"row\">fork · any CPU · other</th>"),
        1
    );
    assert!(html.contains("<th scope=\"row\">prefork-fdpass</th>"));
    assert!(html.contains("<th scope=\"row\">vfork-exec</th>"));
    assert!(html.contains("Process ID"));
    assert!(html.contains("MAX_ARG_STRLEN"));
    assert_eq!(count(&html, "class=\"mismatch\""), 0);
    assert!(html.contains("Not set (kept as they are): core, data"));
}

#[test]
fn each_command_document_renders_alone() {
    for key in SECTIONS {
        let doc = fixture(&format!("quick_{key}.json"));
        let html = render(&json!({"report_version": 1, key: doc}));
        assert_page(&html);
        let section = html
            .split(&format!("<section id=\"{key}\""))
            .nth(1)
            .unwrap();
        let section = section.split("</section>").next().unwrap();
        assert!(
            section.contains("class=\"finding\""),
            "{key} has no finding"
        );
        assert!(!section.contains("class=\"warn\""), "{key}: {section}");
    }
}

#[test]
fn skipped_failed_missing_and_garbage_sections_say_so() {
    let sample = fixture("quick_report.json");
    for key in SECTIONS {
        let with = |value: Value| {
            let mut r = sample.clone();
            r[key] = value;
            r
        };
        let html = render(&with(json!({"skipped": "needs root <here>"})));
        assert_page(&html);
        assert!(html.contains("Skipped: needs root &lt;here&gt;"), "{key}");
        assert!(
            check(&with(json!({"skipped": "x"}))).is_empty(),
            "a skip is not a problem"
        );

        let html = render(&with(json!({"error": "boom"})));
        assert_page(&html);
        assert!(html.contains("This experiment failed: boom"), "{key}");
        assert_eq!(check(&with(json!({"error": "boom"}))).len(), 1);

        let mut missing = sample.clone();
        missing.as_object_mut().unwrap().remove(key);
        let html = render(&missing);
        assert_page(&html);
        assert!(
            html.contains(&format!("report.json has no &quot;{key}&quot;")),
            "{key}"
        );
        assert!(check(&missing)[0].starts_with(key));

        for garbage in [
            json!(5),
            json!("x"),
            json!([1, 2]),
            json!(true),
            json!({}),
            json!({"rows": "x", "results": {}, "variants": [1, "a", null], "bombs": [{}], "items": 3}),
        ] {
            let report = with(garbage.clone());
            let html = render(&report);
            assert_page(&html);
            assert!(
                !check(&report).is_empty(),
                "{key} = {garbage}: no problem listed"
            );
        }
    }
}

#[test]
fn whole_reports_that_are_not_reports_still_give_a_page() {
    for report in [
        json!({}),
        json!(null),
        json!(5),
        json!("report"),
        json!([]),
        json!({"report_version": "one", "machine": 7}),
    ] {
        let html = render(&report);
        assert_page(&html);
        assert!(!check(&report).is_empty(), "{report}");
    }
    assert!(render(&json!(null)).contains("not a JSON object"));
    assert!(render(&json!({})).contains("has no report_version"));
}

#[test]
fn a_future_version_gets_a_banner_and_what_can_be_read() {
    let mut report = fixture("quick_report.json");
    report["report_version"] = json!(2);
    let html = render(&report);
    assert_page(&html);
    assert!(html.contains("This report is version 2; this forklab reads version 1."));
    assert_eq!(findings(&html).len(), 7);
    assert_eq!(check(&report).len(), 1);
}

#[test]
fn strings_from_the_json_are_escaped() {
    let mut report = fixture("quick_report.json");
    report["machine"]["hostname"] = json!("<script>alert(1)</script>");
    report["race"]["variants"][0]["via"] = json!("<img src=x onerror=alert(1)>");
    report["echo"]["rows"][0]["model"] = json!("\"'&<>");
    report["inherit"]["rows"][0]["seen"]["fork"] = json!("\" onmouseover=\"x");
    let html = render(&report);
    assert_page(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&quot;&#39;&amp;&lt;&gt;"));
    assert!(!html.contains("\" onmouseover=\"x"));
}

#[test]
fn findings_follow_the_data() {
    let mut report = fixture("quick_report.json");
    // A mismatch in the inheritance table.
    report["inherit"]["rows"][13]["fork"] = json!("no");
    report["inherit"]["rows"][13]["matches"] = json!(false);
    // A bomb the guard missed, with survivors.
    report["guard"]["bombs"][2]["detected"] = json!(false);
    report["guard"]["bombs"][2]["detect_ms"] = Value::Null;
    report["guard"]["bombs"][2]["zero_ms"] = Value::Null;
    report["guard"]["bombs"][2]["survivors"] = json!(12);
    report["guard"]["benign"]["incidents"] = json!(1);
    // No prefork design; no vfork-exec strategy.
    report["echo"]["rows"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["model"] != "prefork");
    report["spawn_cost"]["results"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["strategy"] != "vfork-exec");
    // Every race variant skipped.
    for v in report["race"]["variants"].as_array_mut().unwrap() {
        v["skipped"] = json!("no CPU 1 here");
    }
    let html = render(&report);
    assert_page(&html);
    let f = findings(&html);
    assert_eq!(f[0], "No variant could be measured here: no CPU 1 here.");
    assert_eq!(
        f[1],
        "With a 256 MiB parent, clone3 was fastest at 599\u{a0}µs and fork-exec slowest at 17.9\u{a0}ms (30×)."
    );
    assert_eq!(
        f[2],
        "39 of 40 attributes behave as POSIX and the man pages say; 1 mismatch: File mode creation mask."
    );
    assert!(f[4].starts_with("The fork design used the most CPU for the same 500 connections, 7.6× that of prefork-flock"), "{}", f[4]);
    assert_eq!(
        f[5],
        "2 of 3 bombs were caught (missed: shell), but 12 of their tasks survived; the benign burst of 1,500 processes raised 1 incident."
    );
    assert_eq!(
        count(&html, "<tr class=\"mismatch\">"),
        2,
        "the umask row and the shell bomb"
    );
    assert!(
        html.contains("stroke-dasharray"),
        "the bomb that never ended runs off the axis"
    );
}
