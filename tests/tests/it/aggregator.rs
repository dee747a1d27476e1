//! aggregator tests
