//! What the MySQL store's tests share beyond the crate's `testkit`: a TCP
//! proxy that makes faults, and a private TLS server.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod proxy;
pub mod tls_server;

// Not every test file uses every helper.
#[allow(unused_imports)]
pub use dice_store_mysql::testkit::*;
