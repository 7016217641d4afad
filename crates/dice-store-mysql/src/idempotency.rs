//! Idempotent inserts: the rolls, the key, a hash of the request and the answer
//! are committed in one transaction, so however a call or its connection fails,
//! a retry with the same key can never record twice.

use std::time::Duration;

use dice_core::{Actor, Error, IdempotencyKey, Idempotent, Recorded, RolledRequest};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, TxOpts};
use sha2::{Digest, Sha256};

use crate::exec::OpError;
use crate::insert::{IdStep, Rows, insert_rolls};
use crate::sql;

/// MySQL's "duplicate entry" error.
const DUPLICATE_KEY: u16 = 1062;
/// An expired key is deleted and the insert tried again at most this often,
/// bounding the loop if another client keeps re-creating the same key.
const MAX_ROUNDS: usize = 3;

/// Everything that names one idempotent request.
pub(crate) struct Claim<'a> {
    pub(crate) key: &'a IdempotencyKey,
    pub(crate) request: &'a RolledRequest,
    pub(crate) created_by: Option<&'a Actor>,
    pub(crate) ttl: Duration,
    pub(crate) id_step: &'a IdStep,
}

impl Claim<'_> {
    /// Keys are scoped by creator; no API key is the empty scope, a name no
    /// [`Actor`] can have.
    fn scope(&self) -> &str {
        self.created_by.map_or("", Actor::as_str)
    }

    /// The canonical JSON of the request as sent (its notation, not the faces it
    /// rolled this time), hashed: equal requests, equal hashes. A request without
    /// dice hashes as it did before dice existed, so keys survive an upgrade.
    fn request_hash(&self) -> Result<Vec<u8>, Error> {
        let canonical = serde_json::to_vec(self.request.request()).map_err(Error::internal)?;
        Ok(Sha256::digest(canonical).to_vec())
    }
}

/// What the key's row says to do after our claim on it found it taken.
enum NextAction {
    /// The same request was recorded first: answer what it got.
    ReturnSaved(Recorded),
    /// The key was first used with a different request.
    Conflict,
    /// The key is past its time to live: delete it, then claim it again.
    ReclaimExpired,
    /// The key vanished (purged) between our claim and our read: claim again.
    ClaimAgain,
}

/// The key's row, as `sql::KEY_READ` returns it.
type KeyRow = (Vec<u8>, String, bool);

/// One attempt on one connection. Overlapping calls with the same key queue on
/// the key's row lock; the first to commit wins, the others roll back their
/// rolls and replay its answer.
pub(crate) async fn record_once(mut conn: Conn, claim: &Claim<'_>) -> Result<Idempotent, OpError> {
    let hash = claim.request_hash()?;
    for _ in 0..MAX_ROUNDS {
        if let Some(recorded) = try_claim(&mut conn, claim, &hash).await? {
            return Ok(Idempotent {
                recorded,
                replayed: false,
            });
        }
        match next_action(&mut conn, claim, &hash).await? {
            NextAction::ReturnSaved(recorded) => {
                return Ok(Idempotent {
                    recorded,
                    replayed: true,
                });
            }
            NextAction::Conflict => return Err(Error::IdempotencyConflict.into()),
            NextAction::ReclaimExpired => {
                let params = (claim.scope(), claim.key.as_str(), claim.ttl.as_secs());
                conn.exec_drop(sql::KEY_DELETE_EXPIRED, params).await?;
            }
            NextAction::ClaimAgain => {}
        }
    }
    Err(Error::internal("idempotency key kept changing under concurrent use").into())
}

/// Records the rolls and the key in one transaction; `None` when the key is
/// already taken, in which case nothing was recorded.
async fn try_claim(
    conn: &mut Conn,
    claim: &Claim<'_>,
    hash: &[u8],
) -> Result<Option<Recorded>, OpError> {
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let rows = Rows {
        rolls: claim.request.rolls(),
        created_by: claim.created_by,
        token: None,
    };
    // One part in, one part out.
    let rolls = insert_rolls(&mut tx, &[rows], claim.id_step)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let recorded = Recorded::matching(claim.request.request(), rolls)
        .ok_or_else(|| Error::internal("stored a different number of rolls than asked"))?;
    let response = serde_json::to_string(&recorded).map_err(Error::internal)?;
    let params = (claim.scope(), claim.key.as_str(), hash, response.as_str());
    match tx.exec_drop(sql::KEY_INSERT, params).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Some(recorded))
        }
        Err(mysql_async::Error::Server(err)) if err.code == DUPLICATE_KEY => {
            tx.rollback().await?;
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// Reads the key that our claim found taken, and decides what follows.
async fn next_action(
    conn: &mut Conn,
    claim: &Claim<'_>,
    hash: &[u8],
) -> Result<NextAction, OpError> {
    let params = (claim.ttl.as_secs(), claim.scope(), claim.key.as_str());
    let row: Option<KeyRow> = conn.exec_first(sql::KEY_READ, params).await?;
    Ok(match row {
        None => NextAction::ClaimAgain,
        Some((_, _, true)) => NextAction::ReclaimExpired,
        Some((stored_hash, _, false)) if stored_hash != hash => NextAction::Conflict,
        Some((_, response, false)) => {
            NextAction::ReturnSaved(serde_json::from_str(&response).map_err(|err| {
                Error::internal(format!("stored idempotent answer unreadable: {err}"))
            })?)
        }
    })
}
