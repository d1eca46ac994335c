//! The shared access-token store. Every request reads the current token and its version;
//! a 401 asks for a renewal *of that version*, so when many requests fail on the same
//! expired token only the first refreshes (the others find a newer version and retry with
//! it), and start-up mints once however many requests start together.

use std::sync::RwLock;

use tokio::sync::{Mutex, MutexGuard};

use crate::secret::Secret;

/// The current token and a version that grows with every replacement (0: none yet, when
/// OAuth has not minted one).
pub(crate) struct TokenStore {
    current: RwLock<(Secret, u64)>,
    /// Held while a refresh runs, so refreshes never overlap.
    refreshing: Mutex<()>,
}

impl TokenStore {
    /// A store holding `token` (empty for OAuth before the first mint).
    pub(crate) fn new(token: Secret) -> TokenStore {
        let version = u64::from(!token.expose().is_empty());
        TokenStore {
            current: RwLock::new((token, version)),
            refreshing: Mutex::new(()),
        }
    }

    /// The token to send and its version.
    pub(crate) fn current(&self) -> (Secret, u64) {
        self.current
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Installs a new token; returns its version.
    pub(crate) fn replace(&self, token: Secret) -> u64 {
        let mut g = self.current.write().unwrap_or_else(|p| p.into_inner());
        g.0 = token;
        g.1 += 1;
        g.1
    }

    /// Waits for the right to refresh (one refresh at a time).
    pub(crate) async fn refresh_turn(&self) -> MutexGuard<'_, ()> {
        self.refreshing.lock().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_grow_with_each_token() {
        let s = TokenStore::new(Secret::default());
        assert_eq!(s.current().1, 0);
        assert_eq!(s.replace(Secret::new("a")), 1);
        assert_eq!(s.replace(Secret::new("b")), 2);
        assert_eq!(s.current().0.expose(), "b");
        assert_eq!(TokenStore::new(Secret::new("t")).current().1, 1);
    }
}
