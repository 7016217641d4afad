//! [`Store`]: the store a service is built on, chosen by configuration.

use std::sync::Arc;
use std::time::Instant;

use dice_core::RollStore;
use dice_memory::MemoryStore;
use dice_store_mysql::MysqlStore;

use crate::config::StoreConfig;

/// The store of one process (one Lambda instance): built once, reused by every
/// request.
#[derive(Debug, Clone)]
pub enum Store {
    /// MySQL or Aurora.
    Mysql(MysqlStore),
    /// Process memory.
    Memory(Arc<MemoryStore>),
}

impl Store {
    /// Builds the store; with `migrate`, brings the schema up to date first.
    ///
    /// The MySQL pool connects on first use, not here, so a paused Aurora does
    /// not turn into a failed cold start.
    pub async fn build(
        config: &StoreConfig,
        migrate: bool,
    ) -> Result<Self, dice_store_mysql::Error> {
        Ok(match config {
            StoreConfig::Memory => Self::Memory(Arc::new(MemoryStore::new())),
            StoreConfig::Mysql(config) => {
                let store = MysqlStore::new(config);
                if migrate {
                    store.migrate().await?;
                }
                Self::Mysql(store)
            }
        })
    }

    /// The store as one request sees it: calls stop retrying by `deadline`.
    pub fn until(&self, deadline: Option<Instant>) -> Arc<dyn RollStore> {
        match (self, deadline) {
            (Self::Mysql(store), Some(deadline)) => Arc::new(store.with_deadline(deadline)),
            (Self::Mysql(store), None) => Arc::new(store.clone()),
            (Self::Memory(store), _) => Arc::clone(store) as Arc<dyn RollStore>,
        }
    }

    /// Closes what the store holds open (the MySQL pool's connections).
    pub async fn close(self) {
        if let Self::Mysql(store) = self {
            let _ = store.close().await;
        }
    }
}
