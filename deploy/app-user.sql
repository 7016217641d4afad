-- The function's database user, with only what it needs: read and add rolls,
-- mark rolls counted (the column counted only), read, add and purge idempotency
-- keys, read the roll counts and add to them. The store folds new rolls into the
-- counts now and then, and the triggers that count deletes and updates run as
-- the user who made them, the master user.
-- No DDL: migrations run as the master user.
-- (The store also ends its own lost sessions with KILL, which needs no grant.)
-- It has no password: it logs in with IAM database authentication, a 15-minute
-- token the function signs with its role, which may rds-db:connect as this user
-- only. REQUIRE SSL: the token travels as a clear-text password.
-- Fill in the placeholders from the stack's outputs (README, "Deploy").
CREATE USER IF NOT EXISTS '${APP_USER}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
GRANT SELECT, INSERT, UPDATE (counted) ON `${DB_NAME}`.rolls TO '${APP_USER}'@'%';
GRANT SELECT, INSERT, DELETE ON `${DB_NAME}`.dice_idempotency_keys TO '${APP_USER}'@'%';
GRANT SELECT, INSERT, UPDATE ON `${DB_NAME}`.dice_roll_counts TO '${APP_USER}'@'%';
