//! Tokens the server mints for URLs that resume a workflow without an API key
//! (`/bookmarks/resume?t=`, `/events/trigger?t=`). Elsa encrypts these with ASP.NET Data
//! Protection; since only this server mints and reads them, ours are signed instead:
//! `base64url(JSON payload) "." base64url(HMAC-SHA256(payload))`, keyed by a secret generated
//! once per database (so every node sharing it accepts every node's tokens).

use crate::{Runtime, RuntimeError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use elsa_model::Timestamp;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Name of the signing key in the server's secret store.
const SIGNING_KEY: &str = "resume-token-signing-key";

/// What a token lets its bearer do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TokenPayload {
    /// Resume one bookmark of one instance.
    #[serde(rename_all = "camelCase")]
    Bookmark {
        bookmark_id: String,
        workflow_instance_id: String,
    },
    /// Publish an event, optionally to one instance only.
    #[serde(rename_all = "camelCase")]
    Event {
        event_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workflow_instance_id: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    payload: TokenPayload,
    /// Optional expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

impl Runtime {
    /// A token for `payload`, valid until `expires_at` (or forever).
    pub async fn mint_token(
        &self,
        payload: TokenPayload,
        expires_at: Option<Timestamp>,
    ) -> Result<String, RuntimeError> {
        let body = serde_json::to_vec(&Signed {
            payload,
            expires_at,
        })
        .expect("token payloads serialise");
        let mac = self.token_mac(&body).await?.finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// The payload of a token this server minted; anything else (tampered, foreign, expired,
    /// malformed) is [`RuntimeError::InvalidToken`].
    pub async fn verify_token(&self, token: &str) -> Result<TokenPayload, RuntimeError> {
        let invalid = |why: &str| RuntimeError::InvalidToken(why.to_owned());
        let (body, mac) = token.split_once('.').ok_or_else(|| invalid("malformed"))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| invalid("malformed"))?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| invalid("malformed"))?;
        self.token_mac(&body)
            .await?
            .verify_slice(&mac)
            .map_err(|_| invalid("bad signature"))?;
        let signed: Signed = serde_json::from_slice(&body).map_err(|_| invalid("malformed"))?;
        if signed.expires_at.is_some_and(|at| at <= self.clock.now()) {
            return Err(invalid("expired"));
        }
        Ok(signed.payload)
    }

    async fn token_mac(&self, body: &[u8]) -> Result<Hmac<Sha256>, RuntimeError> {
        let key = match self.token_key.get() {
            Some(key) => key.clone(),
            // Racing callers all read the one stored value, so whichever sets it is right.
            None => {
                let stored = self.cluster_secret(SIGNING_KEY).await?.bytes;
                self.token_key.get_or_init(|| stored).clone()
            }
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(body);
        Ok(mac)
    }
}
