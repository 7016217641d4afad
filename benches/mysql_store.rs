//! `MysqlStore` against raw `mysql_async` and `mysqlslap`, side by side in one
//! run on the same server, so the ratios hold whatever the machine.
//!
//! ```sh
//! cargo bench -p dice-benches --bench mysql_store
//! ```
//!
//! Reads `DICE_BENCH_DATABASE_URL` (default `mysql://root@127.0.0.1:3306`), and
//! creates and drops a database of its own; `mysqlslap` (Debian package
//! `mariadb-client`) logs in with the URL's user, password, host and port.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dice_benches::{ms, percentile};
use dice_core::{Batch, NewRoll, Outcome, RollStore};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};
use mysql_async::prelude::Queryable;
use mysql_async::{Params, Value};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const SINGLE_INSERTS: usize = 1000;
const CONCURRENT_INSERTS: usize = 8000;
const BATCHES: usize = 20;
const BATCH_LEN: usize = 1000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let server = std::env::var("DICE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let database = format!("dice_bench_{}", std::process::id());
    let mut admin = mysql_async::Conn::from_url(server.as_str())
        .await
        .expect("bench server reachable");
    admin
        .query_drop(format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    let url = format!("{}/{database}", server.trim_end_matches('/'));
    let config = MysqlConfig::from_url(&url, Preset::Server).unwrap();
    MysqlStore::new(&config).migrate().await.unwrap();
    // The same table without what keeps the stats counts (`LIKE` copies
    // columns and indexes, not triggers; the index of rows not yet counted is
    // dropped): what counting costs.
    admin
        .query_drop(format!(
            "CREATE TABLE {database}.rolls_uncounted LIKE {database}.rolls; \
             DROP INDEX idx_rolls_counted ON {database}.rolls_uncounted"
        ))
        .await
        .unwrap();

    println!("MysqlStore vs baselines, same server, same run\n");
    single_inserts(&config, &url).await;
    for in_flight in [16, 64] {
        concurrent_inserts(&config, &url, &database, in_flight).await;
    }
    batch_inserts(&config, &url).await;

    admin
        .query_drop(format!("DROP DATABASE {database}"))
        .await
        .unwrap();
    admin.disconnect().await.unwrap();
}

fn roll(n: usize) -> NewRoll {
    NewRoll::new(Outcome::new((n % 6 + 1) as u32), None)
}

const RAW_INSERT: &str = "INSERT INTO rolls (outcome, rolled_by, created_by) VALUES (?, ?, ?)";

/// `RAW_INSERT` into the twin table that keeps no counts.
const RAW_UNCOUNTED: &str =
    "INSERT INTO rolls_uncounted (outcome, rolled_by, created_by) VALUES (?, ?, ?)";

/// The row `MysqlStore::insert` writes for a reported roll, spelled out: the
/// same columns, a time stamp and a random 16-byte request token.
const RAW_STORE_ROW: &str = "INSERT INTO rolls (outcome, rolled_by, created_by, created_at, request_token, dice, faces) VALUES (?, ?, ?, UTC_TIMESTAMP(), ?, NULL, NULL)";

/// One insert at a time: latency per insert, all into the same migrated table,
/// so whatever the schema does on an insert (indexes, triggers) it does for
/// every client; and a raw insert into the twin table without counting, so
/// the triggers' cost shows. The clients take turns insert by insert, so
/// drift in the server's flush times hits all alike.
async fn single_inserts(config: &MysqlConfig, url: &str) {
    let store = MysqlStore::connect(config).await.unwrap();
    let mut raw = mysql_async::Conn::from_url(url).await.unwrap();
    let mut same_row = mysql_async::Conn::from_url(url).await.unwrap();
    let mut uncounted = mysql_async::Conn::from_url(url).await.unwrap();
    // Another baseline: the driver's own pool, without a reset on return.
    let opts = mysql_async::OptsBuilder::from_opts(mysql_async::Opts::from_url(url).unwrap())
        .pool_opts(mysql_async::PoolOpts::default().with_reset_connection(false));
    let pool = mysql_async::Pool::new(opts);
    let mut rng = SmallRng::seed_from_u64(SINGLE_INSERTS as u64);
    let mut times: [Vec<Duration>; 5] = Default::default();
    for n in 0..SINGLE_INSERTS {
        let outcome = (n % 6 + 1) as u32;
        // Rotate who goes first, so no client always follows the same one.
        for turn in 0..5 {
            let client = (n + turn) % 5;
            let started = Instant::now();
            match client {
                0 => {
                    store.insert(&roll(n), None).await.unwrap();
                }
                1 => {
                    raw.exec_drop(RAW_INSERT, (outcome, Value::NULL, Value::NULL))
                        .await
                        .unwrap();
                }
                2 => {
                    let token: [u8; 16] = rng.random();
                    let params = (outcome, Value::NULL, Value::NULL, token.to_vec());
                    same_row.exec_drop(RAW_STORE_ROW, params).await.unwrap();
                }
                3 => {
                    uncounted
                        .exec_drop(RAW_UNCOUNTED, (outcome, Value::NULL, Value::NULL))
                        .await
                        .unwrap();
                }
                _ => {
                    let mut conn = pool.get_conn().await.unwrap();
                    conn.exec_drop(RAW_INSERT, (outcome, Value::NULL, Value::NULL))
                        .await
                        .unwrap();
                    drop(conn);
                }
            }
            times[client].push(started.elapsed());
        }
    }
    let [mut ours, mut theirs, mut same, mut plain, mut pooled] = times;
    let (ours_mean, theirs_mean) = (mean(&ours), mean(&theirs));
    let (ours_p50, theirs_p50, same_p50) = (p50(&mut ours), p50(&mut theirs), p50(&mut same));
    println!("single insert, one at a time ({SINGLE_INSERTS} each, taking turns, same table)");
    println!(
        "  MysqlStore::insert        mean {:>8.3} ms  p50 {:>8.3} ms",
        ms(ours_mean),
        ms(ours_p50)
    );
    println!(
        "  raw prepared INSERT       mean {:>8.3} ms  p50 {:>8.3} ms   (one connection)",
        ms(theirs_mean),
        ms(theirs_p50)
    );
    println!(
        "  ratio (ours / raw), p50   {:.3}x   goal <= 1.10x   (of the means: {:.3}x)",
        ms(ours_p50) / ms(theirs_p50),
        ms(ours_mean) / ms(theirs_mean)
    );
    println!(
        "  (raw INSERT of the store's row, token and time: mean {:.3} ms, p50 {:.3} ms; ours / it, p50 {:.3}x)",
        ms(mean(&same)),
        ms(same_p50),
        ms(ours_p50) / ms(same_p50)
    );
    let plain_p50 = p50(&mut plain);
    println!(
        "  raw prepared INSERT into the twin table without counting: mean {:.3} ms, p50 {:.3} ms; \
         ours / it, p50 {:.3}x   goal <= 1.10x",
        ms(mean(&plain)),
        ms(plain_p50),
        ms(ours_p50) / ms(plain_p50)
    );
    println!(
        "  (raw INSERT through mysql_async's Pool: mean {:.3} ms, p50 {:.3} ms)\n",
        ms(mean(&pooled)),
        ms(p50(&mut pooled))
    );
    raw.disconnect().await.unwrap();
    same_row.disconnect().await.unwrap();
    uncounted.disconnect().await.unwrap();
    pool.disconnect().await.unwrap();
    store.close().await.unwrap();
}

/// `in_flight` inserts at once: our rate and CPU per insert, then mysqlslap's
/// rate with as many connections.
async fn concurrent_inserts(config: &MysqlConfig, url: &str, database: &str, in_flight: usize) {
    let store = Arc::new(
        MysqlStore::connect(&config.clone().max_connections(in_flight))
            .await
            .unwrap(),
    );
    // Open every connection first, as mysqlslap does before it starts its clock.
    insert_from_tasks(&store, in_flight, 1).await;
    let per_task = CONCURRENT_INSERTS / in_flight;
    let cpu_before = cpu_time();
    let started = Instant::now();
    insert_from_tasks(&store, in_flight, per_task).await;
    let elapsed = started.elapsed();
    let cpu = cpu_time() - cpu_before;
    let inserts = per_task * in_flight;
    let ours = inserts as f64 / elapsed.as_secs_f64();

    let before = count(url).await;
    let slap = mysqlslap(url, database, in_flight, inserts).await;
    let slapped = count(url).await - before;
    let theirs = slapped as f64 / slap.as_secs_f64();
    println!("{in_flight} inserts in flight");
    println!("  MysqlStore::insert        {ours:>8.0} inserts/s ({inserts} inserts)");
    println!("  mysqlslap -c {in_flight:<3}          {theirs:>8.0} inserts/s ({slapped} inserts)");
    println!(
        "  ratio (ours / mysqlslap)  {:.3}x   goal >= 0.80x",
        ours / theirs
    );
    println!(
        "  client CPU per insert     {:.4} ms    goal <= 0.1 ms\n",
        cpu.as_secs_f64() * 1000.0 / inserts as f64
    );
    Arc::into_inner(store).unwrap().close().await.unwrap();
}

/// `tasks` tasks, each inserting `each` rolls one after another.
async fn insert_from_tasks(store: &Arc<MysqlStore>, tasks: usize, each: usize) {
    let tasks: Vec<_> = (0..tasks)
        .map(|_| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                for n in 0..each {
                    store.insert(&roll(n), None).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Batches of 1000: rows per second through `insert_batch`, through a raw
/// multi-row prepared INSERT on one connection, and through the same INSERT
/// into the twin table that keeps no counts.
async fn batch_inserts(config: &MysqlConfig, url: &str) {
    let store = MysqlStore::connect(config).await.unwrap();
    let batch = Batch::new((0..BATCH_LEN).map(roll).collect()).unwrap();
    let mut raw = mysql_async::Conn::from_url(url).await.unwrap();
    let values = vec!["(?, ?, ?)"; BATCH_LEN].join(", ");
    let raw_sql = format!("INSERT INTO rolls (outcome, rolled_by, created_by) VALUES {values}");
    let uncounted_sql =
        format!("INSERT INTO rolls_uncounted (outcome, rolled_by, created_by) VALUES {values}");
    let raw_params: Vec<Value> = (0..BATCH_LEN)
        .flat_map(|n| [Value::from((n % 6 + 1) as u32), Value::NULL, Value::NULL])
        .collect();
    let mut took = [Duration::ZERO; 3];
    for _ in 0..BATCHES {
        let started = Instant::now();
        store.insert_batch(&batch, None).await.unwrap();
        took[0] += started.elapsed();
        for (sql, slot) in [(&raw_sql, 1), (&uncounted_sql, 2)] {
            let started = Instant::now();
            raw.exec_drop(sql.as_str(), Params::Positional(raw_params.clone()))
                .await
                .unwrap();
            took[slot] += started.elapsed();
        }
    }
    let rows = (BATCHES * BATCH_LEN) as f64;
    let [ours, theirs, plain] = took.map(|t| rows / t.as_secs_f64());
    println!("batches of {BATCH_LEN} ({BATCHES} each)");
    println!("  MysqlStore::insert_batch  {ours:>8.0} rows/s");
    println!("  raw multi-row INSERT      {theirs:>8.0} rows/s");
    println!(
        "  ratio (ours / raw)        {:.3}x   goal >= 0.80x",
        ours / theirs
    );
    println!(
        "  raw multi-row INSERT into the twin table without counting {plain:>8.0} rows/s \
         (counting costs {:.1} us a row)\n",
        (1.0 / theirs - 1.0 / plain) * 1e6
    );
    raw.disconnect().await.unwrap();
    store.close().await.unwrap();
}

/// mysqlslap logged in as the URL says, single-row inserts of the tutorial's shape.
async fn mysqlslap(url: &str, database: &str, concurrency: usize, queries: usize) -> Duration {
    let query = format!(
        "INSERT INTO {database}.rolls (outcome, rolled_by, created_by) VALUES (6, NULL, NULL)"
    );
    dice_benches::mysqlslap(url, database, concurrency, queries, &query).await
}

async fn count(url: &str) -> u64 {
    let mut conn = mysql_async::Conn::from_url(url).await.unwrap();
    let n: Option<u64> = conn
        .query_first("SELECT COUNT(*) FROM rolls")
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    n.unwrap()
}

/// User plus system CPU time of this process so far, all threads, from
/// `/proc/self/stat` (in clock ticks of 10 ms, `CLK_TCK` being 100 on Linux).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = after_name
        .split(' ')
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((fields[11] + fields[12]) * 10)
}

fn mean(samples: &[Duration]) -> Duration {
    samples.iter().sum::<Duration>() / samples.len() as u32
}

fn p50(samples: &mut [Duration]) -> Duration {
    percentile(samples, 50)
}
