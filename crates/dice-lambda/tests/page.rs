//! The page in a real browser: headless Chromium, driven over WebDriver,
//! against `dice-local` on MariaDB. Rolls made by clicking are checked against
//! `/stats` and the table; screenshots go under `target/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use dice_store_mysql::testkit::TestDb;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper::Method;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use support::local::{KEY, Local};
use tokio::process::{Child, Command};

/// A `chromedriver` on a free loopback port, ended with the test.
struct Driver {
    _child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver is installed (scripts/test.sh installs chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { _child: child, url }
    }

    /// A headless Chromium session, its network limited to loopback.
    async fn browser(&self) -> Client {
        let options = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900"
            ]
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

/// Polls `check` until it holds, for at most 10 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(browser: &Client, id: &str) -> String {
    let element = browser.find(Locator::Id(id)).await.unwrap();
    element.text().await.unwrap()
}

async fn count_of(browser: &Client, css: &str) -> usize {
    browser.find_all(Locator::Css(css)).await.unwrap().len()
}

async fn fill(browser: &Client, id: &str, value: &str) {
    let input = browser.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// Clicks the element, trying again for up to 2 s while the page is still
/// laying out (the list grows under the button) and something else is at its
/// point, as a person would click again.
async fn click(browser: &Client, css: &str) {
    use fantoccini::error::{CmdError, ErrorStatus};
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let element = browser.find(Locator::Css(css)).await.unwrap();
        match element.click().await {
            Ok(()) => return,
            Err(CmdError::Standard(err))
                if Instant::now() < deadline
                    && matches!(
                        err.error,
                        ErrorStatus::ElementClickIntercepted | ErrorStatus::StaleElementReference
                    ) =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("clicking {css}: {err}"),
        }
    }
}

/// The histogram's bars: outcome to count.
async fn bars(browser: &Client) -> BTreeMap<u64, u64> {
    let mut bars = BTreeMap::new();
    for bar in browser
        .find_all(Locator::Css("#histogram rect.bar"))
        .await
        .unwrap()
    {
        let outcome = bar.attr("data-outcome").await.unwrap().unwrap();
        let count = bar.attr("data-count").await.unwrap().unwrap();
        let count: u64 = count.parse().unwrap();
        if count > 0 {
            bars.insert(outcome.parse().unwrap(), count);
        }
    }
    bars
}

async fn api_json(local: &Local, path: &str) -> Value {
    let (status, _, body) = local.send(Method::GET, path, Some(KEY), "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn screenshot(browser: &Client, width: u32, name: &str) {
    browser.set_window_size(width, 900).await.unwrap();
    let png = browser.screenshot().await.unwrap();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_rolls_sees_every_roll_and_a_histogram_that_matches_the_table() {
    let db = TestDb::create().await;
    let local = Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{}/", local.base)).await.unwrap();
    assert_eq!(browser.title().await.unwrap(), "dice");

    // A wrong key: the 403 in plain words, and nothing written.
    fill(&browser, "api-key", "not-the-key").await;
    click(&browser, "#key-form button").await;
    click(&browser, "#roll-button").await;
    eventually("the wrong-key message", || async {
        text(&browser, "message").await.contains("not accepted")
    })
    .await;
    assert_eq!(db.count_rolls().await, 0);

    // The right key, then ten rolls of 2d6 by clicking.
    fill(&browser, "api-key", KEY).await;
    click(&browser, "#key-form button").await;
    click(&browser, "[data-preset='2d6']").await;
    for n in 1..=10 {
        click(&browser, "#roll-button").await;
        eventually("the roll listed", || async {
            count_of(&browser, "#rolls li").await == n
        })
        .await;
    }
    assert_eq!(text(&browser, "message").await, "");
    assert_eq!(
        count_of(&browser, "#result .face").await,
        2,
        "both dice shown"
    );
    eventually("the histogram", || async {
        bars(&browser).await.values().sum::<u64>() == 10
    })
    .await;
    let stats = api_json(&local, "/stats?dice=2d6").await;
    let expected: BTreeMap<u64, u64> = stats["per_outcome"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.parse().unwrap(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(bars(&browser).await, expected);
    assert_eq!(db.count_rolls().await, 10);
    assert!(
        text(&browser, "verdict").await.contains("2d6"),
        "{}",
        text(&browser, "verdict").await
    );

    screenshot(&browser, 1280, "page-1280.png").await;
    screenshot(&browser, 360, "page-360.png").await;

    // An invalid notation: the API's 400 message, and nothing written.
    fill(&browser, "dice", "2d6++1").await;
    click(&browser, "#roll-button").await;
    eventually("the notation's refusal", || async {
        !text(&browser, "message").await.is_empty()
    })
    .await;
    let message = text(&browser, "message").await;
    assert!(
        message.contains("2d6++1") || message.to_lowercase().contains("dice"),
        "{message}"
    );
    assert_eq!(db.count_rolls().await, 10);

    // Keep-highest: all four dice shown, the lowest set apart as dropped.
    click(&browser, "[data-preset='4d6kh3']").await;
    click(&browser, "#roll-button").await;
    eventually("the 4d6kh3 roll", || async {
        count_of(&browser, "#result .face").await == 4
    })
    .await;
    assert_eq!(count_of(&browser, "#result .face.dropped").await, 1);
    assert_eq!(db.count_rolls().await, 11);

    let overflow: Value = browser
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        overflow.as_u64().unwrap() <= 360,
        "scrolls sideways at 360 px: {overflow}"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_pages_through_every_roll_once() {
    let db = TestDb::create().await;
    let local = Local::start(&[], &[("DICE_API_KEY", KEY), ("DATABASE_URL", &db.url())]).await;
    let batch: Vec<Value> = (0..120).map(|n| json!({"outcome": n % 6 + 1})).collect();
    let (status, _, _) = local
        .send(
            Method::POST,
            "/rolls",
            Some(KEY),
            &Value::from(batch).to_string(),
        )
        .await;
    assert_eq!(status, 201);
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{}/", local.base)).await.unwrap();
    fill(&browser, "api-key", KEY).await;
    click(&browser, "#key-form button").await;
    eventually("the first page", || async {
        count_of(&browser, "#rolls li").await == 20
    })
    .await;
    for shown in (40..=120).step_by(20) {
        click(&browser, "#more").await;
        eventually("the next page", || async {
            count_of(&browser, "#rolls li").await == shown
        })
        .await;
    }
    eventually("no more pages", || async {
        !browser
            .find(Locator::Id("more"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    })
    .await;
    let mut ids = Vec::new();
    for item in browser.find_all(Locator::Css("#rolls li")).await.unwrap() {
        ids.push(
            item.attr("data-id")
                .await
                .unwrap()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
    }
    let newest_first: Vec<u64> = (1..=120).rev().collect();
    assert_eq!(ids, newest_first, "every roll once, newest first, no gap");
    browser.close().await.unwrap();
}
