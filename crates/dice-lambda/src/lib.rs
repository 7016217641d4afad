//! The dice HTTP API behind API Gateway, as AWS Lambda runs it.
//!
//! - [`Handler`]: an API Gateway REST proxy event in, a response out, against
//!   any [`RollStore`](dice_core::RollStore). Routes, status codes and the error
//!   envelope are those of the API contract; [`ApiError`] maps to HTTP in one place.
//! - [`config`]: what the `bootstrap` binary reads from its environment.
//! - [`Store`]: the store a binary builds once from [`config`] and shares.
//! - [`logging`]: JSON logs in Lambda, readable ones locally.
//! - [`runtime_api`]: what happens before `lambda_runtime` takes over.
//! - [`secrets`]: database credentials from Secrets Manager (`DB_SECRET_ARN`).
//!
//! - [`local`] (feature `local`, on by default): the API Gateway stand-in that
//!   `dice-local` serves.
//!
//! The `bootstrap` binary wires these to `lambda_runtime`; it has no HTTP server.

pub mod config;
mod error;
mod event;
mod handler;
#[cfg(feature = "local")]
pub mod local;
pub mod logging;
mod response;
mod route;
pub mod runtime_api;
pub mod secrets;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::ApiError;
pub use handler::{Handler, MAX_BODY_BYTES, Options};
pub use store::Store;
