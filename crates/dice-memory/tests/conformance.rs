//! `MemoryStore` against the store conformance suite of `dice-core`, one test
//! per behaviour.

use dice_core::testkit::Behaviour;
use dice_memory::MemoryStore;

async fn check(behaviour: Behaviour) {
    behaviour.run(&MemoryStore::new()).await;
}

dice_core::conformance_tests!(
    #[tokio::test]
    check
);

#[tokio::test]
async fn the_whole_suite_runs_in_one_call_too() {
    dice_core::testkit::run_all(|| async { MemoryStore::new() }).await;
}
