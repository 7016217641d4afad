//! The local API Gateway stand-in behind `dice-local` (feature `local`): API
//! keys and usage plans as API Gateway applies them, REST proxy events built
//! from HTTP requests, and the same [`Service`](crate::Service) as `bootstrap`.
//!
//! - [`cli`]: the command line and what each command runs.
//! - [`Gateway`]: admits a request (route, key, plan, size, capacity) and
//!   forwards it; [`Refusal`] is each of its own answers, mapped to HTTP once.
//! - [`keys`], [`KeySource`], [`key_commands`]: the keys file (from
//!   `dice-keys`), the keys a running gateway accepts, and the `keys` and
//!   `plans` commands on it.
//! - [`plan`]: throttles and quotas, counted in a file beside the keys file.
//! - [`serve`]: HTTP/1.1 until Ctrl-C or SIGTERM, then a drain.

pub mod cli;
mod gateway;
mod http;
pub mod key_commands;
mod key_source;
pub mod plan;
mod refusal;
mod request_ids;
mod server;
mod start;

pub use dice_keys::file as keys;
pub use gateway::{Gateway, Settings};
pub use key_source::KeySource;
pub use refusal::{Refusal, Wire};
pub use server::{serve, shutdown_signal};
