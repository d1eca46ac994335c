//! The LinkedIn REST client. It knows HTTP, Rest.li, auth, retries, paging and LinkedIn's
//! envelopes, and nothing of the sync, the streams, the config or the output protocol.

pub(crate) mod auth;
pub(crate) mod breaker;
pub(crate) mod client;
mod http;
pub(crate) mod orgs;
pub(crate) mod pager;
pub(crate) mod restli;
pub(crate) mod retry;
pub(crate) mod wire;
