//! Counts of rolls per outcome for every filter `stats` offers, kept as rolls
//! are appended, so `stats` costs the same at any number of rolls: the same
//! rule as `MysqlStore`'s counts table, in memory.

use std::collections::{BTreeMap, HashMap};

use dice_core::{Actor, Outcome, Roll, StatsQuery};

/// A filter of `stats`: a roller, a notation (in canonical form, as the MySQL
/// store compares it), both, or neither.
type Filter = (Option<Actor>, Option<String>);

#[derive(Debug, Default)]
pub(crate) struct Counts(HashMap<Filter, BTreeMap<Outcome, u64>>);

impl Counts {
    /// Counts `roll` under each of the four filters it matches.
    pub(crate) fn add(&mut self, roll: &Roll) {
        let by = roll.rolled_by.clone();
        let dice = roll.dice.as_ref().map(ToString::to_string);
        let mut filters = vec![(None, None)];
        if by.is_some() {
            filters.push((by.clone(), None));
        }
        if dice.is_some() {
            filters.push((None, dice.clone()));
        }
        if by.is_some() && dice.is_some() {
            filters.push((by, dice));
        }
        for filter in filters {
            *self
                .0
                .entry(filter)
                .or_default()
                .entry(roll.outcome)
                .or_insert(0) += 1;
        }
    }

    /// The counts per outcome of the rolls `query` selects.
    pub(crate) fn of(&self, query: &StatsQuery) -> impl Iterator<Item = (Outcome, u64)> + '_ {
        let filter = (
            query.rolled_by().cloned(),
            query.dice().map(ToString::to_string),
        );
        self.0
            .get(&filter)
            .into_iter()
            .flat_map(|per_outcome| per_outcome.iter().map(|(o, n)| (*o, *n)))
    }
}
