//! Shared buffers: returned exactly once, after the last clone, on any
//! thread; the `Bytes` handoff likewise.

use std::sync::Barrier;

use pool_tiered::TieredPool;

#[test]
fn a_shared_buffer_returns_once_after_the_last_clone() {
    const THREADS: usize = 8;
    let rounds = if cfg!(miri) { 3 } else { 500 };
    let pool = TieredPool::new();
    for round in 0..rounds {
        let mut buf = pool.get(1000);
        buf.extend_from_slice(&[round as u8; 1000]);
        let shared = buf.freeze();
        let barrier = Barrier::new(THREADS);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (mine, barrier) = (shared.slice(t..t + 10), &barrier);
                s.spawn(move || {
                    barrier.wait();
                    assert!(mine.iter().all(|&b| b == round as u8));
                    assert!(mine.ref_count() >= 1);
                });
            }
            assert_eq!(
                pool.stats().total.returns,
                round as u64,
                "returned before the last clone dropped"
            );
        });
        assert_eq!(shared.ref_count(), 1);
        drop(shared);
        let s = pool.stats();
        assert_eq!(s.total.returns, round as u64 + 1, "returned exactly once");
        assert_eq!(s.total.outstanding, 0);
    }
}

#[test]
fn oversize_buffers_can_be_shared_and_are_not_pooled() {
    let pool = TieredPool::new();
    let mut big = pool.get(3 << 20);
    big.push(1);
    let shared = big.freeze();
    let c = shared.clone();
    drop(shared);
    assert_eq!(&c[..], &[1]);
    drop(c);
    let s = pool.stats();
    assert_eq!(
        (s.oversize, s.total.returns, s.total.retained_items),
        (1, 0, 0)
    );
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_handoff_returns_after_the_last_bytes_drops() {
    let pool = TieredPool::new();
    let mut buf = pool.get(64);
    buf.extend_from_slice(b"zero-copy");
    let ptr = buf.as_ptr() as usize;
    let bytes = buf.freeze().into_bytes();
    assert_eq!(bytes.as_ptr() as usize, ptr, "no copy");
    let tail = bytes.slice(5..);
    let t = std::thread::spawn(move || {
        assert_eq!(&tail[..], b"copy");
    });
    t.join().unwrap();
    assert_eq!(
        pool.stats().total.returns,
        0,
        "the first Bytes is still alive"
    );
    drop(bytes);
    assert_eq!(pool.stats().total.returns, 1);
}

#[test]
fn zero_on_release_wipes_secrets() {
    let pool = TieredPool::builder().zero_on_release(true).build().unwrap();
    let ptr = {
        let mut b = pool.get(128);
        b.extend_from_slice(&[0x5A; 128]);
        b.as_ptr()
    };
    let mut again = pool.get(128);
    assert_eq!(again.as_ptr(), ptr, "the same buffer");
    assert!(again.is_empty());
    // The bytes the last holder wrote, now spare capacity: all zero.
    let spare = again.spare_capacity_mut();
    // SAFETY: these bytes were written (by the holder, then by the pool's
    // zeroing), so they are initialised.
    let old: Vec<u8> = spare[..128]
        .iter()
        .map(|b| unsafe { b.assume_init() })
        .collect();
    assert!(old.iter().all(|&x| x == 0), "{old:?}");
    assert_eq!(pool.stats().total.misses, 1);
}

#[test]
fn bad_configuration_names_the_field() {
    use pool_tiered::SizeClasses;
    let e = TieredPool::builder()
        .max_retained_bytes(1000)
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains(
            "`max_retained_bytes` is 1000, expected at least the largest class (2097152 bytes)"
        ),
        "{e}"
    );
    let e = TieredPool::builder()
        .default_len(4 << 20)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("`default_len`"), "{e}");
    let e = TieredPool::builder().cache_size(0).build().unwrap_err();
    assert!(e.to_string().contains("`cache_size` is 0"), "{e}");
    let e = TieredPool::builder()
        .classes(SizeClasses::custom(&[10]).unwrap())
        .spill_size(0)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("`spill_size` is 0"), "{e}");
}

#[cfg(feature = "serde")]
#[test]
fn stats_serialize_for_machines_and_display_for_people() {
    let pool = TieredPool::new();
    drop(pool.get(100));
    drop(pool.get(5000));
    let s = pool.stats();
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["total"]["gets"], 2);
    assert_eq!(v["classes"][0]["size"], 128);
    assert_eq!(v["recent_lengths"], serde_json::json!([100, 5000]));
    // The hit rate the text prints is in the JSON too: two misses here.
    assert_eq!(v["total"]["hit_rate"], 0.0);
    drop(pool.get(100));
    let v = serde_json::to_value(pool.stats()).unwrap();
    assert_eq!(v["total"]["hit_rate"], 1.0 / 3.0);
    assert_eq!(v["classes"][0]["stats"]["hit_rate"], 0.5);
    // What was exported loads back (the bench replays exported stats).
    let back: pool_tiered::TieredStats = serde_json::from_value(v).unwrap();
    assert_eq!(back, pool.stats());
    let text = s.to_string();
    assert!(
        text.contains("8192") && text.contains("total") && text.contains("hit rate"),
        "{text}"
    );
}
