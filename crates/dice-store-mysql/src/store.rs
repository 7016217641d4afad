//! [`MysqlStore`]: the [`RollStore`] on a MySQL connection pool.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dice_core::{
    Actor, Error as StoreError, IdempotencyKey, Idempotent, ListQuery, NewRoll, Outcome, Page,
    Result, Roll, RollId, RollStore, RolledRequest, Stats, StatsQuery,
};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use crate::coalesce::{self, Lanes};
use crate::connect_error::connect_timeout;
use crate::exec::{self, Limits, OpError};
use crate::idempotency::{self, Claim};
use crate::insert::{IdStep, actor_value, dice_value, left_to_fold};
use crate::plain::{self, Db};
use crate::pools::Pools;
use crate::{MysqlConfig, counts, migrate, rows, sql};

/// Expired idempotency keys are purged at most this often per store.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Chunks one fold of the store's takes at most: well within a statement's
/// time limit, and many times what the store inserts between two folds.
const FOLD_CHUNKS: usize = 16;

/// Rolls in a MySQL, Aurora MySQL or MariaDB database.
///
/// Cheap to clone: clones share one connection pool. Build one per process (in
/// Lambda, once per instance) and reuse it.
///
/// Every call has time limits: connecting, and each statement, are bounded by
/// the configuration, and the whole call by the deadline of
/// [`MysqlStore::with_deadline`]. Failures that are about reaching the server
/// are retried with backoff inside that deadline. Idempotent inserts may simply
/// run again; a plain insert whose reply is lost is first settled: the store
/// ends the session that sent it and looks for its rows by the random request
/// token they carry, then answers with them, or sends it again if they are
/// absent. If the deadline passes first, the call fails with
/// [`OutcomeUnknown`](dice_core::Error::OutcomeUnknown), never with
/// `Unavailable` for rolls that may exist.
///
/// With [`MysqlConfig::coalesce`] (the server preset), plain inserts made
/// while every connection is busy queue, and leave together as one multi-row
/// `INSERT` when a connection frees; an insert that finds one free goes at
/// once. Each caller is answered with its own rows, once committed, and each
/// keeps its own request token: a combined statement whose reply is lost is
/// settled as above; one refused for a transient reason is sent again, and
/// one refused otherwise is sent again as each caller's part alone, so a bad
/// row fails only its own caller.
#[derive(Debug, Clone)]
pub struct MysqlStore {
    shared: Arc<Shared>,
    deadline: Option<Instant>,
}

/// What clones of a store share, lanes included.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) pools: Pools,
    pub(crate) limits: Limits,
    key_ttl: Duration,
    last_purge: Mutex<Instant>,
    /// Rows this store inserted into the tail since it last folded (see
    /// `counts`).
    unfolded: AtomicU64,
    /// Whether one of this store's calls is folding.
    folding: AtomicBool,
    pub(crate) id_step: IdStep,
    /// Whether plain inserts are coalesced, in `lanes`.
    coalesce: bool,
    pub(crate) lanes: Lanes,
}

impl Shared {
    /// Where plain inserts go.
    pub(crate) fn db(&self) -> Db<'_> {
        Db {
            pools: &self.pools,
            limits: &self.limits,
            id_step: &self.id_step,
        }
    }
}

impl MysqlStore {
    /// A store on a new pool. No connection is made until the first call; use
    /// [`MysqlStore::connect`] to find a bad configuration at start instead.
    /// (A configuration that [`MysqlConfig::check`] refuses makes a store
    /// whose every call fails, without sending anything.)
    pub fn new(config: &MysqlConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                pools: Pools::new(config),
                limits: Limits {
                    connect_timeout: config.connect_timeout,
                    query_timeout: config.query_timeout,
                },
                key_ttl: config.key_ttl,
                last_purge: Mutex::new(Instant::now()),
                unfolded: AtomicU64::new(0),
                folding: AtomicBool::new(false),
                id_step: IdStep::default(),
                coalesce: config.coalesce,
                lanes: Lanes::new(config.max_connections),
            }),
            deadline: None,
        }
    }

    /// A store whose first connection has been made, so wrong credentials or an
    /// unreachable host show up now, within the connect timeout; a refused
    /// login is [`Error::LoginRefused`](crate::Error::LoginRefused), at once.
    pub async fn connect(config: &MysqlConfig) -> Result<Self, crate::Error> {
        config.check()?;
        let store = Self::new(config);
        let opts = store.shared.pools.base();
        let conn = tokio::time::timeout(config.connect_timeout, store.shared.pools.get_conn())
            .await
            .map_err(|_| connect_timeout(opts, config.connect_timeout))?
            .map_err(|err| err.into_error(opts))?;
        drop(conn);
        Ok(store)
    }

    /// The same store, whose calls give up when `deadline` passes: retries stop in
    /// time and the caller gets `Unavailable` rather than being cut off. In Lambda,
    /// pass the invocation's deadline.
    #[must_use]
    pub fn with_deadline(&self, deadline: Instant) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            deadline: Some(deadline),
        }
    }

    /// Brings the schema up to date: the tutorial's `rolls` table if it is
    /// missing, its indexes, request-token, dice and faces columns, and the
    /// idempotency table. Safe to run from several
    /// processes at once, and again. Returns the versions it applied.
    pub async fn migrate(&self) -> Result<Vec<u32>, crate::Error> {
        let opts = self.shared.pools.base();
        let limit = self.shared.limits.connect_timeout;
        let conn = tokio::time::timeout(limit, self.shared.pools.new_conn())
            .await
            .map_err(|_| connect_timeout(opts, limit))?
            .map_err(|err| err.into_error(opts))?;
        migrate::migrate(conn).await
    }

    /// Deletes up to 1000 idempotency keys older than the key TTL; returns how many.
    /// Idempotent inserts call this now and then by themselves.
    pub async fn purge_expired_keys(&self) -> Result<u64> {
        let ttl = self.shared.key_ttl.as_secs();
        self.run(move |mut conn| async move {
            conn.exec_drop(sql::KEYS_PURGE, (ttl,)).await?;
            Ok(conn.affected_rows())
        })
        .await
    }

    /// Moves rolls not yet counted into the stats counts (see the README's
    /// "Stats at scale"), up to 16,000 of them, all but the table's newest
    /// row; returns how many it moved (none of those another fold moved
    /// first). The store calls this by itself after every 1,000 rows it
    /// inserts into the tail, and after a stats read that met as many rows
    /// not yet counted; stats are exact either way, and only their cost grows
    /// with the rows not yet counted.
    pub async fn fold(&self) -> Result<u64> {
        self.run(|mut conn| async move {
            Ok(counts::fold(&mut conn, counts::CHUNK, FOLD_CHUNKS).await?)
        })
        .await
    }

    /// Closes every pooled connection, waiting for those in use to come back.
    pub async fn close(self) -> Result<(), crate::Error> {
        Ok(self.shared.pools.disconnect().await?)
    }

    /// Runs `op`, which must be safe to run again, with retries.
    async fn run<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnMut(Conn) -> Fut,
        Fut: std::future::Future<Output = Result<T, OpError>>,
    {
        exec::run(&self.shared.pools, &self.shared.limits, self.deadline, op).await
    }

    async fn read_rolls(
        &self,
        statement: &'static str,
        params: Vec<mysql_async::Value>,
    ) -> Result<Vec<Roll>> {
        self.run(|mut conn| {
            let params = params.clone();
            async move {
                let found: Vec<Row> = conn.exec(statement, params).await?;
                Ok(found
                    .into_iter()
                    .map(rows::roll)
                    .collect::<Result<Vec<_>>>()?)
            }
        })
        .await
    }

    /// Purges expired keys if the last purge was long enough ago. A failure only
    /// postpones the purge; the caller's insert has already succeeded.
    async fn purge_now_and_then(&self) {
        {
            let mut last = self
                .shared
                .last_purge
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.elapsed() < PURGE_EVERY.min(self.shared.key_ttl) {
                return;
            }
            *last = Instant::now();
        }
        let _ = self.purge_expired_keys().await;
    }

    /// Folds once `rows` more rows inserted into the tail make
    /// [`counts::FOLD_EVERY`].
    async fn fold_now_and_then(&self, rows: usize) {
        let rows = rows as u64;
        let before = self.shared.unfolded.fetch_add(rows, Ordering::Relaxed);
        if before + rows >= counts::FOLD_EVERY {
            self.fold_in_turn().await;
        }
    }

    /// Folds unless another call of this store is folding. A failure only
    /// postpones the fold; stats stay exact meanwhile.
    async fn fold_in_turn(&self) {
        let Some(_turn) = FoldTurn::take(&self.shared.folding) else {
            return;
        };
        self.shared.unfolded.store(0, Ordering::Relaxed);
        let _ = self.fold().await;
    }
}

/// This store's one turn to fold, given back when dropped, also when the
/// call folding is dropped midway.
struct FoldTurn<'a>(&'a AtomicBool);

impl<'a> FoldTurn<'a> {
    fn take(folding: &'a AtomicBool) -> Option<Self> {
        (!folding.swap(true, Ordering::AcqRel)).then_some(Self(folding))
    }
}

impl Drop for FoldTurn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[async_trait]
impl RollStore for MysqlStore {
    async fn insert_rolls(
        &self,
        rolls: &[NewRoll],
        created_by: Option<&Actor>,
    ) -> Result<Vec<Roll>> {
        // An empty insert has nothing to share a statement with.
        let stored = if self.shared.coalesce && !rolls.is_empty() {
            coalesce::insert(&self.shared, self.deadline, rolls, created_by).await?
        } else {
            plain::insert(self.shared.db(), self.deadline, rolls, created_by).await?
        };
        self.fold_now_and_then(left_to_fold(rolls)).await;
        Ok(stored)
    }

    async fn insert_idempotent(
        &self,
        key: &IdempotencyKey,
        request: &RolledRequest,
        created_by: Option<&Actor>,
    ) -> Result<Idempotent> {
        let claim = Claim {
            key,
            request,
            created_by,
            ttl: self.shared.key_ttl,
            id_step: &self.shared.id_step,
        };
        let result = self
            .run(|conn| idempotency::record_once(conn, &claim))
            .await?;
        if !result.replayed {
            self.fold_now_and_then(left_to_fold(request.rolls())).await;
            self.purge_now_and_then().await;
        }
        Ok(result)
    }

    async fn get(&self, id: RollId) -> Result<Roll> {
        let mut found = self.read_rolls(sql::GET, vec![id.get().into()]).await?;
        found.pop().ok_or(StoreError::NotFound(id))
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        // One row past the limit tells whether another page exists.
        let fetch = (query.limit().get() + 1) as u64;
        let below = query
            .cursor()
            .map_or(u64::from(u32::MAX) + 1, |c| u64::from(c.before_id().get()));
        let (statement, params) = match query.rolled_by() {
            None => (sql::LIST, vec![below.into(), fetch.into()]),
            Some(actor) => {
                let name = actor_value(Some(actor));
                (
                    sql::LIST_BY_ACTOR,
                    vec![below.into(), name.clone(), name, fetch.into()],
                )
            }
        };
        let found = self.read_rolls(statement, params).await?;
        Ok(Page::from_overfetch(found, query.limit()))
    }

    /// Reads the counts and the rows not yet counted (see `counts`): a few
    /// rows per outcome and the short tail, however many rolls the table holds.
    async fn stats(&self, query: &StatsQuery) -> Result<Stats> {
        let scope = counts::scope(query.rolled_by().is_some(), query.dice().is_some());
        let by = actor_value(query.rolled_by());
        let dice = query.dice().map_or(Value::NULL, dice_value);
        let key = |value: &Value| match value {
            Value::NULL => Value::from(""),
            value => value.clone(),
        };
        let params = vec![
            Value::from(scope),
            key(&by),
            key(&dice),
            by.clone(),
            by.clone(),
            by,
            dice.clone(),
            dice,
        ];
        let sums: Vec<(u32, i64, i64)> = self
            .run(|mut conn| {
                let params = params.clone();
                async move { Ok(conn.exec(counts::STATS, params).await?) }
            })
            .await?;
        let tail: i64 = sums.iter().map(|(_, _, tail)| tail).sum();
        let counts = sums
            .into_iter()
            .map(|(outcome, n, _)| match u64::try_from(n) {
                Ok(n) => Ok((Outcome::new(outcome), n)),
                Err(_) => Err(StoreError::internal(format!(
                    "the counts of outcome {outcome} add up to {n}, below zero"
                ))),
            })
            .collect::<Result<Vec<_>>>()?;
        if u64::try_from(tail).unwrap_or(0) >= counts::FOLD_EVERY {
            self.fold_in_turn().await;
        }
        Ok(Stats::for_query(query, counts))
    }
}
