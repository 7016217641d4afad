//! A Runtime API emulator (filled in below).
