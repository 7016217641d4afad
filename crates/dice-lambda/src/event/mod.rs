//! API Gateway REST proxy events: reading what the handler needs out of one,
//! and building one the way API Gateway does.

mod build;
mod read;

pub use build::RestEvent;
pub(crate) use read::{api_key_id, body, idempotency_key, path, query_pairs, url_prefix};
