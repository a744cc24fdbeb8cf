//! A compact table from 64-bit key hashes ([`super::index::key`]) to a 32-bit value: 12
//! bytes an entry where a `HashMap<u64, u64>` takes 16 (plus the same control byte), and
//! several kinds of keys (the kind is part of the hash) share one table instead of each
//! growing its own. The first pass keeps what a file's rows claim here — a million-row file
//! needs a few such entries a row, which is most of the import's memory.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry as Slot;

#[derive(Debug, Clone, Copy)]
struct Entry {
    lo: u32,
    hi: u32,
    value: u32,
}

impl Entry {
    fn key(&self) -> u64 {
        (u64::from(self.hi) << 32) | u64::from(self.lo)
    }
}

fn hash(e: &Entry) -> u64 {
    e.key()
}

/// Key hash → value.
#[derive(Debug, Default)]
pub struct KeyTable {
    table: HashTable<Entry>,
}

impl KeyTable {
    /// Room for `n` more entries without growing.
    pub fn reserve(&mut self, n: usize) {
        self.table.reserve(n, hash);
    }

    /// The value of `key`.
    pub fn get(&self, key: u64) -> Option<u32> {
        self.table.find(key, |e| e.key() == key).map(|e| e.value)
    }

    /// Sets `key` to `value` unless it has one: `Err` with the value it keeps.
    pub fn first(&mut self, key: u64, value: u32) -> Result<(), u32> {
        match self.table.entry(key, |e| e.key() == key, hash) {
            Slot::Occupied(o) => Err(o.get().value),
            Slot::Vacant(v) => {
                v.insert(Entry {
                    lo: key as u32,
                    hi: (key >> 32) as u32,
                    value,
                });
                Ok(())
            }
        }
    }

    /// Sets `key` to `value`, or to `clash` when it already has another value.
    pub fn set_or(&mut self, key: u64, value: u32, clash: u32) {
        if let Err(have) = self.first(key, value)
            && have != value
            && let Some(e) = self.table.find_mut(key, |e| e.key() == key)
        {
            e.value = clash;
        }
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.table.allocation_size()
    }
}

#[cfg(test)]
mod tests {
    use super::KeyTable;

    #[test]
    fn first_value_stays() {
        let mut t = KeyTable::default();
        assert_eq!(t.first(u64::MAX - 3, 7), Ok(()));
        assert_eq!(t.first(u64::MAX - 3, 9), Err(7));
        assert_eq!(t.get(u64::MAX - 3), Some(7));
        assert_eq!(t.get(3), None);
        t.set_or(5, 1, u32::MAX);
        t.set_or(5, 1, u32::MAX);
        assert_eq!(t.get(5), Some(1));
        t.set_or(5, 2, u32::MAX);
        assert_eq!(t.get(5), Some(u32::MAX));
        assert_eq!(t.len(), 2);
        assert_eq!(std::mem::size_of::<super::Entry>(), 12);
    }
}
