//! The local API Gateway stand-in behind `dice-local` (feature `local`): API
//! keys and usage plans as API Gateway applies them, REST proxy events built
//! from HTTP requests, and the same [`Handler`](crate::Handler) as `bootstrap`.

mod gateway;
mod http;
pub mod keys;
pub mod plan;
mod resources;
mod server;

pub use gateway::{Gateway, KeySource, Settings};
pub use server::{serve, shutdown_signal};
