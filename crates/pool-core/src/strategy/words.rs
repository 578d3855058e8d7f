//! Moving small values with word-sized loads, to avoid store-forwarding
//! stalls on the hot paths of the pools.
//!
//! A pooled item goes back with field-sized (8-byte) stores and is taken
//! again right away. Left to itself, the compiler copies it with 16-byte
//! vector loads; a load that spans two separate smaller stores cannot be
//! forwarded from the store buffer and stalls until they reach the cache
//! (a "store-forwarding failure", about a dozen cycles on current x86
//! cores). Copying with volatile 8-byte loads, which the compiler may not
//! merge, keeps every load inside one store. Values that are not whole,
//! 8-byte-aligned words (or are over 64 bytes) are moved as usual.
//!
//! The other side of the same stall is a value moved out of a `Result` by
//! the caller, whose 16-byte loads this crate does not write:
//! [`in_blocks`] writes such a value in 16-byte stores the loads can take
//! whole.

use std::mem::{MaybeUninit, align_of, size_of};
use std::ptr;

/// Largest value copied word by word.
const MAX_WORDS: usize = 8;

#[inline(always)]
fn by_words<T>() -> bool {
    size_of::<T>() <= MAX_WORDS * 8 && align_of::<T>() >= 8 && size_of::<T>().is_multiple_of(8)
}

/// Copies a `T` from `from` to `to` in 8-byte volatile words.
///
/// # Safety
///
/// `by_words::<T>()`, `from` valid for reads and `to` for writes of a `T`,
/// both aligned; the caller decides which copy owns the value.
#[inline(always)]
unsafe fn copy_words<T>(from: *const T, to: *mut T) {
    let (from, to) = (
        from.cast::<MaybeUninit<u64>>(),
        to.cast::<MaybeUninit<u64>>(),
    );
    for i in 0..size_of::<T>() / 8 {
        // SAFETY: `T` is a whole number of aligned words (the contract),
        // so word `i` is aligned and in bounds on both sides; words are
        // copied as `MaybeUninit<u64>`, which may hold padding and keeps
        // pointer provenance, so the copy is byte-exact.
        unsafe { to.add(i).write(ptr::read_volatile(from.add(i))) };
    }
}

/// `t`, moved with word-sized loads (identity for items that are not
/// whole 8-byte words). A value that reaches its holder through a stack
/// slot written by field-sized stores (where a fast and a slow path meet)
/// would otherwise be copied with a 16-byte vector load that stalls on
/// those stores, as when popping (see this module).
#[inline(always)]
pub fn move_words<T>(t: T) -> T {
    if !by_words::<T>() {
        return t;
    }
    let src = std::mem::ManuallyDrop::new(t);
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: `src` is a valid `T` that is never dropped (`ManuallyDrop`),
    // so the copy made here is its one owner; `T` is whole aligned words
    // (checked above), and `copy_words` makes `out` a byte-exact copy of
    // a valid `T`.
    unsafe {
        copy_words(&raw const *src, out.as_mut_ptr());
        out.assume_init()
    }
}

/// `t`, moved with 8-byte loads into a place it is written to in
/// 16-byte stores, two words at a time from its start (x86-64 only;
/// elsewhere, and for values that are not whole aligned words, a plain
/// move).
///
/// For a guard handed back inside a `Result`: the caller moves it out
/// (`?`, `match`, `expect`), and the compiler copies a value of several
/// words with 16-byte loads from its start. A guard just built by
/// field-sized stores would stall each of those loads (see the module);
/// written by this function, each load finds one store that holds all of
/// it.
///
/// # Examples
///
/// ```
/// use pool_core::strategy::words::in_blocks;
///
/// let guard = (vec![1u8, 2], 7u64, "pool");
/// let moved: Result<_, ()> = Ok(in_blocks(guard));
/// assert_eq!(moved, Ok((vec![1, 2], 7, "pool")));
/// ```
#[inline(always)]
pub fn in_blocks<T>(t: T) -> T {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__m128i;

        /// A place for a `T` on a 16-byte boundary, so that every other
        /// word of it starts a 16-byte block.
        #[repr(C, align(16))]
        struct Blocks<T>(MaybeUninit<T>);

        if by_words::<T>() {
            let src = std::mem::ManuallyDrop::new(t);
            let mut out = Blocks::<T>(MaybeUninit::uninit());
            let words = size_of::<T>() / 8;
            let from = (&raw const *src).cast::<MaybeUninit<u64>>();
            let to = out.0.as_mut_ptr().cast::<MaybeUninit<u64>>();
            // SAFETY: `src` is a valid `T` that is never dropped
            // (`ManuallyDrop`), and `T` is whole aligned words
            // (`by_words`), so word `i < words` is in bounds and aligned
            // in `src` and in `out`. Words are read as `MaybeUninit<u64>`
            // (padding and pointer provenance kept), a pair is turned into
            // one `MaybeUninit<__m128i>` of the same 16 bytes (a transmute
            // between two `MaybeUninit`s of one size keeps every byte), and
            // written at word `i` even: a 16-byte boundary, as `Blocks` is
            // 16-aligned and `__m128i` asks for that. Volatile, so the
            // compiler keeps the 8-byte loads and the 16-byte stores. `out`
            // then holds a byte-exact copy of the `T`, its one owner.
            unsafe {
                let mut i = 0;
                while i + 2 <= words {
                    let pair = [
                        ptr::read_volatile(from.add(i)),
                        ptr::read_volatile(from.add(i + 1)),
                    ];
                    let block =
                        std::mem::transmute::<[MaybeUninit<u64>; 2], MaybeUninit<__m128i>>(pair);
                    ptr::write_volatile(to.add(i).cast::<MaybeUninit<__m128i>>(), block);
                    i += 2;
                }
                if i < words {
                    ptr::write_volatile(to.add(i), ptr::read_volatile(from.add(i)));
                }
                return out.0.assume_init();
            }
        }
        t
    }
    #[cfg(not(target_arch = "x86_64"))]
    t
}

/// `std::mem::take(slot)`, with the value read in 8-byte words (see the
/// module) when `T` is whole aligned words: for a guard's `Vec` the holder
/// wrote moments ago, taken out in the guard's drop.
///
/// # Examples
///
/// ```
/// let mut slot = vec![1u8, 2];
/// assert_eq!(pool_core::strategy::words::take_default_words(&mut slot), [1, 2]);
/// assert!(slot.is_empty() && slot.capacity() == 0);
/// ```
#[inline(always)]
pub fn take_default_words<T: Default>(slot: &mut T) -> T {
    if !by_words::<T>() {
        return std::mem::take(slot);
    }
    // Made first: if `default` panics, `slot` is left as it was.
    let empty = T::default();
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: `slot` is a valid `T`, whole aligned words (checked above),
    // so `out` becomes a byte-exact copy of it. The original is then
    // overwritten with `empty` without being dropped (`ptr::write`), so
    // the copy is the value's one owner.
    unsafe {
        copy_words(ptr::from_ref(slot), out.as_mut_ptr());
        ptr::write(slot, empty);
        out.assume_init()
    }
}

/// `slot.take()`, with the value read in 8-byte words (see the module) when
/// `Option<T>` is whole aligned words.
///
/// # Examples
///
/// ```
/// let mut slot = Some(vec![1u8, 2]);
/// assert_eq!(pool_core::strategy::words::take_words(&mut slot), Some(vec![1, 2]));
/// assert_eq!(slot, None);
/// assert_eq!(pool_core::strategy::words::take_words(&mut slot), None);
/// ```
#[inline(always)]
pub fn take_words<T>(slot: &mut Option<T>) -> Option<T> {
    // `None` is `Option`'s default.
    take_default_words(slot)
}

/// `*dst = value`, with the value written in 8-byte words (see the
/// module) when `T` is whole aligned words: for a value assembled moments
/// ago by field-sized stores and parked where the next get reads it (a
/// plain assignment copies it through 16-byte loads that stall on those
/// stores). The old value is dropped after the new one is in place.
///
/// # Examples
///
/// ```
/// let mut slot: Option<(Vec<u8>, u64)> = None;
/// pool_core::strategy::words::store_words(&mut slot, Some((vec![1, 2], 7)));
/// assert_eq!(slot, Some((vec![1, 2], 7)));
/// ```
#[inline(always)]
pub fn store_words<T>(dst: &mut T, value: T) {
    if !by_words::<T>() {
        *dst = value;
        return;
    }
    let value = std::mem::ManuallyDrop::new(value);
    // SAFETY: `dst` is a valid `T`, read out once here and owned by `old`
    // from now on; `value` is never dropped (`ManuallyDrop`), so the
    // byte-exact copy `copy_words` makes of it into `dst` (whole aligned
    // words, checked above) is its one owner. `dst` holds a valid `T`
    // again before `old` is dropped, so a panicking drop leaves nothing
    // half-written.
    let old = unsafe {
        let old = ptr::read(dst);
        copy_words(&raw const *value, ptr::from_mut(dst));
        old
    };
    drop(old);
}

/// `v.pop()`, reading the element with word-sized loads: an item pushed by
/// a put with field-sized stores and popped by the next get would otherwise
/// be copied with a 16-byte load that stalls on those stores.
///
/// # Examples
///
/// ```
/// let mut v = vec![(vec![1u8], 1usize), (vec![2], 2)];
/// assert_eq!(pool_core::strategy::words::pop_words(&mut v), Some((vec![2], 2)));
/// assert_eq!(v.len(), 1);
/// ```
#[inline(always)]
pub fn pop_words<T>(v: &mut Vec<T>) -> Option<T> {
    if !by_words::<T>() {
        return v.pop();
    }
    let n = v.len().checked_sub(1)?;
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY: element `n` is initialised and inside the buffer; `by_words`
    // holds, and `out` is a place for a `T`. `set_len(n)` makes the vector
    // forget the element, so the copy in `out` is its only owner: nothing
    // is dropped or read twice, and `assume_init` reads a byte-exact copy
    // of a valid `T`.
    unsafe {
        copy_words(v.as_ptr().add(n), out.as_mut_ptr());
        v.set_len(n);
        Some(out.assume_init())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_are_exact_for_every_shape() {
        assert_eq!(move_words((vec![1u8, 2], 7usize)), (vec![1, 2], 7));
        // Padding bytes: copied as they are.
        assert_eq!(move_words((1u8, 2u64)), (1, 2));
        // Too big, under-aligned: moved as usual.
        assert_eq!(move_words([7u64; 16]), [7; 16]);
        assert_eq!(move_words([1u8; 3]), [1, 2 - 1, 1]);
    }

    #[test]
    fn blocks_are_exact_for_every_shape() {
        // Even and odd word counts, pointers (provenance kept: Miri reads
        // through them after the move), padding, and the plain-move cases.
        let s = String::from("item");
        assert_eq!(in_blocks((s.clone(), 9u64)), (s.clone(), 9));
        assert_eq!(in_blocks((vec![1u8, 2], 7u64, &s)), (vec![1, 2], 7, &s));
        assert_eq!(*in_blocks(Box::new(5u32)), 5);
        assert_eq!(in_blocks((1u8, 2u64)), (1, 2));
        assert_eq!(in_blocks([3u64; 8]), [3; 8]);
        assert_eq!(in_blocks([7u64; 16]), [7; 16]);
        assert_eq!(in_blocks([1u8; 3]), [1; 3]);
        assert_eq!(in_blocks(()), ());
        let r: Result<(Vec<u8>, u64, &str), ()> = Ok(in_blocks((vec![4], 1, "p")));
        assert_eq!(r, Ok((vec![4], 1, "p")));
    }

    #[test]
    fn blocks_move_ownership_once() {
        use std::rc::Rc;
        let shared = Rc::new(());
        let moved = in_blocks((Rc::clone(&shared), 1u64, 2u64));
        assert_eq!(Rc::strong_count(&shared), 2, "moved, not copied");
        drop(moved);
        assert_eq!(Rc::strong_count(&shared), 1, "dropped once");
    }

    #[test]
    fn store_drops_the_old_value_once_and_keeps_the_new() {
        let mut s = Some((String::from("old"), 1u64));
        store_words(&mut s, Some((String::from("new"), 2)));
        assert_eq!(s, Some((String::from("new"), 2)));
        let mut big = [1u64; 16];
        store_words(&mut big, [2; 16]);
        assert_eq!(big, [2; 16]);
        let mut small = String::from("a");
        store_words(&mut small, String::from("b"));
        assert_eq!(small, "b");
    }

    #[test]
    fn take_leaves_none_and_drops_nothing_twice() {
        let mut s = Some((String::from("item"), 3u64));
        assert_eq!(take_words(&mut s), Some((String::from("item"), 3)));
        assert!(s.is_none());
        let mut big = Some([5u64; 16]);
        assert_eq!(take_words(&mut big), Some([5; 16]));
        assert_eq!(big, None);
        let mut small: Option<u8> = Some(1);
        assert_eq!(take_words(&mut small), Some(1));
        assert_eq!(small, None);
    }

    #[test]
    fn take_default_leaves_the_default_and_drops_nothing_twice() {
        // Under Miri: a double free or a leak of the taken `Vec` fails.
        let mut v = vec![String::from("a"), String::from("b")];
        assert_eq!(take_default_words(&mut v), ["a", "b"]);
        assert_eq!(v.capacity(), 0);
        let mut s = (String::from("item"), 3u64);
        assert_eq!(take_default_words(&mut s), (String::from("item"), 3));
        assert_eq!(s, (String::new(), 0));
        let mut big = [5u64; 16];
        assert_eq!(take_default_words(&mut big), [5; 16]);
        assert_eq!(big, [0; 16]);
        // A default that panics leaves the slot as it was.
        #[derive(Debug, PartialEq)]
        struct Loud(Vec<u8>);
        impl Default for Loud {
            fn default() -> Self {
                panic!("no default")
            }
        }
        let mut loud = Loud(vec![1]);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            take_default_words(&mut loud)
        }));
        assert!(r.is_err());
        assert_eq!(loud, Loud(vec![1]));
    }
    #[test]
    fn pop_words_pops_like_vec_pop() {
        let mut a: Vec<(Vec<u8>, usize)> = (0..5).map(|i| (vec![i as u8; i], i)).collect();
        let mut b = a.clone();
        while let Some(x) = pop_words(&mut a) {
            assert_eq!(Some(x), b.pop());
        }
        assert!(b.is_empty());
        assert_eq!(pop_words(&mut a), None);
        // Padding, too big, under-aligned: exact either way.
        let mut v = vec![(1u8, 2u64), (3, 4)];
        assert_eq!(pop_words(&mut v), Some((3, 4)));
        let mut big = vec![[7u64; 16]];
        assert_eq!(pop_words(&mut big), Some([7u64; 16]));
        let mut bytes = vec![[1u8; 8]];
        assert_eq!(pop_words(&mut bytes), Some([1u8; 8]));
    }

    #[test]
    fn pop_words_drops_each_element_once() {
        use std::rc::Rc;
        let rc = Rc::new(());
        let mut v: Vec<(Rc<()>, usize)> = (0..4).map(|i| (Rc::clone(&rc), i)).collect();
        let popped = pop_words(&mut v).unwrap();
        assert_eq!(Rc::strong_count(&rc), 5);
        drop(popped);
        drop(v);
        assert_eq!(Rc::strong_count(&rc), 1);
    }
}
