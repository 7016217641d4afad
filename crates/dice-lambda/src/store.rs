//! [`Store`]: the store a binary built from its configuration, shared by every request.

use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use dice_memory::MemoryStore;
use dice_store_mysql::MysqlStore;

use crate::Handler;
use crate::config::StoreConfig;

/// The store of one process (one Lambda instance): built once, reused by every
/// invocation.
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

    /// Answers `event` with `handler`; store calls give up by `deadline`.
    pub async fn handle(
        &self,
        handler: &Handler,
        event: &ApiGatewayProxyRequest,
        deadline: Option<Instant>,
    ) -> ApiGatewayProxyResponse {
        match (self, deadline) {
            (Self::Mysql(store), Some(deadline)) => {
                handler.handle(event, &store.with_deadline(deadline)).await
            }
            (Self::Mysql(store), None) => handler.handle(event, store).await,
            (Self::Memory(store), _) => handler.handle(event, store.as_ref()).await,
        }
    }
}
