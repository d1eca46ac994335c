//! Domain values shared by every layer: typed URNs and the typed cursor. They depend on
//! nothing in the crate.

pub(crate) mod cursor;
pub mod urn;

pub use cursor::Cursor;
