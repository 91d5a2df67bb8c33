//! Renders a report.json into DIR/index.html: `cargo run -p forklab-report --example render
//! -- REPORT.json DIR`. Problems the renderer found go to stderr.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, dir] = args.as_slice() else {
        eprintln!("usage: render REPORT.json DIR");
        return ExitCode::from(2);
    };
    match run(input, dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("render: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(input: &str, dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
    let report: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{input}: {e}"))?;
    for problem in forklab_report::check(&report) {
        eprintln!("render: warning: {problem}");
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let out = std::path::Path::new(dir).join("index.html");
    std::fs::write(&out, forklab_report::render(&report))
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!("{}", out.display());
    Ok(())
}
