//! A connection that fails says where it tried and what to do: the usual
//! causes each get their fix, on a real server and a real closed port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dice_store_mysql::testkit::{TestDb, server_url};
use dice_store_mysql::{MysqlConfig, MysqlStore, Preset};

fn config(url: &str) -> MysqlConfig {
    MysqlConfig::from_url(url, Preset::Server).unwrap()
}

async fn connect_error(url: &str) -> String {
    match MysqlStore::connect(&config(url)).await {
        Ok(_) => panic!("{url} connected"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn a_missing_database_says_how_to_create_it() {
    let name = format!("dice_missing_{}", std::process::id());
    let message = connect_error(&format!("{}/{name}", server_url())).await;
    assert!(
        message.contains(&format!("database `{name}` does not exist"))
            && message.contains(&format!("CREATE DATABASE `{name}`")),
        "{message}"
    );
    assert!(!message.contains("''"), "no stray quote: {message}");
    // Migrating, as dice-local does on start, says the same.
    let store = MysqlStore::new(&config(&format!("{}/{name}", server_url())));
    let migrate = store.migrate().await.unwrap_err().to_string();
    assert!(migrate.contains("CREATE DATABASE"), "{migrate}");
}

#[tokio::test]
async fn a_closed_port_names_the_host_and_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let message = connect_error(&format!("mysql://someone@127.0.0.1:{port}/dice")).await;
    assert!(
        message.contains(&format!(
            "cannot connect to MySQL at 127.0.0.1:{port} as someone"
        )),
        "{message}"
    );
    assert!(message.contains("DB_HOST and DB_PORT"), "{message}");
}

#[tokio::test]
async fn a_refused_login_points_at_the_credentials() {
    let db = TestDb::create().await;
    let url = db.create_user("right-password").await;
    let wrong = url.replace("right-password", "wrong-password");
    let message = connect_error(&wrong).await;
    assert!(message.contains("check the user and password"), "{message}");
    assert!(!message.contains("wrong-password"), "{message}");
}
