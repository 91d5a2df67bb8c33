//! `RLIMIT_STACK` values as the command line gives them: bytes, a number with a binary
//! suffix (`512K`, `8M`, `1G`), or `unlimited`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A stack limit: a number of bytes, or `RLIM_INFINITY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StackLimit {
    /// This many bytes.
    Bytes(u64),
    /// No limit (`RLIM_INFINITY`).
    Unlimited,
}

impl StackLimit {
    /// As `setrlimit(2)` wants it: `None` is unlimited.
    pub fn as_option(self) -> Option<u64> {
        match self {
            StackLimit::Bytes(n) => Some(n),
            StackLimit::Unlimited => None,
        }
    }

    /// From `getrlimit(2)`'s answer.
    pub fn from_option(limit: Option<u64>) -> StackLimit {
        limit.map_or(StackLimit::Unlimited, StackLimit::Bytes)
    }
}

impl fmt::Display for StackLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
        match *self {
            StackLimit::Unlimited => f.write_str("unlimited"),
            StackLimit::Bytes(0) => f.write_str("0"),
            StackLimit::Bytes(n) => match UNITS.iter().find(|(u, _)| n % u == 0) {
                Some((u, suffix)) => write!(f, "{}{suffix}", n / u),
                None => write!(f, "{n}"),
            },
        }
    }
}

impl FromStr for StackLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<StackLimit, String> {
        let t = s.trim();
        if ["unlimited", "infinity"].contains(&t.to_ascii_lowercase().as_str()) {
            return Ok(StackLimit::Unlimited);
        }
        if t.starts_with('-') {
            return Err(format!("a stack size cannot be negative: {t:?}"));
        }
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, suffix) = t.split_at(split);
        let shift = match suffix.to_ascii_uppercase().as_str() {
            "" => 0,
            "K" | "KB" | "KIB" => 10,
            "M" | "MB" | "MIB" => 20,
            "G" | "GB" | "GIB" => 30,
            _ => return Err(not_a_size(t)),
        };
        let too_large = || format!("too large (max {}{suffix})", u64::MAX >> shift);
        let n: u64 = digits
            .parse()
            .map_err(|e: std::num::ParseIntError| match e.kind() {
                std::num::IntErrorKind::PosOverflow => too_large(),
                _ => not_a_size(t),
            })?;
        n.checked_mul(1 << shift)
            .map(StackLimit::Bytes)
            .ok_or_else(too_large)
    }
}

fn not_a_size(s: &str) -> String {
    format!("not a size: {s:?} (expected bytes, a number with K, M or G, or \"unlimited\")")
}

impl Serialize for StackLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StackLimit::Bytes(n) => serializer.serialize_u64(*n),
            StackLimit::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for StackLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StackLimit, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bytes(u64),
            Word(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Bytes(n) => Ok(StackLimit::Bytes(n)),
            Raw::Word(w) => w.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StackLimit::{self, Bytes, Unlimited};

    #[test]
    fn sizes_parse() {
        assert_eq!("8M".parse(), Ok(Bytes(8 << 20)));
        assert_eq!("512K".parse(), Ok(Bytes(512 << 10)));
        assert_eq!("512k".parse(), Ok(Bytes(512 << 10)));
        assert_eq!("1G".parse(), Ok(Bytes(1 << 30)));
        assert_eq!("8MiB".parse(), Ok(Bytes(8 << 20)));
        assert_eq!("8388608".parse(), Ok(Bytes(8 << 20)));
        assert_eq!(" unlimited ".parse(), Ok(Unlimited));
        assert_eq!("infinity".parse(), Ok(Unlimited));
    }

    #[test]
    fn bad_sizes_say_why() {
        let err = |s: &str| s.parse::<StackLimit>().unwrap_err();
        assert!(err("abc").contains("not a size"));
        assert!(err("").contains("not a size"));
        assert!(err("8X").contains("not a size"));
        assert!(err("M").contains("not a size"));
        assert!(err("-1").contains("negative"));
        assert_eq!(err("99999999999999G"), "too large (max 17179869183G)");
        assert_eq!(
            err("99999999999999999999"),
            "too large (max 18446744073709551615)"
        );
        assert_eq!(
            err("99999999999999999999k"),
            "too large (max 18014398509481983k)"
        );
        assert_eq!("17179869183G".parse(), Ok(Bytes(17179869183 << 30)));
    }

    #[test]
    fn sizes_print_and_round_trip() {
        assert_eq!(Bytes(8 << 20).to_string(), "8M");
        assert_eq!(Bytes(1000).to_string(), "1000");
        assert_eq!(Unlimited.to_string(), "unlimited");
        for limit in [Bytes(8 << 20), Unlimited] {
            let json = serde_json::to_string(&limit).unwrap();
            assert_eq!(serde_json::from_str::<StackLimit>(&json).unwrap(), limit);
        }
        assert_eq!(serde_json::to_string(&Unlimited).unwrap(), "\"unlimited\"");
    }
}
