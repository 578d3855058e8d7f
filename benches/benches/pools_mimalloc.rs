//! Plain allocation with mimalloc as the global allocator (a global
//! allocator is per binary, hence this second target):
//! `cargo bench -p pool-benches --bench pools_mimalloc`.

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn all(c: &mut Criterion) {
    pool_benches::run_all(c, "mimalloc", false);
}

criterion_group!(benches, all);
criterion_main!(benches);
