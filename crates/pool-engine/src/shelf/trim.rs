//! A class's part of a trim: what the trim epoch frees from a cache, from
//! the spill and from the reserve, and the clears of `Engine::clear`.

use std::mem;

use pool_core::Reset;
use pool_core::strategy::Counters;

use super::{Cache, Class, Idle};
use crate::sync::lock;

impl<T: Reset + 'static> Class<'_, T> {
    /// Acts on trims this cache has not seen: frees the items that stayed
    /// below the low-water mark since the last trim (all of them if two or
    /// more trims passed), and gives all idle credit back.
    #[cold]
    pub(crate) fn observe_trim(self, cache: &mut Cache<T>, c: &Counters, epoch: u64) {
        let behind = epoch.wrapping_sub(cache.seen_epoch);
        let idle = if behind >= 2 {
            cache.items.len()
        } else if behind == 1 {
            cache.low_water.min(cache.items.len())
        } else {
            0
        };
        let freed: Vec<Idle<T>> = if idle == cache.items.len() {
            // All of them: the room goes too, and the cache is set up
            // again at its next use (see `Cache::items`).
            cache.hot.cache_size = 0;
            mem::take(&mut cache.items)
        } else {
            cache.items.drain(..idle).collect()
        };
        cache.seen_epoch = epoch;
        cache.low_water = cache.items.len();
        let bytes: usize = freed.iter().map(|i| i.bytes).sum();
        c.trimmed.add(freed.len() as u64);
        c.bytes_trimmed.add(bytes as u64);
        if let Some(budget) = self.budget {
            budget.release(bytes + mem::take(&mut cache.credit));
        }
    }

    /// The trim of the shared part: frees spilled batches that sat through
    /// two trims, and the reserve if nothing was prefilled through two
    /// trims. Counts with shared adds (any thread may trim); returns the
    /// items freed.
    pub(crate) fn trim_spill(self, epoch: u64) -> u64 {
        let Some(stock) = self.made() else { return 0 };
        let (mut freed, mut freed_bytes) = stock.drop_batches(Some(epoch));
        let old_reserve = {
            let mut r = lock(&stock.reserve);
            if epoch.wrapping_sub(r.epoch) >= 2 {
                freed += r.items.len();
                freed_bytes += mem::take(&mut r.bytes);
                mem::take(&mut r.items)
            } else {
                Vec::new()
            }
        };
        // Dropped outside the lock: an item's `Drop` may use the pool.
        drop(old_reserve);
        stock.trimmed.add_shared(freed as u64);
        stock.bytes_trimmed.add_shared(freed_bytes as u64);
        if let Some(budget) = self.budget {
            budget.release(freed_bytes);
        }
        freed as u64
    }

    /// Frees every item of a cache and its credit (the owner is not using
    /// it); counts into the cache's own counters `c`.
    pub(crate) fn clear_cache(self, cache: &mut Cache<T>, c: &Counters) {
        let bytes: usize = cache.items.iter().map(|i| i.bytes).sum();
        c.trimmed.add(cache.items.len() as u64);
        c.bytes_trimmed.add(bytes as u64);
        cache.items = Vec::new();
        cache.hot.cache_size = 0;
        cache.low_water = 0;
        if let Some(budget) = self.budget {
            budget.release(bytes + mem::take(&mut cache.credit));
        }
    }

    /// Frees every spilled batch and the reserve; counts with shared adds.
    pub(crate) fn clear_spill(self) {
        let Some(stock) = self.made() else { return };
        let (items, mut bytes) = stock.drop_batches(None);
        let mut items = items as u64;
        let reserve = {
            let mut r = lock(&stock.reserve);
            bytes += mem::take(&mut r.bytes);
            mem::take(&mut r.items)
        };
        items += reserve.len() as u64;
        drop(reserve);
        stock.trimmed.add_shared(items);
        stock.bytes_trimmed.add_shared(bytes as u64);
        if let Some(budget) = self.budget {
            budget.release(bytes);
        }
    }
}
