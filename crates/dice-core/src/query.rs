//! Listing rolls: [`ListQuery`], its [`Limit`] and [`Cursor`], and the [`Page`] it returns.

use std::fmt;

use crate::{Actor, Dice, ErrorCode, InvalidInput, Roll, RollId};

/// How many rolls one page holds: 1 to 1000, 50 unless the client says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Limit(u16);

impl Limit {
    /// The page size when the client gives none.
    pub const DEFAULT: Self = Self(50);
    /// The largest page.
    pub const MAX: Self = Self(1000);

    /// A limit of `n`, refused outside 1..=1000.
    pub fn new(n: u64) -> Result<Self, InvalidInput> {
        u16::try_from(n)
            .ok()
            .filter(|n| (1..=Self::MAX.0).contains(n))
            .map(Self)
            .ok_or_else(invalid_limit)
    }

    /// Parses the `limit` query parameter: decimal digits, 1 to 1000.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_limit());
        }
        text.parse()
            .map_err(|_| invalid_limit())
            .and_then(Self::new)
    }

    /// The number of rolls.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

fn invalid_limit() -> InvalidInput {
    InvalidInput::new(ErrorCode::InvalidLimit, "must be an integer from 1 to 1000").at("limit")
}

/// Where the next page starts: an opaque token from [`Page::next_cursor`].
///
/// Pages are keyed on the id, not on an offset, so rolls recorded while a client
/// pages never make it see a roll twice or miss one that existed when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor(RollId);

impl Cursor {
    /// The cursor for the page that continues after `last`, the final roll of a page.
    pub fn after(last: RollId) -> Self {
        Self(last)
    }

    /// The page continues with rolls whose id is below this one.
    pub fn before_id(self) -> RollId {
        self.0
    }

    /// Parses a token that [`Cursor`]'s `Display` produced.
    pub fn parse(token: &str) -> Result<Self, InvalidInput> {
        token
            .strip_prefix('r')
            .filter(|hex| {
                !hex.is_empty()
                    && !hex.starts_with('0')
                    && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(RollId::new)
            .map(Self)
            .ok_or_else(|| {
                InvalidInput::new(
                    ErrorCode::InvalidCursor,
                    "is not a cursor this API returned",
                )
                .at("cursor")
            })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{:x}", self.0.get())
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which rolls to list: newest first, optionally only one actor's, one page at a time.
///
/// ```
/// use dice_core::{ListQuery, Limit};
///
/// let query = ListQuery::from_params([("rolled_by", "alice"), ("limit", "10")])?;
/// assert_eq!(query.rolled_by().map(|a| a.as_str()), Some("alice"));
/// assert_eq!(query.limit(), Limit::new(10)?);
/// assert!(ListQuery::from_params([("limt", "10")]).is_err());
/// # Ok::<(), dice_core::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    rolled_by: Option<Actor>,
    limit: Limit,
    cursor: Option<Cursor>,
}

impl ListQuery {
    /// The first page of all rolls, [`Limit::DEFAULT`] at a time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only rolls by `actor`.
    #[must_use]
    pub fn by(mut self, actor: Actor) -> Self {
        self.rolled_by = Some(actor);
        self
    }

    /// At most `limit` rolls.
    #[must_use]
    pub fn limit_to(mut self, limit: Limit) -> Self {
        self.limit = limit;
        self
    }

    /// The page that continues at `cursor`.
    #[must_use]
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.cursor = Some(cursor);
        self
    }

    /// Builds a query from query-string parameters `rolled_by`, `limit` and `cursor`.
    ///
    /// An empty value counts as absent. An unknown or repeated parameter is refused,
    /// as unknown body fields are: a typo must not silently list everything.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, InvalidInput> {
        let [rolled_by, limit, cursor] = known_params(["rolled_by", "limit", "cursor"], params)?;
        Ok(Self {
            rolled_by: rolled_by.map(parse_rolled_by).transpose()?,
            limit: limit.map(Limit::parse).transpose()?.unwrap_or_default(),
            cursor: cursor.map(Cursor::parse).transpose()?,
        })
    }

    /// The actor filter, if any.
    pub fn rolled_by(&self) -> Option<&Actor> {
        self.rolled_by.as_ref()
    }

    /// The page size.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Where the page starts; `None` for the newest roll.
    pub fn cursor(&self) -> Option<Cursor> {
        self.cursor
    }
}

/// Which rolls to sum up: all, one actor's, those of one notation, or one
/// actor's of one notation. Asking for a notation adds its
/// [`Fairness`](crate::Fairness) to the stats; rolls recorded without dice are
/// never counted then.
///
/// ```
/// use dice_core::{ErrorCode, StatsQuery};
///
/// let query = StatsQuery::from_params([("rolled_by", "alice"), ("dice", "2D6")])?;
/// assert_eq!(query.rolled_by().map(|a| a.as_str()), Some("alice"));
/// assert_eq!(query.dice().map(|d| d.to_string()).as_deref(), Some("2d6"));
/// assert!(StatsQuery::from_params([("limit", "5")]).is_err());
///
/// let err = StatsQuery::from_params([("dice", "2d6++1")]).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidDice);
/// assert_eq!(err.to_string(), "dice: expected a number or a die (like 2d6) at position 5");
/// # Ok::<(), dice_core::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsQuery {
    rolled_by: Option<Actor>,
    dice: Option<Dice>,
}

impl StatsQuery {
    /// Every roll.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only rolls by `actor`.
    #[must_use]
    pub fn by(mut self, actor: Actor) -> Self {
        self.rolled_by = Some(actor);
        self
    }

    /// Only rolls of `dice` (rolled by the server or reported with them), and
    /// their fairness.
    #[must_use]
    pub fn of(mut self, dice: Dice) -> Self {
        self.dice = Some(dice);
        self
    }

    /// Builds the query from the query-string parameters `rolled_by` and `dice`
    /// (any accepted notation, compared in canonical form), with the rules of
    /// [`ListQuery::from_params`].
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, InvalidInput> {
        let [rolled_by, dice] = known_params(["rolled_by", "dice"], params)?;
        Ok(Self {
            rolled_by: rolled_by.map(parse_rolled_by).transpose()?,
            dice: dice
                .map(|text| Dice::parse(text).map_err(|e| InvalidInput::from(e).at("dice")))
                .transpose()?,
        })
    }

    /// The actor filter, if any.
    pub fn rolled_by(&self) -> Option<&Actor> {
        self.rolled_by.as_ref()
    }

    /// The notation filter, if any.
    pub fn dice(&self) -> Option<&Dice> {
        self.dice.as_ref()
    }
}

fn parse_rolled_by(value: &str) -> Result<Actor, InvalidInput> {
    Actor::parse(value).map_err(|e| e.at("rolled_by"))
}

/// The values of the parameters `names`, in that order. Unknown and repeated
/// names are refused; empty values count as absent.
fn known_params<'a, const N: usize>(
    names: [&'static str; N],
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<[Option<&'a str>; N], InvalidInput> {
    let mut values = [None; N];
    let mut seen = [false; N];
    for (name, value) in params {
        let Some(slot) = names.iter().position(|known| *known == name) else {
            let shown: String = name.chars().take(64).collect();
            return Err(InvalidInput::new(
                ErrorCode::UnknownParameter,
                format!(
                    "is not a parameter of this route (expected {})",
                    names.join(", ")
                ),
            )
            .at(shown));
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(
                InvalidInput::new(ErrorCode::DuplicateField, "appears more than once").at(name),
            );
        }
        values[slot] = Some(value).filter(|v| !v.is_empty());
    }
    Ok(values)
}

/// One page of a listing, newest first.
///
/// Serialises as `{"rolls": [...], "next_cursor": "..."}`, with `null` on the last page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    /// The rolls, newest first.
    pub rolls: Vec<Roll>,
    /// The cursor of the following page; `None` when no older roll matches.
    pub next_cursor: Option<Cursor>,
}

impl Page {
    /// Builds a page from up to `limit + 1` matching rolls, newest first: the
    /// extra one, when there, only says another page exists.
    ///
    /// Stores fetch one row more than the limit so the last page is known to be
    /// last without another round trip.
    pub fn from_overfetch(mut rolls: Vec<Roll>, limit: Limit) -> Self {
        let next_cursor = if rolls.len() > limit.get() {
            rolls.truncate(limit.get());
            rolls.last().map(|last| Cursor::after(last.id))
        } else {
            None
        };
        Self { rolls, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limit_bounds_are_exact() {
        assert_eq!(Limit::parse("1").unwrap().get(), 1);
        assert_eq!(Limit::parse("1000").unwrap(), Limit::MAX);
        for bad in [
            "0",
            "1001",
            "-1",
            "+5",
            "5.0",
            "",
            "99999999999999999999",
            " 5",
        ] {
            assert_eq!(
                Limit::parse(bad).unwrap_err().code(),
                ErrorCode::InvalidLimit,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn params_default_and_treat_empty_as_absent() {
        let query =
            ListQuery::from_params([("rolled_by", ""), ("limit", ""), ("cursor", "")]).unwrap();
        assert_eq!(query, ListQuery::new());
        assert_eq!(query.limit(), Limit::DEFAULT);
    }

    #[test]
    fn params_refuse_unknown_repeated_and_invalid_values() {
        let code = |params: &[(&str, &str)]| {
            ListQuery::from_params(params.iter().copied())
                .unwrap_err()
                .code()
        };
        assert_eq!(code(&[("limt", "5")]), ErrorCode::UnknownParameter);
        assert_eq!(
            code(&[("limit", "5"), ("limit", "6")]),
            ErrorCode::DuplicateField
        );
        assert_eq!(code(&[("rolled_by", " ")]), ErrorCode::InvalidRolledBy);
        assert_eq!(code(&[("cursor", "nope")]), ErrorCode::InvalidCursor);
    }

    #[test]
    fn cursor_tokens_are_canonical() {
        for bad in ["r", "r0", "r01", "rA", "x1", "1", "r100000000", "r-1"] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn overfetch_sets_the_cursor_only_when_more_exist() {
        use crate::{NewRoll, Outcome, Timestamp};
        let roll = |id| {
            NewRoll::new(Outcome::new(1), None).into_roll(
                RollId::new(id).unwrap(),
                None,
                Timestamp::UNIX_EPOCH,
            )
        };
        let limit = Limit::new(2).unwrap();
        let full = Page::from_overfetch(vec![roll(9), roll(8), roll(7)], limit);
        assert_eq!(full.rolls.len(), 2);
        assert_eq!(
            full.next_cursor,
            Some(Cursor::after(RollId::new(8).unwrap()))
        );
        let last = Page::from_overfetch(vec![roll(9), roll(8)], limit);
        assert_eq!(last.next_cursor, None);
    }

    proptest! {
        #[test]
        fn cursors_round_trip(id in 1..=u32::MAX) {
            let cursor = Cursor::after(RollId::new(id).unwrap());
            prop_assert_eq!(Cursor::parse(&cursor.to_string()), Ok(cursor));
        }

        #[test]
        fn arbitrary_params_never_panic(name in ".{0,12}", value in ".{0,80}") {
            let _ = ListQuery::from_params([(name.as_str(), value.as_str())]);
        }
    }
}
