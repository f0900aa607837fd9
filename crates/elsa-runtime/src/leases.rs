//! The work items this node holds, and who "this node" is. A node renews the leases of what
//! it holds while it works on it, so a long HTTP request does not lose its item; a node that
//! dies stops renewing, and its items fall due again when their leases run out.

use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub(crate) struct Leases {
    held: Mutex<HashSet<String>>,
}

impl Leases {
    pub(crate) fn hold(&self, id: &str) {
        self.held.lock().expect("lease lock").insert(id.to_owned());
    }

    pub(crate) fn forget(&self, id: &str) {
        self.held.lock().expect("lease lock").remove(id);
    }

    pub(crate) fn held(&self) -> Vec<String> {
        self.held
            .lock()
            .expect("lease lock")
            .iter()
            .cloned()
            .collect()
    }
}

/// A node id made up for this start, when the host gives none.
pub fn generated_node_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!("{}-{}", std::process::id(), now.as_nanos());
    format!("node-{}", crate::work::derived_id(&[&seed]))
}
