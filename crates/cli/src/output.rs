//! Rendering shared by every command: errors in the `forklab: error: …` form, stdout that
//! reports write errors instead of panicking, JSON documents, plurals, progress bars (on
//! stderr, and only when stderr is a terminal).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

/// What a failed write to stdout is reported as: `cannot write output: <the io error>`.
const CANNOT_WRITE: &str = "cannot write output";

/// Prints a clap error: help and version as clap renders them, usage errors as one line.
pub(crate) fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            crate::output::to_stderr!(
                "forklab: error: {} (see --help)",
                one_line(&e.render().to_string())
            );
            ExitCode::from(2)
        }
    }
}

/// clap's message without its `error:` prefix and usage footer, on one line: the first
/// paragraph, then each `tip:` paragraph after a `; ` (clap's suggestions, such as "a similar
/// subcommand exists").
fn one_line(rendered: &str) -> String {
    let body = rendered.trim_start();
    let body = body.strip_prefix("error: ").unwrap_or(body);
    let mut paragraphs = Vec::new();
    let mut lines = body.lines().map(str::trim).peekable();
    while lines.peek().is_some() {
        let paragraph: Vec<&str> = lines.by_ref().take_while(|l| !l.is_empty()).collect();
        if !paragraph.is_empty() {
            paragraphs.push(paragraph.join(" "));
        }
    }
    let mut paragraphs = paragraphs.into_iter();
    let first = paragraphs.next().unwrap_or_default();
    let tips = paragraphs.filter(|p| p.starts_with("tip:"));
    std::iter::once(first)
        .chain(tips)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether an error is a closed stdout (`forklab … | head`): not worth reporting. Looks
/// through the whole chain, and into the io errors serde_json wraps.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let io_kind = cause.downcast_ref::<io::Error>().map(io::Error::kind);
        let json_kind = cause
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        [io_kind, json_kind].contains(&Some(io::ErrorKind::BrokenPipe))
    })
}

/// Renders to stdout through a buffer, then flushes. A failed write (a full disk) comes back
/// as `cannot write output: …` and a closed pipe as an error [`is_broken_pipe`] recognises,
/// where `println!` would panic.
pub(crate) fn to_stdout(
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    render(&mut out)
        .and_then(|()| out.flush())
        .context(CANNOT_WRITE)
}

/// A write to stdout that failed elsewhere (in a child, say), reported as [`to_stdout`]
/// reports its own: `cannot write output: …`, or a broken pipe [`is_broken_pipe`] finds.
pub(crate) fn cannot_write(e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(CANNOT_WRITE)
}

/// `eprintln!` that cannot panic: with stderr closed or full there is nowhere left to report
/// to, and the command's work and exit status matter more than the message.
macro_rules! to_stderr {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use to_stderr;

/// Prints `value` as one pretty JSON document on stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot render JSON")?;
    to_stdout(|out| writeln!(out, "{text}"))
}

/// `1 trial`, `2 trials`: a count and a noun, plural unless the count is 1.
pub(crate) fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A progress bar on stderr, or a hidden one when stderr is not a terminal.
pub(crate) fn progress_bar(total: u64, what: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
        .expect("a valid template")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar
}

/// A spinner on stderr with the time elapsed, or a hidden one when stderr is not a terminal.
pub(crate) fn spinner(what: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {prefix} {elapsed} {msg}")
        .expect("a valid template");
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::{is_broken_pipe, one_line, plural};
    use std::io;

    #[test]
    fn clap_messages_become_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  \
                        --user <U>\n\nUsage: forklab limits show --user <U>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "the following required arguments were not provided: --user <U>"
        );
    }

    #[test]
    fn clap_tips_stay_on_the_line() {
        let rendered = "error: unrecognized subcommand 'spawncost'\n\n  tip: a similar subcommand \
                        exists: 'spawn-cost'\n\nUsage: forklab <COMMAND>\n\nFor more information, \
                        try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "unrecognized subcommand 'spawncost'; tip: a similar subcommand exists: 'spawn-cost'"
        );
    }

    #[test]
    fn broken_pipes_are_found_through_context_and_json() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::new(pipe())));
        assert!(is_broken_pipe(
            &anyhow::Error::new(pipe()).context("cannot write output")
        ));
        struct Closed;
        impl io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let json = serde_json::to_writer(Closed, &[1, 2]).unwrap_err();
        assert!(is_broken_pipe(&anyhow::Error::new(json)));
        let full = io::Error::from_raw_os_error(28);
        assert!(!is_broken_pipe(&anyhow::Error::new(full)));
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "trial"), "1 trial");
        assert_eq!(plural(0, "trial"), "0 trials");
        assert_eq!(plural(2, "attribute"), "2 attributes");
    }
}
