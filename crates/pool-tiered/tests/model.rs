//! A proptest model of the tiered pool: random lengths and operations.

use pool_tiered::{SizeClasses, TieredBuf, TieredPool};
use proptest::prelude::*;

const CAP: usize = 64 << 10;

#[derive(Debug, Clone)]
enum Op {
    Get(usize),
    GetZeroed(usize),
    Fill(usize),
    Drop(usize),
    Put(usize),
    Trim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..40_000).prop_map(Op::Get),
        1 => (1usize..5_000).prop_map(Op::GetZeroed),
        2 => any::<usize>().prop_map(Op::Fill),
        3 => any::<usize>().prop_map(Op::Drop),
        1 => (0usize..20_000).prop_map(Op::Put),
        1 => Just(Op::Trim),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 200 }, ..ProptestConfig::default() })]

    #[test]
    fn tiered_pool_matches_model(ops in proptest::collection::vec(op(), 1..100)) {
        let classes = SizeClasses::power_of_two(256, 16 << 10).unwrap();
        let pool = TieredPool::builder().classes(classes.clone()).cache_size(4).max_retained_bytes(CAP).build().unwrap();
        let mut held: Vec<(TieredBuf<'_>, usize)> = Vec::new();
        let (mut gets, mut oversize) = (0u64, 0u64);
        for op in ops {
            match op {
                Op::Get(len) | Op::GetZeroed(len) => {
                    let zeroed = matches!(op, Op::GetZeroed(_));
                    let buf = if zeroed { pool.get_zeroed(len) } else { pool.get(len) };
                    prop_assert!(buf.capacity() >= len);
                    if zeroed {
                        prop_assert_eq!(buf.len(), len);
                        prop_assert!(buf.iter().all(|&b| b == 0), "non-zero bytes from get_zeroed");
                    } else {
                        prop_assert_eq!(buf.len(), 0, "stale bytes visible after get");
                    }
                    match classes.class_of(len) {
                        Some(c) => {
                            prop_assert_eq!(buf.class(), Some(c), "wrong class");
                            gets += 1;
                        }
                        None => {
                            prop_assert_eq!(buf.class(), None);
                            oversize += 1;
                        }
                    }
                    held.push((buf, len));
                }
                Op::Fill(i) if !held.is_empty() => {
                    let k = i % held.len();
                    let (buf, len) = &mut held[k];
                    let n = (*len).min(buf.capacity());
                    buf.resize(n, 0xAB);
                }
                Op::Drop(i) if !held.is_empty() => drop(held.swap_remove(i % held.len())),
                Op::Put(cap) => {
                    let _kept = pool.put(Vec::with_capacity(cap));
                }
                Op::Trim => pool.trim(),
                _ => {}
            }
            let s = pool.stats();
            prop_assert_eq!(s.total.gets, gets);
            prop_assert_eq!(s.oversize, oversize);
            prop_assert_eq!(s.total.outstanding, held.iter().filter(|(b, _)| b.class().is_some()).count() as u64);
            prop_assert_eq!(s.total.gets, s.total.hits + s.total.misses);
            prop_assert_eq!(s.total.gets, s.total.returns + s.total.discarded.total() + s.total.detached + s.total.outstanding);
            prop_assert!(s.total.retained_bytes <= CAP as u64, "retained {} over the cap", s.total.retained_bytes);
            // Each class retains only buffers that serve it.
            for c in &s.classes {
                prop_assert!(c.stats.retained_items == 0 || c.stats.retained_bytes >= c.size as u64 * c.stats.retained_items);
            }
        }
    }
}
