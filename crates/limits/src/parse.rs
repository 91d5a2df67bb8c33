//! A file's lines become [`Entry`] values and [`Problem`]s, never a panic.
//!
//! `parse_config_file` checks a line in this order, and so does [`parse`]: the domain's id
//! range, then the number of fields (4: a limit; 2 with a type starting with `-`: "no
//! limits"; anything else is an invalid line), then in `process_limit` the item (lowercased;
//! unknown: skipped), the type (lowercased; `soft`, `hard` or `-`, except that maxlogins,
//! maxsyslogins and nonewprivs take any type), the value, and last that a `%` domain is only
//! for maxlogins (so `% - maxsyslogins 5` is skipped, whatever the man page says).

use crate::Dialect;
use crate::domain::{self, Domain, IdMatch};
use crate::item::Item;
use crate::line::{self, Line};
use crate::value::{self, Value};
use serde::Serialize;
use std::fmt;

/// Where a line is: `file:line`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The file's name as the caller gave it.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// `soft`, `hard` or `-` (both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitType {
    /// `soft`.
    Soft,
    /// `hard`.
    Hard,
    /// `-`: soft, then hard.
    Both,
}

impl LimitType {
    /// The type as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            LimitType::Soft => "soft",
            LimitType::Hard => "hard",
            LimitType::Both => "-",
        }
    }
}

/// What a line says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// `<domain> <type> <item> <value>`.
    Set {
        /// Soft, hard or both (for maxlogins, maxsyslogins and nonewprivs, whatever was
        /// written: their type is not used).
        ty: LimitType,
        /// The item.
        item: Item,
        /// The value as written.
        value: Value,
    },
    /// `<domain> -`: pam_limits sets no limit at all for a user it matches (and stops
    /// reading).
    NoLimits,
}

/// A line pam_limits uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Where it is.
    pub source: Source,
    /// Who it is for.
    pub domain: Domain,
    /// What it says.
    pub rule: Rule,
}

impl Entry {
    /// The entry as a line of limits.conf.
    pub fn to_line(&self) -> String {
        match &self.rule {
            Rule::Set { ty, item, value } => {
                format!("{}\t{}\t{}\t{}", self.domain, ty.name(), item, value)
            }
            Rule::NoLimits => format!("{}\t-", self.domain),
        }
    }
}

/// A line pam_limits skips, or reads differently from how it looks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where it is.
    pub source: Source,
    /// What is wrong, in one line.
    pub message: String,
    /// Whether pam_limits skips the line (false: it uses it, as the message says).
    pub skipped: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

/// A file, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The file's name as the caller gave it.
    pub file: String,
    /// The lines pam_limits uses, in order.
    pub entries: Vec<Entry>,
    /// Every line it skips or reads differently, in order.
    pub problems: Vec<Problem>,
}

/// Parses the text of one limits.conf-format file named `file`. Never panics.
pub fn parse(file: &str, text: &str, dialect: Dialect) -> Parsed {
    let mut parsed = Parsed {
        file: file.to_string(),
        ..Parsed::default()
    };
    for line in line::lines(text, dialect) {
        let source = Source {
            file: file.to_string(),
            line: line.number,
        };
        let mut notes = line.notes.clone();
        match entry(&line, dialect, &mut notes) {
            Ok(rule_and_domain) => {
                if let Some((domain, rule)) = rule_and_domain {
                    parsed.entries.push(Entry {
                        source: source.clone(),
                        domain,
                        rule,
                    });
                }
                let problems = notes.into_iter().map(|message| Problem {
                    source: source.clone(),
                    message,
                    skipped: false,
                });
                parsed.problems.extend(problems);
            }
            Err(message) => {
                let note = notes
                    .into_iter()
                    .map(|m| format!("{m}; "))
                    .collect::<String>();
                parsed.problems.push(Problem {
                    source,
                    message: format!("{note}{message}"),
                    skipped: true,
                });
            }
        }
    }
    parsed
}

/// The entry of one line (None: a valid line with no effect), or why it is skipped.
fn entry(
    line: &Line,
    dialect: Dialect,
    notes: &mut Vec<String>,
) -> Result<Option<(Domain, Rule)>, String> {
    let f = &line.fields;
    let parsed = domain::parse(&f[0])?;
    notes.extend(parsed.notes);
    let domain = parsed.domain;
    let ty = f.get(1).map(|t| t.to_ascii_lowercase()).unwrap_or_default();
    match f.len() {
        4 => {
            if let Some(extra) = &line.ignored {
                notes.push(format!("{extra:?} after the value is ignored"));
            }
            set(domain, &ty, [&f[2], &f[3]], dialect, notes).map(Some)
        }
        2 if ty.starts_with('-') => no_limits(domain, &ty, notes),
        n => Err(format!(
            "wrong field count: {n} field{} (want <domain> <type> <item> <value>, or \
             <domain> -); pam_limits skips the line",
            if n == 1 { "" } else { "s" }
        )),
    }
}

fn set(
    domain: Domain,
    ty: &str,
    [item, value]: [&str; 2],
    dialect: Dialect,
    notes: &mut Vec<String>,
) -> Result<(Domain, Rule), String> {
    if let Domain::LoginGid(IdMatch::AtLeast(_) | IdMatch::Between(..)) = domain {
        return Err(format!(
            "gid ranges are not supported with % ({domain}); pam_limits ignores the line"
        ));
    }
    let item = Item::from_name(&item.to_ascii_lowercase(), dialect)
        .ok_or_else(|| format!("unknown item {item:?}; pam_limits skips the line"))?;
    let typed = match ty {
        "soft" => Some(LimitType::Soft),
        "hard" => Some(LimitType::Hard),
        "-" => Some(LimitType::Both),
        _ => None,
    };
    let ty = match typed {
        Some(t) => t,
        None if matches!(
            item,
            Item::Maxlogins | Item::Maxsyslogins | Item::Nonewprivs
        ) =>
        {
            notes.push(format!(
                "type {ty:?} is not soft, hard or -; {item} ignores it"
            ));
            LimitType::Both
        }
        None => {
            return Err(format!(
                "bad type {ty:?} (soft, hard or -); pam_limits skips the line"
            ));
        }
    };
    let (value, value_notes) = value::parse(item, &value.to_ascii_lowercase())?;
    notes.extend(value_notes);
    let percent = matches!(
        domain,
        Domain::AllLogins | Domain::LoginGroup(_) | Domain::LoginGid(_)
    );
    if percent && item != Item::Maxlogins {
        return Err(format!(
            "a % domain is for maxlogins only, not {item}; pam_limits skips the line"
        ));
    }
    Ok((domain, Rule::Set { ty, item, value }))
}

fn no_limits(
    domain: Domain,
    ty: &str,
    notes: &mut Vec<String>,
) -> Result<Option<(Domain, Rule)>, String> {
    if ty != "-" {
        notes.push(format!(
            "type {ty:?} starts with '-': pam_limits reads it as \"-\""
        ));
    }
    match domain {
        Domain::Wildcard | Domain::AllLogins | Domain::LoginGroup(_) => Err(format!(
            "\"{domain} -\" has no effect: pam_limits honours \"<domain> -\" only for a user, \
             an @group or an id range"
        )),
        // After a '%', parse_config_file's "no limits" branch reads an id range as a uid one.
        Domain::LoginGid(ids) => {
            notes.push(format!("\"%{ids} -\" is read as the uid range {ids}"));
            Ok(Some((Domain::Uid(ids), Rule::NoLimits)))
        }
        domain => Ok(Some((domain, Rule::NoLimits))),
    }
}
