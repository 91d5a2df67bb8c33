//! Cutting a file into lines and a line into fields, as each pam_limits does it.
//!
//! Both read a line, skip leading white space (C `isspace`), cut it at the first `#`
//! anywhere (a `#` mid-line starts a comment too, even inside a value: `12#22` is `12`), and
//! skip what is left if empty. A NUL byte ends the line for them (they use C strings).
//!
//! * [`Dialect::Debian`] (linux-pam 1.5.x, Debian 12's `pam_limits.so`): `fgets` into a
//!   1024-byte buffer, so a line longer than 1023 bytes is read as several lines; then
//!   `sscanf("%s%s%s%s")`: up to four fields separated by any white space, and a fifth field
//!   or more is ignored without a word.
//! * [`Dialect::Upstream`] (current linux-pam, `split()`): `getline`, so no length limit;
//!   the first three fields are separated by spaces and tabs only (a `\r` is part of a field),
//!   and the value is the whole rest of the line, trimmed of spaces and tabs: `1024 extra`
//!   is one value (which `strtoull` reads as 1024, but `unlimited extra` is no value at all).

use crate::Dialect;
use crate::cnum::is_c_space;

/// `fgets`' buffer in linux-pam 1.5's `parse_config_file` (`LINE_LENGTH`).
const FGETS_BUFFER: usize = 1024;

/// A line as pam_limits sees it, comments and leading white space gone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// 1-based line number in the file.
    pub number: usize,
    /// Up to four fields (`domain`, `type`, `item`, `value`).
    pub fields: Vec<String>,
    /// Debian: fields after the fourth, which sscanf ignores.
    pub ignored: Option<String>,
    /// What the reading did that the line does not show (a NUL, a split long line).
    pub notes: Vec<String>,
}

/// The non-empty lines of `text`.
pub(crate) fn lines(text: &str, dialect: Dialect) -> Vec<Line> {
    let mut out = Vec::new();
    for (index, physical) in text.split('\n').enumerate() {
        let number = index + 1;
        let bytes = physical.as_bytes();
        let pieces: Vec<&[u8]> = match dialect {
            // fgets keeps room for the '\n' only when the line fits: a line of 1023 bytes or
            // more (without its newline) comes in 1023-byte reads.
            Dialect::Debian if bytes.len() >= FGETS_BUFFER - 1 => {
                bytes.chunks(FGETS_BUFFER - 1).collect()
            }
            _ => vec![bytes],
        };
        let split = pieces.len() > 1;
        for piece in pieces {
            let mut notes = Vec::new();
            if split {
                notes.push(format!(
                    "line longer than {} bytes: pam_limits 1.5 reads it as {} lines",
                    FGETS_BUFFER - 1,
                    bytes.len().div_ceil(FGETS_BUFFER - 1)
                ));
            }
            if let Some(line) = one(piece, dialect, number, notes) {
                out.push(line);
            }
        }
    }
    out
}

/// One read line, or None when nothing is left of it.
fn one(raw: &[u8], dialect: Dialect, number: usize, mut notes: Vec<String>) -> Option<Line> {
    let mut content = raw;
    if let Some(nul) = content.iter().position(|&b| b == 0) {
        content = &content[..nul];
        notes.push("NUL byte: pam_limits ignores the rest of the line".into());
    }
    let start = content.iter().take_while(|&&b| is_c_space(b)).count();
    let mut content = &content[start..];
    if let Some(hash) = content.iter().position(|&b| b == b'#') {
        content = &content[..hash];
    }
    if content.is_empty() {
        return None;
    }
    let (fields, ignored) = match dialect {
        Dialect::Debian => scanf_fields(content),
        Dialect::Upstream => (split_fields(content), None),
    };
    Some(Line {
        number,
        fields,
        ignored,
        notes,
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `sscanf(line, "%s%s%s%s", …)`: white-space separated, four at most.
fn scanf_fields(content: &[u8]) -> (Vec<String>, Option<String>) {
    let mut tokens = content.split(|&b| is_c_space(b)).filter(|t| !t.is_empty());
    let fields: Vec<String> = tokens.by_ref().take(4).map(text).collect();
    let rest: Vec<String> = tokens.map(text).collect();
    (fields, (!rest.is_empty()).then(|| rest.join(" ")))
}

/// linux-pam's `split()`: three `strtok_r(" \t")` fields, then the rest trimmed of spaces
/// and tabs.
fn split_fields(content: &[u8]) -> Vec<String> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut fields = Vec::new();
    let mut rest = content;
    for _ in 0..3 {
        let start = rest.iter().take_while(|b| blank(b)).count();
        rest = &rest[start..];
        if rest.is_empty() {
            return fields;
        }
        let end = rest.iter().position(blank).unwrap_or(rest.len());
        fields.push(text(&rest[..end]));
        // strtok_r steps over the one delimiter that ended the token.
        rest = &rest[(end + 1).min(rest.len())..];
    }
    let start = rest.iter().take_while(|b| blank(b)).count();
    let end = rest.len() - rest.iter().rev().take_while(|b| blank(b)).count();
    if start < end {
        fields.push(text(&rest[start..end]));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str, dialect: Dialect) -> Vec<Vec<String>> {
        lines(text, dialect).into_iter().map(|l| l.fields).collect()
    }

    #[test]
    fn comments_blank_lines_and_leading_space() {
        let text = "# comment\n\n   \t\n  * soft core 0 # trailing\n*\thard\tnofile\t12#34\n";
        for dialect in [Dialect::Debian, Dialect::Upstream] {
            assert_eq!(
                fields(text, dialect),
                vec![
                    vec!["*", "soft", "core", "0"],
                    vec!["*", "hard", "nofile", "12"]
                ]
            );
            assert_eq!(lines(text, dialect)[0].number, 4);
        }
    }

    #[test]
    fn a_fifth_field_is_ignored_by_sscanf_and_part_of_the_value_for_split() {
        let line = "* soft nofile 1024 extra words";
        let debian = &lines(line, Dialect::Debian)[0];
        assert_eq!(debian.fields, ["*", "soft", "nofile", "1024"]);
        assert_eq!(debian.ignored.as_deref(), Some("extra words"));
        assert_eq!(
            fields(line, Dialect::Upstream),
            [["*", "soft", "nofile", "1024 extra words"]]
        );
    }

    #[test]
    fn carriage_returns_split_only_for_sscanf() {
        assert_eq!(
            fields("* - nproc 5\r", Dialect::Debian),
            [["*", "-", "nproc", "5"]]
        );
        assert_eq!(
            fields("* - nproc 5\r", Dialect::Upstream),
            [["*", "-", "nproc", "5\r"]]
        );
    }

    #[test]
    fn long_lines_are_read_in_pieces_by_fgets() {
        let long = format!("* soft nproc 5{}x y", " ".repeat(1100));
        let debian = lines(&long, Dialect::Debian);
        assert_eq!(debian.len(), 2);
        assert_eq!(debian[1].fields, ["x", "y"]);
        assert!(debian[0].notes[0].contains("longer than 1023"));
        assert_eq!(lines(&long, Dialect::Upstream).len(), 1);
    }

    #[test]
    fn a_nul_ends_the_line() {
        let l = &lines("* soft nproc 5\0 junk", Dialect::Upstream)[0];
        assert_eq!(l.fields, ["*", "soft", "nproc", "5"]);
        assert!(l.notes[0].contains("NUL"));
    }
}
