//! Mockall mocks of navi collaborators.
