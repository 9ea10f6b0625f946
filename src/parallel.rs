//! How many threads a dense product gets: the machines this runs on are
//! small (two cores), and a parallel product only pays once it is large.

use faer::Par;

/// Every core for a product of at least 2^22 multiply-adds (a thread's
/// start-up costs about what 10^6 of them do), one thread below that.
pub fn for_product(multiply_adds: usize) -> Par {
    if multiply_adds >= 1 << 22 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}
