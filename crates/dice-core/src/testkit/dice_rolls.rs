//! Behaviours of rolls with dice: the notation and faces a store keeps, the
//! stats and fairness of one notation, and replays that keep the first faces.

use super::{actor, batch, dice, key, new_roll, reported_roll, server_roll};
use crate::{
    Error, Fairness, ListQuery, Outcome, Recorded, Roll, RollStore, RolledRequest, StatsQuery,
    Verdict,
};

fn faces(roll: &Roll) -> Option<&[u32]> {
    roll.faces.as_deref()
}

/// A roll the server made keeps its canonical dice and every face, dropped ones
/// included, through insert, get, list and batches, at any size the notation allows.
pub async fn dice_and_faces_round_trip(store: &dyn RollStore) {
    let by_key = actor("k");
    let roll = store
        .insert(
            &server_roll("3D6 + 2", &[4, 1, 6], Some("ann")),
            Some(&by_key),
        )
        .await
        .unwrap();
    assert_eq!(roll.outcome, Outcome::new(13));
    assert_eq!(
        roll.dice.as_ref().map(ToString::to_string).as_deref(),
        Some("3d6+2")
    );
    assert_eq!(faces(&roll), Some(&[4, 1, 6][..]));
    assert_eq!(store.get(roll.id).await.unwrap(), roll);

    // Dropped dice are kept; the largest faces and the most dice fit.
    let dropped = store
        .insert(&server_roll("4d6dl1", &[1, 6, 5, 6], None), None)
        .await
        .unwrap();
    assert_eq!(
        (dropped.outcome.get(), faces(&dropped)),
        (17, Some(&[1, 6, 5, 6][..]))
    );
    let widest = store
        .insert(&server_roll("1d4294967295", &[4_294_967_295], None), None)
        .await
        .unwrap();
    assert_eq!(widest.outcome, Outcome::MAX);
    let most = store
        .insert(&server_roll("1000d4000000", &[4_000_000; 1000], None), None)
        .await
        .unwrap();
    assert_eq!(faces(&most).map(<[u32]>::len), Some(1000));
    for stored in [&dropped, &widest, &most] {
        assert_eq!(&store.get(stored.id).await.unwrap(), stored);
    }

    let mixed = store
        .insert_batch(
            &batch([
                new_roll(6, None),
                server_roll("2d6", &[3, 4], Some("ann")),
                reported_roll(6, "1d6", None),
            ]),
            Some(&by_key),
        )
        .await
        .unwrap();
    let shapes: Vec<_> = mixed
        .iter()
        .map(|r| {
            (
                r.outcome.get(),
                r.dice.as_ref().map(ToString::to_string),
                r.faces.clone(),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            (6, None, None),
            (7, Some("2d6".to_owned()), Some(vec![3, 4])),
            (6, Some("1d6".to_owned()), None)
        ]
    );
    let listed = store.list(&ListQuery::new()).await.unwrap().rolls;
    let mut newest_first = mixed.clone();
    newest_first.reverse();
    assert_eq!(listed[..3], newest_first[..]);
    let by_ann = store
        .list(&ListQuery::new().by(actor("ann")))
        .await
        .unwrap();
    assert_eq!(by_ann.rolls, [mixed[1].clone(), roll]);
}

/// An outcome reported with its dice keeps the dice and has no faces.
pub async fn reported_roll_with_dice_round_trips(store: &dyn RollStore) {
    let roll = store
        .insert(&reported_roll(6, "1d6", Some("pat")), None)
        .await
        .unwrap();
    assert_eq!(roll.dice, Some(dice("1d6")));
    assert_eq!(roll.faces, None);
    assert_eq!(store.get(roll.id).await.unwrap(), roll);
    let listed = store.list(&ListQuery::new()).await.unwrap().rolls;
    assert_eq!(listed, std::slice::from_ref(&roll));
    assert_eq!(
        serde_json::to_string(&roll).unwrap(),
        format!(
            r#"{{"id":{},"outcome":6,"dice":"1d6","rolled_by":"pat","created_by":null,"created_at":"{}"}}"#,
            roll.id, roll.created_at
        )
    );
}

/// A roll without dice reads back as rolls always have: no dice, no faces, and
/// not a key more in its JSON.
pub async fn rolls_without_dice_read_as_before(store: &dyn RollStore) {
    let roll = store
        .insert(&new_roll(6, Some("al")), Some(&actor("k")))
        .await
        .unwrap();
    let read = store.get(roll.id).await.unwrap();
    assert_eq!((read.dice.as_ref(), read.faces.as_ref()), (None, None));
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        format!(
            r#"{{"id":{},"outcome":6,"rolled_by":"al","created_by":"k","created_at":"{}"}}"#,
            read.id, read.created_at
        )
    );
}

/// Stats of a notation count the rolls of exactly that canonical notation
/// (rolled by the server or reported with it), never rolls without dice, alone
/// or with `rolled_by`, and carry its fairness; other stats carry none.
pub async fn stats_of_a_notation_count_only_its_rolls(store: &dyn RollStore) {
    let rolls = [
        server_roll("2d6", &[1, 1], Some("ann")),
        server_roll("2d6", &[3, 4], Some("ann")),
        server_roll("2d6", &[6, 6], Some("ann")),
        server_roll("2d6", &[2, 5], Some("ben")),
        server_roll("2d6", &[2, 5], Some("Ann")),
        reported_roll(7, "2d6", Some("ann")),
        server_roll("2d6+0", &[2, 5], Some("ann")),
        server_roll("1d6", &[6], Some("ann")),
        new_roll(7, Some("ann")),
        new_roll(7, None),
    ];
    store.insert_batch(&batch(rolls), None).await.unwrap();

    let two_d6 = || StatsQuery::new().of(dice("2D6"));
    let stats = store.stats(&two_d6()).await.unwrap();
    let per_outcome = |stats: &crate::Stats| {
        let counts = stats.per_outcome.iter().map(|(o, n)| (o.get(), *n));
        counts.collect::<Vec<_>>()
    };
    assert_eq!(per_outcome(&stats), [(2, 1), (7, 4), (12, 1)]);
    assert_eq!((stats.count, stats.mean), (6, Some(42.0 / 6.0)));
    let fairness = stats
        .fairness
        .as_ref()
        .expect("the stats of a notation judge it");
    assert_eq!(fairness.degrees_of_freedom(), 10);
    assert_eq!(fairness.verdict(), Verdict::TooFewRolls);
    let counts = stats.per_outcome.iter().map(|(o, n)| (*o, *n));
    assert_eq!(fairness, &Fairness::of(&dice("2d6"), counts));

    let ann = store.stats(&two_d6().by(actor("ann"))).await.unwrap();
    assert_eq!(per_outcome(&ann), [(2, 1), (7, 2), (12, 1)]);
    assert!(ann.fairness.is_some());

    let all_of_ann = store
        .stats(&StatsQuery::new().by(actor("ann")))
        .await
        .unwrap();
    assert_eq!((all_of_ann.count, all_of_ann.fairness), (7, None));
    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!((all.count, all.fairness), (10, None));

    let none = store
        .stats(&StatsQuery::new().of(dice("3d6")).by(actor("ann")))
        .await
        .unwrap();
    assert_eq!((none.count, none.mean), (0, None));
    assert_eq!(
        none.fairness.map(|f| f.verdict()),
        Some(Verdict::TooFewRolls)
    );
}

/// A retry with the same key records nothing and answers the first faces, even
/// though its own dice (rolled before the store was asked) came up otherwise; a
/// different notation under the key is a conflict.
pub async fn idempotent_replay_keeps_the_first_faces(store: &dyn RollStore) {
    let by_key = actor("key");
    let first = RolledRequest::from(server_roll("3d6", &[1, 2, 3], Some("ida")));
    let retry = RolledRequest::from(server_roll("3d6", &[6, 6, 6], Some("ida")));
    assert_eq!(first.request(), retry.request(), "the same request as sent");

    let recorded = store
        .insert_idempotent(&key("faces"), &first, Some(&by_key))
        .await
        .unwrap();
    assert!(!recorded.replayed);
    let again = store
        .insert_idempotent(&key("faces"), &retry, Some(&by_key))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, recorded.recorded);
    let Recorded::One(roll) = &again.recorded else {
        panic!("one roll asked, got a batch")
    };
    assert_eq!((roll.outcome.get(), faces(roll)), (6, Some(&[1, 2, 3][..])));
    assert_eq!(store.get(roll.id).await.unwrap(), *roll);

    for other in [
        server_roll("3d6+0", &[1, 2, 3], Some("ida")),
        reported_roll(6, "3d6", Some("ida")),
        server_roll("3d6", &[1, 2, 3], None),
    ] {
        match store
            .insert_idempotent(&key("faces"), &RolledRequest::from(other), Some(&by_key))
            .await
        {
            Err(Error::IdempotencyConflict) => {}
            answer => panic!("a different request under the key: {answer:?}"),
        }
    }

    let batch_of = |faces: [u32; 2]| {
        RolledRequest::from(batch([
            server_roll("2d6", &faces, None),
            new_roll(4, None),
            reported_roll(3, "1d4", None),
        ]))
    };
    let first = store
        .insert_idempotent(&key("batch"), &batch_of([1, 1]), None)
        .await
        .unwrap();
    let again = store
        .insert_idempotent(&key("batch"), &batch_of([5, 5]), None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recorded, first.recorded);
    assert_eq!(faces(&again.recorded.rolls()[0]), Some(&[1, 1][..]));
    let all = store.stats(&StatsQuery::new()).await.unwrap();
    assert_eq!(all.count, 4, "replays recorded nothing");
}
