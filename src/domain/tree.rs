//! Parent chains (T3 organisation units, U8/I2 departments): one walk up a tree of parents, so
//! the API, the back office and the HR import refuse loops by the same rule.

use std::collections::HashSet;
use std::hash::Hash;

/// Walks from `start` up through `parent_of` until a root, a node in `stop` (already known to
/// end well), or a loop. Returns the nodes visited, `start` first, and — when the walk came
/// back to a node it had visited — the index in that path where the ring begins.
pub fn walk_parents<K: Copy + Eq + Hash>(
    start: K,
    parent_of: impl Fn(K) -> Option<K>,
    stop: &HashSet<K>,
) -> (Vec<K>, Option<usize>) {
    let mut path = vec![start];
    let mut current = start;
    while let Some(next) = parent_of(current) {
        if stop.contains(&next) {
            break;
        }
        if let Some(at) = path.iter().position(|p| *p == next) {
            return (path, Some(at));
        }
        path.push(next);
        current = next;
    }
    (path, None)
}

/// A ring as text, back to its first node: `` `A` → `B` → `A` ``.
pub fn ring_text<K: std::fmt::Display>(ring: &[K]) -> String {
    ring.iter()
        .chain(ring.first())
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn walk_parents_finds_the_ring_and_stops_at_roots() {
        let parents: HashMap<u8, u8> = [(1, 2), (2, 3), (3, 1), (4, 1), (5, 6)].into();
        let parent = |k: u8| parents.get(&k).copied();
        assert_eq!(
            walk_parents(1, parent, &HashSet::new()),
            (vec![1, 2, 3], Some(0))
        );
        assert_eq!(
            walk_parents(4, parent, &HashSet::new()),
            (vec![4, 1, 2, 3], Some(1))
        );
        assert_eq!(walk_parents(5, parent, &HashSet::new()), (vec![5, 6], None));
        assert_eq!(walk_parents(4, parent, &[1].into()), (vec![4], None));
        assert_eq!(ring_text(&["A", "B"]), "`A` → `B` → `A`");
    }
}
