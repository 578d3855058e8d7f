//! The crate's only `unsafe`: popping an idle item with word-sized loads.
//!
//! Why: a guard's item goes back onto the cache with field-sized (8-byte)
//! stores, and the next get pops it right away. Left to itself, the compiler
//! copies the popped element with 16-byte vector loads; a load that spans
//! two separate smaller stores cannot be forwarded from the store buffer and
//! stalls until they reach the cache (a "store-forwarding failure", about a
//! dozen cycles on current x86 cores). Copying the element with volatile
//! 8-byte loads, which the compiler may not merge, keeps every load inside
//! one store. Measured with `cargo xtask bench` (single/4KiB/1t, pool-local):
//! about 18 ns per get+write+put before, 12 ns after, on the 2-core CI
//! machine.

use std::mem::{MaybeUninit, align_of, size_of};
use std::ptr;

/// Largest element copied word by word; larger ones use `Vec::pop`.
const MAX_WORDS: usize = 8;

/// `v.pop()`, with the element copied in 8-byte words when it is small and
/// 8-byte aligned (as every `Idle<T>` is: it holds a `usize`).
#[inline(always)]
pub(crate) fn pop_words<T>(v: &mut Vec<T>) -> Option<T> {
    if size_of::<T>() > MAX_WORDS * 8 || align_of::<T>() < 8 || !size_of::<T>().is_multiple_of(8) {
        return v.pop();
    }
    let n = v.len();
    if n == 0 {
        return None;
    }
    let words = size_of::<T>() / 8;
    let mut out = MaybeUninit::<T>::uninit();
    // SAFETY:
    // - `n > 0`, so element `n - 1` is initialised and inside the buffer;
    //   `set_len(n - 1)` (below) makes the vector forget it, so its one copy
    //   is the value we return: nothing is dropped or read twice.
    // - `T` is 8-byte aligned and a multiple of 8 bytes long (checked
    //   above), so each of the `words` word pointers into the element and
    //   into `out` is aligned and in bounds.
    // - Words are read and written as `MaybeUninit<u64>`, which may hold
    //   padding (uninitialised) bytes and keeps pointer provenance, so the
    //   copy is a byte-exact copy of a valid `T`, and `assume_init` is sound.
    unsafe {
        let src = v.as_ptr().add(n - 1).cast::<MaybeUninit<u64>>();
        let dst = out.as_mut_ptr().cast::<MaybeUninit<u64>>();
        for i in 0..words {
            dst.add(i).write(ptr::read_volatile(src.add(i)));
        }
        v.set_len(n - 1);
        Some(out.assume_init())
    }
}

pub use pool_core::words::move_words;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_like_vec_pop() {
        let mut a: Vec<(Vec<u8>, usize)> = (0..5).map(|i| (vec![i as u8; i], i)).collect();
        let mut b = a.clone();
        while let Some(x) = pop_words(&mut a) {
            assert_eq!(Some(x), b.pop());
        }
        assert!(b.is_empty());
        assert_eq!(pop_words(&mut a), None);
    }

    #[test]
    fn types_with_padding_and_big_types_fall_back_or_copy_exactly() {
        // Padding: (u8, u64) has 7 padding bytes.
        let mut v = vec![(1u8, 2u64), (3, 4)];
        assert_eq!(pop_words(&mut v), Some((3, 4)));
        // Too big for the word copy: falls back to `Vec::pop`.
        let mut big = vec![[7u64; 16]];
        assert_eq!(pop_words(&mut big), Some([7u64; 16]));
        // Under-aligned: falls back.
        let mut bytes = vec![[1u8; 8]];
        assert_eq!(pop_words(&mut bytes), Some([1u8; 8]));
    }

    #[test]
    fn move_words_moves_exactly_once() {
        use std::rc::Rc;
        let rc = Rc::new(5u64);
        let v = (Rc::clone(&rc), vec![1u8, 2, 3]);
        let moved = move_words(v);
        assert_eq!((*moved.0, moved.1.as_slice()), (5, &[1u8, 2, 3][..]));
        assert_eq!(Rc::strong_count(&rc), 2);
        drop(moved);
        assert_eq!(Rc::strong_count(&rc), 1);
        // Not whole words: identity.
        assert_eq!(move_words((1u8, 2u16)), (1, 2));
        assert_eq!(move_words([9u64; 16]), [9u64; 16]);
    }

    #[test]
    fn drops_each_element_once() {
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
