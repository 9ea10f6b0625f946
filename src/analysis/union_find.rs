//! Union-find over dense indices, with path halving.

/// Disjoint sets of `0..n`.
#[derive(Clone, Debug, Default)]
pub struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect() }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Unites the sets; the smaller representative wins, so the result does
    /// not depend on the order of unions. Returns whether they were apart.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::UnionFind;

    #[test]
    fn smallest_member_represents_its_set_whatever_the_order() {
        let mut a = UnionFind::new(5);
        a.union(4, 2);
        a.union(2, 3);
        let mut b = UnionFind::new(5);
        b.union(3, 2);
        b.union(4, 3);
        for x in 0..5 {
            assert_eq!(a.find(x), b.find(x));
        }
        assert_eq!(a.find(4), 2);
        assert_eq!(a.find(1), 1);
        assert!(!a.union(3, 4));
        assert!(a.union(0, 4));
        assert_eq!(a.find(3), 0);
    }
}
