//! A latency histogram: log-linear buckets (exact below 128 ns, then 64
//! sub-buckets per power of two, so every value is known to within 1.6 %),
//! mergeable across load threads, with percentiles.
//!
//! Numbers only: it knows nothing about what was timed.

/// Values below this are their own bucket.
const LINEAR: u64 = 128;
/// Sub-buckets per power of two above [`LINEAR`] (6 bits of mantissa).
const SUB_BITS: u32 = 6;
/// Buckets in all: the linear ones, then 64 per power of two from 2^7 to
/// 2^63.
const BUCKETS: usize = LINEAR as usize + (64 - 7) * (1 << SUB_BITS);

/// Counts of nanosecond values.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Counts `ns`.
    pub(crate) fn record(&mut self, ns: u64) {
        self.counts[bucket(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    /// Adds `other`'s counts.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The value at percentile `p` (0–100), ns: the lower bound of the
    /// bucket holding it; 0 when empty.
    pub(crate) fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return lower_bound(i).min(self.max);
            }
        }
        self.max
    }
}

fn bucket(ns: u64) -> usize {
    if ns < LINEAR {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros(); // >= 7
    let mantissa = (ns >> (exp - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    LINEAR as usize + ((exp - 7) as usize) * (1 << SUB_BITS) + mantissa as usize
}

fn lower_bound(i: usize) -> u64 {
    if i < LINEAR as usize {
        return i as u64;
    }
    let j = i - LINEAR as usize;
    let exp = (j >> SUB_BITS) as u32 + 7;
    let mantissa = (j & ((1 << SUB_BITS) - 1)) as u64;
    (1 << exp) | (mantissa << (exp - SUB_BITS))
}
