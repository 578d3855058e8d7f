//! Every contender with the system allocator: `cargo bench -p pool-benches --bench pools`.

use criterion::{Criterion, criterion_group, criterion_main};

fn all(c: &mut Criterion) {
    pool_benches::run_all(c, "system", true);
}

criterion_group!(benches, all);
criterion_main!(benches);
