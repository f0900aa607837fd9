//! HS256 JWTs as Elsa issues them: `name`, `sub`, one `role` claim per role name and one
//! `permissions` claim per permission (a single value is written as a string, several as an
//! array, like .NET's token handler), `token_use` = `access` | `refresh`, `iss`, `aud`, `exp`.
//! Elsa validates a token's expiry without clock skew; so do we. A token whose `nbf` or `iat`
//! lies more than [`CLOCK_SKEW`] ahead of this node's clock is refused too: nodes' clocks may
//! differ a little, a token from the future is a forgery or a broken clock.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far ahead of this node's clock a token's `nbf` and `iat` may be.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Why a token was refused: a message safe to show the client (never the token), whether
/// the token may be a guess (not signed with our key, or not a token at all), which the lockout
/// counts, rather than one of ours that expired or is used for the wrong thing, and whether the
/// server could not judge it yet (its signing key is not loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRejection {
    pub message: String,
    pub suspicious: bool,
    pub unavailable: bool,
}

impl TokenRejection {
    fn ours(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            suspicious: false,
            unavailable: false,
        }
    }

    fn no_key() -> Self {
        Self {
            message: "the server has not loaded its token signing key from the database yet; try again shortly".into(),
            suspicious: false,
            unavailable: true,
        }
    }
}

/// Signing key, issuer, audience and lifetimes (`Elsa:Identity:Tokens:*`).
#[derive(Clone)]
pub struct TokenOptions {
    /// The configured key; without one, the key the cluster shares is given later
    /// ([`Tokens::use_key`]) and tokens are neither issued nor accepted until then.
    pub signing_key: Option<Vec<u8>>,
    pub issuer: String,
    pub audience: String,
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
}

/// What a token is for; API routes accept only access tokens, the refresh route only refresh
/// tokens, so a stolen long-lived refresh token cannot call the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Access,
    Refresh,
}

impl TokenUse {
    fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    #[serde(default, with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    #[serde(default, with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    pub token_use: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// The subject of a token pair.
pub struct Subject<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

pub struct Tokens {
    options: TokenOptions,
    keys: OnceLock<Keys>,
}

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

impl Tokens {
    pub fn new(options: TokenOptions) -> Self {
        let keys = OnceLock::new();
        if let Some(secret) = &options.signing_key {
            let _ = keys.set(Keys::new(secret));
        }
        Self { options, keys }
    }

    /// Signs and verifies with `secret` from now on, unless a key is in use already (a
    /// configured key wins); true when `secret` is the key now in use.
    pub fn use_key(&self, secret: &[u8]) -> bool {
        let mut taken = false;
        self.keys.get_or_init(|| {
            taken = true;
            Keys::new(secret)
        });
        taken
    }

    /// Whether tokens can be issued and checked.
    pub fn has_key(&self) -> bool {
        self.keys.get().is_some()
    }

    fn keys(&self) -> Result<&Keys, TokenRejection> {
        self.keys.get().ok_or_else(TokenRejection::no_key)
    }

    /// An access token and a refresh token for `subject`.
    pub fn issue(&self, subject: &Subject) -> Result<(String, String), TokenRejection> {
        Ok((
            self.token(subject, TokenUse::Access)?,
            self.token(subject, TokenUse::Refresh)?,
        ))
    }

    fn token(&self, subject: &Subject, token_use: TokenUse) -> Result<String, TokenRejection> {
        let now = now_secs();
        let lifetime = match token_use {
            TokenUse::Access => self.options.access_token_lifetime,
            TokenUse::Refresh => self.options.refresh_token_lifetime,
        };
        let claims = Claims {
            sub: subject.id.to_owned(),
            name: subject.name.to_owned(),
            role: subject.roles.clone(),
            permissions: subject.permissions.clone(),
            token_use: token_use.as_str().to_owned(),
            iss: self.options.issuer.clone(),
            aud: self.options.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + lifetime.as_secs(),
        };
        self.sign(&claims)
    }

    /// `claims` as an HS256 JWT signed with this server's key.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenRejection> {
        let keys = self.keys()?;
        Ok(
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding)
                .expect("HS256 signing of serialisable claims cannot fail"),
        )
    }

    /// The claims of a valid, unexpired token of the given use; otherwise why not, in words
    /// safe to show the client (never the token).
    pub fn validate(&self, token: &str, token_use: TokenUse) -> Result<Claims, String> {
        self.check(token, token_use).map_err(|r| r.message)
    }

    /// [`Tokens::validate`], saying also whether the token may be a guess.
    pub fn check(&self, token: &str, token_use: TokenUse) -> Result<Claims, TokenRejection> {
        use jsonwebtoken::errors::ErrorKind;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Checked below, with the skew that `exp` does not get.
        validation.validate_nbf = false;
        validation.set_issuer(&[&self.options.issuer]);
        validation.set_audience(&[&self.options.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.keys()?.decoding, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenRejection::ours("the token has expired"),
                // The signature is checked first: these tokens were signed with our key.
                ErrorKind::InvalidIssuer
                | ErrorKind::InvalidAudience
                | ErrorKind::InvalidSubject
                | ErrorKind::MissingRequiredClaim(_) => {
                    TokenRejection::ours(format!("the token is not valid ({e})"))
                }
                _ => TokenRejection {
                    message: format!("the token is not valid ({e})"),
                    suspicious: true,
                    unavailable: false,
                },
            })?
            .claims;
        let now = now_secs();
        let latest = now + CLOCK_SKEW.as_secs();
        if claims.nbf > latest {
            return Err(TokenRejection::ours(format!(
                "the token is not valid yet: its 'nbf' (not before) is {} s ahead of this server's clock, more than the {} s allowed",
                claims.nbf - now,
                CLOCK_SKEW.as_secs()
            )));
        }
        if claims.iat > latest {
            return Err(TokenRejection::ours(format!(
                "the token is not valid: its 'iat' (issued at) is {} s ahead of this server's clock, more than the {} s allowed",
                claims.iat - now,
                CLOCK_SKEW.as_secs()
            )));
        }
        if claims.token_use != token_use.as_str() {
            return Err(TokenRejection::ours(format!(
                "the token is not a valid {} token",
                token_use.as_str()
            )));
        }
        Ok(claims)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A claim that .NET writes as a string when it occurs once and as an array otherwise.
mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[String], s: S) -> Result<S::Ok, S::Error> {
        match values {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lifetime: Duration) -> Tokens {
        Tokens::new(TokenOptions {
            signing_key: Some(b"a-test-signing-key-that-is-long-enough".to_vec()),
            issuer: "http://elsa.api".into(),
            audience: "http://elsa.api".into(),
            access_token_lifetime: lifetime,
            refresh_token_lifetime: lifetime * 2,
        })
    }

    fn subject() -> Subject<'static> {
        Subject {
            id: "u1",
            name: "admin",
            roles: vec!["admin".into()],
            permissions: vec!["*".into()],
        }
    }

    #[test]
    fn access_and_refresh_tokens_are_not_interchangeable() {
        let t = tokens(Duration::from_secs(3600));
        let (access, refresh) = t.issue(&subject()).unwrap();
        let claims = t.validate(&access, TokenUse::Access).unwrap();
        assert_eq!(claims.permissions, ["*"]);
        assert_eq!(claims.name, "admin");
        assert!(t.validate(&refresh, TokenUse::Refresh).is_ok());
        assert!(t.validate(&refresh, TokenUse::Access).is_err());
        assert!(t.validate(&access, TokenUse::Refresh).is_err());
    }

    #[test]
    fn single_permission_is_a_string_claim() {
        let t = tokens(Duration::from_secs(60));
        let (access, _) = t.issue(&subject()).unwrap();
        let payload = access.split('.').nth(1).unwrap();
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["permissions"], "*");
        assert_eq!(json["token_use"], "access");
        assert_eq!(json["iss"], "http://elsa.api");
    }

    #[test]
    fn other_keys_and_expired_tokens_are_rejected() {
        let t = tokens(Duration::from_secs(60));
        let (access, _) = t.issue(&subject()).unwrap();
        let other = Tokens::new(TokenOptions {
            signing_key: Some(b"another-key-another-key-another-key".to_vec()),
            ..t.options.clone()
        });
        assert!(other.validate(&access, TokenUse::Access).is_err());
        let expired = tokens(Duration::ZERO);
        let (access, _) = expired.issue(&subject()).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            expired.validate(&access, TokenUse::Access).unwrap_err(),
            "the token has expired"
        );
    }

    /// A token signed with `t`'s key whose `nbf` and `iat` are shifted by the given seconds.
    fn shifted(t: &Tokens, nbf: i64, iat: i64) -> String {
        let now = now_secs() as i64;
        let claims = Claims {
            sub: "u1".into(),
            name: "admin".into(),
            role: vec![],
            permissions: vec!["*".into()],
            token_use: "access".into(),
            iss: "http://elsa.api".into(),
            aud: "http://elsa.api".into(),
            iat: (now + iat) as u64,
            nbf: (now + nbf) as u64,
            exp: (now + 7200) as u64,
        };
        t.sign(&claims).unwrap()
    }

    #[test]
    fn tokens_from_the_future_are_rejected_beyond_the_skew() {
        let t = tokens(Duration::from_secs(3600));
        let skew = CLOCK_SKEW.as_secs() as i64;
        assert!(
            t.validate(&shifted(&t, skew - 5, 0), TokenUse::Access)
                .is_ok()
        );
        assert!(
            t.validate(&shifted(&t, 0, skew - 5), TokenUse::Access)
                .is_ok()
        );
        let nbf = t
            .check(&shifted(&t, 3600, 0), TokenUse::Access)
            .unwrap_err();
        assert!(nbf.message.contains("'nbf'"), "{}", nbf.message);
        assert!(!nbf.suspicious);
        let iat = t
            .validate(&shifted(&t, 0, 3600), TokenUse::Access)
            .unwrap_err();
        assert!(iat.contains("'iat'"), "{iat}");
    }

    #[test]
    fn without_a_key_nothing_is_issued_or_accepted_until_one_is_given() {
        let configured = tokens(Duration::from_secs(3600));
        let (access, _) = configured.issue(&subject()).unwrap();
        let later = Tokens::new(TokenOptions {
            signing_key: None,
            ..configured.options.clone()
        });
        let refused = later.check(&access, TokenUse::Access).unwrap_err();
        assert!(refused.unavailable && !refused.suspicious, "{refused:?}");
        assert!(later.issue(&subject()).unwrap_err().unavailable);
        assert!(later.use_key(b"a-test-signing-key-that-is-long-enough"));
        assert!(later.validate(&access, TokenUse::Access).is_ok());
        // The first key stays: a configured key is never replaced by a stored one.
        assert!(!later.use_key(b"another-key-another-key-another-key"));
        assert!(!configured.use_key(b"another-key-another-key-another-key"));
        assert!(configured.validate(&access, TokenUse::Access).is_ok());
    }

    #[test]
    fn only_tokens_not_signed_with_our_key_are_suspicious() {
        let t = tokens(Duration::from_secs(3600));
        let (access, refresh) = t.issue(&subject()).unwrap();
        assert!(!t.check(&refresh, TokenUse::Access).unwrap_err().suspicious);
        let other = Tokens::new(TokenOptions {
            signing_key: Some(b"another-key-another-key-another-key".to_vec()),
            ..t.options.clone()
        });
        assert!(
            other
                .check(&access, TokenUse::Access)
                .unwrap_err()
                .suspicious
        );
        assert!(t.check("garbage", TokenUse::Access).unwrap_err().suspicious);
    }
}
