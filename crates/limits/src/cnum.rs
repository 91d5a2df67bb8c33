//! C's `strtoul`/`strtoull` and `strtol` in base 10, as glibc reads them, because pam_limits
//! accepts whatever they accept: leading white space, a sign (a negative number wraps for the
//! unsigned ones), and anything after the digits, which is silently ignored.

/// What one of the C conversions made of a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Conversion<T> {
    /// The converted value (saturated on overflow, as C returns it).
    pub value: T,
    /// Bytes consumed; 0 when no digit was found (C's `endptr == nptr`).
    pub consumed: usize,
    /// Whether the number did not fit (C sets `ERANGE`).
    pub overflow: bool,
    /// Whether a `-` sign was read.
    pub negative: bool,
}

/// C's `isspace` in the C locale.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// The sign and the digits: (negative, magnitude saturated at u64::MAX, overflowed, end).
fn digits(s: &[u8]) -> Option<(bool, u64, bool, usize)> {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let start = i;
    let (mut value, mut overflow) = (0u64, false);
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    (i > start).then_some((
        negative,
        if overflow { u64::MAX } else { value },
        overflow,
        i,
    ))
}

/// `strtoull(s, &end, 10)` (and `strtoul` on a 64-bit system).
pub(crate) fn strtoull(s: &str) -> Conversion<u64> {
    match digits(s.as_bytes()) {
        None => Conversion {
            value: 0,
            consumed: 0,
            overflow: false,
            negative: false,
        },
        Some((negative, magnitude, overflow, end)) => Conversion {
            value: if overflow {
                u64::MAX
            } else if negative {
                magnitude.wrapping_neg()
            } else {
                magnitude
            },
            consumed: end,
            overflow,
            negative,
        },
    }
}

/// `strtol(s, &end, 10)`, then clamped to `int` as `process_limit` does.
pub(crate) fn strtol_int(s: &str) -> Conversion<i32> {
    match digits(s.as_bytes()) {
        None => Conversion {
            value: 0,
            consumed: 0,
            overflow: false,
            negative: false,
        },
        Some((negative, magnitude, overflow, end)) => {
            let wide = i128::from(magnitude);
            let wide = if negative { -wide } else { wide };
            let long = wide.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
            let int = long.clamp(i128::from(i32::MIN), i128::from(i32::MAX));
            Conversion {
                value: int as i32,
                consumed: end,
                overflow: overflow || int != wide,
                negative,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_like_glibc() {
        assert_eq!(strtoull("1024").value, 1024);
        assert_eq!(strtoull("1024abc").consumed, 4);
        assert_eq!(strtoull(" +7").value, 7);
        assert_eq!(strtoull("-5").value, u64::MAX - 4);
        assert_eq!(strtoull("0x10").value, 0);
        assert_eq!(strtoull("0x10").consumed, 1);
        assert_eq!(strtoull("abc").consumed, 0);
        assert_eq!(strtoull("-").consumed, 0);
        let big = strtoull("99999999999999999999");
        assert!(big.overflow && big.value == u64::MAX);
    }

    #[test]
    fn signed_clamped_to_int() {
        assert_eq!(strtol_int("-20").value, -20);
        assert_eq!(strtol_int("99999999999").value, i32::MAX);
        assert_eq!(strtol_int("-99999999999999999999999").value, i32::MIN);
        assert_eq!(strtol_int("x").consumed, 0);
    }
}
