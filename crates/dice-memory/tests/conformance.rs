//! `MemoryStore` against the store conformance suite of `dice-core`.

use dice_memory::MemoryStore;

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    dice_core::testkit::run_all(|| async { MemoryStore::new() }).await;
}
