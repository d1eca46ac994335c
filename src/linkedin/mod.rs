//! The LinkedIn REST client. It knows HTTP, Rest.li, auth and retries, and nothing of
//! the sync or the output protocol.

pub mod breaker;
pub mod client;
pub mod restli;
pub mod retry;
pub mod urn;
