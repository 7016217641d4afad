//! The conformance suite every [`KeyRegistry`] must pass (feature `testkit`).
//!
//! **Not a stable API**: it changes as the contract grows; depend on it only
//! from tests.
//!
//! Each behaviour is a public async function taking a fresh [`Target`]: a
//! registry with no keys and no plans, a second handle on the same keys (a
//! second person at another terminal), and a way to record requests as the
//! target's gateway would have counted them. [`conformance_tests!`](crate::conformance_tests)
//! expands to one test per behaviour, named after it. The keys file and API
//! Gateway both run this very suite.

// Test code shipped in the library: a failed expectation panics, as an
// assertion in a `#[test]` does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use async_trait::async_trait;
use dice_core::Timestamp;
pub use futures_util::future::{BoxFuture, join_all};

use crate::{
    Day, KeyId, KeyInfo, KeyName, KeyPlan, KeyRegistry, KeyRequest, NewKey, Period, Plan,
    PlanChoice, PlanName, Quota, RegistryError, Throttle, UsageRange,
};

/// A fresh place to run one behaviour in.
#[async_trait]
pub trait Target: Send + Sync {
    /// The registry under test: no keys, no plans.
    fn registry(&self) -> &dyn KeyRegistry;
    /// Another handle on the same keys, as another person would have.
    async fn other(&self) -> Box<dyn KeyRegistry>;
    /// Records `count` requests by `id` on `day`, as the target's gateway
    /// counts them: the local counters file, or API Gateway's usage data.
    async fn record_requests(&self, id: &KeyId, day: Day, count: u64);
}

/// One behaviour of the suite: its name and how to run it on a target.
#[derive(Clone, Copy)]
pub struct Behaviour {
    /// The behaviour's function name.
    pub name: &'static str,
    check: for<'a> fn(&'a dyn Target) -> BoxFuture<'a, ()>,
}

impl Behaviour {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        check: for<'a> fn(&'a dyn Target) -> BoxFuture<'a, ()>,
    ) -> Self {
        Self { name, check }
    }

    /// Checks the behaviour on `target`, which must be fresh; panics when
    /// the registry breaks it.
    pub async fn run(&self, target: &dyn Target) {
        (self.check)(target).await;
    }
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! __key_registry_behaviours {
    ([$($callback:tt)+] [$($extra:tt)*]) => {
        $($callback)+! {
            $($extra)*
            added_keys_are_listed_enabled_with_their_plan,
            values_are_long_random_and_never_listed,
            disable_and_enable_change_only_the_state,
            deleted_keys_are_gone,
            unknown_ids_are_no_such_key,
            names_in_any_script_round_trip,
            a_hundred_keys_are_all_listed_once,
            a_key_deleted_by_someone_else_before_disable_is_no_such_key,
            concurrent_changes_lose_nothing,
            rotation_gives_the_name_and_plan_to_a_new_key_and_disables_the_old,
            plans_are_listed_with_their_limits,
            keys_move_between_plans,
            an_unknown_plan_is_refused_and_nothing_is_added,
            duplicate_names_are_refused_unless_allowed,
            usage_reports_each_day_and_what_the_quota_left,
            usage_of_every_key_covers_keys_with_a_quota,
            usage_of_a_key_whose_plan_has_no_quota_is_refused,
        }
    };
}

/// Expands to one test function per behaviour, named after it. Give the
/// test attribute and an async function that runs one [`Behaviour`] on a
/// fresh target:
///
/// ```text
/// async fn check(behaviour: dice_keys::testkit::Behaviour) {
///     behaviour.run(&MyTarget::fresh().await).await;
/// }
/// dice_keys::conformance_tests!(#[tokio::test] check);
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (#[$attr:meta] $check:path) => {
        $crate::__key_registry_behaviours!([$crate::__key_registry_test_fns][#[$attr] $check;]);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __key_registry_test_fns {
    (#[$attr:meta] $check:path; $($behaviour:ident),* $(,)?) => {
        $(
            #[$attr]
            async fn $behaviour() {
                $check($crate::testkit::Behaviour::new(
                    ::core::stringify!($behaviour),
                    |target| ::std::boxed::Box::pin($crate::testkit::$behaviour(target)),
                ))
                .await;
            }
        )*
    };
}

macro_rules! behaviour_table {
    ($($behaviour:ident),* $(,)?) => {
        /// Every behaviour, in order.
        pub const BEHAVIOURS: &[Behaviour] = &[
            $(Behaviour::new(stringify!($behaviour), |target| Box::pin($behaviour(target)))),*
        ];
    };
}

crate::__key_registry_behaviours!([behaviour_table][]);

/// A plan name for tests.
pub fn plan_name(text: &str) -> PlanName {
    PlanName::parse(text).unwrap()
}

/// 10 requests per second, bursts of 20, 1000 a day.
pub fn limits() -> Plan {
    Plan {
        throttle: Some(Throttle::new(10.0, 20).unwrap()),
        quota: Some(Quota::new(1000, Period::Day).unwrap()),
    }
}

/// Makes the plan `name` with [`limits`].
pub async fn plan(registry: &dyn KeyRegistry, name: &str) -> PlanName {
    registry
        .add_plan(plan_name(name), limits())
        .await
        .expect("add a plan");
    plan_name(name)
}

/// Adds a key named `name` in the plan `plan`.
pub async fn add(registry: &dyn KeyRegistry, name: &str, plan: &PlanName) -> NewKey {
    registry
        .add(KeyRequest {
            name: KeyName::parse(name).unwrap(),
            plan: PlanChoice::Named(plan.clone()),
            allow_duplicate_name: false,
        })
        .await
        .unwrap_or_else(|err| panic!("add {name:?}: {err}"))
}

async fn listed(registry: &dyn KeyRegistry, id: &KeyId) -> Option<KeyInfo> {
    registry
        .list()
        .await
        .expect("list")
        .into_iter()
        .find(|key| &key.id == id)
}

fn no_such_key<T: std::fmt::Debug>(result: Result<T, RegistryError>, id: &KeyId) {
    match result {
        Err(RegistryError::NoSuchKey(named)) => assert_eq!(named, id.as_str()),
        other => panic!("expected no such key {id}, got {other:?}"),
    }
}

/// A key that does not exist on any target: ids are made of [a-z0-9].
fn missing_id() -> KeyId {
    KeyId::parse("nokey00000").unwrap()
}

/// A new key is listed by its id and name, enabled, in its plan, made now.
pub async fn added_keys_are_listed_enabled_with_their_plan(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let before = Timestamp::now().unwrap().unix_seconds();
    let alice = add(registry, "alice", &gold).await;
    let bob = add(registry, "bob", &gold).await;
    let after = Timestamp::now().unwrap().unix_seconds();

    assert_eq!(alice.key.name.as_str(), "alice");
    assert!(alice.key.enabled);
    assert_eq!(alice.key.plan, KeyPlan::Named(gold.clone()));
    let keys = registry.list().await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for (new, name) in [(&alice, "alice"), (&bob, "bob")] {
        let key = keys.iter().find(|k| k.id == new.key.id).expect("listed");
        assert_eq!(key.name.as_str(), name);
        assert!(key.enabled);
        assert_eq!(key.plan, KeyPlan::Named(gold.clone()));
        let created = key.created.expect("a creation time").unix_seconds();
        // The target's clock may be another machine's: allow a little skew.
        assert!(
            before.saturating_sub(5) <= created && created <= after + 5,
            "created {created} is not the time of the add ({before}..{after})"
        );
    }
}

/// Values are long, differ from key to key and from ids.
pub async fn values_are_long_random_and_never_listed(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let keys = [
        add(registry, "a", &gold).await,
        add(registry, "b", &gold).await,
    ];
    assert!(keys.iter().all(|k| k.value.len() >= 20), "values too short");
    assert_ne!(keys[0].value, keys[1].value);
    assert_ne!(keys[0].key.id, keys[1].key.id);
    let listing = format!("{:?}", registry.list().await.unwrap());
    for key in &keys {
        assert!(!listing.contains(&key.value), "a value was listed");
    }
}

/// Disabling refuses a key from now on; enabling accepts it again; the
/// name and plan stay.
pub async fn disable_and_enable_change_only_the_state(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let key = add(registry, "alice", &gold).await.key;
    let other = add(registry, "bob", &gold).await.key;

    let disabled = registry.set_enabled(&key.id, false).await.unwrap();
    assert_eq!((disabled.enabled, &disabled.name), (false, &key.name));
    let listed_key = listed(registry, &key.id).await.unwrap();
    assert!(!listed_key.enabled);
    assert_eq!(listed_key.plan, KeyPlan::Named(gold.clone()));
    assert!(
        listed(registry, &other.id).await.unwrap().enabled,
        "only one key changes"
    );

    let enabled = registry.set_enabled(&key.id, true).await.unwrap();
    assert!(enabled.enabled);
    assert!(listed(registry, &key.id).await.unwrap().enabled);
}

/// A deleted key is no longer listed, and deleting it again is no such key.
pub async fn deleted_keys_are_gone(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let key = add(registry, "alice", &gold).await.key;
    let kept = add(registry, "bob", &gold).await.key;

    let deleted = registry.delete(&key.id).await.unwrap();
    assert_eq!(deleted.name, key.name);
    assert!(listed(registry, &key.id).await.is_none());
    assert!(listed(registry, &kept.id).await.is_some());
    no_such_key(registry.delete(&key.id).await, &key.id);
}

/// Every call naming a key that does not exist says so, and changes nothing.
pub async fn unknown_ids_are_no_such_key(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    add(registry, "alice", &gold).await;
    let before = registry.list().await.unwrap();
    let id = missing_id();
    no_such_key(registry.set_enabled(&id, false).await, &id);
    no_such_key(registry.set_enabled(&id, true).await, &id);
    no_such_key(registry.delete(&id).await, &id);
    no_such_key(registry.rotate(&id, None).await, &id);
    no_such_key(registry.set_plan(&id, PlanChoice::Named(gold)).await, &id);
    let range = UsageRange::new(Day::today(), 1).unwrap();
    no_such_key(registry.usage(Some(&id), range).await, &id);
    assert_eq!(registry.list().await.unwrap(), before);
}

/// Names in any script, emoji included, come back exactly.
pub async fn names_in_any_script_round_trip(target: &dyn Target) {
    let registry = target.registry();
    let plan = plan(registry, "plan ünïcode 計画").await;
    let names = ["Zoë Ådahl", "名前", "🎲 table", "Ωμέγα"];
    for name in names {
        add(registry, name, &plan).await;
    }
    let keys = registry.list().await.unwrap();
    for name in names {
        let key = keys.iter().find(|k| k.name.as_str() == name);
        let key = key.unwrap_or_else(|| panic!("{name:?} not listed: {keys:?}"));
        assert_eq!(key.plan, KeyPlan::Named(plan.clone()));
    }
    let plans = registry.plans().await.unwrap();
    assert!(plans.iter().any(|p| p.name == plan), "{plans:?}");
}

/// 100 keys (API Gateway lists 25 a page) are all listed, each once.
pub async fn a_hundred_keys_are_all_listed_once(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let mut added = HashSet::new();
    for chunk in 0..10 {
        let names: Vec<String> = (0..10).map(|n| format!("key-{}", chunk * 10 + n)).collect();
        let keys = join_all(names.iter().map(|name| add(registry, name, &gold))).await;
        added.extend(keys.into_iter().map(|k| k.key.id));
    }
    assert_eq!(added.len(), 100);
    let keys = registry.list().await.unwrap();
    let ids: Vec<&KeyId> = keys.iter().map(|k| &k.id).collect();
    let unique: HashSet<&KeyId> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "a key was listed twice");
    assert_eq!(unique.len(), 100, "{} keys listed", unique.len());
    assert!(added.iter().all(|id| unique.contains(id)));
}

/// A key listed, then deleted by another person, cannot be disabled: the
/// error says no such key, and nothing else changes.
pub async fn a_key_deleted_by_someone_else_before_disable_is_no_such_key(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let key = add(registry, "alice", &gold).await.key;
    let kept = add(registry, "bob", &gold).await.key;
    assert!(listed(registry, &key.id).await.is_some());

    target.other().await.delete(&key.id).await.unwrap();

    no_such_key(registry.set_enabled(&key.id, false).await, &key.id);
    assert!(listed(registry, &key.id).await.is_none(), "not re-created");
    assert!(listed(registry, &kept.id).await.unwrap().enabled);
}

/// Changes made at the same time, from two handles, are all kept.
pub async fn concurrent_changes_lose_nothing(target: &dyn Target) {
    let registry = target.registry();
    let other = target.other().await;
    let gold = plan(registry, "gold").await;
    let names: Vec<String> = (0..12).map(|n| format!("client {n}")).collect();
    let added = join_all(names.iter().enumerate().map(|(n, name)| {
        let handle: &dyn KeyRegistry = if n % 2 == 0 { registry } else { &*other };
        add(handle, name, &gold)
    }))
    .await;
    let disabled: Vec<&KeyId> = added.iter().step_by(3).map(|k| &k.key.id).collect();
    let results = join_all(disabled.iter().enumerate().map(|(n, id)| {
        let handle: &dyn KeyRegistry = if n % 2 == 0 { registry } else { &*other };
        handle.set_enabled(id, false)
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let keys = registry.list().await.unwrap();
    assert_eq!(keys.len(), names.len(), "{keys:?}");
    for key in &keys {
        assert_eq!(key.enabled, !disabled.contains(&&key.id), "{key:?}");
    }
}

/// Rotation makes a new enabled key with the old one's name and plan, a new
/// value, and disables the old key at once.
pub async fn rotation_gives_the_name_and_plan_to_a_new_key_and_disables_the_old(
    target: &dyn Target,
) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let old = add(registry, "alice", &gold).await;

    let rotated = registry.rotate(&old.key.id, None).await.unwrap();
    assert_ne!(rotated.new.key.id, old.key.id);
    assert_ne!(rotated.new.value, old.value);
    assert_eq!(rotated.new.key.name, old.key.name);
    assert_eq!(rotated.old.id, old.key.id);
    assert!(!rotated.old.enabled);

    let new = listed(registry, &rotated.new.key.id)
        .await
        .expect("new key listed");
    assert!(new.enabled);
    assert_eq!(new.plan, KeyPlan::Named(gold));
    assert!(!listed(registry, &old.key.id).await.unwrap().enabled);
}

/// A plan is listed with the throttle and quota it was made with; a second
/// plan of the same name is refused.
pub async fn plans_are_listed_with_their_limits(target: &dyn Target) {
    let registry = target.registry();
    let throttle_only = Plan {
        throttle: Some(Throttle::new(2.5, 5).unwrap()),
        quota: None,
    };
    let weekly = Plan {
        throttle: Some(Throttle::new(100.0, 200).unwrap()),
        quota: Some(Quota::new(5000, Period::Week).unwrap()),
    };
    let monthly = Plan {
        throttle: None,
        quota: Some(Quota::new(7, Period::Month).unwrap()),
    };
    for (name, limits) in [
        ("slow", throttle_only),
        ("weekly", weekly),
        ("monthly", monthly),
    ] {
        let made = registry.add_plan(plan_name(name), limits).await.unwrap();
        assert_eq!((made.name.as_str(), made.limits), (name, limits));
    }
    let plans = registry.plans().await.unwrap();
    for (name, limits) in [
        ("slow", throttle_only),
        ("weekly", weekly),
        ("monthly", monthly),
    ] {
        let plan = plans.iter().find(|p| p.name.as_str() == name);
        assert_eq!(plan.map(|p| p.limits), Some(limits), "{plans:?}");
    }
    match registry.add_plan(plan_name("slow"), monthly).await {
        Err(RegistryError::DuplicatePlan(name)) => assert_eq!(name, "slow"),
        other => panic!("expected a duplicate plan, got {other:?}"),
    }
    assert_eq!(registry.plans().await.unwrap().len(), 3);
}

/// A key moved to another plan is listed in it, and only there.
pub async fn keys_move_between_plans(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let silver = plan(registry, "silver").await;
    let key = add(registry, "alice", &gold).await.key;

    let moved = registry
        .set_plan(&key.id, PlanChoice::Named(silver.clone()))
        .await
        .unwrap();
    assert_eq!(moved.plan, KeyPlan::Named(silver.clone()));
    assert_eq!(
        listed(registry, &key.id).await.unwrap().plan,
        KeyPlan::Named(silver)
    );
}

/// Adding a key to a plan that does not exist adds nothing.
pub async fn an_unknown_plan_is_refused_and_nothing_is_added(target: &dyn Target) {
    let registry = target.registry();
    plan(registry, "gold").await;
    let result = registry
        .add(KeyRequest {
            name: KeyName::parse("alice").unwrap(),
            plan: PlanChoice::Named(plan_name("platinum")),
            allow_duplicate_name: false,
        })
        .await;
    match result {
        Err(RegistryError::NoSuchPlan(name)) => assert_eq!(name, "platinum"),
        other => panic!("expected no such plan, got {other:?}"),
    }
    assert_eq!(registry.list().await.unwrap(), []);
}

/// A second key with a name already taken is refused, unless asked for.
pub async fn duplicate_names_are_refused_unless_allowed(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let first = add(registry, "alice", &gold).await.key;
    let request = |allow| KeyRequest {
        name: KeyName::parse("alice").unwrap(),
        plan: PlanChoice::Named(gold.clone()),
        allow_duplicate_name: allow,
    };
    match registry.add(request(false)).await {
        Err(RegistryError::DuplicateName { name, id }) => {
            assert_eq!((name.as_str(), id.as_str()), ("alice", first.id.as_str()));
        }
        other => panic!("expected a duplicate name, got {other:?}"),
    }
    assert_eq!(registry.list().await.unwrap().len(), 1);
    registry.add(request(true)).await.unwrap();
    assert_eq!(registry.list().await.unwrap().len(), 2);
}

/// Usage gives every day of the range, oldest first, with the requests of
/// that day and what the quota had left at its end.
pub async fn usage_reports_each_day_and_what_the_quota_left(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await; // 1000 a day
    let key = add(registry, "alice", &gold).await.key;
    let idle = add(registry, "bob", &gold).await.key;
    let today = Day::today();
    target.record_requests(&key.id, today.minus(1), 5).await;
    target.record_requests(&key.id, today, 3).await;

    let range = UsageRange::new(today, 3).unwrap();
    let report = registry.usage(Some(&key.id), range).await.unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!((&report[0].id, &report[0].name), (&key.id, &key.name));
    let days: Vec<(Day, u64, u64)> = report[0]
        .days
        .iter()
        .map(|d| (d.day, d.used, d.remaining))
        .collect();
    assert_eq!(
        days,
        [
            (today.minus(2), 0, 1000),
            (today.minus(1), 5, 995),
            (today, 3, 997),
        ]
    );
    let report = registry.usage(Some(&idle.id), range).await.unwrap();
    assert!(
        report[0]
            .days
            .iter()
            .all(|d| d.used == 0 && d.remaining == 1000)
    );
}

/// Usage of every key lists each key whose plan has a quota.
pub async fn usage_of_every_key_covers_keys_with_a_quota(target: &dyn Target) {
    let registry = target.registry();
    let gold = plan(registry, "gold").await;
    let alice = add(registry, "alice", &gold).await.key;
    let bob = add(registry, "bob", &gold).await.key;
    target.record_requests(&bob.id, Day::today(), 2).await;

    let range = UsageRange::new(Day::today(), 1).unwrap();
    let report = registry.usage(None, range).await.unwrap();
    let used = |id: &KeyId| {
        report
            .iter()
            .find(|k| &k.id == id)
            .map(|k| k.days.iter().map(|d| d.used).sum::<u64>())
    };
    assert_eq!(used(&alice.id), Some(0), "{report:?}");
    assert_eq!(used(&bob.id), Some(2), "{report:?}");
}

/// A key whose plan only throttles has no quota to report against: the
/// error says so.
pub async fn usage_of_a_key_whose_plan_has_no_quota_is_refused(target: &dyn Target) {
    let registry = target.registry();
    let plan = Plan {
        throttle: Some(Throttle::new(5.0, 10).unwrap()),
        quota: None,
    };
    registry
        .add_plan(plan_name("throttle only"), plan)
        .await
        .unwrap();
    let key = add(registry, "alice", &plan_name("throttle only"))
        .await
        .key;
    let range = UsageRange::new(Day::today(), 1).unwrap();
    match registry.usage(Some(&key.id), range).await {
        Err(RegistryError::NoQuota { id, .. }) => assert_eq!(id, key.id.as_str()),
        other => panic!("expected no quota, got {other:?}"),
    }
}
