//! A bounded, read-mostly memo shared by request handlers: look up under a
//! read lock; on a miss, the caller computes and stores. When full it is
//! emptied, which keeps memory bounded without bookkeeping; a load test's few
//! keys are back after one miss each.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};

#[derive(Debug)]
pub(crate) struct Memo<K, V> {
    map: RwLock<HashMap<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    pub(crate) fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn remembers_up_to_its_capacity_then_starts_over() {
        let memo = Memo::new(2);
        memo.insert(1, "a");
        memo.insert(2, "b");
        assert_eq!((memo.get(&1), memo.get(&2)), (Some("a"), Some("b")));
        memo.insert(3, "c");
        assert_eq!((memo.get(&1), memo.get(&3)), (None, Some("c")));
    }
}
