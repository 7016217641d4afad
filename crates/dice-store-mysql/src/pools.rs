//! [`Pools`]: where the store's connections come from, and the credentials
//! each new connection logs in with.
//!
//! With a password that is one `mysql_async` pool for the store's life. With
//! IAM authentication, every login needs a token less than 15 minutes old, and
//! `mysql_async` 0.37 offers no way to give one: a `Pool` keeps the `Opts` it
//! was built with and opens each new connection with `Conn::new(opts.clone())`
//! (`conn/pool/mod.rs`), and the hooks it has (`after_connect`, `init`,
//! `setup`) run after the login. So the token is baked into a pool's `Opts`,
//! and once the token is [`RENEW_AFTER`] old the next call signs a new one and
//! builds a new pool with it. Connections already open need no token (one is
//! only checked at login): those in use finish their call, and the replaced
//! pool closes its connections (`COM_QUIT`) once the last handle to it, the
//! last of its connections included, is gone (its recycler sees the end of
//! its channel). The cost is one new connection per 10 minutes of use, instead
//! of reusing a warm one; the TLS connector, built once from the CA file, is
//! shared by every pool.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use mysql_async::{Conn, Opts, OptsBuilder, Pool};

use crate::config::{Auth, MysqlConfig};
use crate::connect_error::{LoginKind, connect_error, login_refused};
use crate::iam::{IamAuth, RENEW_AFTER};
use crate::opts;

/// Why no connection was made.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The login cannot succeed as configured (refused, or no token could be
    /// made): retrying does not help. One line that says what to check.
    Login(String),
    /// Anything else: the server is unreachable, busy, restarting.
    Failed(mysql_async::Error),
}

impl ConnectError {
    /// The crate's error, one line that says where it tried and what to fix.
    pub(crate) fn into_error(self, opts: &Opts) -> crate::Error {
        match self {
            Self::Login(why) => crate::Error::LoginRefused(why),
            Self::Failed(err) => connect_error(opts, err),
        }
    }
}

/// The store's pool, renewed with a new token in IAM mode.
pub(crate) struct Pools {
    /// Connection options without the credential of IAM mode.
    base: Opts,
    user: String,
    login: Login,
    current: Mutex<Current>,
    /// One connection kept back after a clean plain insert, for the next
    /// call: handed straight over, it skips the driver pool's hand-back
    /// through its recycler task, most of what the pool adds to a single
    /// insert. Kept for [`KEPT_FOR`] at most, so the pool still closes
    /// connections idle for long.
    kept: Mutex<Option<(Conn, Instant)>>,
}

/// How long a connection kept back stays usable.
const KEPT_FOR: Duration = Duration::from_secs(5);

enum Login {
    Password,
    Iam {
        iam: IamAuth,
        host: String,
        port: u16,
        /// Set when the configuration has IAM without TLS: the token is
        /// never sent, and every connection fails with this.
        refusal: Option<String>,
    },
}

struct Current {
    /// The pool, and the options it connects with.
    pool: Option<(Pool, Opts)>,
    /// When the token in the pool's options was signed (IAM mode).
    signed_at: Option<SystemTime>,
    closed: bool,
}

impl Pools {
    pub(crate) fn new(config: &MysqlConfig) -> Self {
        let base = opts::driver_opts(config);
        let (login, pool) = match &config.auth {
            Auth::Password(_) => (
                Login::Password,
                Some((Pool::new(base.clone()), base.clone())),
            ),
            Auth::Iam(iam) => (
                Login::Iam {
                    iam: iam.clone(),
                    host: config.host.clone(),
                    port: config.port,
                    refusal: config.check().err().map(|err| err.to_string()),
                },
                None,
            ),
        };
        Self {
            base,
            user: config.user.clone(),
            login,
            current: Mutex::new(Current {
                pool,
                signed_at: None,
                closed: false,
            }),
            kept: Mutex::new(None),
        }
    }

    /// A connection from the current pool.
    pub(crate) async fn get_conn(&self) -> Result<Conn, ConnectError> {
        if let Some(conn) = self.take_kept() {
            return Ok(conn);
        }
        let (pool, _) = self.current().map_err(ConnectError::Login)?;
        pool.get_conn().await.map_err(|err| self.classify(err))
    }

    /// Keeps `conn`, whose last statement just succeeded, for the next call
    /// (see `kept`), unless one is kept already: then it goes back to its pool.
    pub(crate) fn keep(&self, conn: Conn) {
        if self.lock().closed {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            *kept = Some((conn, Instant::now()));
        }
    }

    /// The connection kept back, if it is recent; an older one goes back to
    /// its pool.
    fn take_kept(&self) -> Option<Conn> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        kept.and_then(|(conn, since)| (since.elapsed() < KEPT_FOR).then_some(conn))
    }

    /// A connection of its own, outside the pool (for migrations).
    pub(crate) async fn new_conn(&self) -> Result<Conn, ConnectError> {
        // The current pool's options, so that in IAM mode it presents the
        // same token as the pool's new connections would.
        let (_, opts) = self.current().map_err(ConnectError::Login)?;
        Conn::new(opts).await.map_err(|err| self.classify(err))
    }

    /// Closes the pool's connections, waiting for those in use; no new pool
    /// is made after this.
    pub(crate) async fn disconnect(&self) -> Result<(), mysql_async::Error> {
        let pool = {
            let mut current = self.lock();
            current.closed = true;
            current.pool.clone()
        };
        // Back to its pool, which closes it with the others.
        drop(self.take_kept());
        match pool {
            Some((pool, _)) => pool.disconnect().await,
            None => Ok(()),
        }
    }

    /// The pool to take a connection from now, with its options: in IAM
    /// mode, a new one with a new token once the token of the current one is
    /// due for renewal.
    fn current(&self) -> Result<(Pool, Opts), String> {
        let Login::Iam { iam, refusal, .. } = &self.login else {
            return self.lock().pool.clone().ok_or_else(|| "no pool".to_owned());
        };
        if let Some(refusal) = refusal {
            return Err(refusal.clone());
        }
        let now = iam.now();
        let mut current = self.lock();
        if let Some(pool) = &current.pool
            && (current.closed || !due(current.signed_at, now))
        {
            return Ok(pool.clone());
        }
        let opts = self.opts_with_token(now)?;
        let fresh = (Pool::new(opts.clone()), opts);
        // The replaced pool, if any, is dropped here: see the module's comment.
        current.pool = Some(fresh.clone());
        current.signed_at = Some(now);
        Ok(fresh)
    }

    fn opts_with_token(&self, now: SystemTime) -> Result<Opts, String> {
        let Login::Iam {
            iam, host, port, ..
        } = &self.login
        else {
            return Ok(self.base.clone());
        };
        let token = iam
            .token(host, *port, &self.user, now)
            .map_err(|err| err.to_string())?;
        Ok(OptsBuilder::from_opts(self.base.clone())
            .pass(Some(token.expose()))
            .into())
    }

    /// The options every connection shares (in IAM mode without the token):
    /// where it connects, as whom.
    pub(crate) fn base(&self) -> &Opts {
        &self.base
    }

    /// A refused login is said in one line with what to check; other
    /// failures are passed on.
    fn classify(&self, err: mysql_async::Error) -> ConnectError {
        let kind = match self.login {
            Login::Password => LoginKind::Password,
            Login::Iam { .. } => LoginKind::Iam,
        };
        match login_refused(&self.base, &err, kind) {
            Some(why) => ConnectError::Login(why),
            None => ConnectError::Failed(err),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a token signed at `signed_at` must be replaced at `now`: it is
/// [`RENEW_AFTER`] old, or dated in the future (the clock went back).
fn due(signed_at: Option<SystemTime>, now: SystemTime) -> bool {
    match signed_at {
        None => true,
        Some(signed_at) => now
            .duration_since(signed_at)
            .map_or(true, |age| age >= RENEW_AFTER),
    }
}

impl fmt::Debug for Pools {
    // Not the driver's options: their `Debug` shows the password or token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let login = match &self.login {
            Login::Password => "password",
            Login::Iam { .. } => "iam",
        };
        f.debug_struct("Pools")
            .field("user", &self.user)
            .field("login", &login)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::{AwsCredentials, Clock, Password, Preset, Tls};

    #[derive(Debug)]
    struct FixedClock(Mutex<SystemTime>);

    impl Clock for FixedClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    fn iam_pools(clock: &Arc<FixedClock>, tls: Tls) -> Pools {
        let credentials = AwsCredentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        )
        .unwrap();
        let iam = IamAuth::new("eu-west-1", credentials)
            .unwrap()
            .clock(Arc::clone(clock) as Arc<dyn Clock>);
        Pools::new(
            &MysqlConfig::new("db.example.com", "dice_app", "dice", Preset::Lambda)
                .tls(tls)
                .iam(iam),
        )
    }

    fn token_of(pools: &Pools) -> String {
        pools.current().unwrap().1.pass().unwrap().to_owned()
    }

    #[test]
    fn a_token_is_reused_for_ten_minutes_then_renewed() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_532_645);
        let clock = Arc::new(FixedClock(Mutex::new(t0)));
        let pools = iam_pools(&clock, Tls::Required);
        let first = token_of(&pools);
        assert!(first.contains("X-Amz-Date=20261124T150405Z"), "{first}");
        let set = |after: u64| *clock.0.lock().unwrap() = t0 + Duration::from_secs(after);

        set(599);
        assert_eq!(token_of(&pools), first, "still fresh at 9:59");
        set(600);
        let renewed = token_of(&pools);
        assert!(renewed.contains("X-Amz-Date=20261124T151405Z"), "{renewed}");
        set(601);
        assert_eq!(token_of(&pools), renewed, "renewed once, then cached again");
        // A clock that went back makes the cached token look future-dated.
        set(10);
        assert!(token_of(&pools).contains("X-Amz-Date=20261124T150415Z"));
    }

    #[test]
    fn without_tls_no_token_is_ever_made() {
        let clock = Arc::new(FixedClock(Mutex::new(SystemTime::now())));
        let pools = iam_pools(&clock, Tls::Off);
        let err = pools.current().unwrap_err();
        assert!(
            err.contains("DB_TLS") && err.contains("DB_AUTH=iam"),
            "{err}"
        );
    }

    #[test]
    fn debug_shows_neither_password_nor_token() {
        let clock = Arc::new(FixedClock(Mutex::new(SystemTime::now())));
        let pools = iam_pools(&clock, Tls::Required);
        let token = token_of(&pools);
        assert!(!format!("{pools:?}").contains(&token));
        let with_password = Pools::new(
            &MysqlConfig::new("h", "u", "d", Preset::Lambda).password(Password::new("hunter2")),
        );
        assert!(!format!("{with_password:?}").contains("hunter2"));
    }
}
