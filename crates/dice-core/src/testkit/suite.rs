//! The list of behaviours, and the macro that makes a test of each.

/// Calls back `$callback! { $($extra)* name, name, ... }` with every
/// behaviour's name: the one list the table and the tests are made from.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_behaviours {
    ([$($callback:tt)+] [$($extra:tt)*]) => {
        $($callback)+! {
            $($extra)*
            insert_returns_the_stored_roll,
            extreme_outcomes_round_trip,
            ids_strictly_increase,
            get_returns_what_insert_returned,
            get_of_an_unknown_id_is_not_found,
            unicode_names_round_trip_exactly,
            batch_is_recorded_in_request_order,
            batch_is_all_or_nothing_to_readers,
            list_is_newest_first_and_filters_by_actor,
            pagination_visits_every_roll_once,
            pagination_under_concurrent_inserts_never_repeats_or_skips,
            cursor_past_the_oldest_roll_gives_an_empty_last_page,
            stats_agree_with_what_was_inserted,
            idempotent_insert_records_once_and_replays,
            idempotent_key_with_a_different_request_conflicts,
            idempotent_keys_are_scoped_by_creator,
            idempotent_batch_replays_the_whole_batch,
            concurrent_idempotent_inserts_record_exactly_once,
            dice_and_faces_round_trip,
            reported_roll_with_dice_round_trips,
            rolls_without_dice_read_as_before,
            stats_of_a_notation_count_only_its_rolls,
            idempotent_replay_keeps_the_first_faces,
            stats_filters_match_names_and_notations_exactly,
            stats_count_concurrent_writers_once,
        }
    };
}

/// Expands to one test function per behaviour of the suite, named after it, so
/// a store's failure is reported by the behaviour's name.
///
/// Give the test attribute your runtime needs and an async function that runs
/// one [`Behaviour`](crate::testkit::Behaviour) on a fresh, empty store:
///
/// ```text
/// use dice_core::testkit::Behaviour;
///
/// async fn check(behaviour: Behaviour) {
///     let store = MyStore::connect_fresh().await;
///     behaviour.run(&store).await;
/// }
///
/// dice_core::conformance_tests!(#[tokio::test] check);
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (#[$attr:meta] $check:path) => {
        $crate::__conformance_behaviours!([$crate::__conformance_test_fns][#[$attr] $check;]);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    (#[$attr:meta] $check:path; $($behaviour:ident),* $(,)?) => {
        $(
            #[$attr]
            async fn $behaviour() {
                $check($crate::testkit::Behaviour::new(
                    ::core::stringify!($behaviour),
                    |store| ::std::boxed::Box::pin($crate::testkit::$behaviour(store)),
                ))
                .await;
            }
        )*
    };
}
