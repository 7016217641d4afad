//! The schema, as ordered migrations that are safe to run again and from many
//! processes at once.

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

use crate::Error;
use crate::counts::{self, Trigger};

/// One schema change.
struct Migration {
    version: u32,
    name: &'static str,
    step: Step,
}

enum Step {
    /// A statement that is harmless to repeat.
    Sql(&'static str),
    /// `ALTER TABLE ... ADD COLUMN` unless the column exists (MySQL 8.0 has no
    /// `ADD COLUMN IF NOT EXISTS`).
    Column {
        table: &'static str,
        name: &'static str,
        definition: &'static str,
    },
    /// `CREATE INDEX` unless an index of that name exists (MySQL 8.0 has no
    /// `CREATE INDEX IF NOT EXISTS`).
    Index {
        table: &'static str,
        name: &'static str,
        columns: &'static str,
    },
    /// `CREATE TRIGGER` for each trigger that does not exist yet.
    Triggers(&'static [Trigger]),
    /// Folds every row not yet counted into the counts, in chunks
    /// ([`counts::fold`]); safe to interrupt and to run again.
    Fold,
}

/// The tutorial's table, verbatim but for the engine and character set that a
/// table it did not create gets, so 4-byte characters fit.
const CREATE_ROLLS: &str = "CREATE TABLE IF NOT EXISTS rolls (
  `id`    INT UNSIGNED NOT NULL AUTO_INCREMENT,
  `outcome` INT UNSIGNED NOT NULL,
  `rolled_by` VARCHAR(60),
  `created_by` VARCHAR(60),
  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

const CREATE_KEYS: &str = "CREATE TABLE IF NOT EXISTS dice_idempotency_keys (
  scope VARCHAR(60) NOT NULL,
  idem_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash BINARY(32) NOT NULL,
  response MEDIUMTEXT NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (scope, idem_key),
  KEY idx_dice_idempotency_keys_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "create rolls",
        step: Step::Sql(CREATE_ROLLS),
    },
    Migration {
        version: 2,
        name: "index rolls by rolled_by",
        step: Step::Index {
            table: "rolls",
            name: "idx_rolls_rolled_by_id",
            columns: "rolled_by, id",
        },
    },
    Migration {
        version: 3,
        name: "create dice_idempotency_keys",
        step: Step::Sql(CREATE_KEYS),
    },
    // A plain insert writes a token of its own with its rows, so that when its
    // reply is lost the store can look them up. Rows from other programs leave
    // it NULL. Nullable and last, it is an instant change on both servers.
    Migration {
        version: 4,
        name: "add rolls.request_token",
        step: Step::Column {
            table: "rolls",
            name: "request_token",
            definition: "BINARY(16) NULL",
        },
    },
    Migration {
        version: 5,
        name: "index rolls by request_token",
        step: Step::Index {
            table: "rolls",
            name: "idx_rolls_request_token",
            columns: "request_token",
        },
    },
    // The notation of a roll with dice, in canonical form: ASCII, at most
    // `Dice::MAX_CHARS`, compared byte for byte (`dice_core` writes and asks in
    // canonical form only). NULL for reported rolls without dice and for rows
    // of other programs, which read as they always have.
    Migration {
        version: 6,
        name: "add rolls.dice",
        step: Step::Column {
            table: "rolls",
            name: "dice",
            definition: "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL",
        },
    },
    // Every face the server rolled, as a JSON array (`[4,1,6]`): readable in a
    // SELECT and by both servers' JSON functions, at most 11,001 bytes for 1000
    // dice of 10 digits. TEXT rather than JSON, which MySQL 8.0 stores as binary
    // and MariaDB as LONGTEXT: one type, the same text back on both.
    Migration {
        version: 7,
        name: "add rolls.faces",
        step: Step::Column {
            table: "rolls",
            name: "faces",
            definition: "TEXT CHARACTER SET ascii COLLATE ascii_bin NULL",
        },
    },
    // Stats of a notation, alone or with `rolled_by`, read this index only:
    // `dice = ?` (and `rolled_by = ?`) find the range, the exact-name check on
    // `rolled_by` and the `GROUP BY outcome` read the same entries.
    Migration {
        version: 8,
        name: "index rolls by dice, rolled_by and outcome",
        step: Step::Index {
            table: "rolls",
            name: "idx_rolls_dice_rolled_by_outcome",
            columns: "dice, rolled_by, outcome",
        },
    },
    // Stats from counts (see `counts`). Rows already there read 0: not yet
    // counted. An instant change on both servers, whatever the table's size.
    Migration {
        version: 9,
        name: "add rolls.counted",
        step: Step::Column {
            table: "rolls",
            name: "counted",
            definition: "TINYINT UNSIGNED NOT NULL DEFAULT 0",
        },
    },
    Migration {
        version: 10,
        name: "create dice_roll_counts",
        step: Step::Sql(counts::CREATE_COUNTS),
    },
    Migration {
        version: 11,
        name: "count rolls with triggers",
        step: Step::Triggers(counts::TRIGGERS),
    },
    // Only now, with the insert trigger in place, do new rows default to
    // "counted by the trigger"; rows inserted before stay 0 for the backfill.
    Migration {
        version: 12,
        name: "count new rolls by default",
        step: Step::Sql("ALTER TABLE rolls ALTER COLUMN counted SET DEFAULT 1"),
    },
    Migration {
        version: 13,
        name: "count the rolls already there",
        step: Step::Fold,
    },
    // From here on rows are counted by folding (see `counts`), not on insert:
    // the tail of rows not yet counted is found by this index.
    Migration {
        version: 14,
        name: "index rolls by counted",
        step: Step::Index {
            table: "rolls",
            name: "idx_rolls_counted",
            columns: "counted",
        },
    },
    // New rows join the tail. The insert trigger counts only rows marked 1,
    // so until it is dropped it passes over them: no row is counted twice.
    Migration {
        version: 15,
        name: "leave new rolls to folding",
        step: Step::Sql("ALTER TABLE rolls ALTER COLUMN counted SET DEFAULT 0"),
    },
    Migration {
        version: 16,
        name: "stop counting on insert",
        step: Step::Sql("DROP TRIGGER IF EXISTS dice_counts_on_insert"),
    },
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS dice_schema_migrations (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/// How long a process waits for another one's migrations to finish.
const LOCK_WAIT_SECS: u32 = 60;

/// Applies every migration the database lacks, under a named lock so that
/// processes starting together apply each one once. Returns the versions applied.
///
/// Takes a connection of its own, closed at the end, so the session lock cannot
/// outlive the call in a pool.
pub(crate) async fn migrate(mut conn: Conn) -> Result<Vec<u32>, Error> {
    let result = migrate_locked(&mut conn).await;
    // Closing the session releases the lock even if releasing it failed.
    let closed = conn.disconnect().await;
    let applied = result?;
    closed?;
    Ok(applied)
}

async fn migrate_locked(conn: &mut Conn) -> Result<Vec<u32>, Error> {
    let lock: Option<Option<i64>> = conn
        .exec_first(
            "SELECT GET_LOCK(CONCAT('dice.migrate.', DATABASE()), ?)",
            (LOCK_WAIT_SECS,),
        )
        .await?;
    if lock != Some(Some(1)) {
        return Err(Error::Unreachable(format!(
            "another process held the migration lock for {LOCK_WAIT_SECS} s"
        )));
    }
    conn.query_drop(CREATE_LEDGER).await?;
    let done: Vec<u32> = conn
        .query("SELECT version FROM dice_schema_migrations")
        .await?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        apply(conn, migration)
            .await
            .map_err(|source| Error::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        applied.push(migration.version);
    }
    conn.query_drop("DO RELEASE_LOCK(CONCAT('dice.migrate.', DATABASE()))")
        .await?;
    Ok(applied)
}

async fn apply(conn: &mut Conn, migration: &Migration) -> Result<(), mysql_async::Error> {
    // Identifiers cannot be parameters; those below are constants of this file.
    match migration.step {
        Step::Sql(sql) => conn.query_drop(sql).await?,
        Step::Column {
            table,
            name,
            definition,
        } => {
            if !exists(conn, COLUMN_EXISTS, table, name).await? {
                conn.query_drop(format!(
                    "ALTER TABLE {table} ADD COLUMN {name} {definition}"
                ))
                .await?;
            }
        }
        Step::Index {
            table,
            name,
            columns,
        } => {
            if !exists(conn, INDEX_EXISTS, table, name).await? {
                conn.query_drop(format!("CREATE INDEX {name} ON {table} ({columns})"))
                    .await?;
            }
        }
        Step::Triggers(triggers) => {
            for trigger in triggers {
                let made: Option<i64> = conn.exec_first(TRIGGER_EXISTS, (trigger.name,)).await?;
                if made.unwrap_or(0) == 0 {
                    conn.query_drop(trigger.create).await?;
                }
            }
        }
        Step::Fold => {
            counts::fold(conn, counts::MIGRATION_CHUNK, usize::MAX).await?;
        }
    }
    conn.exec_drop(
        "INSERT INTO dice_schema_migrations (version, name) VALUES (?, ?)",
        (migration.version, migration.name),
    )
    .await
}

const COLUMN_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.columns \
     WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?";

const INDEX_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.statistics \
     WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?";

const TRIGGER_EXISTS: &str = "SELECT COUNT(*) FROM information_schema.triggers \
     WHERE trigger_schema = DATABASE() AND trigger_name = ?";

/// Whether `query` counts anything named `name` on `table`.
async fn exists(
    conn: &mut Conn,
    query: &str,
    table: &str,
    name: &str,
) -> Result<bool, mysql_async::Error> {
    let count: Option<i64> = conn.exec_first(query, (table, name)).await?;
    Ok(count.unwrap_or(0) > 0)
}

/// The newest schema version this build knows.
pub const LATEST_VERSION: u32 = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ordered_and_end_at_the_latest() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=LATEST_VERSION).collect::<Vec<_>>());
    }
}
