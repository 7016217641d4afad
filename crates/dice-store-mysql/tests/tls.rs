//! TLS against a private MariaDB with a throwaway CA: verified connections work,
//! a wrong CA and a server without TLS are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dice_core::RollStore;
use dice_core::testkit::new_roll;
use dice_store_mysql::testkit::server::{PrivateServer, Scratch, make_certs};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset, Tls};

fn config(port: u16, tls: Tls) -> MysqlConfig {
    MysqlConfig::new("127.0.0.1", "dice", "dice", Preset::Server)
        .port(port)
        .tls(tls)
        .connect_timeout(Duration::from_secs(5))
}

async fn connect(port: u16, tls: Tls) -> Result<MysqlStore, dice_store_mysql::Error> {
    MysqlStore::connect(&config(port, tls)).await
}

/// Asserts the connection failed, and for the expected reason.
fn assert_refused(result: Result<MysqlStore, dice_store_mysql::Error>, because: &str) {
    match result {
        Ok(_) => panic!("connected; expected a refusal mentioning {because:?}"),
        Err(err) => assert!(
            err.to_string().contains(because),
            "refused for another reason: {err}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_modes_against_a_private_server() {
    let scratch = Scratch::new("tls");
    let certs = make_certs(&scratch.0).await;

    let server = PrivateServer::start(&scratch.0, Some(&certs)).await;
    // A user that may only log in over TLS, so a login proves encryption.
    server
        .exec(
            "CREATE DATABASE dice; CREATE USER 'dice'@'%' REQUIRE SSL; \
             GRANT ALL ON dice.* TO 'dice'@'%';",
        )
        .await;

    // Verified against the right CA: connects, migrates, records over TLS.
    let store = connect(
        server.port,
        Tls::VerifyCa {
            ca_file: certs.ca.clone(),
        },
    )
    .await
    .expect("verify-with-CA connects");
    store.migrate().await.unwrap();
    let roll = store.insert(&new_roll(6, Some("tls")), None).await.unwrap();
    assert_eq!(store.get(roll.id).await.unwrap(), roll);
    store.close().await.unwrap();

    // The user needs TLS, so the round trip above was encrypted.
    assert_refused(connect(server.port, Tls::Off).await, "Access denied");

    // Required (encrypt, do not verify) also connects.
    connect(server.port, Tls::Required)
        .await
        .expect("required TLS connects")
        .close()
        .await
        .unwrap();

    // A certificate from another CA is refused.
    let wrong = connect(
        server.port,
        Tls::VerifyCa {
            ca_file: certs.wrong_ca.clone(),
        },
    )
    .await;
    assert_refused(wrong, "UnknownIssuer");

    // Verification checks the name too: the certificate is for 127.0.0.1 and
    // localhost, not for 127.0.0.2 (which still reaches the server on loopback).
    let other_name = MysqlConfig::new("127.0.0.2", "dice", "dice", Preset::Server)
        .port(server.port)
        .tls(Tls::VerifyCa {
            ca_file: certs.ca.clone(),
        })
        .connect_timeout(Duration::from_secs(5));
    let mismatch = MysqlStore::connect(&other_name).await;
    assert_refused(mismatch, "not valid for name");
    server.stop().await;

    // The same server without TLS: required TLS refuses to talk to it.
    let plain = PrivateServer::start(&scratch.0, None).await;
    plain
        .exec("CREATE USER 'plain'@'%'; GRANT ALL ON dice.* TO 'plain'@'%';")
        .await;
    let plain_config = |tls| {
        MysqlConfig::new("127.0.0.1", "plain", "dice", Preset::Server)
            .port(plain.port)
            .tls(tls)
            .connect_timeout(Duration::from_secs(5))
    };
    MysqlStore::connect(&plain_config(Tls::Off))
        .await
        .expect("plain TCP works when the server has no TLS")
        .close()
        .await
        .unwrap();
    let refused = MysqlStore::connect(&plain_config(Tls::Required)).await;
    assert_refused(refused, "server does not have this capability");
    plain.stop().await;
}
