//! How many threads a dense product gets: the machines this runs on are
//! small (two cores), and a parallel product only pays once it is large in
//! every dimension.

use faer::Par;

/// Every core for an `m x k` by `k x n` product of at least 2^22
/// multiply-adds whose every dim is at least 64; one thread otherwise. A
/// skinny product (a batch of 16 rows through a wide layer) spends more
/// time synchronising its threads than multiplying (measured on a conv of
/// 528 x 4752 by 4752 x 16: 39% of the run in barrier waits).
pub fn for_product(m: usize, k: usize, n: usize) -> Par {
    if m.saturating_mul(k).saturating_mul(n) >= 1 << 22 && m.min(k).min(n) >= 64 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}
