-- The function's database user, with only what it needs: read and add rolls,
-- read, add and purge idempotency keys. No DDL: migrations run as the master user.
-- (The store also ends its own lost sessions with KILL, which needs no grant.)
-- Fill in the placeholders from the stack's outputs (README, "Deploy").
CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}' REQUIRE SSL;
GRANT SELECT, INSERT ON `${DB_NAME}`.rolls TO '${APP_USER}'@'%';
GRANT SELECT, INSERT, DELETE ON `${DB_NAME}`.dice_idempotency_keys TO '${APP_USER}'@'%';
