//! The dice HTTP API behind API Gateway, as AWS Lambda runs it.
//!
//! - [`routes`]: the API's one route table.
//! - [`Handler`]: an API Gateway REST proxy event in, a response out, against
//!   any [`RollStore`](dice_core::RollStore); [`ApiError`] maps to HTTP in one place.
//! - [`RestEvent`]: builds REST proxy events as API Gateway does.
//! - [`Service`]: the composition root: configuration, store and handler,
//!   built once per process; [`Store`] is the store it chose.
//! - [`config`]: what the binaries read from their environment.
//! - [`lambda`]: running a service as Lambda runs `bootstrap`, with
//!   [`runtime_api`] for what happens before `lambda_runtime` takes over and
//!   [`secrets`] for credentials from Secrets Manager (`DB_SECRET_ARN`).
//! - [`logging`]: JSON logs in Lambda, readable ones locally.
//! - [`Error`]: why a service could not start, as one line to print.
//!
//! - [`local`] (feature `local`, on by default): the API Gateway stand-in that
//!   `dice-local` serves, and its key management.
//!
//! Both binaries only parse their arguments, build a [`Service`] and run it;
//! `bootstrap` links no HTTP server.

mod api_error;
pub mod config;
mod error;
mod event;
mod handler;
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
pub mod logging;
mod page;
mod response;
pub mod routes;
pub mod runtime_api;
pub mod secrets;
mod service;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use api_error::ApiError;
pub use error::Error;
pub use event::RestEvent;
pub use handler::{Handler, MAX_BODY_BYTES, Options};
pub use service::Service;
pub use store::Store;
