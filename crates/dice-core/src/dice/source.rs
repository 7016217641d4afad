//! Random sources for rolling: the operating system's, read in blocks, and an
//! adapter that lets a source that can fail feed `rand`'s `Uniform`.

use rand::rand_core::{OsError, OsRng};
use rand::{RngCore, TryRngCore};

/// The operating system's random source failed, so nothing was rolled.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct EntropyError(#[from] OsError);

/// How many bytes one read of the OS source fetches: 64 draws of a `u32`.
const BLOCK: usize = 256;

/// The OS's CSPRNG (`getrandom`), read `BLOCK` bytes at a time so that a roll of
/// many dice costs a few system calls, not one per die. Made afresh for each
/// roll (or request): bytes it did not use are dropped with it, never used for another.
pub(crate) struct OsSource {
    block: [u8; BLOCK],
    used: usize,
}

impl OsSource {
    pub(crate) fn new() -> Self {
        Self {
            block: [0; BLOCK],
            used: BLOCK,
        }
    }
}

impl TryRngCore for OsSource {
    type Error = OsError;

    fn try_next_u32(&mut self) -> Result<u32, OsError> {
        if self.used + 4 > BLOCK {
            OsRng.try_fill_bytes(&mut self.block)?;
            self.used = 0;
        }
        let mut word = [0; 4];
        word.copy_from_slice(&self.block[self.used..self.used + 4]);
        self.used += 4;
        Ok(u32::from_le_bytes(word))
    }

    fn try_next_u64(&mut self) -> Result<u64, OsError> {
        let low = self.try_next_u32()?;
        let high = self.try_next_u32()?;
        Ok(u64::from(high) << 32 | u64::from(low))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), OsError> {
        OsRng.try_fill_bytes(dst)
    }
}

/// Lends a source that can fail to `rand`'s `Uniform`, which draws from one that
/// cannot. The first failure is kept for the caller, who then discards the roll.
///
/// After a failure every draw is all ones. `Uniform<u32>` rejects a draw `x` only
/// when the low word of `x · range` is below `2^32 mod range`; for `x = 2^32 - 1`
/// that low word is `2^32 - range`, never below it, so the draw in progress ends at
/// once instead of looping on a source that will never answer.
pub(super) struct Recorder<'a, R: TryRngCore + ?Sized> {
    rng: &'a mut R,
    failure: Option<R::Error>,
}

impl<'a, R: TryRngCore + ?Sized> Recorder<'a, R> {
    pub(super) fn new(rng: &'a mut R) -> Self {
        Self { rng, failure: None }
    }

    /// The first failure of the source, if it failed.
    pub(super) fn take_failure(&mut self) -> Option<R::Error> {
        self.failure.take()
    }

    fn record<T>(&mut self, draw: Result<T, R::Error>, filler: T) -> T {
        draw.unwrap_or_else(|err| {
            self.failure.get_or_insert(err);
            filler
        })
    }
}

impl<R: TryRngCore + ?Sized> RngCore for Recorder<'_, R> {
    fn next_u32(&mut self) -> u32 {
        if self.failure.is_some() {
            return u32::MAX;
        }
        let draw = self.rng.try_next_u32();
        self.record(draw, u32::MAX)
    }

    fn next_u64(&mut self) -> u64 {
        if self.failure.is_some() {
            return u64::MAX;
        }
        let draw = self.rng.try_next_u64();
        self.record(draw, u64::MAX)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        if self.failure.is_none() {
            let draw = self.rng.try_fill_bytes(dst);
            self.record(draw, ());
        }
        if self.failure.is_some() {
            dst.fill(u8::MAX);
        }
    }
}
