//! IAM database authentication end to end. A private MariaDB with TLS stands
//! in for Aurora: its `auth_pam` plugin takes the password in clear text, as
//! RDS takes IAM tokens, and a PAM service accepts exactly the tokens that the
//! test computed itself as valid at the time of the test's clock
//! (`testkit::rds`). The app user is made by `deploy/app-user.sql`, with PAM
//! in place of RDS's plugin.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dice_core::testkit::new_roll;
use dice_core::{RollId, RollStore};
use dice_store_mysql::testkit::rds::{self, TokenCheck};
use dice_store_mysql::testkit::server::{Certs, PrivateServer, Scratch, make_certs};
use dice_store_mysql::{
    AwsCredentials, Clock, Error, IamAuth, MysqlConfig, MysqlStore, Preset, Tls,
};

const HOST: &str = "127.0.0.1";
const USER: &str = "dice_app";
const ACCESS_KEY_ID: &str = "ASIAEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr/test+session=";
/// 2026-11-24T15:04:05Z: the server's time is whatever the test says.
const T0: u64 = 1_795_532_645;

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(Mutex<SystemTime>);

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

fn at(seconds_after_t0: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0.checked_add_signed(seconds_after_t0).unwrap())
}

fn iam(secret: &str, clock: &Arc<TestClock>) -> IamAuth {
    let credentials =
        AwsCredentials::new(ACCESS_KEY_ID, secret, Some(SESSION_TOKEN.to_owned())).unwrap();
    IamAuth::new("eu-west-1", credentials)
        .unwrap()
        .clock(Arc::clone(clock) as Arc<dyn Clock>)
}

/// The stand-in for Aurora: TLS, the PAM check, the schema, the app user.
struct Rds {
    server: PrivateServer,
    check: TokenCheck,
    certs: Certs,
    /// The test's own signer, with the same credentials as the store's.
    signer: IamAuth,
    _scratch: Scratch,
}

impl Rds {
    async fn start() -> Self {
        let scratch = Scratch::new("iam");
        let certs = make_certs(&scratch.0).await;
        let server =
            PrivateServer::start_with(&scratch.0, Some(&certs), &rds::SERVER_OPTIONS).await;
        let check = TokenCheck::install(&scratch.0);
        server
            .exec("CREATE DATABASE dice; CREATE USER 'admin'@'%'; GRANT ALL ON *.* TO 'admin'@'%';")
            .await;
        // The schema is the master user's job; the app user may not make it.
        let admin = MysqlConfig::new(HOST, "admin", "dice", Preset::Server)
            .port(server.port)
            .tls(Tls::Required)
            .connect_timeout(Duration::from_secs(5));
        let store = MysqlStore::connect(&admin).await.unwrap();
        store.migrate().await.unwrap();
        store.close().await.unwrap();
        let identified = format!("IDENTIFIED VIA pam USING '{}'", check.service());
        let statements = rds::app_user_statements(
            include_str!("../../../deploy/app-user.sql"),
            USER,
            "dice",
            &identified,
        );
        server.exec(&statements.join(";")).await;
        let signer = iam(SECRET, &Arc::new(TestClock(Mutex::new(at(0)))));
        Self {
            server,
            check,
            certs,
            signer,
            _scratch: scratch,
        }
    }

    fn target(&self) -> (&'static str, u16, &'static str) {
        (HOST, self.server.port, USER)
    }

    /// The server's clock reads `now`: it accepts the tokens of the 15 minutes before.
    fn set_time(&self, now: SystemTime) {
        self.check.accept_valid_at(&self.signer, self.target(), now);
    }

    /// The token the test computes for a login at `when`.
    fn token(&self, when: SystemTime) -> String {
        self.signer
            .token(HOST, self.server.port, USER, when)
            .unwrap()
            .expose()
            .to_owned()
    }

    fn presented(&self) -> Vec<String> {
        self.check.presented().into_iter().map(|t| t.0).collect()
    }

    fn config(&self, iam: IamAuth) -> MysqlConfig {
        MysqlConfig::new(HOST, USER, "dice", Preset::Lambda)
            .port(self.server.port)
            .tls(Tls::VerifyCa {
                ca_file: self.certs.ca.clone(),
            })
            .connect_timeout(Duration::from_secs(5))
            .iam(iam)
    }

    /// Ends every session of the app user, so its next call logs in anew.
    async fn kill_app_sessions(&self) {
        self.server
            .exec(&format!("KILL CONNECTION USER '{USER}'"))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iam_store_logs_in_with_its_token_over_tls_and_records_a_roll() {
    let rds = Rds::start().await;
    rds.set_time(at(0));
    let clock = Arc::new(TestClock(Mutex::new(at(0))));
    let config = rds.config(iam(SECRET, &clock));

    let store = MysqlStore::connect(&config)
        .await
        .expect("the token is accepted");
    let roll = store.insert(&new_roll(6, Some("iam")), None).await.unwrap();
    assert_eq!(store.get(roll.id).await.unwrap(), roll);

    let presented = rds.presented();
    let expected = rds.token(at(0));
    assert!(!presented.is_empty());
    assert!(presented.iter().all(|t| *t == expected), "{presented:?}");
    for shown in [format!("{store:?}"), format!("{config:?}")] {
        for secret in [expected.as_str(), SECRET, SESSION_TOKEN] {
            assert!(!shown.contains(secret), "{secret:?} in {shown}");
        }
    }
    // The app user has no DDL grant: migrating is the master user's job.
    assert!(store.migrate().await.is_err());
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_expired_token_is_refused_at_once_in_one_line() {
    let rds = Rds::start().await;
    rds.set_time(at(0));
    let attempts = || rds.presented().len();

    let refusals = [
        ("another secret key", "not-the-role-secret", at(0)),
        ("a token 15 minutes old", SECRET, at(-900)),
        ("a token dated ahead", SECRET, at(60)),
    ];
    for (what, secret, signed_at) in refusals {
        let clock = Arc::new(TestClock(Mutex::new(signed_at)));
        let config = rds.config(iam(secret, &clock));
        let before = attempts();
        let err = match MysqlStore::connect(&config).await {
            Ok(_) => panic!("{what}: accepted"),
            Err(err) => err,
        };
        assert!(matches!(err, Error::LoginRefused(_)), "{what}: {err:?}");
        let line = err.to_string();
        assert!(!line.contains('\n'), "{what}: {line}");
        for needed in [
            "refused the IAM auth token",
            USER,
            "rds-db:connect",
            "AWSAuthenticationPlugin",
        ] {
            assert!(line.contains(needed), "{what}: {line}");
        }
        let presented = rds.presented();
        let token = presented.last().unwrap();
        assert!(
            !line.contains(token.as_str()) && !line.contains(secret),
            "{line}"
        );
        assert_eq!(attempts(), before + 1, "{what}: one login, no retry");

        // A store call with time to spare fails at once too, writing nothing.
        let store =
            MysqlStore::new(&config).with_deadline(Instant::now() + Duration::from_secs(30));
        let before = attempts();
        let err = store.insert(&new_roll(1, None), None).await.unwrap_err();
        assert_eq!(err.code().as_str(), "internal", "{what}: {err}");
        assert!(
            err.to_string().contains("refused the IAM auth token"),
            "{err}"
        );
        let err = store.get(RollId::new(1).unwrap()).await.unwrap_err();
        assert_eq!(err.code().as_str(), "internal", "{what}: {err}");
        assert_eq!(attempts(), before + 2, "{what}: one login per call");
    }

    // A token signed 14 minutes before the server's time is still good.
    let clock = Arc::new(TestClock(Mutex::new(at(-14 * 60))));
    MysqlStore::connect(&rds.config(iam(SECRET, &clock)))
        .await
        .expect("a token within its 15 minutes")
        .close()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_without_tls_refuses_to_start_and_never_sends_a_token() {
    let rds = Rds::start().await;
    rds.set_time(at(0));
    let clock = Arc::new(TestClock(Mutex::new(at(0))));
    let config = rds.config(iam(SECRET, &clock)).tls(Tls::Off);
    match MysqlStore::connect(&config).await {
        Err(Error::Config(err)) => {
            assert_eq!(err.variable, "DB_TLS");
            assert!(err.to_string().contains("DB_AUTH=iam"), "{err}");
        }
        other => panic!("not refused as a configuration error: {other:?}"),
    }
    let store = MysqlStore::new(&config);
    let err = store.get(RollId::new(1).unwrap()).await.unwrap_err();
    assert!(err.to_string().contains("DB_TLS"), "{err}");
    assert_eq!(
        rds.presented(),
        Vec::<String>::new(),
        "no token left the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_opened_after_the_renewal_point_carries_a_new_token() {
    let rds = Rds::start().await;
    let clock = Arc::new(TestClock(Mutex::new(at(0))));
    let store = MysqlStore::new(&rds.config(iam(SECRET, &clock)));
    let deadline = || Instant::now() + Duration::from_secs(20);
    let (t0, t599, t601) = (rds.token(at(0)), rds.token(at(599)), rds.token(at(601)));

    // Each step: the time on both clocks, whether the app's sessions are
    // killed first (so the call must log in again), and the token that login
    // must present, if any.
    let steps = [
        (0, false, Some(&t0)),
        // Before the renewal point a new connection reuses the cached token...
        (599, true, Some(&t0)),
        // ...and at 10 minutes the next call logs in with a new one, though
        // its connection was alive.
        (601, false, Some(&t601)),
        // At 16 minutes the first token has expired; new connections carry
        // the renewed one, which has not.
        (960, true, Some(&t601)),
        (961, false, None),
    ];
    let roll = store.insert(&new_roll(3, None), None).await;
    assert!(
        roll.is_err(),
        "nothing is accepted before the server's clock is set"
    );
    let mut presented = rds.presented().len();
    let roll = {
        rds.set_time(at(0));
        store.insert(&new_roll(3, None), None).await.unwrap()
    };
    for (seconds, kill, token) in steps {
        *clock.0.lock().unwrap() = at(seconds);
        rds.set_time(at(seconds));
        if kill {
            rds.kill_app_sessions().await;
        }
        let got = store.with_deadline(deadline()).get(roll.id).await;
        assert_eq!(got.unwrap(), roll, "at {seconds} s");
        let now = rds.presented();
        match token {
            Some(token) => {
                assert!(now.len() > presented, "at {seconds} s no login");
                assert!(
                    now[presented..].iter().all(|t| t == token),
                    "at {seconds} s: {:?}",
                    &now[presented..]
                );
            }
            None => assert_eq!(now.len(), presented, "at {seconds} s a needless login"),
        }
        presented = now.len();
    }
    assert_ne!(
        t599, t0,
        "tokens a second apart differ, so reuse above is caching"
    );
}
