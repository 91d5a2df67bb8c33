//! Binary search for a boundary: the largest value a monotone test accepts. Pure; the tests
//! are `execve` calls elsewhere.

/// The largest `n` in `lo..=hi` for which `accepts(n)` is true, given that `accepts` is
/// monotone (true up to the boundary, false after). `None` when even `lo` is refused; `hi`
/// when nothing is. Calls `accepts` about `log2(hi - lo)` times.
pub(crate) fn largest_accepted<E>(
    lo: u64,
    hi: u64,
    mut accepts: impl FnMut(u64) -> Result<bool, E>,
) -> Result<Option<u64>, E> {
    if !accepts(lo)? {
        return Ok(None);
    }
    if accepts(hi)? {
        return Ok(Some(hi));
    }
    let (mut good, mut bad) = (lo, hi);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if accepts(mid)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(Some(good))
}

#[cfg(test)]
mod tests {
    use super::largest_accepted;
    use std::convert::Infallible;

    fn boundary(limit: u64, lo: u64, hi: u64) -> (Option<u64>, usize) {
        let mut calls = 0;
        let found = largest_accepted(lo, hi, |n| {
            calls += 1;
            Ok::<_, Infallible>(n <= limit)
        });
        (found.unwrap(), calls)
    }

    #[test]
    fn finds_the_last_accepted_value() {
        assert_eq!(boundary(131_071, 0, 1 << 20).0, Some(131_071));
        assert_eq!(boundary(255, 10, 4096).0, Some(255));
        assert_eq!(boundary(10, 10, 4096).0, Some(10));
        assert_eq!(boundary(9, 10, 4096).0, None);
        assert_eq!(boundary(5000, 10, 4096).0, Some(4096));
    }

    #[test]
    fn in_logarithmically_many_calls() {
        let (_, calls) = boundary(2_000_000, 0, 8 << 20);
        assert!(calls <= 2 + 23, "{calls} calls");
    }

    #[test]
    fn errors_stop_the_search() {
        let found = largest_accepted(0, 100, |n| if n > 50 { Err("boom") } else { Ok(true) });
        assert_eq!(found, Err("boom"));
    }
}
