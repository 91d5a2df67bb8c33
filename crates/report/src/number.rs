//! Numbers as a reader wants them: thousands separators, a few significant digits, durations
//! in the unit that fits, binary sizes. Every function takes any finite `f64` and never
//! prints `NaN` or `inf` (a non-finite input prints as `–`).

/// Text for a value that is not a finite number.
const NOT_A_NUMBER: &str = "–";

/// `1234567` → `1,234,567` for the text of an integer (a leading `-` is kept); any other
/// text is returned unchanged.
pub(crate) fn int_text(s: &str) -> String {
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A whole number with separators (rounded).
pub(crate) fn int(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    if x.abs() >= 1e15 {
        return format!("{x:.3e}");
    }
    int_text(&format!("{:.0}", x.round()))
}

/// `x` with `n` significant digits, trailing zeros dropped, separators in the integer part.
pub(crate) fn sig(x: f64, n: i32) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.abs() >= 1e15 || x.abs() < 1e-6 {
        return format!("{x:.2e}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (n - 1 - magnitude).clamp(0, 8) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    match text.split_once('.') {
        Some((whole, frac)) => format!("{}.{frac}", int_text(whole)),
        None => int_text(&text),
    }
}

/// Any number shown as it came: whole numbers exactly, others to 4 significant digits.
pub(crate) fn general(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        int(x)
    } else {
        sig(x, 4)
    }
}

/// A percentage: `99.9%`, `100%`, `0.05%`.
pub(crate) fn pct(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    let text = format!("{x:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// A duration given in microseconds, in µs, ms or s.
pub(crate) fn us(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1000.0 {
        return ms(x / 1000.0);
    }
    format!("{}\u{a0}µs", sig(x, 3))
}

/// A duration given in milliseconds, in ms or s.
pub(crate) fn ms(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1000.0 {
        return format!("{}\u{a0}s", sig(x / 1000.0, 3));
    }
    format!("{}\u{a0}ms", sig(x, 3))
}

/// A size in bytes with a binary unit: `24 GiB`, `2.0 MiB`, `512 bytes`.
pub(crate) fn bytes(x: f64) -> String {
    const UNITS: [(f64, &str); 4] = [
        (1_099_511_627_776.0, "TiB"),
        (1_073_741_824.0, "GiB"),
        (1_048_576.0, "MiB"),
        (1024.0, "KiB"),
    ];
    match UNITS.iter().find(|(size, _)| x.abs() >= *size) {
        Some((size, unit)) => format!("{}\u{a0}{unit}", sig(x / size, 3)),
        None => format!("{}\u{a0}bytes", int(x)),
    }
}

/// A ratio: `62×`, `4.1×`.
pub(crate) fn ratio(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    if x >= 10.0 {
        format!("{}×", int(x))
    } else {
        format!("{x:.1}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        assert_eq!(int(2000.0), "2,000");
        assert_eq!(int(-1234567.0), "-1,234,567");
        assert_eq!(int(999.0), "999");
        assert_eq!(int_text("12a"), "12a");
        assert_eq!(int(f64::NAN), "–");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.374581174, 3), "0.375");
        assert_eq!(sig(17919.205, 3), "17,919");
        assert_eq!(sig(99.90, 3), "99.9");
        assert_eq!(sig(1e300, 3), "1.00e300");
        assert_eq!(sig(0.0, 3), "0");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(us(535.165), "535\u{a0}µs");
        assert_eq!(us(17919.205), "17.9\u{a0}ms");
        assert_eq!(ms(171.3), "171\u{a0}ms");
        assert_eq!(ms(31.3), "31.3\u{a0}ms");
        assert_eq!(ms(2500.0), "2.5\u{a0}s");
        assert_eq!(bytes(25769803776.0), "24\u{a0}GiB");
        assert_eq!(bytes(512.0), "512\u{a0}bytes");
        assert_eq!(pct(99.9), "99.9%");
        assert_eq!(pct(100.0), "100%");
        assert_eq!(ratio(61.6), "62×");
        assert_eq!(ratio(4.13), "4.1×");
        assert_eq!(ratio(f64::INFINITY), "–");
    }
}
