//! Mockall mocks of navi collaborators.

use async_trait::async_trait;
use mockall::mock;
use navi_core::{
    AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SourceError,
};

mock! {
    /// A scripted [`SessionSource`]: set expectations on `label`, `poll_report` and `attach`.
    pub Source {}

    #[async_trait]
    impl SessionSource for Source {
        fn label(&self) -> Option<&'static str>;
        async fn poll_report(&self) -> Result<PollReport, SourceError>;
        fn attach(&self, session: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError>;
    }
}

impl std::fmt::Debug for MockSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MockSource")
    }
}
