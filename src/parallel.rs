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

/// Threads for work of `bytes` in all: every core from `min_bytes` on, one
/// below (a thread costs more than it saves on small work).
pub fn threads_for(bytes: usize, min_bytes: usize) -> usize {
    if bytes < min_bytes {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// `items.iter().map(f)`, on up to `threads` threads: the items are dealt
/// largest `cost` first to the least loaded thread, and the results come
/// back in the items' order. Each item is mapped by one thread, so the
/// results do not depend on how many there are.
pub fn map_balanced<T: Sync, R: Send>(items: &[T], cost: impl Fn(&T) -> usize, threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&items[i])));
    let mut shares: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads];
    for i in order {
        if let Some(least) = shares.iter_mut().min_by_key(|s| s.0) {
            least.0 += cost(&items[i]);
            least.1.push(i);
        }
    }
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|(_, share)| scope.spawn(move || share.iter().map(|&i| (i, f(&items[i]))).collect::<Vec<_>>()))
            .collect();
        for handle in handles {
            for (i, r) in handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)) {
                results[i] = Some(r);
            }
        }
    });
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::map_balanced;

    #[test]
    fn balanced_map_keeps_the_items_order_on_any_number_of_threads() {
        let items: Vec<usize> = vec![5, 1, 9, 3, 3, 7, 0, 2];
        let square = |&x: &usize| x * x;
        let expected: Vec<usize> = items.iter().map(square).collect();
        for threads in [1, 2, 3, 8, 20] {
            assert_eq!(map_balanced(&items, |&x| x, threads, square), expected, "{threads} threads");
        }
        assert!(map_balanced(&[] as &[usize], |&x| x, 2, square).is_empty());
    }
}
