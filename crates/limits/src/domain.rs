//! The `<domain>` field: who a line is for.
//!
//! linux-pam's `parse_uid_range` looks at every domain with a `:` in it, before it counts
//! the fields: after one optional `@` or `%`, `min:max`, `min:` or `:max`, each number read
//! by `strtoul` (so `+5` and `-1` pass, the latter wrapping), the minimum ending exactly at
//! the first `:` and the maximum at the end of the field. Anything else with a `:` is an
//! invalid range and the line is skipped. A `:` alone (or `@:`) is invalid too.
//! The domain is compared case-sensitively (neither pam_limits lowercases it).

use crate::cnum::strtoull;
use serde::Serialize;
use std::fmt;

/// The ids an id range domain matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdMatch {
    /// `:id`: exactly this id. For a group, any of the user's groups (supplementary too).
    Exact(u32),
    /// `min:`: this id and above. For a group, the primary group only.
    AtLeast(u32),
    /// `min:max`, both included. For a group, the primary group only.
    Between(u32, u32),
}

impl IdMatch {
    /// Whether `id` is in the range.
    pub fn contains(self, id: u32) -> bool {
        match self {
            IdMatch::Exact(x) => id == x,
            IdMatch::AtLeast(min) => id >= min,
            IdMatch::Between(min, max) => (min..=max).contains(&id),
        }
    }
}

impl fmt::Display for IdMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdMatch::Exact(x) => write!(f, ":{x}"),
            IdMatch::AtLeast(min) => write!(f, "{min}:"),
            IdMatch::Between(min, max) => write!(f, "{min}:{max}"),
        }
    }
}

/// Who a line is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum Domain {
    /// A user name (or anything that is no other form: it matches the user of that name).
    User(String),
    /// `@group`: members of the group (the primary group or a supplementary one).
    Group(String),
    /// `@min:max` and friends: a gid range.
    Gid(IdMatch),
    /// `*`: everyone (the default entry).
    Wildcard,
    /// `%` alone: the login limit counted over all users (maxlogins only).
    AllLogins,
    /// `%group`: the login limit counted over the group's members (maxlogins only).
    LoginGroup(String),
    /// `%:gid` (and, invalid for maxlogins, `%min:`/`%min:max`).
    LoginGid(IdMatch),
    /// `min:max` and friends: a uid range, as specific as a user name.
    Uid(IdMatch),
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::User(name) => f.write_str(name),
            Domain::Group(name) => write!(f, "@{name}"),
            Domain::Gid(ids) => write!(f, "@{ids}"),
            Domain::Wildcard => f.write_str("*"),
            Domain::AllLogins => f.write_str("%"),
            Domain::LoginGroup(name) => write!(f, "%{name}"),
            Domain::LoginGid(ids) => write!(f, "%{ids}"),
            Domain::Uid(ids) => write!(f, "{ids}"),
        }
    }
}

/// A domain read from its field, with what pam_limits reads differently from how it looks.
pub(crate) struct Parsed {
    pub domain: Domain,
    pub notes: Vec<String>,
}

/// Reads a domain field; Err(message) when pam_limits skips the line for it.
pub(crate) fn parse(field: &str) -> Result<Parsed, String> {
    let mut notes = Vec::new();
    let domain = if field.contains(':') {
        let ids = range(field, &mut notes)?;
        match field.as_bytes()[0] {
            b'@' => Domain::Gid(ids),
            b'%' => Domain::LoginGid(ids),
            _ => Domain::Uid(ids),
        }
    } else if field == "*" {
        Domain::Wildcard
    } else if field == "%" {
        Domain::AllLogins
    } else if let Some(name) = field.strip_prefix('@') {
        Domain::Group(name.to_string())
    } else if let Some(name) = field.strip_prefix('%') {
        Domain::LoginGroup(name.to_string())
    } else {
        Domain::User(field.to_string())
    };
    Ok(Parsed { domain, notes })
}

/// `parse_uid_range` on a field with a `:`.
fn range(field: &str, notes: &mut Vec<String>) -> Result<IdMatch, String> {
    let invalid = || format!("invalid uid/gid range {field:?}; pam_limits skips the line");
    let body = field.strip_prefix(['@', '%']).unwrap_or(field);
    let colon = body.find(':').ok_or_else(invalid)?;
    let (min_text, max_text) = (&body[..colon], &body[colon + 1..]);
    let min = if min_text.is_empty() {
        None
    } else {
        Some(id(min_text, notes).ok_or_else(invalid)?)
    };
    if max_text.is_empty() {
        return min.map(IdMatch::AtLeast).ok_or_else(invalid);
    }
    let max = id(max_text, notes).ok_or_else(invalid)?;
    Ok(match min {
        None => IdMatch::Exact(max),
        Some(min) => IdMatch::Between(min, max),
    })
}

/// One id of a range: `strtoul` must read something, not overflow, and end where it should
/// (at the `:` for the minimum, which `body[..colon]` already cut, so at the end of `text`).
/// The value is truncated to `uid_t`, as the C assignment does.
fn id(text: &str, notes: &mut Vec<String>) -> Option<u32> {
    let c = strtoull(text);
    if c.consumed == 0 || c.overflow || c.consumed != text.len() {
        return None;
    }
    let truncated = c.value as u32;
    if u64::from(truncated) != c.value || c.negative || !text.bytes().all(|b| b.is_ascii_digit()) {
        notes.push(format!(
            "id {text:?} is read by strtoul as {truncated} (truncated to 32 bits)"
        ));
    }
    Some(truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(field: &str) -> Result<Domain, String> {
        parse(field).map(|p| p.domain)
    }

    #[test]
    fn the_forms() {
        assert_eq!(domain("alice"), Ok(Domain::User("alice".into())));
        assert_eq!(domain("@staff"), Ok(Domain::Group("staff".into())));
        assert_eq!(domain("*"), Ok(Domain::Wildcard));
        assert_eq!(domain("%"), Ok(Domain::AllLogins));
        assert_eq!(domain("%staff"), Ok(Domain::LoginGroup("staff".into())));
        assert_eq!(domain(":123"), Ok(Domain::Uid(IdMatch::Exact(123))));
        assert_eq!(domain("1000:"), Ok(Domain::Uid(IdMatch::AtLeast(1000))));
        assert_eq!(
            domain("600:700"),
            Ok(Domain::Uid(IdMatch::Between(600, 700)))
        );
        assert_eq!(domain("@500:"), Ok(Domain::Gid(IdMatch::AtLeast(500))));
        assert_eq!(domain("%:27"), Ok(Domain::LoginGid(IdMatch::Exact(27))));
        assert_eq!(domain("*x"), Ok(Domain::User("*x".into())));
    }

    #[test]
    fn invalid_ranges() {
        for bad in [
            ":",
            "@:",
            "%:",
            "1:2:3",
            "a:5",
            "5:b",
            "*:",
            "1:2x",
            "99999999999999999999:",
        ] {
            assert!(domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strtoul_quirks_are_noted() {
        let p = parse("-1:").unwrap();
        assert_eq!(p.domain, Domain::Uid(IdMatch::AtLeast(u32::MAX)));
        assert_eq!(p.notes.len(), 1);
        let p = parse("4294967296:").unwrap();
        assert_eq!(p.domain, Domain::Uid(IdMatch::AtLeast(0)));
        assert!(parse("+5:").unwrap().notes.len() == 1);
    }
}
