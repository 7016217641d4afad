//! Rolling and weighing dice in `dice-core`: rolls per second of `1000d6` with the
//! operating system's source (as production rolls) beside a seeded fast generator,
//! and the cost of the exact distributions a fairness test needs.
//!
//! ```sh
//! cargo bench -p dice-benches --bench dice
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dice_core::Dice;
use rand::SeedableRng;
use rand::rngs::{OsRng, SmallRng};

fn rolls(c: &mut Criterion) {
    let dice = Dice::parse("1000d6").unwrap();
    let mut group = c.benchmark_group("roll 1000d6");
    // One element per roll: criterion's elem/s is rolls per second.
    group.throughput(Throughput::Elements(1));
    group.bench_function("OS source (Dice::roll_os)", |b| {
        b.iter(|| dice.roll_os().unwrap())
    });
    group.bench_function("OS source, one read per die (OsRng)", |b| {
        b.iter(|| dice.try_roll(&mut OsRng).unwrap())
    });
    let mut seeded = SmallRng::seed_from_u64(1);
    group.bench_function("seeded SmallRng (Dice::roll)", |b| {
        b.iter(|| dice.roll(&mut seeded))
    });
    group.finish();
}

fn distributions(c: &mut Criterion) {
    let mut group = c.benchmark_group("distribution");
    group.sample_size(10);
    // 3d6 is the common case; the others are near the worst each path allows:
    // u128 counts, f64 probabilities (1000d6 on), a keep on 20 dice, and two
    // terms of 5000 totals each.
    let notations = [
        "3d6",
        "10d1000",
        "1000d6",
        "1000d10",
        "100d100",
        "20d500kh19",
        "1d5000+1d5000",
    ];
    for notation in notations {
        let dice = Dice::parse(notation).unwrap();
        group.bench_function(notation, |b| b.iter(|| dice.distribution().unwrap()));
    }
    group.finish();
}

criterion_group!(benches, rolls, distributions);
criterion_main!(benches);
