//! `MysqlStore::stats` on a table of 10,000 rolls and on one of 10,000,000,
//! beside the `GROUP BY` the store sent before it kept counts, run raw on the
//! same big table in the same run.
//!
//! ```sh
//! cargo bench -p dice-benches --bench stats
//! DICE_BENCH_ROWS=1000000 cargo bench -p dice-benches --bench stats   # a quicker trial
//! ```
//!
//! Reads `DICE_TEST_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`), as
//! the tests do, and makes two throwaway databases there (`TestDb`), dropped at
//! the end or on a panic. The big one takes about 1.5 GB of InnoDB files while
//! it lives. `DICE_BENCH_ROWS` sets the big table's size (default 10,000,000),
//! `DICE_BENCH_STATS_CALLS` the calls timed per measure (default 50) and
//! `DICE_BENCH_STATS_SECONDS` the most time one measure may take (default 60; it
//! stops there after at least 5 calls, which only the slow `GROUP BY`s reach).
//!
//! How each table is made, the path of a real upgrade: a big table that exists
//! before the store's new schema does.
//!
//! 1. The tutorial's `rolls` table with the columns `migrate()` has added by
//!    version 8 (`request_token`, `dice`, `faces`), created by hand without
//!    secondary indexes.
//! 2. Filled by `INSERT ... SELECT` from a cross join of a 10-row `digits` table,
//!    in statements of at most 1,000,000 rows (n = 0, 1, ...). Every value is a
//!    function of n, so both tables hold the same first rows: `rolled_by` is
//!    `player` and `CRC32(n) MOD 10000` (about 1000 rolls each at 10M), but
//!    every 1000th roll is `player-many`'s, spread over the whole table
//!    (10,000 rolls at 10M, 10 at 10k: the heavy player the stats are asked
//!    for); by a
//!    second hash, a fifth each of `1d6`, `2d6`, `3d6`, `1d20` with faces and an
//!    outcome in range, and a fifth reported without dice (`dice` NULL, 1 to 6).
//! 3. Today's three indexes built on the full table, named as `migrate()`
//!    names them, so it finds them.
//! 4. `MysqlStore::migrate()`, timed: it records versions 1 to 8 without work
//!    (the table has their columns and indexes) and applies whatever later
//!    versions do to an existing table, such as filling a table of counts.
//!
//! About a minute for the fill of 10,000,000 rows and as much for the indexes
//! on a 2-core machine.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

use std::time::{Duration, Instant};

use dice_benches::{ms, percentile};
use dice_core::{Actor, Dice, RollStore, Stats, StatsQuery};
use dice_store_mysql::MysqlStore;
use dice_store_mysql::testkit::TestDb;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value};

const SMALL_ROWS: u64 = 10_000;
const CHUNK: u64 = 1_000_000;
const MIN_CALLS: usize = 5;
/// One row short of the tail at which a stats call folds it.
const TAIL_ROWS: u64 = 999;

// The statements `MysqlStore::stats` sent before it kept counts, verbatim from
// `sql.rs` as they were then: the baseline.
const BASELINE_STATS: &str = "SELECT outcome, COUNT(*) FROM rolls GROUP BY outcome";
const BASELINE_STATS_BY_ACTOR: &str = "SELECT outcome, COUNT(*) FROM rolls WHERE rolled_by = ? AND CAST(rolled_by AS BINARY) = CAST(? AS BINARY) GROUP BY outcome";
const BASELINE_STATS_BY_DICE: &str =
    "SELECT outcome, COUNT(*) FROM rolls WHERE dice = ? GROUP BY outcome";
const BASELINE_STATS_BY_DICE_AND_ACTOR: &str = "SELECT outcome, COUNT(*) FROM rolls WHERE dice = ? AND rolled_by = ? AND CAST(rolled_by AS BINARY) = CAST(? AS BINARY) GROUP BY outcome";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let big_rows = env_number("DICE_BENCH_ROWS", 10_000_000);
    let calls = env_number("DICE_BENCH_STATS_CALLS", 50) as usize;
    let budget = Duration::from_secs(env_number("DICE_BENCH_STATS_SECONDS", 60));
    println!("MysqlStore::stats at {SMALL_ROWS} and {big_rows} rows, one run\n");
    let small = Table::make(SMALL_ROWS).await;
    let big = Table::make(big_rows).await;
    println!();

    let player = small.first_player().await;
    assert_eq!(player, "player-many");
    let two_d6 = Dice::parse("2d6").unwrap();
    let actor = Actor::parse(player.clone()).unwrap();
    let measures = [
        Measure {
            name: "/stats".to_owned(),
            query: StatsQuery::new(),
            sql: BASELINE_STATS,
            params: vec![],
        },
        Measure {
            name: format!("?rolled_by={player}"),
            query: StatsQuery::new().by(actor.clone()),
            sql: BASELINE_STATS_BY_ACTOR,
            params: vec![player.clone().into(), player.clone().into()],
        },
        Measure {
            name: "?dice=2d6".to_owned(),
            query: StatsQuery::new().of(two_d6.clone()),
            sql: BASELINE_STATS_BY_DICE,
            params: vec!["2d6".into()],
        },
        Measure {
            name: format!("?dice=2d6&rolled_by={player}"),
            query: StatsQuery::new().of(two_d6).by(actor),
            sql: BASELINE_STATS_BY_DICE_AND_ACTOR,
            params: vec!["2d6".into(), player.clone().into(), player.into()],
        },
    ];
    let mut lines = Vec::new();
    for measure in &measures {
        lines.push(measure.run(&small, &big, calls, budget).await);
    }
    // The most rows not yet counted that a store which writes every row
    // leaves behind, the heavy player's: each call reads them too.
    big.add_tail().await;
    for (line, measure) in lines.iter_mut().zip(&measures) {
        line.with_tail = Some(measure.time_store(&big, calls).await);
    }
    print_table(big_rows, &lines);
    small.close().await;
    big.close().await;
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// A filled, migrated table in a database of its own.
struct Table {
    db: TestDb,
    store: MysqlStore,
}

impl Table {
    async fn make(rows: u64) -> Self {
        let db = TestDb::create().await;
        let mut conn = Conn::from_url(db.url()).await.unwrap();
        conn.query_drop(OLD_ROLLS).await.unwrap();
        let started = Instant::now();
        fill(&mut conn, rows).await;
        let filled = started.elapsed();
        let started = Instant::now();
        for index in TODAYS_INDEXES {
            conn.query_drop(index).await.unwrap();
        }
        let indexed = started.elapsed();
        conn.disconnect().await.unwrap();
        // Stats of the big table through the old statements take seconds.
        let config = db.config().query_timeout(Duration::from_secs(600));
        let store = MysqlStore::connect(&config).await.unwrap();
        let started = Instant::now();
        let applied = store.migrate().await.unwrap();
        let migrated = started.elapsed();
        println!(
            "{rows:>10} rows: filled in {:.1} s, today's indexes built in {:.1} s, \
             MysqlStore::migrate() in {:.2} s (versions {applied:?})",
            filled.as_secs_f64(),
            indexed.as_secs_f64(),
            migrated.as_secs_f64()
        );
        Self { db, store }
    }

    /// Tops the rows not yet in the counts up to `TAIL_ROWS` (a fold leaves
    /// the newest row), as another program inserting directly would: copies
    /// of the heavy player's first rolls.
    async fn add_tail(&self) {
        let mut conn = Conn::from_url(self.db.url()).await.unwrap();
        let tail = "SELECT COUNT(*) FROM rolls WHERE counted = 0";
        // Smaller tables have fewer such rolls than the tail takes: copy again.
        loop {
            let now: Option<u64> = conn.query_first(tail).await.unwrap();
            let missing = TAIL_ROWS - now.unwrap_or(0);
            if missing == 0 {
                break;
            }
            conn.query_drop(format!(
                "INSERT INTO rolls (outcome, rolled_by, created_by, created_at, dice, faces) \
                 SELECT outcome, rolled_by, created_by, created_at, dice, faces FROM rolls \
                 WHERE rolled_by = 'player-many' ORDER BY id LIMIT {missing}"
            ))
            .await
            .unwrap();
        }
        let after: Option<u64> = conn.query_first(tail).await.unwrap();
        assert_eq!(after, Some(TAIL_ROWS), "the tail is not folded yet");
        conn.disconnect().await.unwrap();
    }

    /// The player of the first row, whom both tables have: the heavy one.
    async fn first_player(&self) -> String {
        let mut conn = Conn::from_url(self.db.url()).await.unwrap();
        let name: Option<String> = conn
            .query_first("SELECT rolled_by FROM rolls ORDER BY id LIMIT 1")
            .await
            .unwrap();
        conn.disconnect().await.unwrap();
        name.unwrap()
    }

    async fn close(self) {
        self.store.close().await.unwrap();
        drop(self.db);
    }
}

/// The tutorial's table with the columns of schema version 8, without its
/// secondary indexes, which are quicker to build once the rows are in.
const OLD_ROLLS: &str = "CREATE TABLE rolls (
  `id`    INT UNSIGNED NOT NULL AUTO_INCREMENT,
  `outcome` INT UNSIGNED NOT NULL,
  `rolled_by` VARCHAR(60),
  `created_by` VARCHAR(60),
  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `request_token` BINARY(16) NULL,
  `dice` VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  `faces` TEXT CHARACTER SET ascii COLLATE ascii_bin NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/// The indexes of schema version 8, as `migrate()` names them.
const TODAYS_INDEXES: [&str; 3] = [
    "CREATE INDEX idx_rolls_rolled_by_id ON rolls (rolled_by, id)",
    "CREATE INDEX idx_rolls_request_token ON rolls (request_token)",
    "CREATE INDEX idx_rolls_dice_rolled_by_outcome ON rolls (dice, rolled_by, outcome)",
];

/// Rows n = 0 .. `rows` - 1, in statements of at most `CHUNK` rows.
async fn fill(conn: &mut Conn, rows: u64) {
    conn.query_drop(
        "CREATE TABLE digits (d TINYINT UNSIGNED NOT NULL PRIMARY KEY);
         INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)",
    )
    .await
    .unwrap();
    let mut start = 0;
    while start < rows {
        let len = CHUNK.min(rows - start);
        conn.query_drop(fill_sql(start, len)).await.unwrap();
        start += len;
    }
    conn.query_drop("DROP TABLE digits").await.unwrap();
}

/// One `INSERT ... SELECT` of rows `start` .. `start + len`: n from as many
/// copies of `digits` as `len - 1` has digits, the values from two hashes of n.
fn fill_sql(start: u64, len: u64) -> String {
    let places = (len.max(2) - 1).to_string().len();
    let tables: Vec<String> = (0..places).map(|p| format!("digits d{p}")).collect();
    let number: Vec<String> = (0..places)
        .map(|p| format!("d{p}.d * {}", 10u64.pow(p as u32)))
        .collect();
    format!(
        "INSERT INTO rolls (outcome, rolled_by, created_by, created_at, dice, faces)
         SELECT CASE kind WHEN 0 THEN f1 WHEN 1 THEN f1 + f2 WHEN 2 THEN f1 + f2 + f3
                          WHEN 3 THEN f20 ELSE f1 END,
                IF(n MOD 1000 = 0, 'player-many', CONCAT('player', player)), NULL, FROM_UNIXTIME(1500000000 + n * 3),
                ELT(kind + 1, '1d6', '2d6', '3d6', '1d20'),
                CASE kind WHEN 0 THEN CONCAT('[', f1, ']')
                          WHEN 1 THEN CONCAT('[', f1, ',', f2, ']')
                          WHEN 2 THEN CONCAT('[', f1, ',', f2, ',', f3, ']')
                          WHEN 3 THEN CONCAT('[', f20, ']') END
         FROM (SELECT n, player, h MOD 5 AS kind, 1 + (h DIV 5) MOD 6 AS f1,
                      1 + (h DIV 30) MOD 6 AS f2, 1 + (h DIV 180) MOD 6 AS f3,
                      1 + (h DIV 5) MOD 20 AS f20
               FROM (SELECT n, CRC32(n) MOD 10000 AS player, CRC32(CONCAT('roll', n)) AS h
                     FROM (SELECT {start} + {number} AS n FROM {tables}) AS seq
                     WHERE n < {end}) AS hashed) AS parts",
        number = number.join(" + "),
        tables = tables.join(", "),
        end = start + len,
    )
}

/// One kind of stats call, through the store and as the old statement.
struct Measure {
    name: String,
    query: StatsQuery,
    sql: &'static str,
    params: Vec<Value>,
}

/// p50 and p90 of a series of calls.
#[derive(Clone, Copy)]
struct Timing {
    p50: Duration,
    p90: Duration,
    calls: usize,
}

impl Timing {
    fn of(mut samples: Vec<Duration>) -> Self {
        Self {
            p50: percentile(&mut samples, 50),
            p90: percentile(&mut samples, 90),
            calls: samples.len(),
        }
    }
}

struct Line {
    name: String,
    count: u64,
    small: Timing,
    big: Timing,
    group_by: Timing,
    after_scan: Timing,
    /// On the big table with `TAIL_ROWS` rows not yet counted.
    with_tail: Option<Timing>,
}

impl Measure {
    async fn run(&self, small: &Table, big: &Table, calls: usize, budget: Duration) -> Line {
        let small_timing = self.time_store(small, calls).await;
        let big_timing = self.time_store(big, calls).await;

        let mut raw = Conn::from_url(big.db.url()).await.unwrap();
        let stats = big.store.stats(&self.query).await.unwrap();
        let raw_count = self.group_by(&mut raw).await;
        assert_eq!(
            stats.count, raw_count,
            "{}: the store and GROUP BY count alike",
            self.name
        );
        // Each old statement is followed by one store call, timed apart: what
        // the store costs right after a scan has filled the buffer pool with
        // other pages.
        let (mut theirs, mut after_scan) = (Vec::new(), Vec::new());
        let started = Instant::now();
        while theirs.len() < calls && (theirs.len() < MIN_CALLS || started.elapsed() < budget) {
            let t = Instant::now();
            self.group_by(&mut raw).await;
            theirs.push(t.elapsed());
            let t = Instant::now();
            let _: Stats = big.store.stats(&self.query).await.unwrap();
            after_scan.push(t.elapsed());
        }
        raw.disconnect().await.unwrap();
        Line {
            name: self.name.clone(),
            count: stats.count,
            small: small_timing,
            big: big_timing,
            group_by: Timing::of(theirs),
            after_scan: Timing::of(after_scan),
            with_tail: None,
        }
    }

    /// `calls` timed store calls on `table`, after one untimed call, so that
    /// every series starts with warm caches.
    async fn time_store(&self, table: &Table, calls: usize) -> Timing {
        table.store.stats(&self.query).await.unwrap();
        let mut times = Vec::with_capacity(calls);
        for _ in 0..calls {
            let started = Instant::now();
            table.store.stats(&self.query).await.unwrap();
            times.push(started.elapsed());
        }
        Timing::of(times)
    }

    /// The old statement, its rows read as the store read them; returns the count.
    async fn group_by(&self, conn: &mut Conn) -> u64 {
        let rows: Vec<(u32, u64)> = conn
            .exec(self.sql, Params::Positional(self.params.clone()))
            .await
            .unwrap();
        rows.iter().map(|(_, n)| n).sum()
    }
}

fn print_table(big_rows: u64, lines: &[Line]) {
    println!(
        "{:<34} {:>9} {:>19} {:>19} {:>8} {:>19} {:>10} {:>19} {:>19}",
        "query",
        "rolls@big",
        "store 10k p50/p90",
        format!("store {} p50/p90", short(big_rows)),
        "big/10k",
        "GROUP BY p50/p90",
        "store/GB",
        "after a scan p50/p90",
        format!("tail {TAIL_ROWS} p50/p90")
    );
    for line in lines {
        println!(
            "{:<34} {:>9} {:>19} {:>19} {:>7.2}x {:>19} {:>10.4} {:>19} {:>19}",
            line.name,
            line.count,
            pair(line.small),
            pair(line.big),
            ms(line.big.p50) / ms(line.small.p50),
            pair(line.group_by),
            ms(line.big.p50) / ms(line.group_by.p50),
            pair(line.after_scan),
            line.with_tail.map_or_else(|| "-".to_owned(), pair),
        );
    }
    println!(
        "\ngoals: big/10k <= 2x (p50 at {big_rows} rows over p50 at {SMALL_ROWS}); \
         store/GB <= 0.01 (store p50 over the GROUP BY's p50, same table); \
         after a scan: the store's call right after each GROUP BY; \
         tail: on the big table with {TAIL_ROWS} rows not yet counted (player-many's)"
    );
    let samples: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}: {}/{}/{}",
                l.name, l.small.calls, l.big.calls, l.group_by.calls
            )
        })
        .collect();
    println!("calls timed (10k/big/GROUP BY): {}", samples.join("; "));
}

fn pair(timing: Timing) -> String {
    format!("{:.3}/{:.3} ms", ms(timing.p50), ms(timing.p90))
}

fn short(rows: u64) -> String {
    match rows {
        r if r >= 1_000_000 && r % 1_000_000 == 0 => format!("{}M", r / 1_000_000),
        r if r >= 1000 && r % 1000 == 0 => format!("{}k", r / 1000),
        r => r.to_string(),
    }
}
