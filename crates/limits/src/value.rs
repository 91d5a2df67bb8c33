//! The `<value>` field, read as `process_limit` reads it (the same in linux-pam 1.5 and now).
//!
//! * nonewprivs: exactly `0` or `1`. Anything else is logged, and then, because the code
//!   does not stop there, applied as 0.
//! * every item but priority, nice and nonewprivs: `-1`, `-`, `unlimited` or `infinity`
//!   (lowercased first, so `UNLIMITED` too) mean no limit.
//! * maxlogins, maxsyslogins, priority, nice: `strtol`, clamped to `int`; no digit at all
//!   skips the line. nice is then clamped to -20..19 and set as the rlimit `20 - nice`.
//! * the rlimits: `strtoull`; no digit skips the line. A negative number wraps (so `-5` is
//!   huge), an overflow saturates to `RLIM_INFINITY`, and whatever follows the digits is
//!   ignored (`1024abc` is 1024, `0x10` is 0).
//! * chroot (Debian): the value as written, lowercased like every value.

use crate::cnum::{strtol_int, strtoull};
use crate::item::{Item, ValueKind};
use serde::Serialize;
use std::fmt;

/// A value as written in the file (before the unit scaling pam_limits applies).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `-1`, `-`, `unlimited`, `infinity`.
    Unlimited,
    /// An rlimit's number, in the file's unit (KiB, minutes, …).
    Number(u64),
    /// maxlogins, maxsyslogins, priority, nice.
    Int(i32),
    /// nonewprivs.
    Flag(bool),
    /// chroot.
    Path(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unlimited => f.write_str("unlimited"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Flag(b) => write!(f, "{}", u8::from(*b)),
            Value::Path(p) => f.write_str(p),
        }
    }
}

/// What the value field gave: the value, and what pam_limits reads differently from how it
/// looks; Err(message) when it skips the line.
pub(crate) fn parse(item: Item, text: &str) -> Result<(Value, Vec<String>), String> {
    let mut notes = Vec::new();
    let unlimited_words = ["-1", "-", "unlimited", "infinity"];
    let value = match item.value_kind() {
        ValueKind::Flag => match text {
            "0" => Value::Flag(false),
            "1" => Value::Flag(true),
            _ => {
                notes.push(format!(
                    "nonewprivs takes 0 or 1; pam_limits logs {text:?} and sets 0"
                ));
                Value::Flag(false)
            }
        },
        ValueKind::Path => Value::Path(text.to_string()),
        _ if item != Item::Priority && item != Item::Nice && unlimited_words.contains(&text) => {
            Value::Unlimited
        }
        ValueKind::Int => int(item, text, &mut notes)?,
        ValueKind::Rlimit => rlimit(item, text, &mut notes)?,
    };
    Ok((value, notes))
}

fn bad_value(item: Item, text: &str) -> String {
    format!("bad value {text:?} for {item}; pam_limits skips the line")
}

fn trailing(text: &str, consumed: usize, read_as: impl fmt::Display) -> Option<String> {
    (consumed < text.len()).then(|| {
        format!(
            "{:?} after the number is ignored: pam_limits reads {read_as}",
            &text[consumed..]
        )
    })
}

fn int(item: Item, text: &str, notes: &mut Vec<String>) -> Result<Value, String> {
    let c = strtol_int(text);
    if c.consumed == 0 {
        return Err(bad_value(item, text));
    }
    notes.extend(trailing(text, c.consumed, c.value));
    if c.overflow {
        notes.push(format!(
            "{text:?} is out of range: pam_limits reads {}",
            c.value
        ));
    }
    if item == Item::Nice && !(-20..=19).contains(&c.value) {
        notes.push(format!(
            "nice {} is out of range: pam_limits clamps it to {}",
            c.value,
            c.value.clamp(-20, 19)
        ));
    }
    Ok(Value::Int(c.value))
}

fn rlimit(item: Item, text: &str, notes: &mut Vec<String>) -> Result<Value, String> {
    let c = strtoull(text);
    if c.consumed == 0 {
        return Err(bad_value(item, text));
    }
    notes.extend(trailing(text, c.consumed, c.value));
    if c.overflow {
        notes.push(format!(
            "{text:?} is out of range: pam_limits reads it as unlimited"
        ));
    } else if c.negative && c.value != 0 {
        notes.push(format!(
            "negative value {text:?} wraps around: pam_limits reads {}",
            c.value
        ));
    }
    Ok(Value::Number(c.value))
}

/// What pam_limits hands `setrlimit` for an rlimit item: None for `RLIM_INFINITY`.
/// Scaling saturates to unlimited as `process_limit` does (`>= RLIM_INFINITY/1024`).
pub fn effective_rlimit(item: Item, value: &Value) -> Option<u64> {
    match value {
        Value::Unlimited => None,
        Value::Number(n) => {
            let scale = item.scale();
            if *n == u64::MAX || (scale > 1 && *n >= u64::MAX / scale) {
                None
            } else {
                Some(n * scale)
            }
        }
        Value::Int(n) if item == Item::Nice => Some((20 - i64::from((*n).clamp(-20, 19))) as u64),
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::Flag(b) => Some(u64::from(*b)),
        Value::Path(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_words_except_for_priority_and_nice() {
        for word in ["-1", "-", "unlimited", "infinity"] {
            assert_eq!(parse(Item::Nofile, word).unwrap().0, Value::Unlimited);
            assert_eq!(parse(Item::Maxlogins, word).unwrap().0, Value::Unlimited);
        }
        assert_eq!(parse(Item::Priority, "-1").unwrap().0, Value::Int(-1));
        assert!(parse(Item::Nice, "unlimited").is_err());
        assert!(parse(Item::Priority, "-").is_err());
    }

    #[test]
    fn units_and_saturation() {
        assert_eq!(effective_rlimit(Item::Core, &Value::Number(2)), Some(2048));
        assert_eq!(effective_rlimit(Item::Cpu, &Value::Number(5)), Some(300));
        assert_eq!(effective_rlimit(Item::Msgqueue, &Value::Number(5)), Some(5));
        assert_eq!(
            effective_rlimit(Item::Stack, &Value::Number(u64::MAX / 1024)),
            None
        );
        assert_eq!(effective_rlimit(Item::Nice, &Value::Int(-20)), Some(40));
        assert_eq!(effective_rlimit(Item::Nice, &Value::Int(50)), Some(1));
    }
}
