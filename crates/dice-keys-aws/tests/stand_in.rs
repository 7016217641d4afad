//! The stand-in itself answers as API Gateway does where moto does not, so
//! the conformance suite's paging and usage checks mean something.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aws_sdk_apigateway::types::{ApiStage, QuotaPeriodType, QuotaSettings};
use dice_keys::Day;

#[tokio::test]
async fn lists_come_25_to_a_page_with_a_position_for_the_next() {
    let client = support::client();
    for n in 0..30 {
        client
            .create_api_key()
            .name(format!("paged-{n}"))
            .send()
            .await
            .unwrap();
    }
    let first = client.get_api_keys().send().await.unwrap();
    assert_eq!(first.items().len(), 25);
    let position = first.position().expect("a position for the next page");
    let second = client
        .get_api_keys()
        .position(position)
        .limit(500)
        .send()
        .await
        .unwrap();
    assert!(second.items().len() >= 5);
    assert_eq!(second.position(), None, "the last page has no position");
    let first_ids: Vec<_> = first.items().iter().map(|k| k.id()).collect();
    assert!(second.items().iter().all(|k| !first_ids.contains(&k.id())));
}

#[tokio::test]
async fn get_usage_answers_a_pair_per_day_for_each_key_of_the_plan() {
    let client = support::client();
    let api = support::fresh_api(&client, "usage-shape").await;
    let plan = client
        .create_usage_plan()
        .name("usage-shape")
        .api_stages(ApiStage::builder().api_id(&api).stage("prod").build())
        .quota(
            QuotaSettings::builder()
                .limit(10)
                .period(QuotaPeriodType::Week)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    let key = client
        .create_api_key()
        .name("u")
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    client
        .create_usage_plan_key()
        .usage_plan_id(&plan)
        .key_id(&key)
        .key_type("API_KEY")
        .send()
        .await
        .unwrap();
    // 2026-11-23 is a Monday: the week's quota restarts there.
    let day = |text| Day::parse(text).unwrap();
    support::stand_in().record(&key, day("2026-11-22"), 4);
    support::stand_in().record(&key, day("2026-11-23"), 3);

    let usage = client
        .get_usage()
        .usage_plan_id(&plan)
        .start_date("2026-11-22")
        .end_date("2026-11-24")
        .send()
        .await
        .unwrap();
    assert_eq!(usage.usage_plan_id(), Some(plan.as_str()));
    assert_eq!(usage.start_date(), Some("2026-11-22"));
    let values = usage.items().unwrap();
    assert_eq!(values[&key], vec![vec![4, 6], vec![3, 7], vec![0, 7]]);
}
