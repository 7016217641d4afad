//! Coalesced plain inserts on a real server: callers queued while every lane
//! is busy share one statement, and each is answered with its own rows, or
//! the truth about them when the statement fails.
//!
//! To hold statements where a test wants them, the tests install triggers on
//! their own database (never the crate's schema): a row whose `rolled_by` is
//! `first` waits for the user lock `FIRST`, every other row for `REST`, while
//! the test holds them; a row with outcome 666 is refused (`SIGNAL`); and each
//! row inserted is logged with the session and the statement's start time
//! (`NOW(6)`, one value per statement), so the log tells how many statements
//! wrote the rows and which callers shared one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use dice_core::testkit::new_roll;
use dice_core::{Error, NewRoll, Roll, RollStore};
use dice_store_mysql::testkit::counts::{counts_and_rolls, fold_all};
use dice_store_mysql::{MysqlConfig, MysqlStore};
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use support::proxy::{Command, Proxy};
use support::{TestDb, admin};
use tokio::task::JoinHandle;

/// The outcome the refusing trigger refuses.
const REFUSED: u32 = 666;

fn coalescing(config: MysqlConfig, lanes: usize) -> MysqlConfig {
    config
        .coalesce(true)
        .max_connections(lanes)
        .connect_timeout(Duration::from_secs(2))
        .query_timeout(Duration::from_secs(10))
}

/// A migrated database with the test triggers, a store on it with `lanes`
/// lanes, and the gates held.
async fn setup(lanes: usize) -> (TestDb, MysqlStore, Gates) {
    let db = TestDb::create().await;
    db.store().await;
    let gates = Gates::install(&db).await;
    let store = MysqlStore::connect(&coalescing(db.config(), lanes))
        .await
        .unwrap();
    (db, store, gates)
}

/// As [`setup`] with one lane, its connections through a fault proxy.
async fn setup_behind_proxy() -> (TestDb, MysqlStore, Gates, Proxy) {
    let db = TestDb::create().await;
    db.store().await;
    let gates = Gates::install(&db).await;
    let proxy = Proxy::in_front_of(&db.config()).await;
    let store = MysqlStore::connect(&coalescing(proxy.config(db.config()), 1))
        .await
        .unwrap();
    (db, store, gates, proxy)
}

/// The user locks the triggers wait for, held by an admin session of their
/// own (on no database, so `kill_connections` spares it).
struct Gates {
    conn: Conn,
    first: String,
    rest: String,
}

impl Gates {
    async fn install(db: &TestDb) -> Self {
        let first = format!("{}_first", db.name);
        let rest = format!("{}_rest", db.name);
        db.exec(
            "CREATE TABLE statements (roll_id INT UNSIGNED PRIMARY KEY, \
             session BIGINT UNSIGNED NOT NULL, started DATETIME(6) NOT NULL)",
        )
        .await;
        db.exec(&format!(
            "CREATE TRIGGER test_gate BEFORE INSERT ON rolls FOR EACH ROW BEGIN \
               IF NEW.outcome = {REFUSED} THEN \
                 SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; \
               END IF; \
               IF NEW.rolled_by = 'first' THEN \
                 DO GET_LOCK('{first}', 60); DO RELEASE_LOCK('{first}'); \
               ELSE \
                 DO GET_LOCK('{rest}', 60); DO RELEASE_LOCK('{rest}'); \
               END IF; \
             END"
        ))
        .await;
        db.exec(
            "CREATE TRIGGER test_log AFTER INSERT ON rolls FOR EACH ROW \
             INSERT INTO statements VALUES (NEW.id, CONNECTION_ID(), NOW(6))",
        )
        .await;
        let mut conn = admin().await;
        for gate in [&first, &rest] {
            let held: Option<i64> = conn
                .exec_first("SELECT GET_LOCK(?, 5)", (gate.as_str(),))
                .await
                .unwrap();
            assert_eq!(held, Some(1), "gate {gate} taken");
        }
        Self { conn, first, rest }
    }

    async fn open(&mut self, gate: &str) {
        let released: Option<i64> = self
            .conn
            .exec_first("SELECT RELEASE_LOCK(?)", (gate,))
            .await
            .unwrap();
        assert_eq!(released, Some(1), "gate {gate} released");
    }

    async fn open_first(&mut self) {
        let gate = self.first.clone();
        self.open(&gate).await;
    }

    async fn open_rest(&mut self) {
        let gate = self.rest.clone();
        self.open(&gate).await;
    }
}

/// One caller: its name (the `rolled_by` of all its rolls) and rolls.
struct Caller {
    name: String,
    rolls: Vec<NewRoll>,
}

impl Caller {
    /// Caller `n`, with one to three rolls.
    fn numbered(n: u32) -> Self {
        Self::named(&format!("c{n}"), (0..=n % 3).map(|k| n * 10 + k + 1))
    }

    fn named(name: &str, outcomes: impl IntoIterator<Item = u32>) -> Self {
        let rolls = outcomes
            .into_iter()
            .map(|outcome| new_roll(outcome, Some(name)))
            .collect();
        Self {
            name: name.to_owned(),
            rolls,
        }
    }
}

type Answer = Result<Vec<Roll>, Error>;

/// Starts `caller`'s insert on its own task, with a deadline `within` from now.
fn start(store: &MysqlStore, caller: &Caller, within: Duration) -> JoinHandle<Answer> {
    let store = store.with_deadline(Instant::now() + within);
    let rolls = caller.rolls.clone();
    tokio::spawn(async move { store.insert_rolls(&rolls, None).await })
}

/// An insert statement held at a gate: its session, and whether the gate is
/// `first`.
type Held = (u64, bool);

/// Waits until the insert statements held at the gates are as `wanted` says;
/// returns them. (The process list shows the statement a trigger runs, not
/// the insert.)
async fn held_until(db: &TestDb, wanted: impl Fn(&[Held]) -> bool) -> Vec<Held> {
    let mut conn = admin().await;
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let running: Vec<(u64, String)> = conn
            .exec(
                "SELECT id, info FROM information_schema.processlist \
                 WHERE db = ? AND info LIKE 'DO GET_LOCK(%'",
                (db.name.as_str(),),
            )
            .await
            .unwrap();
        let held: Vec<Held> = running
            .into_iter()
            .map(|(id, info)| (id, info.contains("_first'")))
            .collect();
        if wanted(&held) {
            conn.disconnect().await.unwrap();
            return held;
        }
        assert!(Instant::now() < until, "held: {held:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `n` insert statements are held; returns them.
async fn held(db: &TestDb, n: usize) -> Vec<Held> {
    held_until(db, |held| held.len() == n).await
}

/// Waits until at least one insert statement is held and none at the
/// `first` gate; returns them.
async fn held_at_rest(db: &TestDb) -> Vec<Held> {
    held_until(db, |held| {
        !held.is_empty() && held.iter().all(|(_, first)| !first)
    })
    .await
}

/// The ids of each caller's rows, by `rolled_by`, in id order.
async fn stored(db: &TestDb) -> HashMap<String, Vec<u32>> {
    let mut conn = admin().await;
    let rows: Vec<(u32, String)> = conn
        .query(format!(
            "SELECT id, rolled_by FROM `{}`.rolls ORDER BY id",
            db.name
        ))
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    let mut by_caller: HashMap<String, Vec<u32>> = HashMap::new();
    for (id, name) in rows {
        by_caller.entry(name).or_default().push(id);
    }
    by_caller
}

/// How many statements wrote rows, and the most callers one of them carried.
async fn statements(db: &TestDb) -> (u64, u64) {
    let mut conn = admin().await;
    let counts: Option<(u64, u64)> = conn
        .query_first(format!(
            "SELECT COUNT(*), MAX(callers) FROM (SELECT COUNT(DISTINCT r.rolled_by) AS callers \
             FROM `{0}`.statements s JOIN `{0}`.rolls r ON r.id = s.roll_id \
             GROUP BY s.session, s.started) AS per_statement",
            db.name
        ))
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    counts.unwrap()
}

/// Holds each caller's answer against the table: an `Ok` has exactly its
/// rows, as answered; `Unavailable` or a refusal has none; `OutcomeUnknown`
/// has all or none; and no row is without a caller. Returns the mismatches.
fn audit(
    callers: &[Caller],
    answers: &[Answer],
    mut stored: HashMap<String, Vec<u32>>,
) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (caller, answer) in callers.iter().zip(answers) {
        let found = stored.remove(&caller.name).unwrap_or_default();
        let n = caller.rolls.len();
        let truthful = match answer {
            Ok(rolls) => {
                let ids: Vec<u32> = rolls.iter().map(|r| r.id.get()).collect();
                let same = rolls
                    .iter()
                    .zip(&caller.rolls)
                    .all(|(stored, sent)| stored.outcome == sent.outcome());
                ids == found && rolls.len() == n && same
            }
            Err(Error::OutcomeUnknown { .. }) => found.is_empty() || found.len() == n,
            Err(_) => found.is_empty(),
        };
        if !truthful {
            mismatches.push(format!(
                "{}: answered {answer:?}, the table has {found:?}",
                caller.name
            ));
        }
    }
    for (name, ids) in stored {
        mismatches.push(format!("rows {ids:?} of {name}, who was never answered"));
    }
    mismatches
}

async fn answers(tasks: Vec<JoinHandle<Answer>>) -> Vec<Answer> {
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insert_that_finds_a_lane_free_runs_on_the_callers_own_task() {
    let (db, store, mut gates) = setup(1).await;
    gates.open_rest().await;
    // The lane's connection is opened first, so that the insert under test
    // makes no connection either.
    store
        .insert_rolls(&Caller::numbered(1).rolls, None)
        .await
        .unwrap();
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = alive();
    let caller = Caller::named("first", [2]);
    let probe = async {
        // The insert is held at the gate: whatever task sends it is alive.
        held(&db, 1).await;
        let during = alive();
        gates.open_first().await;
        during
    };
    let (inserted, during) = tokio::join!(store.insert_rolls(&caller.rolls, None), probe);
    assert_eq!(inserted.unwrap().len(), 1);
    assert_eq!(during, before, "a task was spawned to send an idle insert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_queued_behind_busy_lanes_share_statements_and_get_their_own_rows() {
    const CALLERS: u32 = 64;
    const LANES: usize = 4;
    let (db, store, mut gates) = setup(LANES).await;
    let callers: Vec<Caller> = (0..CALLERS).map(Caller::numbered).collect();
    let within = Duration::from_secs(30);
    let tasks: Vec<_> = callers.iter().map(|c| start(&store, c, within)).collect();
    // Every lane holds one caller's statement at the gate; the others queue.
    held(&db, LANES).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    gates.open_rest().await;
    let answers = answers(tasks).await;

    let mut ids = Vec::new();
    for (caller, answer) in callers.iter().zip(&answers) {
        let rolls = answer.as_ref().expect("every caller recorded");
        assert_eq!(rolls.len(), caller.rolls.len(), "{}", caller.name);
        for roll in rolls {
            assert_eq!(
                store.get(roll.id).await.unwrap(),
                *roll,
                "read back as answered"
            );
            ids.push(roll.id);
        }
    }
    let rows: usize = callers.iter().map(|c| c.rolls.len()).sum();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows, "distinct ids");
    assert_eq!(db.count_rolls().await, rows as u64, "each row once");
    assert_eq!(
        audit(&callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );

    let (statements, most_callers) = statements(&db).await;
    eprintln!(
        "{CALLERS} callers, {rows} rows: {statements} statements, at most {most_callers} callers in one"
    );
    assert!(
        statements < u64::from(CALLERS) / 4,
        "{statements} statements for {CALLERS} callers"
    );
    assert!(most_callers > 1, "no statement carried two callers");
}

/// One lane, held at the `first` gate by `callers[0]` while the others
/// queue; returns their tasks, and the session of the statement that carries
/// the queued ones, once the first's statement has gone and theirs is held at
/// the `rest` gate.
async fn combined_statement_held(
    db: &TestDb,
    store: &MysqlStore,
    gates: &mut Gates,
    callers: &[Caller],
) -> (Vec<JoinHandle<Answer>>, u64) {
    let within = Duration::from_secs(40);
    let mut tasks = vec![start(store, &callers[0], within)];
    held(db, 1).await;
    tasks.extend(callers[1..].iter().map(|c| start(store, c, within)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    gates.open_first().await;
    let held = held_at_rest(db).await;
    assert_eq!(held.len(), 1, "one lane");
    (tasks, held[0].0)
}

fn first_and_queued(queued: u32) -> Vec<Caller> {
    let mut callers = vec![Caller::named("first", [1])];
    callers.extend((0..queued).map(Caller::numbered));
    callers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combined_statement_cut_in_flight_is_settled_and_sent_again_once() {
    let (db, store, mut gates, proxy) = setup_behind_proxy().await;
    let callers = first_and_queued(16);
    let (tasks, session) = combined_statement_held(&db, &store, &mut gates, &callers).await;

    // The statement waits at the gate, uncommitted: cut it off. The store
    // ends its session (rolling it back), finds no rows, and sends it again.
    proxy.cut();
    held_until(&db, |held| {
        held.len() == 1 && held[0].0 != session && !held[0].1
    })
    .await;
    gates.open_rest().await;
    let answers = answers(tasks).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(
        audit(&callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );
    let (statements, most_callers) = statements(&db).await;
    assert_eq!(
        (statements, most_callers),
        (2, 16),
        "the first caller's, then the cut statement sent again with every queued caller"
    );
}

/// One lane; `callers[0]` goes first, the others queue and leave in one
/// statement, whose `lost` command commits and loses its reply with its
/// connection. Every caller must get its rows, written once, and counted.
async fn lost_reply_after_commit(callers: &[Caller], lost: Command) {
    let (db, store, mut gates, proxy) = setup_behind_proxy().await;
    let within = Duration::from_secs(40);
    let mut tasks = vec![start(&store, &callers[0], within)];
    held(&db, 1).await;
    tasks.extend(callers[1..].iter().map(|c| start(&store, c, within)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.lose_reply_to_next(lost);
    gates.open_first().await;
    gates.open_rest().await;
    let answers = answers(tasks).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert!(
        proxy.accepted() > 1,
        "the reply was lost with its connection, and the store connected again"
    );
    assert_eq!(
        audit(callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );
    let (statements, most_callers) = statements(&db).await;
    assert_eq!(
        (statements, most_callers),
        (2, callers.len() as u64 - 1),
        "written once, not sent again"
    );
    let mut conn = admin().await;
    fold_all(&store, &mut conn, &db.name).await;
    let (counts, table) = counts_and_rolls(&mut conn, &db.name).await;
    assert_eq!(counts, table, "counted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combined_statement_whose_reply_is_lost_answers_every_caller_with_its_rows() {
    // Seven rolls with a roller: 14 counts, which a fold adds later, so the
    // combined statement commits on its own.
    let mut callers = vec![Caller::named("first", [1])];
    callers.extend((0..7).map(|n| Caller::named(&format!("c{n}"), [n + 1])));
    lost_reply_after_commit(&callers, Command::Execute).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combined_transaction_whose_commit_reply_is_lost_answers_every_caller_with_its_rows() {
    // 32 rolls with a roller: 64 counts, which the store adds itself in the
    // statement's transaction; the reply to its COMMIT is lost.
    lost_reply_after_commit(&first_and_queued(16), Command::Commit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_fails_its_own_caller_only() {
    let (db, store, mut gates) = setup(1).await;
    let mut callers = first_and_queued(8);
    callers.push(Caller::named("refused", [5, REFUSED]));
    callers.extend((8..12).map(Caller::numbered));
    gates.open_rest().await;
    let within = Duration::from_secs(30);
    let mut tasks = vec![start(&store, &callers[0], within)];
    held(&db, 1).await;
    tasks.extend(callers[1..].iter().map(|c| start(&store, c, within)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    gates.open_first().await;
    let answers = answers(tasks).await;

    for (caller, answer) in callers.iter().zip(&answers) {
        if caller.name == "refused" {
            assert!(matches!(answer, Err(Error::Internal(_))), "{answer:?}");
        } else {
            assert!(answer.is_ok(), "{}: {answer:?}", caller.name);
        }
    }
    assert_eq!(
        audit(&callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );
    let (statements, _) = statements(&db).await;
    assert_eq!(
        statements,
        1 + 12,
        "the first, then each queued caller alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_of_the_store_sessions_mid_batch_records_each_caller_once() {
    let (db, store, mut gates) = setup(2).await;
    let mut callers = vec![Caller::named("first", [1]), Caller::named("first", [2])];
    callers.extend((0..20).map(Caller::numbered));
    let within = Duration::from_secs(40);
    let mut tasks: Vec<_> = callers[..2]
        .iter()
        .map(|c| start(&store, c, within))
        .collect();
    held(&db, 2).await;
    tasks.extend(callers[2..].iter().map(|c| start(&store, c, within)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    gates.open_first().await;
    // The queued callers' statement (or two, one per lane) is held at the gate.
    held_at_rest(&db).await;
    assert!(db.kill_connections().await >= 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    gates.open_rest().await;
    let answers = answers(tasks).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    // "first" is two callers of one name: count their rows together.
    let mut stored = stored(&db).await;
    assert_eq!(stored.remove("first").map(|ids| ids.len()), Some(2));
    let (_, most_callers) = statements(&db).await;
    assert!(most_callers > 1, "no statement carried two callers");
    assert_eq!(
        audit(&callers[2..], &answers[2..], stored),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_give_up_are_told_the_truth_and_free_nothing_they_should_not() {
    let (db, store, mut gates) = setup(1).await;
    let callers = first_and_queued(6);
    let mut tasks = vec![start(&store, &callers[0], Duration::from_secs(30))];
    held(&db, 1).await;
    // Queued behind the held lane: two give up at their deadline, two are
    // dropped (their clients went away), two wait.
    let short = Duration::from_millis(500);
    tasks.push(start(&store, &callers[1], short));
    tasks.push(start(&store, &callers[2], short));
    let dropped = [3, 4].map(|i| start(&store, &callers[i], Duration::from_secs(30)));
    tasks.push(start(&store, &callers[5], Duration::from_secs(30)));
    tasks.push(start(&store, &callers[6], Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    for task in &dropped {
        task.abort();
    }
    tokio::time::sleep(short).await;
    gates.open_first().await;
    gates.open_rest().await;
    let answers = answers(tasks).await;
    for (i, answer) in [1, 2].iter().zip(&answers[1..3]) {
        assert!(
            matches!(answer, Err(Error::Unavailable { .. })),
            "caller {i}: {answer:?}"
        );
    }
    for answer in [&answers[0], &answers[3], &answers[4]] {
        assert!(answer.is_ok(), "{answer:?}");
    }
    let stored = stored(&db).await;
    for (i, caller) in callers.iter().enumerate() {
        let expected = match i {
            0 | 5 | 6 => caller.rolls.len(),
            _ => 0,
        };
        let found = stored.get(&caller.name).map_or(0, Vec::len);
        assert_eq!(found, expected, "{} (caller {i})", caller.name);
    }

    // The lane came back: one more insert goes, and is answered.
    let more = Caller::named("more", [9]);
    let answer = start(&store, &more, Duration::from_secs(10)).await.unwrap();
    assert!(answer.is_ok(), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_whose_deadline_passes_while_its_statement_runs_is_not_told_unavailable() {
    let (db, store, mut gates) = setup(1).await;
    let callers = first_and_queued(3);
    let mut tasks = vec![start(&store, &callers[0], Duration::from_secs(30))];
    held(&db, 1).await;
    tasks.push(start(&store, &callers[1], Duration::from_millis(1500)));
    tasks.extend(
        callers[2..]
            .iter()
            .map(|c| start(&store, c, Duration::from_secs(30))),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    gates.open_first().await;
    // The combined statement is held past the short deadline, then commits.
    held_at_rest(&db).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    gates.open_rest().await;
    let answers = answers(tasks).await;
    assert!(
        matches!(answers[1], Err(Error::OutcomeUnknown { .. })),
        "{:?}",
        answers[1]
    );
    assert_eq!(
        audit(&callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );
    assert_eq!(
        stored(&db).await.get(&callers[1].name).map(Vec::len),
        Some(callers[1].rolls.len()),
        "its rows were committed with the others"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_repeated_kill_every_coalesced_caller_is_answered_truthfully() {
    let db = TestDb::create().await;
    db.store().await;
    db.open_rolls_in_sessions(32).await;
    let config = coalescing(db.config(), 2).query_timeout(Duration::from_secs(1));
    let store = MysqlStore::connect(&config).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn({
        let (database, stop) = (db.name.clone(), Arc::clone(&stop));
        async move {
            let mut conn = admin().await;
            let mut kills = 0;
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(25)).await;
                kills += kill_sessions(&mut conn, &database).await;
            }
            kills
        }
    });
    let (callers, answers) = insert_until(&store, Duration::from_secs(2), 24).await;
    stop.store(true, Ordering::SeqCst);
    let kills = killer.await.unwrap();
    let ok = answers.iter().filter(|a| a.is_ok()).count();
    eprintln!(
        "{kills} sessions killed; {ok} of {} callers Ok",
        answers.len()
    );
    assert!(ok > 0 && kills > 0);
    assert_eq!(
        audit(&callers, &answers, stored(&db).await),
        Vec::<String>::new()
    );
}

/// Kills every session on `database` but `conn`'s; returns how many.
async fn kill_sessions(conn: &mut Conn, database: &str) -> usize {
    let ids: Vec<u64> = conn
        .exec(
            "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()",
            (database,),
        )
        .await
        .unwrap();
    let mut killed = 0;
    for id in ids {
        // A session may end by itself in between.
        if conn
            .query_drop(format!("KILL CONNECTION {id}"))
            .await
            .is_ok()
        {
            killed += 1;
        }
    }
    killed
}

/// `workers` tasks insert, each caller with a name of its own, for `time`.
async fn insert_until(
    store: &MysqlStore,
    time: Duration,
    workers: usize,
) -> (Vec<Caller>, Vec<Answer>) {
    let next = Arc::new(AtomicU32::new(0));
    let until = Instant::now() + time;
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (store, next) = (store.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let mut done = Vec::new();
                while Instant::now() < until {
                    let caller = Caller::numbered(next.fetch_add(1, Ordering::SeqCst));
                    let store = store.with_deadline(Instant::now() + Duration::from_secs(4));
                    let answer = store.insert_rolls(&caller.rolls, None).await;
                    done.push((caller, answer));
                }
                done
            })
        })
        .collect();
    let (mut callers, mut answers) = (Vec::new(), Vec::new());
    for task in tasks {
        for (caller, answer) in task.await.unwrap() {
            callers.push(caller);
            answers.push(answer);
        }
    }
    (callers, answers)
}

/// Every behaviour of the conformance suite, with coalescing on and one
/// lane, so that concurrent inserts in it share statements.
async fn check(behaviour: dice_core::testkit::Behaviour) {
    let db = TestDb::create().await;
    db.store().await;
    let store = MysqlStore::connect(&coalescing(db.config(), 1))
        .await
        .unwrap();
    behaviour.run(&store).await;
}

mod conformance {
    use super::check;

    dice_core::conformance_tests!(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        check
    );
}
