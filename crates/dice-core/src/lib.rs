//! The dice roll domain, free of I/O.
//!
//! `dice-core` holds what every part of dice agrees on: the value types that
//! cannot hold invalid data ([`Outcome`], [`Actor`], [`RollId`], [`IdempotencyKey`],
//! [`Timestamp`], [`Dice`]), the request parser every adapter shares
//! ([`RollRequest::parse_json`]), rolling dice without bias ([`RollRequest::roll_os`])
//! and testing their fairness ([`Fairness`]), the [`RollStore`] port that storage
//! adapters implement, and, behind the `testkit` feature, the conformance suite
//! that proves they behave alike.
//!
//! ```
//! use dice_core::{ErrorCode, RollRequest};
//!
//! let request = RollRequest::parse_json(br#"{"outcome": 6, "rolled_by": "alice"}"#)?;
//! assert_eq!(request.len(), 1);
//!
//! let err = RollRequest::parse_json(br#"{"outcome": "6"}"#).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::InvalidOutcome);
//! assert_eq!(err.to_string(), "outcome: must be a JSON integer from 0 to 4294967295");
//! # Ok::<(), dice_core::InvalidInput>(())
//! ```

mod actor;
mod config_error;
mod dice;
mod error;
mod fairness;
mod idempotency_key;
mod outcome;
mod query;
mod request;
mod roll;
mod roll_id;
mod stats;
mod store;
mod timestamp;

#[cfg(feature = "testkit")]
pub mod testkit;

/// The attribute a [`RollStore`] implementation needs on its `impl` block
/// (`#[dice_core::async_trait]`), re-exported so implementors need no extra dependency.
pub use async_trait::async_trait;

pub use actor::Actor;
pub use config_error::ConfigError;
pub use dice::{Dice, DiceError, Distribution, EntropyError, FacesError, NotComputed, RolledDice};
pub use error::{Error, ErrorCode, InvalidInput, Result, Source};
pub use fairness::{Fairness, Verdict};
pub use idempotency_key::IdempotencyKey;
pub use outcome::Outcome;
pub use query::{Cursor, Limit, ListQuery, Page, StatsQuery};
pub use request::{Batch, Recorded, RollRequest, RollToMake, RolledRequest};
pub use roll::{InconsistentRoll, NewRoll, Roll};
pub use roll_id::RollId;
pub use stats::Stats;
pub use store::{Idempotent, RollStore};
pub use timestamp::Timestamp;
