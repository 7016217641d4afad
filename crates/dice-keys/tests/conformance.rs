//! The key registry conformance suite on the local keys file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use dice_keys::counters::{Counters, counters_path};
use dice_keys::testkit::{Behaviour, Target};
use dice_keys::{Day, KeyId, KeyRegistry, LocalRegistry};

/// A keys file in a directory of its own, removed at the end.
struct LocalTarget {
    dir: PathBuf,
    registry: LocalRegistry,
}

impl LocalTarget {
    fn fresh(label: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dice-keys-conformance-{}-{}-{label}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let registry = LocalRegistry::new(dir.join("keys.json"));
        Self { dir, registry }
    }
}

impl Drop for LocalTarget {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[async_trait]
impl Target for LocalTarget {
    fn registry(&self) -> &dyn KeyRegistry {
        &self.registry
    }

    async fn other(&self) -> Box<dyn KeyRegistry> {
        Box::new(LocalRegistry::new(self.registry.path()))
    }

    /// Counts as dice-local does: in the counters file beside the keys file.
    async fn record_requests(&self, id: &KeyId, day: Day, count: u64) {
        let path = counters_path(self.registry.path());
        let mut counters = Counters::load(&path).unwrap();
        for _ in 0..count {
            counters.count(id.as_str(), day);
        }
        counters.save(&path).unwrap();
    }
}

async fn check(behaviour: Behaviour) {
    let target = LocalTarget::fresh(behaviour.name);
    behaviour.run(&target).await;
}

dice_keys::conformance_tests!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    check
);
