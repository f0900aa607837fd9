//! Secrets every node sharing a Management database uses alike (the resume-token key, the
//! JWT signing key when none is configured): 32 random bytes, stored once per database by
//! whichever node asks first. Racing nodes insert-if-absent and all read back the one value
//! that was stored, so a cluster agrees without any other coordination.

use crate::{Runtime, RuntimeError};

/// A shared secret, and whether this node generated the value that was stored.
pub struct ClusterSecret {
    pub bytes: Vec<u8>,
    pub generated: bool,
}

impl Runtime {
    /// The secret stored under `name`, generating and storing it if there is none yet.
    pub async fn cluster_secret(&self, name: &str) -> Result<ClusterSecret, RuntimeError> {
        let mut candidate = [0u8; 32];
        getrandom::fill(&mut candidate)
            .expect("the operating system's random generator is unavailable");
        let candidate = hex::encode(candidate);
        let stored = self.secrets.get_or_insert(name, &candidate).await?;
        let bytes = hex::decode(&stored).map_err(|_| {
            RuntimeError::Store(elsa_store::StoreError::Corrupt(serde::de::Error::custom(
                format!("the server secret '{name}' is not hex"),
            )))
        })?;
        Ok(ClusterSecret {
            bytes,
            // 32 random bytes: equal only when ours were stored.
            generated: stored == candidate,
        })
    }
}
