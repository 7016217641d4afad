//! [`Service`]: the composition root. What a running dice service is made of
//! (its configuration, store and handler), built once per process and shared
//! by every request, whether events come from Lambda or the local gateway.

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};

use crate::config::{Config, StoreConfig};
use crate::{Error, Handler, Store};

/// One process's service: a handler in front of a store.
#[derive(Debug)]
pub struct Service {
    config: Config,
    store: Store,
    handler: Handler,
}

impl Service {
    /// Builds the store `config` names (migrating it when asked) and the
    /// handler in front of it.
    pub async fn start(config: Config) -> Result<Self, Error> {
        let store = Store::build(&config.store, config.migrate).await?;
        let handler = Handler::new(config.handler.clone());
        Ok(Self {
            config,
            store,
            handler,
        })
    }

    /// Answers one event; store calls stop retrying by `deadline`.
    pub async fn handle(
        &self,
        event: &ApiGatewayProxyRequest,
        deadline: Option<Instant>,
    ) -> ApiGatewayProxyResponse {
        let store = self.store.until(deadline);
        self.handler.handle(event, store.as_ref()).await
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where rolls are kept, for people: `in memory`, `MySQL database dice on host`.
    pub fn describe_store(&self) -> String {
        match &self.config.store {
            StoreConfig::Memory => "in memory".to_owned(),
            StoreConfig::Mysql(mysql) => {
                format!("MySQL database {} on {}", mysql.database(), mysql.host())
            }
        }
    }

    /// Closes the store's connections.
    pub async fn close(self) {
        self.store.close().await;
    }
}
