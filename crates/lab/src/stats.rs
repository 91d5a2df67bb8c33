//! Order statistics of samples, computed the way the C yardsticks do (sorted, index `n*q`), so
//! the two can be compared figure for figure.

/// Median and spread of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The middle sample.
    pub median: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 90th percentile.
    pub p90: f64,
    /// The smallest sample.
    pub min: f64,
    /// The arithmetic mean.
    pub mean: f64,
}

impl Summary {
    /// Summarises `samples` (any order). `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            median: quantile(&sorted, 0.5),
            p10: quantile(&sorted, 0.1),
            p90: quantile(&sorted, 0.9),
            min: sorted[0],
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        })
    }
}

/// The sample at index `floor(len * q)` of sorted samples (clamped), as `spawn_floor.c` does.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_c_yardstick_indexing() {
        let samples: Vec<f64> = (0..10).rev().map(f64::from).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!((s.median, s.p10, s.p90, s.min), (5.0, 1.0, 9.0, 0.0));
        assert_eq!(s.mean, 4.5);
    }

    #[test]
    fn one_sample_and_none() {
        assert_eq!(Summary::of(&[7.0]).unwrap().p90, 7.0);
        assert!(Summary::of(&[]).is_none());
    }
}
