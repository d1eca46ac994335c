//! Values computed once per sync and key, shared by the units that need them (an
//! organization's post list, its activity counts, a lifetime statistics response).
//! Concurrent askers of the same key wait for the one computation.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::error::Result;

/// A once-per-key cache.
pub(super) struct Cache<K, V>(Mutex<HashMap<K, Arc<OnceCell<Arc<V>>>>>);

impl<K: Eq + Hash + Clone, V> Default for Cache<K, V> {
    fn default() -> Self {
        Cache(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    fn cell(&self, key: &K) -> Arc<OnceCell<Arc<V>>> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(key.clone()).or_default().clone()
    }

    /// The value of `key`, computed by `init` if nobody has yet; the bool says whether
    /// this call computed it.
    pub(super) async fn get_or_try_init<F, Fut>(&self, key: &K, init: F) -> Result<(Arc<V>, bool)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V>>,
    {
        let cell = self.cell(key);
        let mut built = false;
        let v = cell
            .get_or_try_init(|| async {
                built = true;
                init().await.map(Arc::new)
            })
            .await?
            .clone();
        Ok((v, built))
    }
}
