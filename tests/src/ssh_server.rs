//! In-process russh server for deterministic SSH tests.
