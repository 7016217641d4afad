//! The notation's grammar: characters in, terms out, each refusal naming its place.

use rand::distr::Uniform;

use super::{Dice, DiceError, Keep, RollTerm, Term, TermKind};

/// The most dice one term may roll.
const MAX_COUNT: u32 = 1000;

/// The terms of `input`, each checked on its own; the notation as a whole is
/// checked by [`Dice::parse`].
pub(super) fn terms(input: &str) -> Result<Vec<Term>, DiceError> {
    if input.chars().nth(Dice::MAX_CHARS).is_some() {
        return Err(DiceError::TooLong);
    }
    let mut cursor = Cursor::new(input)?;
    let mut terms = vec![cursor.term(false)?];
    while let Some(sign) = cursor.next() {
        let negative = match sign.lower {
            '+' => false,
            '-' => true,
            _ => return Err(sign.unexpected()),
        };
        terms.push(cursor.term(negative)?);
    }
    Ok(terms)
}

/// A character of the input that is not a space.
#[derive(Clone, Copy)]
struct Char {
    /// From 1, counting every character of the input.
    position: usize,
    written: char,
    lower: char,
}

impl Char {
    fn unexpected(self) -> DiceError {
        DiceError::UnexpectedCharacter {
            found: self.written,
            position: self.position,
        }
    }
}

struct Cursor {
    chars: Vec<Char>,
    next: usize,
    /// The position just past the input, where a missing part is reported.
    end: usize,
}

/// Digits as written, and their value when it fits a `u32`.
struct Number {
    text: String,
    value: Option<u32>,
}

impl Cursor {
    /// Drops the spaces, refusing any character the notation never uses.
    fn new(input: &str) -> Result<Self, DiceError> {
        let mut chars = Vec::new();
        let mut end = 1;
        for (index, written) in input.chars().enumerate() {
            end = index + 2;
            if written == ' ' {
                continue;
            }
            let c = Char {
                position: index + 1,
                written,
                lower: written.to_ascii_lowercase(),
            };
            if !matches!(c.lower, '0'..='9' | 'd' | 'k' | 'h' | 'l' | '%' | '+' | '-') {
                return Err(c.unexpected());
            }
            chars.push(c);
        }
        if chars.is_empty() {
            return Err(DiceError::Empty);
        }
        Ok(Self {
            chars,
            next: 0,
            end,
        })
    }

    fn peek(&self) -> Option<Char> {
        self.chars.get(self.next).copied()
    }

    fn next(&mut self) -> Option<Char> {
        let c = self.peek()?;
        self.next += 1;
        Some(c)
    }

    /// Where the next character is, or the end.
    fn position(&self) -> usize {
        self.peek().map_or(self.end, |c| c.position)
    }

    fn eat(&mut self, lower: char) -> bool {
        let found = self.peek().is_some_and(|c| c.lower == lower);
        if found {
            self.next += 1;
        }
        found
    }

    fn number(&mut self) -> Option<Number> {
        let mut text = String::new();
        let mut value = Some(0u32);
        while let Some(c) = self.peek().filter(|c| c.lower.is_ascii_digit()) {
            self.next += 1;
            text.push(c.lower);
            let digit = c.lower.to_digit(10);
            value = value.and_then(|v| v.checked_mul(10)?.checked_add(digit?));
        }
        (!text.is_empty()).then_some(Number { text, value })
    }

    fn term(&mut self, negative: bool) -> Result<Term, DiceError> {
        let start = self.position();
        let count = self.number();
        let kind = if self.eat('d') {
            TermKind::Roll(self.roll(count)?)
        } else if let Some(constant) = count {
            let value = constant.value.ok_or(DiceError::ConstantOutOfRange {
                found: constant.text,
            })?;
            TermKind::Constant(value)
        } else {
            return Err(DiceError::ExpectedTerm { position: start });
        };
        Ok(Term { negative, kind })
    }

    /// The rest of a term after its `d`.
    fn roll(&mut self, count: Option<Number>) -> Result<RollTerm, DiceError> {
        let count = match count {
            None => 1,
            Some(n) => n
                .value
                .filter(|v| (1..=MAX_COUNT).contains(v))
                .ok_or(DiceError::DiceCountOutOfRange { found: n.text })?,
        };
        let sides = self.sides()?;
        let uniform = Uniform::new_inclusive(1, sides).map_err(|_| DiceError::SidesOutOfRange {
            found: sides.to_string(),
        })?;
        let keep = self.keep(count)?;
        Ok(RollTerm {
            count,
            sides,
            keep,
            uniform,
        })
    }

    fn sides(&mut self) -> Result<u32, DiceError> {
        if self.eat('%') {
            return Ok(100);
        }
        let position = self.position();
        let sides = self.number().ok_or(DiceError::MissingSides { position })?;
        sides
            .value
            .filter(|&v| v >= 2)
            .ok_or(DiceError::SidesOutOfRange { found: sides.text })
    }

    /// An optional keep or drop, checked against the `count` dice of its term.
    fn keep(&mut self, count: u32) -> Result<Keep, DiceError> {
        let Some(first) = self.peek() else {
            return Ok(Keep::All);
        };
        let (operator, make): (&'static str, fn(u32) -> Keep) = match first.lower {
            'k' => {
                self.next += 1;
                if self.eat('l') {
                    ("kl", Keep::Lowest)
                } else {
                    self.eat('h');
                    ("kh", Keep::Highest)
                }
            }
            'd' => {
                self.next += 1;
                if self.eat('l') {
                    ("dl", Keep::DropLowest)
                } else if self.eat('h') {
                    ("dh", Keep::DropHighest)
                } else {
                    return Err(first.unexpected());
                }
            }
            _ => return Ok(Keep::All),
        };
        let position = self.position();
        let n = self
            .number()
            .ok_or(DiceError::MissingKeepCount { operator, position })?;
        let keeps = operator.starts_with('k');
        let allowed = if keeps { 1..=count } else { 1..=count - 1 };
        match n.value.filter(|v| allowed.contains(v)) {
            Some(v) => Ok(make(v)),
            None if keeps => Err(DiceError::KeepCountOutOfRange {
                found: n.text,
                dice: count,
            }),
            None => Err(DiceError::DropCountOutOfRange {
                found: n.text,
                dice: count,
            }),
        }
    }
}
